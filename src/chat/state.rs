//! The reactive conversation of the open session: one row per message (every version), each
//! with its own signals, so a streamed chunk touches one bubble and not the list; the transcript
//! is one path through them (`tree.rs`). Each message is stored on its own (`persist.rs`): a
//! streamed reply rewrites only its own record, at most once a second.

use super::conversation::{Message, MessageState, ReplyNote, Role, MESSAGES_WITH_PARTS};
use super::session::SessionMeta;
use super::tree::{Parent, Tree};
use crate::db::{self, Storage};
use crate::gemini::wire::Part;
use crate::memory::usage::MemoryUse;
use crate::memory::{MemoryStore, WriteSettled};
use crate::settings::SettingsStore;
use crate::web::time::now_ms;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::AbortController;

const STREAM_SAVE_INTERVAL_MS: f64 = 1_000.0;

/// One message on screen.
#[derive(Clone, Copy, PartialEq)]
pub struct MessageRow {
    pub id: u64,
    pub parent: Parent,
    pub role: Role,
    pub created_ms: f64,
    pub text: RwSignal<String>,
    pub state: RwSignal<MessageState>,
    pub note: RwSignal<Option<ReplyNote>>,
    pub memory: RwSignal<Option<MemoryUse>>,
    pub parts: StoredValue<Vec<Part>>,
}

impl MessageRow {
    fn from_message(m: Message) -> Self {
        Self {
            id: m.id,
            parent: m.parent,
            role: m.role,
            created_ms: m.created_ms,
            text: RwSignal::new(m.text),
            state: RwSignal::new(m.state),
            note: RwSignal::new(m.note),
            memory: RwSignal::new(m.memory),
            parts: StoredValue::new(m.parts),
        }
    }

    /// Takes a stored version of this message (signals that did not change are left alone).
    fn update_from(self, m: Message) {
        let set_if = |changed: bool, set: &dyn Fn()| {
            if changed {
                set()
            }
        };
        set_if(self.text.with_untracked(|t| *t != m.text), &|| self.text.set(m.text.clone()));
        set_if(self.state.with_untracked(|s| *s != m.state), &|| self.state.set(m.state.clone()));
        set_if(self.note.with_untracked(|n| *n != m.note), &|| self.note.set(m.note.clone()));
        set_if(self.memory.with_untracked(|x| *x != m.memory), &|| self.memory.set(m.memory.clone()));
        self.parts.set_value(m.parts);
    }

    /// Frees the row's signals (the row left the conversation).
    fn dispose(self) {
        self.text.dispose();
        self.state.dispose();
        self.note.dispose();
        self.memory.dispose();
        self.parts.dispose();
    }

    pub fn to_message(self) -> Message {
        Message {
            id: self.id,
            parent: self.parent,
            role: self.role,
            text: self.text.get_untracked(),
            parts: self.parts.get_value(),
            state: self.state.get_untracked(),
            note: self.note.get_untracked(),
            memory: self.memory.get_untracked(),
            created_ms: self.created_ms,
        }
    }
}

