//! The reactive conversation: one row per message, each with its own signals, so a streamed
//! chunk touches one bubble and not the list. Saved to `localStorage` at each turn boundary
//! and, while a reply streams, at most once a second (a reload keeps the partial reply).

use super::conversation::{Conversation, Message, MessageState, ReplyNote, Role};
use crate::gemini::wire::Part;
use crate::memory::usage::MemoryUse;
use crate::memory::{MemoryStore, WriteSettled};
use crate::settings::SettingsStore;
use crate::web::storage::{self, Scope};
use crate::web::time::now_ms;
use leptos::prelude::*;
use web_sys::AbortController;

const CONVERSATION_KEY: &str = "wellness0.conversation";
const STREAM_SAVE_INTERVAL_MS: f64 = 1_000.0;

/// One message on screen.
#[derive(Clone, Copy)]
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

    /// Frees the row's signals (the row left the conversation).
    fn dispose(self) {
        self.text.dispose();
        self.state.dispose();
        self.note.dispose();
        self.memory.dispose();
        self.parts.dispose();
    }

    fn to_message(self) -> Message {
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

/// The conversation store, shared through context. It sends through the settings' endpoint
/// and asks the memory store for lookups and writes (the memory store never reaches back).
#[derive(Clone, Copy)]
pub struct ChatStore {
    pub(super) settings: SettingsStore,
    pub(super) memory: MemoryStore,
    pub rows: RwSignal<Vec<MessageRow>>,
    next_id: StoredValue<u64>,
    /// Aborts the reply being fetched (browser objects are not `Send`: local storage).
    controller: StoredValue<Option<AbortController>, LocalStorage>,
    /// Set by Stop; checked by a reply waiting to retry.
    stop_requested: StoredValue<bool>,
    last_save_ms: StoredValue<f64>,
    save_scheduled: StoredValue<bool>,
    /// The browser refused the last save (storage full or disabled): the page says so.
    pub save_failed: RwSignal<bool>,
}

/// The chat store of the page (provided by the app shell).
pub fn use_chat() -> ChatStore {
    expect_context()
}

impl ChatStore {
    /// The conversation saved in this browser, or an empty one.
    pub fn load(settings: SettingsStore, memory: MemoryStore) -> Self {
        let conv = storage::get(Scope::Device, CONVERSATION_KEY)
            .and_then(|json| Conversation::restore(&json))
            .unwrap_or_default();
        Self::from_conversation(conv, settings, memory)
    }

    pub fn from_conversation(conv: Conversation, settings: SettingsStore, memory: MemoryStore) -> Self {
        let chat = Self {
            settings,
            memory,
            rows: RwSignal::new(conv.messages.into_iter().map(MessageRow::from_message).collect()),
            next_id: StoredValue::new(conv.next_id.max(1)),
            controller: StoredValue::new_local(None),
            stop_requested: StoredValue::new(false),
            last_save_ms: StoredValue::new(0.0),
            save_scheduled: StoredValue::new(false),
            save_failed: RwSignal::new(false),
        };
        memory.on_write_settled(Callback::new(move |settled| chat.write_settled(settled)));
        chat
    }

    /// A queued memory write for one of our replies was saved or refused: its chip says so.
    fn write_settled(&self, settled: WriteSettled) {
        let Some((_, row)) = self.find(settled.reply_id) else { return };
        row.memory.update(|m| {
            if let Some(m) = m {
                m.write = settled.state;
                m.saved = settled.saved;
            }
        });
        self.save();
    }

    pub fn snapshot(&self) -> Conversation {
        Conversation {
            next_id: self.next_id.get_value(),
            messages: self.rows.get_untracked().into_iter().map(MessageRow::to_message).collect(),
        }
    }

    pub fn save(&self) {
        self.last_save_ms.set_value(now_ms());
        let mut conversation = self.snapshot();
        conversation.compact();
        let json = serde_json::to_string(&conversation).unwrap_or_default();
        let stored = storage::set(Scope::Device, CONVERSATION_KEY, &json);
        if self.save_failed.get_untracked() == stored {
            self.save_failed.set(!stored);
        }
    }

    /// Saves at most once a second (for use while streaming); a change that arrives sooner is
    /// saved by a timer at the end of that second, so the last piece of text is never left out.
    pub fn save_throttled(&self) {
        let since = now_ms() - self.last_save_ms.get_value();
        if since >= STREAM_SAVE_INTERVAL_MS {
            self.save();
        } else if !self.save_scheduled.get_value() {
            self.save_scheduled.set_value(true);
            let chat = *self;
            set_timeout(
                move || {
                    chat.save_scheduled.set_value(false);
                    chat.save();
                },
                std::time::Duration::from_millis((STREAM_SAVE_INTERVAL_MS - since) as u64),
            );
        }
    }

    /// Appends a message and returns its row.
    pub fn push(&self, role: Role, text: String, state: MessageState) -> MessageRow {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        let row = MessageRow::from_message(Message {
            id,
            role,
            text,
            parts: Vec::new(),
            state,
            note: None,
            memory: None,
            created_ms: now_ms(),
        });
        self.rows.update(|rows| rows.push(row));
        row
    }

    /// A row and its position.
    pub fn find(&self, id: u64) -> Option<(usize, MessageRow)> {
        self.rows.with_untracked(|rows| rows.iter().position(|r| r.id == id).map(|i| (i, rows[i])))
    }

    /// Whether a reply is streaming or waiting to retry (tracked).
    pub fn is_busy(&self) -> bool {
        self.rows.with(|rows| rows.iter().any(|r| r.state.with(MessageState::is_active)))
    }

    /// Like [`Chat::is_busy`], without tracking.
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

    /// Ends the session: stops any reply and forgets the conversation.
    pub fn clear(&self) {
        self.stop();
        for row in self.rows.get_untracked() {
            row.dispose();
        }
        self.rows.set(Vec::new());
        // Saves the empty conversation with its id counter, so new messages never reuse the id of
        // an old reply that a pending memory write still points at.
        self.save();
    }
}
