//! Storing sessions and messages in the database, one record each: a message record is written
//! when the message is added or changes (a streamed reply: its own record, at most once a
//! second), a session record when messages are added or it is renamed. Other tabs are told.

use super::conversation::{link_in_order, Message};
use super::session::SessionMeta;
use super::state::{ChatStore, MessageRow};
use crate::db::{self, data_of, field_of, Batch, Change, Db, Record, StorageError};
use crate::memory::WriteSettled;
use crate::vault::storage::{self as private, Private};
use crate::web::storage::Scope;
use crate::web::time::now_ms;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;

pub fn message_record(session: u64, m: &Message) -> Record {
    Record::new(&serde_json::to_string(m).unwrap_or_default())
        .field("session", (session as f64).into())
        .field("id", (m.id as f64).into())
        .field("text", m.text.as_str().into())
}

pub fn session_record(meta: &SessionMeta) -> Record {
    Record::new(&serde_json::to_string(meta).unwrap_or_default()).field("id", (meta.id as f64).into())
}

fn parse<T: serde::de::DeserializeOwned>(record: &JsValue) -> Option<T> {
    serde_json::from_str(&data_of(record)?).ok()
}

/// Every stored session (any order).
pub async fn load_sessions(db: &Db) -> Result<Vec<SessionMeta>, StorageError> {
    Ok(db.get_all(db::SESSIONS, None).await?.iter().filter_map(|r| parse(&r)).collect())
}

/// A session's messages (every version) in id order, each linked to its parent, replies that
/// were streaming when the page went away marked
/// as interrupted.
pub async fn load_messages(db: &Db, session: u64) -> Result<Vec<Message>, StorageError> {
    let records = db.get_all(db::MESSAGES, Some(db::session_messages(session))).await?;
    let mut messages: Vec<Message> = records.iter().filter_map(|r| parse(&r)).collect();
    link_in_order(&mut messages);
    messages.iter_mut().for_each(Message::settle_interrupted);
    Ok(messages)
}

/// (message id, text) of every message of a session, for the search index.
pub async fn load_texts(db: &Db, session: u64) -> Result<Vec<(u64, String)>, StorageError> {
    let records = db.get_all(db::MESSAGES, Some(db::session_messages(session))).await?;
    // With a passcode the text is not stored beside the record: it is read from the message.
    let text = |r: &JsValue| field_of(r, "text").as_string().or_else(|| parse::<Message>(r).map(|m| m.text));
    Ok(records.iter().filter_map(|r| Some((field_of(&r, "id").as_f64()? as u64, text(&r)?))).collect())
}

pub async fn load_draft(db: &Db, session: u64) -> String {
    let record = db.get(db::DRAFTS, &(session as f64).into()).await.ok().flatten();
    record.and_then(|r| data_of(&r)).unwrap_or_default()
}

pub async fn save_draft(db: &Db, session: u64, text: &str) -> Result<(), StorageError> {
    let key: JsValue = (session as f64).into();
    let batch = if text.is_empty() {
        Batch::default().delete(db::DRAFTS, key)
    } else {
        Batch::default().put(db::DRAFTS, Record::new(text).field("session", key))
    };
    db.write(batch).await
}

// A streaming reply is written to `localStorage` when the page goes away (`Private::UnsavedReply`):
// it is written at once, while a database write started then may not finish before the page is
// gone. (With a passcode it is sealed first, which may not finish either: the database write is
// tried as well.)

#[derive(serde::Serialize, serde::Deserialize)]
struct Unsaved {
    session: u64,
    message: Message,
}

/// A draft as the page went away (see [`ChatStore::save_draft_now`]).
#[derive(serde::Serialize, serde::Deserialize)]
struct UnsavedDraft {
    session: u64,
    text: String,
}

/// Drops the draft saved on the way out once the database holds `session`'s draft (so a later
/// start never puts an older one back over it).
fn forget_unsaved_draft(session: u64) {
    let held = private::get(Scope::Device, Private::UnsavedDraft);
    if held.and_then(|json| serde_json::from_str::<UnsavedDraft>(&json).ok()).is_some_and(|d| d.session == session) {
        private::remove(Scope::Device, Private::UnsavedDraft);
    }
}