/// The chat store, shared through context. It sends through the settings' endpoint, asks the
/// memory store for lookups and writes (the memory store never reaches back), and stores each
/// message in the database (or, when the browser refuses, keeps it in memory for the tab).
#[derive(Clone, Copy)]
pub struct ChatStore {
    pub(super) settings: SettingsStore,
    pub(super) memory: MemoryStore,
    pub(super) storage: Storage,
    /// The open session (a new one is stored with its first message).
    pub session: RwSignal<SessionMeta>,
    /// Every message of the open session, every version, in id order (the order written).
    pub all: RwSignal<Vec<MessageRow>>,
    /// Who follows whom among them.
    pub tree: Memo<Tree>,
    /// What the transcript shows: the path to the session's shown branch.
    pub rows: Memo<Vec<MessageRow>>,
    /// Whether a reply is streaming or waiting to retry: one memo for every bubble that asks
    /// (each asking on its own would subscribe it to every row's state).
    busy: Memo<bool>,
    /// The composer's text for this session.
    pub draft: RwSignal<String>,
    /// A message to bring into view and mark (a search hit, a memory's source).
    pub highlighted: RwSignal<Option<u64>>,
    /// The person's message being edited in place, if any.
    pub editing: RwSignal<Option<u64>>,
    /// Why the last send (or ask-again) was refused, shown under the composer.
    pub notice: RwSignal<Option<String>>,
    /// Aborts the reply being fetched (browser objects are not `Send`: local storage).
    controller: StoredValue<Option<AbortController>, LocalStorage>,
    /// Set by Stop; checked by a reply waiting to retry.
    stop_requested: StoredValue<bool>,
    last_save_ms: StoredValue<f64>,
    save_scheduled: StoredValue<bool>,
    /// Counts draft changes, so only the last one within a moment is stored.
    pub(super) draft_version: StoredValue<u64>,
    pub(super) on_session_changed: StoredValue<Option<Callback<SessionMeta>>>,
    /// The app's owner: rows are made under it, not under whatever asked for them (a click in a
    /// bubble that the new version takes off screen would take the new rows' signals with it).
    owner: StoredValue<Option<Owner>>,
}

/// The chat store of the page (provided by the app shell).
pub fn use_chat() -> ChatStore {
    expect_context()
}

/// A fresh id for a message or a session.
pub fn fresh_id() -> u64 {
    db::new_id(now_ms(), js_sys::Math::random())
}

impl ChatStore {
    /// A store with a new, empty session (the stored one is opened once the database is read).
    pub fn new(settings: SettingsStore, memory: MemoryStore, storage: Storage) -> Self {
        let session = RwSignal::new(SessionMeta::new(fresh_id(), now_ms()));
        let all: RwSignal<Vec<MessageRow>> = RwSignal::new(Vec::new());
        let tree = Memo::new(move |_| all.with(|all| Tree::new(all.iter().map(|r| (r.id, r.parent)))));
        let shown = Memo::new(move |_| session.with(|s| s.shown));
        let rows = Memo::new(move |_| {
            let path = tree.with(|t| t.shown_path(shown.get()));
            all.with(|all| path.iter().filter_map(|id| row_in(all, *id)).collect())
        });
        let busy = Memo::new(move |_| {
            // `try_`: a session being left frees its rows just before the new ones come.
            all.with(|rows| rows.iter().any(|r| r.state.try_with(MessageState::is_active).unwrap_or(false)))
        });
        let chat = Self {
            settings,
            memory,
            storage,
            session,
            all,
            tree,
            rows,
            busy,
            draft: RwSignal::new(String::new()),
            highlighted: RwSignal::new(None),
            editing: RwSignal::new(None),
            notice: RwSignal::new(None),
            controller: StoredValue::new_local(None),
            stop_requested: StoredValue::new(false),
            last_save_ms: StoredValue::new(0.0),
            save_scheduled: StoredValue::new(false),
            draft_version: StoredValue::new(0),
            on_session_changed: StoredValue::new(None),
            owner: StoredValue::new(Owner::current()),
        };
        memory.on_write_settled(Callback::new(move |settled| chat.write_settled(settled)));
        chat
    }

    /// Registers who hears that the open session's title, count or times changed (the list).
    pub fn on_session_changed(&self, listener: Callback<SessionMeta>) {
        self.on_session_changed.set_value(Some(listener));
    }

    /// Shows a session: its messages and its draft. A reply still streaming in the session
    /// being left is stopped first, with what it received kept.
    pub fn show_session(&self, meta: SessionMeta, messages: Vec<Message>, draft: String) {
        self.leave_session();
        self.session.set(meta);
        let mut rows = self.rows_of(messages);
        rows.sort_by_key(|r| r.id);
        self.all.set(rows);
        self.draft.set(draft);
    }

