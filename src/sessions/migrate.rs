//! Moving what the previous version kept in `localStorage` into the database, once: its one
//! conversation becomes a session (with its draft), and its waiting memory writes join the
//! outbox, still pointing at their replies. The old keys are removed only once it is all stored.

use crate::chat::conversation::Conversation;
use crate::chat::conversation::Role;
use crate::chat::persist::{message_record, session_record};
use crate::chat::session::{title_from, SessionMeta};
use crate::chat::state::fresh_id;
use crate::db::{self, Batch, Db, Record, StorageError};
use crate::memory::outbox::Outbox;
use crate::memory::store::OUTBOX_KEY;
use crate::web::storage::{self, Scope};

const OLD_CONVERSATION: &str = "wellness0.conversation";
const OLD_OUTBOX: &str = "wellness0.outbox";
const OLD_DRAFT: &str = "wellness0.draft";

/// The earlier version's conversation as a session (none if it was empty).
pub fn session_from(conversation: Conversation, id: u64) -> Option<(SessionMeta, Conversation)> {
    let first = conversation.messages.first()?;
    let last = conversation.messages.last()?;
    let mut meta = SessionMeta::new(id, first.created_ms);
    let first_user = conversation.messages.iter().find(|m| m.role == Role::User).map(|m| m.text.as_str());
    meta.messages_added(conversation.messages.len() as u32, first_user, last.created_ms);
    if meta.title.is_empty() {
        meta.title = first_user.map(title_from).unwrap_or_default();
    }
    Some((meta, conversation))
}

/// Moves the earlier version's data into `db`; returns the new session's id, if there was a
/// conversation to move.
pub async fn from_local_storage(db: &Db) -> Result<Option<u64>, StorageError> {
    let conversation = storage::get(Scope::Device, OLD_CONVERSATION).and_then(|j| Conversation::restore(&j));
    let old_outbox = storage::get(Scope::Device, OLD_OUTBOX).and_then(|j| Outbox::restore(&j));
    if conversation.is_none() && old_outbox.is_none() {
        return Ok(None);
    }
    let id = fresh_id();
    let moved = conversation.and_then(|c| session_from(c, id));
    if let Some((meta, conversation)) = &moved {
        let mut batch = Batch::default().put(db::SESSIONS, session_record(meta));
        for message in &conversation.messages {
            batch = batch.put(db::MESSAGES, message_record(id, message));
        }
        if let Some(draft) = storage::get(Scope::Tab, OLD_DRAFT).filter(|d| !d.is_empty()) {
            batch = batch.put(db::DRAFTS, Record::new(&draft).field("session", (id as f64).into()));
        }
        db.write(batch).await?;
    }
    if let Some(old) = old_outbox {
        let session = moved.as_ref().map(|(meta, _)| meta.id);
        db.update(db::META, &OUTBOX_KEY.into(), Record::new("").field("key", OUTBOX_KEY.into()), move |data| {
            let mut outbox = data.and_then(|d| Outbox::restore(&d)).unwrap_or_default();
            for mut write in old.items.clone() {
                // Their replies now live in the moved session.
                write.session_id = write.session_id.or(session.filter(|_| write.reply_id.is_some()));
                if !outbox.items.iter().any(|w| w.id == write.id) {
                    outbox.items.push(write);
                }
            }
            serde_json::to_string(&outbox).ok()
        })
        .await?;
    }
    for (scope, key) in [(Scope::Device, OLD_CONVERSATION), (Scope::Device, OLD_OUTBOX), (Scope::Tab, OLD_DRAFT)] {
        storage::remove(scope, key);
    }
    Ok(moved.map(|(meta, _)| meta.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::conversation::{Message, MessageState};

    fn msg(id: u64, role: Role, text: &str, at: f64) -> Message {
        Message::new(id, role, text, MessageState::Done, at)
    }

    #[test]
    fn the_old_conversation_becomes_a_titled_session() {
        let conv = Conversation {
            next_id: 3,
            messages: vec![msg(1, Role::User, "Hi, I am a war veteran.", 10.0), msg(2, Role::Model, "Welcome.", 20.0)],
        };
        let (meta, kept) = session_from(conv, 77).unwrap();
        assert_eq!((meta.id, meta.title.as_str(), meta.count), (77, "Hi, I am a war veteran.", 2));
        assert_eq!((meta.created_ms, meta.updated_ms), (10.0, 20.0));
        assert_eq!(kept.messages[1].id, 2, "message ids are kept: waiting writes point at them");
        assert!(session_from(Conversation::default(), 1).is_none());
    }
}
