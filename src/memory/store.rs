//! The reactive memory state: the user's memories, the list status, the outbox of waiting
//! writes, the memories being forgotten, the reply whose memories the sidebar marks, and the
//! drawer. Its async side (lookups, the outbox worker, re-listing) is in `sync.rs`, forgetting in
//! `forget.rs`. It reads the settings; it never touches the chat: what the chat must learn (a
//! write settled) goes to the listener the chat registers.

use super::outbox::Outbox;
use super::usage::{UsedMemory, WriteState};
use crate::db::{self, Change, Record, Storage};
use crate::mem0::{Memory, SavedMemory};
use crate::settings::SettingsStore;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

/// The outbox's record in the database's `meta` store.
pub const OUTBOX_KEY: &str = "outbox";

#[derive(Clone, Debug, PartialEq)]
pub enum ListStatus {
    /// Memory is not set up or switched off.
    Idle,
    Loading,
    Ready,
    /// The last list call failed (the error is shown; the old list, if any, stays).
    Failed,
}

/// A memory being forgotten (`forget.rs` moves it on, `forget_notes.rs` shows it): its stage.
#[derive(Clone, Debug, PartialEq)]
pub enum ForgetStage {
    /// Off the list; deleted when the undo window ends.
    Waiting,
    /// The delete is on its way; an Undo now brings it back once it is done.
    Deleting { then_back: bool },
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

/// Told when a forgotten memory comes back, with its new id if it had to be added again. A plain
/// closure, not a `Callback`: a `Callback` made in a click handler belongs to the view that
/// re-renders as the memory leaves it, and would be gone by the time Undo runs.
pub type OnBack = Arc<dyn Fn(Option<String>) + Send + Sync>;

/// The reply the user picked (its memory chip), with the memories it used.
#[derive(Clone, Debug, PartialEq)]
pub struct SelectedReply {
    pub reply_id: u64,
    pub used: Vec<UsedMemory>,
}

/// A queued write for a reply was settled: saved (with what mem0 made of it), or refused for good.
#[derive(Clone, Debug, PartialEq)]
pub struct WriteSettled {
    pub session_id: u64,
    pub reply_id: u64,
    pub state: WriteState,
    pub saved: Vec<SavedMemory>,
}

#[derive(Clone, Copy)]
pub struct MemoryStore {
    pub(super) settings: SettingsStore,
    pub(super) storage: Storage,
    /// Newest first.
    pub items: RwSignal<Vec<Memory>>,
    pub status: RwSignal<ListStatus>,
    /// The last mem0 problem, shown in the sidebar until a call succeeds.
    pub error: RwSignal<Option<String>>,
    pub outbox: RwSignal<Outbox>,
    pub selected: RwSignal<Option<SelectedReply>>,
    /// The sidebar drawer on narrow screens.
    pub open: RwSignal<bool>,
    pub(super) on_write_settled: StoredValue<Option<Callback<WriteSettled>>>,
    pub(super) refresh_queued: StoredValue<bool>,
    /// Counts list calls: only the newest one may replace the list.
    pub(super) list_generation: StoredValue<u64>,
    pub(super) worker_running: StoredValue<bool>,
    pub(super) wake_scheduled_for: StoredValue<f64>,
    /// Writes whose events this tab is following (one follower each).
    pub(super) followed: StoredValue<Vec<u64>>,
    /// Memories being forgotten (each with its Undo note).
    pub forgetting: RwSignal<Vec<Forgetting>>,
    pub(super) next_note: StoredValue<u64>,
    /// When the service last listed the memories shown (this tab, or the stored copy).
    pub listed_at: RwSignal<Option<f64>>,
    /// The stored copy of the list is being written / must be written again (`last_list.rs`).
    pub(super) last_list_saving: StoredValue<bool>,
    pub(super) last_list_again: StoredValue<bool>,
}

/// The memory store of the page (provided by the app shell).
pub fn use_memory() -> MemoryStore {
    expect_context()
}

impl MemoryStore {
    /// An empty store; the stored outbox is read with [`MemoryStore::reload_outbox`]. The list
    /// is kept on the device as it changes (call from a component: it sets up an effect).
    pub fn new(settings: SettingsStore, storage: Storage) -> Self {
        let store = Self {
            settings,
            storage,
            items: RwSignal::new(Vec::new()),
            status: RwSignal::new(ListStatus::Idle),
            error: RwSignal::new(None),
            outbox: RwSignal::new(Outbox::default()),
            selected: RwSignal::new(None),
            open: RwSignal::new(false),
            on_write_settled: StoredValue::new(None),
            refresh_queued: StoredValue::new(false),
            list_generation: StoredValue::new(0),
            worker_running: StoredValue::new(false),
            wake_scheduled_for: StoredValue::new(f64::INFINITY),
            followed: StoredValue::new(Vec::new()),
            forgetting: RwSignal::new(Vec::new()),
            next_note: StoredValue::new(0),
            listed_at: RwSignal::new(None),
            last_list_saving: StoredValue::new(false),
            last_list_again: StoredValue::new(false),
        };
        store.keep_last_list();
        store
    }

    /// Registers who hears about settled writes (the chat, to update the reply's chip).
    pub fn on_write_settled(&self, listener: Callback<WriteSettled>) {
        self.on_write_settled.set_value(Some(listener));
    }

    pub(super) fn write_settled(&self, reply: Option<(u64, u64)>, state: WriteState, saved: Vec<SavedMemory>) {
        if let (Some((session_id, reply_id)), Some(listener)) = (reply, self.on_write_settled.get_value()) {
            listener.run(WriteSettled { session_id, reply_id, state, saved });
        }
    }

