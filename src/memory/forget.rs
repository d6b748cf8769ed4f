//! Forgetting a memory, with a way back. It leaves the list at once; it is deleted in the memory
//! service only when the undo window ends; Undo before that just puts it back; and for a while
//! after, "Bring back" adds the same text again, verbatim, with the same metadata.
//!
//! A forget waiting for its window is stored (the database's `meta` store, sealed under a
//! passcode like everything else), so closing the page, Exit or Lock does not lose it: the next
//! start shows it again and deletes it when its window ends.

use super::store::{ForgetStage, Forgetting, MemoryStore, OnBack};
use crate::db::{self, Record};
use crate::mem0::{AddAnswer, Mem0Error, Memory, TurnMessage, TurnWrite, UserId};
use crate::web::time::now_ms;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

/// How long a forgotten memory can be kept with Undo before it is deleted.
pub const UNDO_MS: u64 = 6_000;
/// How long, after the delete, it can still be brought back.
pub const BRING_BACK_MS: u64 = 8_000;
/// The stored list of forgets waiting for their window.
const PENDING_KEY: &str = "forgets";

/// A forget as stored until its delete is sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Pending {
    memory: Memory,
    due_ms: f64,
}

/// The stored list of waiting forgets (an unreadable one reads as empty).
fn parse_pending(data: Option<String>) -> Vec<Pending> {
    data.and_then(|d| serde_json::from_str(&d).ok()).unwrap_or_default()
}

/// Removes the forget of memory `id`; whether it was there.
fn remove_pending(pending: &mut Vec<Pending>, id: &str) -> bool {
    let before = pending.len();
    pending.retain(|p| p.memory.id != id);
    pending.len() < before
}

impl MemoryStore {
    /// Forgets a memory: off the list now, deleted after [`UNDO_MS`]. `on_back` is told if the
    /// person takes it back.
    pub fn forget(&self, memory: Memory, on_back: Option<OnBack>) {
        let listed = self.items.with_untracked(|items| items.iter().find(|m| m.id == memory.id).cloned());
        let memory = listed.unwrap_or(memory);
        let needs_details = memory.metadata.is_none();
        let due_ms = now_ms() + UNDO_MS as f64;
        let note = self.track(memory.clone(), on_back, due_ms);
        self.store_pending(move |pending| {
            pending.push(Pending { memory, due_ms });
            true
        });
        if needs_details {
            // Not on the list (e.g. forgotten from a reply): its metadata is needed to bring it back.
            let store = *self;
            spawn_local(async move { store.fill_details(note).await });
        }
    }

    /// After a start: the forgets a closed page left waiting show again, and are deleted when
    /// their window ends (at once if it has).
    pub async fn resume_forgets(&self) {
        let Some(db) = self.storage.db() else { return };
        let record = db.get(db::META, &PENDING_KEY.into()).await.ok().flatten();
        for p in parse_pending(record.and_then(|r| db::data_of(&r))) {
            if self.forgetting.with_untracked(|f| f.iter().all(|x| x.memory.id != p.memory.id)) {
                self.track(p.memory, None, p.due_ms);
            }
        }
    }

    /// Takes the memory off the list and shows its note; the delete is sent at `due_ms`.
    fn track(&self, memory: Memory, on_back: Option<OnBack>, due_ms: f64) -> u64 {
        self.remove_item(&memory.id);
        let note = self.next_note.get_value() + 1;
        self.next_note.set_value(note);
        self.forgetting.update(|f| f.push(Forgetting { note, memory, stage: ForgetStage::Waiting, on_back }));
        let store = *self;
        let wait = (due_ms - now_ms()).max(0.0) as u64;
        set_timeout(
            move || spawn_local(async move { store.delete_forgotten(note).await }),
            Duration::from_millis(wait),
        );
        note
    }

    /// Whether a memory is being forgotten (a fresh list or a search must not bring it back).
    pub fn is_forgotten(&self, id: &str) -> bool {
        self.forgetting.with_untracked(|f| f.iter().any(|x| x.memory.id == id))
    }