    /// The open session as another tab stored it: rows that changed take the stored state (in
    /// place, so only they redraw); messages this tab has not seen are appended.
    pub fn merge_stored(&self, mut meta: SessionMeta, messages: Vec<Message>) {
        // The version this tab shows stays (what the other tab added below it still shows).
        meta.shown = self.session.with_untracked(|s| s.shown).or(meta.shown);
        self.session.set(meta);
        let mut new = Vec::new();
        for m in messages {
            match self.find(m.id) {
                Some(row) => row.update_from(m),
                None => new.push(m),
            }
        }
        let added = self.rows_of(new);
        if !added.is_empty() {
            self.all.update(|rows| {
                rows.extend(added);
                rows.sort_by_key(|r| r.id);
            });
        }
    }

    /// Rows for messages, their signals owned by the app (see `owner`).
    fn rows_of(&self, messages: Vec<Message>) -> Vec<MessageRow> {
        let make = || messages.into_iter().map(MessageRow::from_message).collect();
        match self.owner.get_value() {
            Some(owner) => owner.with(make),
            None => make(),
        }
    }

    /// Brings message `id` into view and marks it (a search hit, a memory's source), showing
    /// its branch if another one is shown.
    /// (Not while a reply arrives: it would stream out of sight.)
    pub fn highlight(&self, id: Option<u64>) {
        let elsewhere = |id: &u64| self.find(*id).is_some() && self.position(*id).is_none();
        if let Some(id) = id.filter(elsewhere).filter(|_| !self.is_busy_untracked()) {
            self.show_branch(id);
        }
        self.highlighted.set(id);
    }

    /// Starts a new, empty session (the seed's `exit`, then starting again). The one left stays stored.
    pub fn new_session(&self) {
        self.show_session(SessionMeta::new(fresh_id(), now_ms()), Vec::new(), String::new());
        self.highlighted.set(None);
    }

    fn leave_session(&self) {
        self.flush_draft();
        if self.editing.get_untracked().is_some() {
            self.editing.set(None);
        }
        if let Some(row) = self.active_row() {
            self.stop();
            row.state.set(MessageState::Stopped);
            self.save_row(row);
        }
        for row in self.all.get_untracked() {
            row.dispose();
        }
    }

    /// A queued memory write for one of our replies was saved or refused: its chip says so.
    fn write_settled(&self, settled: WriteSettled) {
        let open = self.session.with_untracked(|s| s.id) == settled.session_id;
        match self.find(settled.reply_id).filter(|_| open) {
            Some(row) => {
                row.memory.update(|m| {
                    if let Some(m) = m {
                        m.write = settled.state;
                        m.saved = settled.saved;
                    }
                });
                self.save_row(row);
            }
            // Another session (or another tab's): change its stored record.
            None => self.store_write_settled(settled),
        }
    }

    /// Every message of the open session (every version), as data.
    pub fn messages(&self) -> Vec<Message> {
        self.all.with_untracked(|rows| rows.iter().map(|r| r.to_message()).collect())
    }

    /// The messages from a first message down to `id`, as data (the history of a reply to `id`).
    pub fn path_messages(&self, id: u64) -> Vec<Message> {
        let path = self.tree.with_untracked(|t| t.path_to(id));
        path.iter().filter_map(|id| self.find(*id)).map(|r| r.to_message()).collect()
    }

    /// The reply streaming or waiting to retry, if any.
    pub fn active_row(&self) -> Option<MessageRow> {
        self.all.with_untracked(|rows| rows.iter().copied().find(|r| r.state.with_untracked(MessageState::is_active)))
    }

    /// Saves at most once a second (for use while streaming); a change that arrives sooner is
    /// saved by a timer at the end of that second, so the last piece of text is never left out.
    pub fn save_throttled(&self, row: MessageRow) {
        let since = now_ms() - self.last_save_ms.get_value();
        if since >= STREAM_SAVE_INTERVAL_MS {
            self.last_save_ms.set_value(now_ms());
            self.save_row(row);
        } else if !self.save_scheduled.get_value() {
            self.save_scheduled.set_value(true);
            let chat = *self;
            set_timeout(
                move || {
                    chat.save_scheduled.set_value(false);
                    chat.last_save_ms.set_value(now_ms());
                    // The row may have left (another session opened): it was saved then.
                    if chat.find(row.id) == Some(row) {
                        chat.save_row(row);
                    }
                },
                std::time::Duration::from_millis((STREAM_SAVE_INTERVAL_MS - since) as u64),
            );
        }
    }