/// Stores a reply and a draft that were saved on the way out (see [`ChatStore::save_row_now`]
/// and [`ChatStore::save_draft_now`]), if any.
pub async fn recover_unsaved(db: &Db) -> Result<(), StorageError> {
    if let Some(json) = private::get(Scope::Device, Private::UnsavedReply) {
        if let Ok(unsaved) = serde_json::from_str::<Unsaved>(&json) {
            db.write(Batch::default().put(db::MESSAGES, message_record(unsaved.session, &unsaved.message))).await?;
        }
        private::remove(Scope::Device, Private::UnsavedReply);
    }
    if let Some(json) = private::get(Scope::Device, Private::UnsavedDraft) {
        if let Ok(draft) = serde_json::from_str::<UnsavedDraft>(&json) {
            save_draft(db, draft.session, &draft.text).await?;
        }
        private::remove(Scope::Device, Private::UnsavedDraft);
    }
    Ok(())
}

/// Drafts longer than this are not stored (a huge paste would be slow to store, and is refused anyway).
const MAX_STORED_DRAFT_CHARS: usize = 4 * super::pipeline::MAX_MESSAGE_CHARS;
/// Typing is stored this long after the last key, not at every key.
const DRAFT_SAVE_DELAY_MS: u64 = 300;

impl ChatStore {
    /// The composer's text changed: shown at once, stored a moment after typing stops.
    pub fn keep_draft(&self, text: String) {
        self.draft.set(text.clone());
        let (chat, session, version) = (*self, self.session_id(), self.draft_version.get_value() + 1);
        self.draft_version.set_value(version);
        set_timeout(
            move || {
                // More typing came (or the session was left): that one is stored instead.
                if chat.draft_version.get_value() == version {
                    chat.store_draft(session, text);
                }
            },
            std::time::Duration::from_millis(DRAFT_SAVE_DELAY_MS),
        );
    }

    /// Stores the draft as the page goes away mid-typing: at once in `localStorage` (moved into
    /// the database at the next start: a database write started now may not finish before the
    /// page is gone), and in the database if it gets the chance.
    pub fn save_draft_now(&self) {
        let text = self.draft.get_untracked();
        // An empty draft needs nothing kept on the way out (and a tab leaving because another
        // changed the passcode must not write a private value under its old key for nothing).
        if text.is_empty() {
            forget_unsaved_draft(self.session_id());
        } else if text.len() <= MAX_STORED_DRAFT_CHARS {
            let unsaved = UnsavedDraft { session: self.session_id(), text };
            private::set(Scope::Device, Private::UnsavedDraft, &serde_json::to_string(&unsaved).unwrap_or_default());
        } else {
            forget_unsaved_draft(self.session_id());
        }
        self.flush_draft();
    }

    /// Stores the draft of the session being left now (a save still waiting is dropped).
    pub(super) fn flush_draft(&self) {
        self.draft_version.update_value(|v| *v += 1);
        self.store_draft(self.session_id(), self.draft.get_untracked());
    }

    /// Stores the draft and a reply still arriving, and waits for the database (before locking).
    pub async fn store_now(&self) {
        let Some(db) = self.storage.db() else { return };
        self.draft_version.update_value(|v| *v += 1);
        let draft = self.draft.get_untracked();
        let draft = if draft.len() > MAX_STORED_DRAFT_CHARS { String::new() } else { draft };
        self.storage.report(save_draft(&db, self.session_id(), &draft).await);
        if let Some(row) = self.active_row() {
            let record = message_record(self.session_id(), &row.to_message());
            self.storage.report(db.write(Batch::default().put(db::MESSAGES, record)).await);
        }
    }

    fn store_draft(&self, session: u64, text: String) {
        let Some(db) = self.storage.db() else { return };
        let text = if text.len() > MAX_STORED_DRAFT_CHARS { String::new() } else { text };
        let storage = self.storage;
        spawn_local(async move {
            if storage.report(save_draft(&db, session, &text).await).is_some() {
                forget_unsaved_draft(session);
            }
        });
    }

    fn session_id(&self) -> u64 {
        self.session.with_untracked(|s| s.id)
    }

    /// Stores a streaming reply as the page goes away: at once in `localStorage` (moved into the
    /// database at the next start), and in the database if it gets the chance.
    pub fn save_row_now(&self, row: MessageRow) {
        let unsaved = Unsaved { session: self.session_id(), message: row.to_message() };
        private::set(Scope::Device, Private::UnsavedReply, &serde_json::to_string(&unsaved).unwrap_or_default());
        self.save_row(row);
    }

    /// Stores one message as it is now (no-op without a database: the page already said so).
    pub fn save_row(&self, row: MessageRow) {
        self.notify_session_changed();
        let (Some(db), storage) = (self.storage.db(), self.storage) else { return };
        let (session, record) = (self.session_id(), message_record(self.session_id(), &row.to_message()));
        spawn_local(async move {
            if storage.report(db.write(Batch::default().put(db::MESSAGES, record)).await).is_some() {
                db::announce(&Change::Session(session).to_string());
            }
        });
    }