    /// Changes the stored list of waiting forgets in one read-and-write; `change` says whether
    /// it changed anything (if not, nothing is written). Resolves to that, or to the storage error.
    async fn change_pending(
        &self,
        change: impl FnOnce(&mut Vec<Pending>) -> bool + 'static,
    ) -> Result<bool, db::StorageError> {
        let Some(db) = self.storage.db() else { return Ok(false) };
        let changed = Rc::new(Cell::new(false));
        let seen = changed.clone();
        let key = Record::new("").field("key", PENDING_KEY.into());
        db.update(db::META, &PENDING_KEY.into(), key, move |data| {
            let mut pending = parse_pending(data);
            seen.set(change(&mut pending));
            if seen.get() {
                serde_json::to_string(&pending).ok()
            } else {
                None
            }
        })
        .await?;
        Ok(changed.get())
    }

    fn store_pending(&self, change: impl FnOnce(&mut Vec<Pending>) -> bool + 'static) {
        let store = *self;
        spawn_local(async move {
            let result = store.change_pending(change).await;
            store.storage.report(result);
        });
    }

    /// Takes a waiting forget off the stored list: false if it was not there (another tab took
    /// it back, or deleted it already), so one tab alone sends the delete.
    async fn claim_pending(&self, id: &str) -> bool {
        if self.storage.db().is_none() {
            return true; // nothing stored: this tab is the only one that knows of it
        }
        let id = id.to_owned();
        // Storage refused: better the delete sent than the forget lost.
        self.storage.report(self.change_pending(move |pending| remove_pending(pending, &id)).await).unwrap_or(true)
    }

    fn unstore_pending(&self, id: String) {
        self.store_pending(move |pending| remove_pending(pending, &id));
    }

    fn forgotten(&self, note: u64) -> Option<Forgetting> {
        self.forgetting.with_untracked(|f| f.iter().find(|x| x.note == note).cloned())
    }

    fn set_stage(&self, note: u64, stage: ForgetStage) {
        self.forgetting.update(|f| f.iter_mut().filter(|x| x.note == note).for_each(|x| x.stage = stage.clone()));
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
        self.set_stage(note, ForgetStage::Deleting { then_back: false });
        if !self.claim_pending(&item.memory.id).await {
            // Another tab has it: taken back there (then it is still in the service) or deleted.
            self.drop_note(note);
            self.schedule_refresh();
            return;
        }
        let result = match self.client() {
            Ok(client) => client.delete(&item.memory.id).await,
            Err(e) => Err(e),
        };
        let then_back =
            self.forgotten(note).is_some_and(|x| matches!(x.stage, ForgetStage::Deleting { then_back: true }));
        match result {
            Ok(()) | Err(Mem0Error::NotFound { .. }) => {
                if then_back {
                    // Undo came while the delete was on its way: it is added again now.
                    self.drop_note(note);
                    self.add_again(item).await;
                    return;
                }
                self.set_stage(note, ForgetStage::Deleted);
                let store = *self;
                set_timeout(move || store.drop_note(note), Duration::from_millis(BRING_BACK_MS));
            }
            Err(error) => {
                // Not deleted: it is still there, so it goes back on the list and the reply, and
                // the page says why. (No longer stored: forgetting it is the person's to try again.)
                self.drop_note(note);
                self.upsert_item(item.memory);
                if let Some(back) = item.on_back {
                    back(None);
                }
                self.set_error(Some(format!("That memory was not forgotten: {}", error.user_message())));
            }
        }
    }

    /// Takes back a forgotten memory: before the delete, it just returns; after, it is added again.
    pub fn take_back(&self, note: u64) {
        let Some(item) = self.forgotten(note) else { return };
        match item.stage {
            ForgetStage::Waiting => {
                self.drop_note(note);
                self.unstore_pending(item.memory.id.clone());
                self.upsert_item(item.memory);
                if let Some(back) = item.on_back {
                    back(None);
                }
            }
            ForgetStage::Deleting { .. } => self.set_stage(note, ForgetStage::Deleting { then_back: true }),
            ForgetStage::Deleted => {
                self.drop_note(note);
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
            Ok((_, AddAnswer::Queued { .. })) => {
                // Added, under an id the list will bring: the reply shows the text again now.
                if let Some(back) = item.on_back {
                    back(None);
                }
                self.schedule_refresh();
            }
            Err(error) => {
                self.set_error(Some(format!("That memory could not be brought back: {}", error.user_message())))
            }
        }
    }
}
