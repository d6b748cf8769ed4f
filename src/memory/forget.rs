//! Forgetting a memory, with a way back. It leaves the list at once; it is deleted in the memory
//! service only when the undo window ends; Undo before that just puts it back; and for a while
//! after, "Bring back" adds the same text again, verbatim, with the same metadata.

use super::store::MemoryStore;
use crate::mem0::{AddAnswer, Mem0Error, Memory, TurnMessage, TurnWrite, UserId};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::sync::Arc;
use std::time::Duration;

/// Told when a forgotten memory comes back, with its new id if it had to be added again. A plain
/// closure, not a `Callback`: a `Callback` made in a click handler belongs to the view that
/// re-renders as the memory leaves it, and would be gone by the time Undo runs.
pub type OnBack = Arc<dyn Fn(Option<String>) + Send + Sync>;

/// How long a forgotten memory can be kept with Undo before it is deleted.
pub const UNDO_MS: u64 = 6_000;
/// How long, after the delete, it can still be brought back.
pub const BRING_BACK_MS: u64 = 8_000;

#[derive(Clone, Debug, PartialEq)]
pub enum ForgetStage {
    /// Off the list; deleted when the undo window ends.
    Waiting,
    /// Deleted in the memory service; can be added again.
    Deleted,
}

/// A memory being forgotten, as its note ("Forgot … Undo") shows it.
#[derive(Clone)]
pub struct Forgetting {
    /// This note's own number.
    pub note: u64,
    pub memory: Memory,
    pub stage: ForgetStage,
    /// Told when the memory comes back (with its new id, if it had to be added again).
    pub on_back: Option<OnBack>,
}

impl MemoryStore {
    /// Forgets a memory: off the list now, deleted after [`UNDO_MS`]. `on_back` is told if the
    /// person takes it back.
    pub fn forget(&self, memory: Memory, on_back: Option<OnBack>) {
        let listed = self.items.with_untracked(|items| items.iter().find(|m| m.id == memory.id).cloned());
        self.remove_item(&memory.id);
        let note = self.next_note.get_value() + 1;
        self.next_note.set_value(note);
        let memory = listed.unwrap_or(memory);
        let needs_details = memory.metadata.is_none();
        self.forgetting.update(|f| f.push(Forgetting { note, memory, stage: ForgetStage::Waiting, on_back }));
        let store = *self;
        if needs_details {
            // Not on the list (e.g. forgotten from a reply): its metadata is needed to bring it back.
            spawn_local(async move { store.fill_details(note).await });
        }
        set_timeout(
            move || spawn_local(async move { store.delete_forgotten(note).await }),
            Duration::from_millis(UNDO_MS),
        );
    }

    fn forgotten(&self, note: u64) -> Option<Forgetting> {
        self.forgetting.with_untracked(|f| f.iter().find(|x| x.note == note).cloned())
    }

    fn drop_note(&self, note: u64) {
        self.forgetting.update(|f| f.retain(|x| x.note != note));
    }

    async fn fill_details(&self, note: u64) {
        let (Some(item), Ok(client)) = (self.forgotten(note), self.client()) else { return };
        if let Ok(Some(full)) = client.get(&item.memory.id).await {
            self.forgetting.update(|f| f.iter_mut().filter(|x| x.note == note).for_each(|x| x.memory = full.clone()));
        }
    }

    async fn delete_forgotten(&self, note: u64) {
        let Some(item) = self.forgotten(note).filter(|x| x.stage == ForgetStage::Waiting) else { return };
        let result = match self.client() {
            Ok(client) => client.delete(&item.memory.id).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(()) | Err(Mem0Error::NotFound { .. }) => {
                self.forgetting
                    .update(|f| f.iter_mut().filter(|x| x.note == note).for_each(|x| x.stage = ForgetStage::Deleted));
                let store = *self;
                set_timeout(move || store.drop_note(note), Duration::from_millis(BRING_BACK_MS));
            }
            Err(error) => {
                // Not deleted: it is still there, so it goes back on the list, and the page says why.
                self.drop_note(note);
                self.upsert_item(item.memory);
                self.set_error(Some(format!("That memory was not forgotten: {}", error.user_message())));
            }
        }
    }

    /// Takes back a forgotten memory: before the delete, it just returns; after, it is added again.
    pub fn take_back(&self, note: u64) {
        let Some(item) = self.forgotten(note) else { return };
        self.drop_note(note);
        match item.stage {
            ForgetStage::Waiting => {
                self.upsert_item(item.memory);
                if let Some(back) = item.on_back {
                    back(None);
                }
            }
            ForgetStage::Deleted => {
                let store = *self;
                spawn_local(async move { store.add_again(item).await });
            }
        }
    }

    /// Adds a deleted memory again: the same text, verbatim (`infer: false`), the same metadata.
    async fn add_again(&self, item: Forgetting) {
        let user = self.settings.settings.with_untracked(|s| s.user_id.clone());
        let write = TurnWrite {
            user_id: user.clone(),
            messages: vec![TurnMessage { role: "user".into(), content: item.memory.memory.clone() }],
            metadata: item.memory.metadata.clone().unwrap_or(serde_json::Value::Null),
            infer: false,
        };
        let result = match (self.client(), UserId::parse(&user)) {
            (Ok(client), Ok(_)) => client.add(&write).await.map(|answer| (client, answer)),
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        match result {
            Ok((client, AddAnswer::Done { saved })) => {
                let new_id = saved.first().map(|s| s.id.clone());
                if let Some(id) = &new_id {
                    if let Ok(Some(memory)) = client.get(id).await {
                        self.upsert_item(memory);
                    }
                }
                if let Some(back) = item.on_back {
                    back(new_id);
                }
            }
            Ok((_, AddAnswer::Queued { .. })) => self.schedule_refresh(),
            Err(error) => {
                self.set_error(Some(format!("That memory could not be brought back: {}", error.user_message())))
            }
        }
    }
}