    /// Stores new messages, and the session record with its new count (and, from the first
    /// message, its title): in memory at once, in the database in the background.
    pub(super) fn store_new(&self, rows: &[MessageRow]) {
        let first_text =
            rows.iter().find(|r| r.role == super::conversation::Role::User).map(|r| r.text.get_untracked());
        let added = rows.len() as u32;
        self.session.update(|s| s.messages_added(added, first_text.as_deref(), now_ms()));
        self.notify_session_changed();
        let Some(db) = self.storage.db() else { return };
        let session = self.session_id();
        let mut batch = Batch::default();
        for row in rows.iter().copied().chain(self.compact_parts()) {
            batch = batch.put(db::MESSAGES, message_record(session, &row.to_message()));
        }
        let (chat, mine) = (*self, self.session.get_untracked());
        spawn_local(async move {
            if chat.storage.report(db.write(batch).await).is_none() {
                return;
            }
            // The stored record may have counts from another tab: add to it, atomically.
            let stored = Rc::new(RefCell::new(None));
            let result = {
                let stored = stored.clone();
                let now = now_ms();
                db.update(db::SESSIONS, &(session as f64).into(), session_record(&mine), move |data| {
                    let meta = match data.and_then(|d| serde_json::from_str::<SessionMeta>(&d).ok()) {
                        Some(mut meta) => {
                            meta.messages_added(added, first_text.as_deref(), now);
                            meta.shown = mine.shown;
                            meta
                        }
                        None => mine,
                    };
                    *stored.borrow_mut() = Some(meta.clone());
                    serde_json::to_string(&meta).ok()
                })
                .await
            };
            if chat.storage.report(result).is_some() {
                if let Some(meta) = stored.take().filter(|m| m.id == chat.session_id()) {
                    chat.session.set(meta);
                }
                db::announce(&Change::Session(session).to_string());
            }
        });
    }

    /// Shows the branch through message `id` (a version stepped to, a search hit on another
    /// branch) and stores that choice with the session.
    pub fn show_branch(&self, id: u64) {
        if self.session.with_untracked(|s| s.shown) == Some(id) {
            return;
        }
        self.session.update(|s| s.shown = Some(id));
        // The list keeps the record the session opens with next time.
        self.notify_session_changed();
        let (Some(db), session) = (self.storage.db(), self.session_id()) else { return };
        let (storage, key) = (self.storage, JsValue::from(session as f64));
        let fields = Record::new("").field("id", key.clone());
        spawn_local(async move {
            let result = db
                .update(db::SESSIONS, &key, fields, move |data| {
                    // Only the choice changes: counts another tab added stay.
                    let mut meta: SessionMeta = serde_json::from_str(&data?).ok()?;
                    meta.shown = Some(id);
                    serde_json::to_string(&meta).ok()
                })
                .await;
            if storage.report(result).is_some() {
                db::announce(&Change::Session(session).to_string());
            }
        });
    }

    /// Stores a new name for the open session.
    pub fn rename_session(&self, title: &str) {
        self.session.update(|s| s.rename(title));
        self.notify_session_changed();
        let (Some(db), meta) = (self.storage.db(), self.session.get_untracked()) else { return };
        if meta.count == 0 {
            return; // stored with its first message
        }
        let storage = self.storage;
        spawn_local(async move {
            if storage.report(db.write(Batch::default().put(db::SESSIONS, session_record(&meta))).await).is_some() {
                db::announce(&Change::Session(meta.id).to_string());
            }
        });
    }

    fn notify_session_changed(&self) {
        if let Some(listener) = self.on_session_changed.get_value() {
            listener.run(self.session.get_untracked());
        }
    }

    /// A settled memory write for a reply that is not on screen: its stored record is changed.
    pub(super) fn store_write_settled(&self, settled: WriteSettled) {
        let Some(db) = self.storage.db() else { return };
        let storage = self.storage;
        let key = db::message_key(settled.session_id, settled.reply_id);
        let fields = Record::new("")
            .field("session", (settled.session_id as f64).into())
            .field("id", (settled.reply_id as f64).into());
        spawn_local(async move {
            let result = db
                .update(db::MESSAGES, &key, fields, move |data| {
                    let mut message: Message = serde_json::from_str(&data?).ok()?;
                    let memory = message.memory.as_mut()?;
                    memory.write = settled.state;
                    memory.saved = settled.saved;
                    serde_json::to_string(&message).ok()
                })
                .await;
            if storage.report(result).is_some() {
                db::announce(&Change::Session(settled.session_id).to_string());
            }
        });
    }
}
