//! The memories as last listed, kept on the device so the sidebar still shows them when the
//! memory service cannot be reached (offline, or the service down), marked as possibly out of
//! date. One record in the database's `meta` store — sealed under a passcode like every record —
//! holding the last list with whose it is (the service's address and the user id): another
//! person's or another service's list is never shown. It follows every change the person makes
//! (a memory forgotten here is gone from the copy too), and is replaced at each successful list.

use super::store::{ListStatus, MemoryStore};
use crate::db::{self, Batch, Record};
use crate::mem0::Memory;
use crate::web::time::now_ms;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};

/// The record's key in the `meta` store.
pub const LAST_LIST_KEY: &str = "memories";

/// The stored list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LastList {
    /// The memory service's address (a proxy's `…/api/mem0` behind the proxy).
    pub base_url: String,
    pub user_id: String,
    /// When the service last listed them (milliseconds since 1970).
    pub listed_at_ms: f64,
    pub memories: Vec<Memory>,
}

impl LastList {
    /// Whether this list is of these memories: the same service, the same person.
    pub fn belongs_to(&self, base_url: &str, user_id: &str) -> bool {
        self.base_url == base_url && self.user_id == user_id
    }
}

/// How long ago a list was made, in words ("5 minutes ago").
pub fn age_text(now_ms: f64, then_ms: f64) -> String {
    let minutes = ((now_ms - then_ms).max(0.0) / 60_000.0).floor() as u64;
    let (hours, days) = (minutes / 60, minutes / (60 * 24));
    let plural = |n: u64, unit: &str| format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" });
    match () {
        _ if minutes < 1 => "just now".to_owned(),
        _ if hours < 1 => plural(minutes, "minute"),
        _ if days < 1 => plural(hours, "hour"),
        _ => plural(days, "day"),
    }
}

impl MemoryStore {
    /// Keeps the stored copy in step with the list while the list is current (listed by the
    /// service, or changed since by this tab). Called once, by the store's creator.
    pub(super) fn keep_last_list(&self) {
        let store = *self;
        Effect::new(move |_| {
            store.items.track();
            store.listed_at.track();
            if store.status.get_untracked() == ListStatus::Ready {
                store.save_last_list();
            }
        });
    }

    /// Stores the list now; changes meanwhile are stored right after, so the copy ends as the
    /// list ends (writes never overtake one another).
    fn save_last_list(&self) {
        if self.last_list_saving.get_value() {
            self.last_list_again.set_value(true);
            return;
        }
        self.last_list_saving.set_value(true);
        let store = *self;
        spawn_local(async move {
            loop {
                store.last_list_again.set_value(false);
                store.write_last_list().await;
                if !store.last_list_again.get_value() {
                    break;
                }
            }
            store.last_list_saving.set_value(false);
        });
    }

    async fn write_last_list(&self) {
        let (Some(db), Ok(client)) = (self.storage.db(), self.client()) else { return };
        // Settings changed meanwhile: the list on screen is nobody's yet.
        if self.status.get_untracked() != ListStatus::Ready {
            return;
        }
        let list = LastList {
            base_url: client.base_url().to_owned(),
            user_id: self.settings.settings.with_untracked(|s| s.user_id.clone()),
            listed_at_ms: self.listed_at.get_untracked().unwrap_or_else(now_ms),
            memories: self.items.get_untracked(),
        };
        let Ok(json) = serde_json::to_string(&list) else { return };
        let record = Record::new(&json).field("key", LAST_LIST_KEY.into());
        self.storage.report(db.write(Batch::default().put(db::META, record)).await);
    }

    /// The list could not be fetched: shows the stored copy, if it is this person's on this
    /// service and nothing is shown yet (a list this tab fetched earlier stays as it is).
    /// `generation` is the failed list call's: a newer call meanwhile has the last word.
    pub(super) async fn show_last_list(&self, generation: u64) {
        if self.items.with_untracked(|items| !items.is_empty()) {
            return;
        }
        let (Some(db), Ok(client)) = (self.storage.db(), self.client()) else { return };
        let record = db.get(db::META, &LAST_LIST_KEY.into()).await.ok().flatten();
        let Some(list) = record.and_then(|r| db::data_of(&r)).and_then(|d| serde_json::from_str::<LastList>(&d).ok())
        else {
            return;
        };
        let user_id = self.settings.settings.with_untracked(|s| s.user_id.clone());
        let current =
            self.list_generation.get_value() == generation && self.status.get_untracked() == ListStatus::Failed;
        if current && list.belongs_to(client.base_url(), &user_id) {
            self.listed_at.set(Some(list.listed_at_ms));
            self.set_items(list.memories);
        }
    }

    /// What the sidebar says of a list it could not bring up to date (tracked): `None` when
    /// the list is current or empty.
    pub fn stale_note(&self) -> Option<String> {
        if self.status.get() != ListStatus::Failed || self.items.with(Vec::is_empty) {
            return None;
        }
        let age = self.listed_at.get().map(|at| format!(", listed {}", age_text(now_ms(), at))).unwrap_or_default();
        Some(format!("Memories as last seen{age}: they may be out of date."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_naturally() {
        let now = 1_764_000_000_000.0;
        assert_eq!(age_text(now, now - 30_000.0), "just now");
        assert_eq!(age_text(now, now + 5_000.0), "just now", "a clock that moved back is not the future");
        assert_eq!(age_text(now, now - 60_000.0), "1 minute ago");
        assert_eq!(age_text(now, now - 59.0 * 60_000.0), "59 minutes ago");
        assert_eq!(age_text(now, now - 2.5 * 3_600_000.0), "2 hours ago");
        assert_eq!(age_text(now, now - 24.0 * 3_600_000.0), "1 day ago");
        assert_eq!(age_text(now, now - 9.0 * 86_400_000.0), "9 days ago");
    }

    #[test]
    fn a_list_is_only_ever_its_own_persons() {
        let list = LastList {
            base_url: "https://api.mem0.ai".into(),
            user_id: "ana".into(),
            listed_at_ms: 0.0,
            memories: vec![Memory { id: "m1".into(), memory: "Likes tea".into(), ..Memory::default() }],
        };
        assert!(list.belongs_to("https://api.mem0.ai", "ana"));
        assert!(!list.belongs_to("https://api.mem0.ai", "bob"));
        assert!(!list.belongs_to("http://localhost:8888", "ana"));
        let back: LastList = serde_json::from_str(&serde_json::to_string(&list).unwrap()).unwrap();
        assert_eq!(back, list);
    }
}
