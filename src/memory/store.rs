//! The reactive memory state shared by the sidebar and the send pipeline: the user's memories,
//! list status, the outbox of pending writes, and which reply is selected.

use super::outbox::Outbox;
use crate::mem0::Memory;
use crate::storage::{self, Scope};
use leptos::prelude::*;

const OUTBOX_KEY: &str = "wellness0.outbox";

#[derive(Clone, Debug, PartialEq)]
pub enum ListStatus {
    /// Memory is not set up or switched off.
    Idle,
    Loading,
    Ready,
    /// The last list call failed (the error is shown; the old list, if any, stays).
    Failed,
}

#[derive(Clone, Copy)]
pub struct MemoryStore {
    /// Newest first.
    pub items: RwSignal<Vec<Memory>>,
    pub status: RwSignal<ListStatus>,
    /// The last mem0 problem, shown in the sidebar until a call succeeds.
    pub error: RwSignal<Option<String>>,
    pub outbox: RwSignal<Outbox>,
    /// The reply whose memories the sidebar marks.
    pub selected_reply: RwSignal<Option<u64>>,
    /// The sidebar drawer on narrow screens.
    pub open: RwSignal<bool>,
    pub(super) refresh_queued: StoredValue<bool>,
    /// Counts list calls: only the newest one may replace the list.
    pub(super) list_generation: StoredValue<u64>,
    pub(super) worker_running: StoredValue<bool>,
    pub(super) wake_scheduled_for: StoredValue<f64>,
}

impl MemoryStore {
    pub fn load() -> Self {
        let outbox = storage::get(Scope::Device, OUTBOX_KEY)
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default();
        Self {
            items: RwSignal::new(Vec::new()),
            status: RwSignal::new(ListStatus::Idle),
            error: RwSignal::new(None),
            outbox: RwSignal::new(outbox),
            selected_reply: RwSignal::new(None),
            open: RwSignal::new(false),
            refresh_queued: StoredValue::new(false),
            list_generation: StoredValue::new(0),
            worker_running: StoredValue::new(false),
            wake_scheduled_for: StoredValue::new(f64::INFINITY),
        }
    }

    /// Changes the outbox and saves it at once (a write must survive a reload).
    /// Starts from what is stored, not from this tab's copy, so that another tab's writes are kept.
    pub fn update_outbox<R>(&self, change: impl FnOnce(&mut Outbox) -> R) -> R {
        if let Some(stored) = storage::get(Scope::Device, OUTBOX_KEY).and_then(|j| serde_json::from_str(&j).ok()) {
            if self.outbox.with_untracked(|o| *o != stored) {
                self.outbox.set(stored);
            }
        }
        let result = self.outbox.try_update(change).expect("outbox signal is alive");
        let json = self.outbox.with_untracked(|o| serde_json::to_string(o).unwrap_or_default());
        storage::set(Scope::Device, OUTBOX_KEY, &json);
        result
    }

    /// Replaces the list, newest first, leaving it untouched when nothing changed (no flicker).
    pub fn set_items(&self, mut memories: Vec<Memory>) {
        sort_newest_first(&mut memories);
        if self.items.with_untracked(|current| *current != memories) {
            self.items.set(memories);
        }
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