    /// Adds messages to the open session, each following the one before and the first following
    /// `parent`, shows them, and stores them (one transaction); returns their rows.
    pub fn push(&self, parent: Parent, messages: Vec<(Role, String, MessageState)>) -> Vec<MessageRow> {
        let mut id = fresh_id().max(self.all.with_untracked(|r| r.last().map_or(0, |r| r.id + 1)));
        let mut parent = parent;
        let messages: Vec<Message> = messages
            .into_iter()
            .map(|(role, text, state)| {
                id += 1;
                let message = Message::new(id, role, text, state, now_ms()).after(parent);
                parent = Parent::Of(id);
                message
            })
            .collect();
        let rows = self.rows_of(messages);
        self.all.update(|all| all.extend(rows.iter().copied()));
        self.session.update(|s| s.shown = rows.last().map(|r| r.id).or(s.shown));
        self.store_new(&rows);
        rows
    }

    /// Where a new message of the person goes: after the last one shown.
    pub fn end_of_transcript(&self) -> Parent {
        self.rows.with_untracked(|rows| rows.last().map_or(Parent::Root, |r| Parent::Of(r.id)))
    }

    /// Older replies keep their raw parts only among the newest [`MESSAGES_WITH_PARTS`]
    /// messages (older ones go back as text), so long sessions do not fill the storage.
    pub(super) fn compact_parts(&self) -> Option<MessageRow> {
        let len = self.rows.with_untracked(Vec::len);
        let old = self.rows.with_untracked(|r| len.checked_sub(MESSAGES_WITH_PARTS + 1).map(|i| r[i]))?;
        if old.parts.with_value(Vec::is_empty) {
            return None;
        }
        old.parts.set_value(Vec::new());
        Some(old)
    }

    /// A message of the open session (any version).
    pub fn find(&self, id: u64) -> Option<MessageRow> {
        self.all.with_untracked(|rows| row_in(rows, id))
    }

    /// Puts the keyboard in the composer (after an edit is sent or left).
    pub fn focus_composer(&self) {
        let found = document().query_selector("[data-testid='composer-input']").ok().flatten();
        if let Some(el) = found.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = el.focus();
        }
    }

    /// The person's last message shown (what ↑ in an empty composer edits).
    pub fn last_user_message(&self) -> Option<u64> {
        self.rows.with_untracked(|rows| rows.iter().rev().find(|r| r.role == Role::User).map(|r| r.id))
    }

    /// Where a message is in the transcript (none: it is not on the shown branch).
    pub fn position(&self, id: u64) -> Option<usize> {
        self.rows.with_untracked(|rows| rows.iter().position(|r| r.id == id))
    }

    /// Whether a reply is streaming or waiting to retry (tracked).
    pub fn is_busy(&self) -> bool {
        self.busy.get()
    }

    /// Like [`ChatStore::is_busy`], without tracking.
    pub fn is_busy_untracked(&self) -> bool {
        self.active_row().is_some()
    }

    /// A reply starts: forget an earlier Stop.
    pub fn begin_reply(&self) {
        self.stop_requested.set_value(false);
    }

    pub fn begin_request(&self, controller: AbortController) {
        self.controller.set_value(Some(controller));
    }

    pub fn end_request(&self) {
        self.controller.set_value(None);
    }

    pub fn stop_requested(&self) -> bool {
        self.stop_requested.get_value()
    }

    /// Stops the reply in progress (the stream, or the wait before a retry).
    pub fn stop(&self) {
        self.stop_requested.set_value(true);
        self.controller.with_value(|c| {
            if let Some(c) = c {
                c.abort();
            }
        });
    }
}

/// The row of message `id` in `rows` (in id order).
fn row_in(rows: &[MessageRow], id: u64) -> Option<MessageRow> {
    rows.binary_search_by_key(&id, |r| r.id).ok().map(|i| rows[i])
}