    /// Marks the memories a reply used in the sidebar, and opens it.
    pub fn select_reply(&self, reply_id: u64, used: Vec<UsedMemory>) {
        self.selected.set(Some(SelectedReply { reply_id, used }));
        self.open.set(true);
    }

    pub fn clear_selection(&self) {
        self.selected.set(None);
    }

    /// The selected reply's id (tracked).
    pub fn selected_reply(&self) -> Option<u64> {
        self.selected.with(|s| s.as_ref().map(|s| s.reply_id))
    }

    /// The user id memories are kept under (tracked).
    pub fn user_id(&self) -> String {
        self.settings.settings.with(|s| s.user_id.clone())
    }

    /// Changes the outbox here at once, and in the database in the background (see
    /// [`MemoryStore::change_outbox`]).
    pub fn update_outbox<R>(&self, change: impl Fn(&mut Outbox) -> R + 'static) -> R {
        let result = self.outbox.try_update(&change).expect("outbox signal is alive");
        let store = *self;
        spawn_local(async move { store.store_outbox_change(change).await });
        result
    }

    /// Changes the outbox here, then in the database, and resolves when it is stored. The
    /// stored outbox is read and written in one transaction, so what other tabs queued is kept;
    /// this tab then shows the stored outbox.
    pub async fn change_outbox<R>(&self, change: impl Fn(&mut Outbox) -> R + 'static) -> R {
        let result = self.outbox.try_update(&change).expect("outbox signal is alive");
        self.store_outbox_change(change).await;
        result
    }

    async fn store_outbox_change<R>(&self, change: impl Fn(&mut Outbox) -> R + 'static) {
        let Some(db) = self.storage.db() else { return };
        let stored = Rc::new(RefCell::new(None));
        let result = {
            let stored = stored.clone();
            db.update(db::META, &OUTBOX_KEY.into(), Record::new("").field("key", OUTBOX_KEY.into()), move |data| {
                let mut outbox = data.and_then(|d| Outbox::restore(&d)).unwrap_or_default();
                change(&mut outbox);
                let json = serde_json::to_string(&outbox).ok();
                *stored.borrow_mut() = Some(outbox);
                json
            })
            .await
        };
        if self.storage.report(result).is_some() {
            if let Some(outbox) = stored.take() {
                if self.outbox.with_untracked(|o| *o != outbox) {
                    self.outbox.set(outbox);
                }
            }
            db::announce(&Change::Outbox.to_string());
        }
    }

    /// Reads the stored outbox (at start, and when another tab changed it).
    pub async fn reload_outbox(&self) {
        let Some(db) = self.storage.db() else { return };
        let record = self.storage.report_read(db.get(db::META, &OUTBOX_KEY.into()).await).flatten();
        let outbox = record.and_then(|r| db::data_of(&r)).and_then(|d| Outbox::restore(&d)).unwrap_or_default();
        if self.outbox.with_untracked(|o| *o != outbox) {
            self.outbox.set(outbox);
        }
    }

    /// Puts one memory (new or changed) in its place in the list.
    pub fn upsert_item(&self, memory: Memory) {
        self.items.update(|items| {
            items.retain(|m| m.id != memory.id);
            items.push(memory);
            sort_newest_first(items);
        });
    }

    pub fn remove_item(&self, memory_id: &str) {
        self.items.update(|items| items.retain(|m| m.id != memory_id));
    }

    /// Replaces the list, newest first, leaving it untouched when nothing changed (no flicker).
    pub fn set_items(&self, mut memories: Vec<Memory>) {
        // A list asked for before a forget's delete landed still has it: it stays off.
        memories.retain(|m| !self.is_forgotten(&m.id));
        sort_newest_first(&mut memories);
        if self.items.with_untracked(|current| *current != memories) {
            self.items.set(memories);
        }
    }

    /// Settings or keys were saved: the list may belong to another user or service now.
    pub fn settings_changed(&self) {
        self.status.set(ListStatus::Idle);
        self.items.set(Vec::new());
        self.schedule_refresh();
        self.kick();
    }
}

/// Newest first by creation time (ISO 8601 strings in one format sort as text).
pub fn sort_newest_first(memories: &mut [Memory]) {
    memories.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.id.cmp(&b.id)));
}

/// Case-insensitive filter for the sidebar's search box; every word must match.
pub fn matches_filter(memory: &Memory, filter: &str) -> bool {
    let text = memory.memory.to_lowercase();
    filter
        .split_whitespace()
        .map(str::to_lowercase)
        .all(|word| text.contains(&word) || memory.categories.iter().any(|c| c.to_lowercase().contains(&word)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mem(id: &str, text: &str, created: &str) -> Memory {
        Memory { id: id.into(), memory: text.into(), created_at: Some(created.into()), ..Memory::default() }
    }

    #[test]
    fn newest_first() {
        let mut list = vec![mem("a", "x", "2026-11-01T00:00:00Z"), mem("b", "y", "2026-11-03T00:00:00Z")];
        sort_newest_first(&mut list);
        assert_eq!(list[0].id, "b");
    }

    #[test]
    fn filter_words_and_categories() {
        let mut m = mem("a", "Was deployed in Afghanistan", "");
        m.categories = vec!["personal_details".into()];
        assert!(matches_filter(&m, "afghan"));
        assert!(matches_filter(&m, "DEPLOYED afghanistan"));
        assert!(matches_filter(&m, "personal"));
        assert!(!matches_filter(&m, "iraq"));
        assert!(matches_filter(&m, "  "));
    }
}
