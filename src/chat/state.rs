//! The reactive conversation of the open session: one row per message, each with its own
//! signals, so a streamed chunk touches one bubble and not the list. Each message is stored on
//! its own (`persist.rs`): a streamed reply rewrites only its own record, at most once a second.

use super::conversation::{Message, MessageState, ReplyNote, Role, MESSAGES_WITH_PARTS};
use super::session::SessionMeta;
use crate::db::{self, Storage};
use crate::gemini::wire::Part;
use crate::memory::usage::MemoryUse;
use crate::memory::{MemoryStore, WriteSettled};
use crate::settings::SettingsStore;
use crate::web::time::now_ms;
use leptos::prelude::*;
use web_sys::AbortController;

const STREAM_SAVE_INTERVAL_MS: f64 = 1_000.0;

/// One message on screen.
#[derive(Clone, Copy, PartialEq)]
pub struct MessageRow {
    pub id: u64,
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
    pub rows: RwSignal<Vec<MessageRow>>,
    /// The composer's text for this session.
    pub draft: RwSignal<String>,
    /// A message to bring into view and mark (a search hit, a memory's source).
    pub highlighted: RwSignal<Option<u64>>,
    /// Aborts the reply being fetched (browser objects are not `Send`: local storage).
    controller: StoredValue<Option<AbortController>, LocalStorage>,
    /// Set by Stop; checked by a reply waiting to retry.
    stop_requested: StoredValue<bool>,
    last_save_ms: StoredValue<f64>,
    save_scheduled: StoredValue<bool>,
    /// Counts draft changes, so only the last one within a moment is stored.
    pub(super) draft_version: StoredValue<u64>,
    pub(super) on_session_changed: StoredValue<Option<Callback<SessionMeta>>>,
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
        let chat = Self {
            settings,
            memory,
            storage,
            session: RwSignal::new(SessionMeta::new(fresh_id(), now_ms())),
            rows: RwSignal::new(Vec::new()),
            draft: RwSignal::new(String::new()),
            highlighted: RwSignal::new(None),
            controller: StoredValue::new_local(None),
            stop_requested: StoredValue::new(false),
            last_save_ms: StoredValue::new(0.0),
            save_scheduled: StoredValue::new(false),
            draft_version: StoredValue::new(0),
            on_session_changed: StoredValue::new(None),
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
        self.rows.set(messages.into_iter().map(MessageRow::from_message).collect());
        self.draft.set(draft);
    }

    /// The open session as another tab stored it: rows that changed take the stored state (in
    /// place, so only they redraw); messages this tab has not seen are appended.
    pub fn merge_stored(&self, meta: SessionMeta, messages: Vec<Message>) {
        self.session.set(meta);
        let mut added = Vec::new();
        for m in messages {
            match self.find(m.id) {
                Some((_, row)) => row.update_from(m),
                None => added.push(MessageRow::from_message(m)),
            }
        }
        if !added.is_empty() {
            self.rows.update(|rows| {
                rows.extend(added);
                rows.sort_by_key(|r| r.id);
            });
        }
    }

    /// Starts a new, empty session (the seed's `exit`, then starting again). The one left stays stored.
    pub fn new_session(&self) {
        self.show_session(SessionMeta::new(fresh_id(), now_ms()), Vec::new(), String::new());
        self.highlighted.set(None);
    }

    fn leave_session(&self) {
        self.flush_draft();
        if let Some(row) = self
            .rows
            .with_untracked(|rows| rows.iter().copied().find(|r| r.state.with_untracked(MessageState::is_active)))
        {
            self.stop();
            row.state.set(MessageState::Stopped);
            self.save_row(row);
        }
        for row in self.rows.get_untracked() {
            row.dispose();
        }
    }

    /// A queued memory write for one of our replies was saved or refused: its chip says so.
    fn write_settled(&self, settled: WriteSettled) {
        let open = self.session.with_untracked(|s| s.id) == settled.session_id;
        match self.find(settled.reply_id).filter(|_| open) {
            Some((_, row)) => {
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

    /// Every message of the open session, as data.
    pub fn messages(&self) -> Vec<Message> {
        self.rows.with_untracked(|rows| rows.iter().map(|r| r.to_message()).collect())
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
                    if chat.find(row.id).is_some() {
                        chat.save_row(row);
                    }
                },
                std::time::Duration::from_millis((STREAM_SAVE_INTERVAL_MS - since) as u64),
            );
        }
    }

    /// Appends messages to the open session and stores them (one transaction); returns their rows.
    pub fn push(&self, messages: Vec<(Role, String, MessageState)>) -> Vec<MessageRow> {
        let mut id = fresh_id().max(self.rows.with_untracked(|r| r.last().map_or(0, |r| r.id + 1)));
        let rows: Vec<MessageRow> = messages
            .into_iter()
            .map(|(role, text, state)| {
                id += 1;
                MessageRow::from_message(Message::new(id, role, text, state, now_ms()))
            })
            .collect();
        self.rows.update(|all| all.extend(rows.iter().copied()));
        self.store_new(&rows);
        rows
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

    /// A row and its position.
    pub fn find(&self, id: u64) -> Option<(usize, MessageRow)> {
        self.rows.with_untracked(|rows| rows.iter().position(|r| r.id == id).map(|i| (i, rows[i])))
    }

    /// Whether a reply is streaming or waiting to retry (tracked).
    pub fn is_busy(&self) -> bool {
        self.rows.with(|rows| rows.iter().any(|r| r.state.with(MessageState::is_active)))
    }

    /// Like [`ChatStore::is_busy`], without tracking.
    pub fn is_busy_untracked(&self) -> bool {
        self.rows.with_untracked(|rows| rows.iter().any(|r| r.state.with_untracked(MessageState::is_active)))
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
