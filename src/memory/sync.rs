//! Talking to mem0 on the user's behalf: the per-message lookup (with a deadline), the outbox
//! worker that writes finished turns and follows their events, and keeping the sidebar live.
//!
//! No work per turn grows with the number of memories: a turn costs one search, one add, a few
//! event polls and one fetch per memory the turn saved; the whole list is fetched only at start,
//! on Refresh, after import or delete-all, and when the settings change.

use super::store::{ListStatus, MemoryStore};
use super::usage::{Lookup, MemoryUse, UsedMemory, WriteState};
use crate::backoff::backoff;
use crate::db;
use crate::mem0::{
    AddAnswer, Capabilities, EventStatus, Mem0Error, MemoryClient, SavedMemory, TurnMessage, TurnWrite, UserId,
};
use crate::web::time::{now_ms, sleep_ms};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;
use std::time::Duration;
use web_sys::AbortController;

/// How many times an event is polled (waits 0.5 s, 1 s, 2 s, 4 s, then 7.5 s each: about two
/// minutes in all) before this tab leaves it to the next page load.
const EVENT_POLLS: u32 = 20;
const MAX_EVENT_WAIT: Duration = Duration::from_secs(15);

/// One finished turn to remember: whose, in which session, and the two messages (id and text).
pub struct Turn<'a> {
    pub user_id: &'a str,
    pub session_id: u64,
    pub user: (u64, &'a str),
    pub reply: (u64, &'a str),
}

/// The metadata a turn's memories carry: where they came from (the session and messages, for
/// the "from" link; not `session_id`, which is one of mem0's own entity ids and a proxy refuses
/// it; and the device, so another device can say "from your other device" until the session
/// has synced), and, in review mode, that they wait for the person's review.
pub fn turn_metadata(turn: &Turn<'_>, device: &str, review: bool) -> serde_json::Value {
    let mut metadata = json!({"app": "wellness0", "session": turn.session_id, "user_message_id": turn.user.0,
        "reply_message_id": turn.reply.0, "device": device});
    if review {
        metadata["review"] = json!(true);
    }
    metadata
}

/// The lock (across tabs) held by the one worker that sends waiting writes, so each is sent once.
const OUTBOX_LOCK: &str = "wellness0-outbox";

impl MemoryStore {
    pub(super) fn client(&self) -> Result<MemoryClient, Mem0Error> {
        self.settings.memory_client()
    }

    /// What the memory service can do (its views hide what it cannot).
    pub fn capabilities(&self) -> Capabilities {
        self.client().map(|c| c.capabilities()).unwrap_or(Capabilities { feedback: false, events: false })
    }

    /// Searches mem0 for memories relevant to `query`, giving up after the configured deadline
    /// (or when `controller` is aborted by Stop; the caller tells the two apart). Never fails:
    /// a problem becomes a [`Lookup`] that says why, and the reply goes ahead.
    pub async fn lookup(&self, query: &str, controller: &AbortController) -> MemoryUse {
        let settings = self.settings.settings.get_untracked();
        let none = |lookup| MemoryUse { lookup, write: WriteState::None, saved: Vec::new(), forgotten: Vec::new() };
        if !settings.use_memory {
            return none(Lookup::Off);
        }
        let Ok(client) = self.client() else { return none(Lookup::NotConfigured) };
        let abort = controller.clone();
        set_timeout(move || abort.abort(), Duration::from_millis(settings.memory_deadline_ms.into()));
        let result = match UserId::parse(&settings.user_id) {
            Ok(user) => client.search(&user, query, Some(&controller.signal())).await,
            Err(e) => Err(e),
        };
        let lookup = match result {
            // A memory being forgotten is not used, even inside its undo window.
            Ok(found) => Lookup::Found {
                memories: found.iter().filter(|m| !self.is_forgotten(&m.id)).map(UsedMemory::from).collect(),
            },
            Err(Mem0Error::Timeout) => Lookup::TimedOut { deadline_ms: settings.memory_deadline_ms },
            Err(problem) => Lookup::Unavailable { problem },
        };
        self.set_error(lookup.problem_text());
        none(lookup)
    }

    /// Queues this turn (and only this turn) for mem0 under the user id the reply was asked for,
    /// and starts the worker.
    pub fn record_turn(&self, turn: Turn<'_>) {
        let write = TurnWrite {
            user_id: turn.user_id.to_owned(),
            messages: vec![
                TurnMessage { role: "user".into(), content: turn.user.1.to_owned() },
                TurnMessage { role: "assistant".into(), content: turn.reply.1.to_owned() },
            ],
            metadata: turn_metadata(
                &turn,
                &crate::web::storage::device_id(),
                self.settings.settings.with_untracked(|s| s.review_memories),
            ),
            infer: true,
        };
        let (id, reply, now) =
            (db::new_id(now_ms(), js_sys::Math::random()), (turn.session_id, turn.reply.0), now_ms());
        self.update_outbox(move |o| o.enqueue(id, Some(reply), write.clone(), now));
        self.kick();
    }

    /// The turn of a reply that was replaced leaves the outbox, unless it went out already;
    /// returns whether it left. (A write already on its way may still land: if mem0 answers it at
    /// once, the reply learns what it saved; if mem0 only queued it, the reply is not told.)
    pub fn withdraw_turn(&self, session_id: u64, reply_id: u64) -> bool {
        self.update_outbox(move |o| o.withdraw(session_id, reply_id))
    }

    /// Starts the outbox worker unless it is running, and follows the events of writes mem0
    /// queued (after a reload too).
    pub fn kick(&self) {
        for (write_id, event_id) in self.outbox.with_untracked(|o| o.awaiting_events()) {
            self.follow_event(write_id, event_id);
        }
        if self.worker_running.get_value() {
            return;
        }
        self.worker_running.set_value(true);
        let store = *self;
        spawn_local(async move {
            // One worker across every tab: it reads the stored outbox once it holds the lock.
            db::with_lock(OUTBOX_LOCK, false, move || async move {
                store.reload_outbox().await;
                store.drain().await;
            })
            .await;
            store.worker_running.set_value(false);
            store.schedule_wake();
        });
    }

    /// Makes every waiting write due now and sends them (Retry, or back online).
    pub fn retry_writes_now(&self) {
        let now = now_ms();
        self.update_outbox(move |o| o.retry_now(now));
        self.kick();
    }

    /// Sends every due write, oldest first, one at a time; each result is stored before the
    /// next write (and before the lock is let go), so no tab can send a write twice.
    async fn drain(&self) {
        loop {
            let Some(write) = self.outbox.with_untracked(|o| o.next_due(now_ms()).cloned()) else { return };
            let (id, reply) = (write.id, write.session_id.zip(write.reply_id));
            let result = match self.client() {
                Ok(client) => client.add(&write.turn).await,
                // Not set up (any more): keep the writes for when it is.
                Err(e) => Err(e),
            };
            match result {
                Ok(AddAnswer::Queued { event_id }) => {
                    let event = event_id.clone();
                    self.change_outbox(move |o| o.queued(id, event.clone())).await;
                    self.set_error(None);
                    self.follow_event(id, event_id);
                }
                Ok(AddAnswer::Done { saved }) => {
                    self.change_outbox(move |o| o.succeeded(id)).await;
                    self.set_error(None);
                    self.saved(reply, saved).await;
                }
                Err(error) => {
                    if !error.is_not_set_up() {
                        self.set_error(Some(format!("Memory writes are waiting: {}", error.user_message())));
                    }
                    let (now, jitter, failure) = (now_ms(), js_sys::Math::random(), error.clone());
                    self.change_outbox(move |o| o.failed(id, &failure, now, jitter)).await;
                    if !error.is_transient() {
                        self.write_settled(reply, WriteState::Failed, Vec::new());
                    }
                }
            }
        }
    }

    /// A write was saved: its reply learns what was saved, and the sidebar shows it (each saved
    /// memory is fetched on its own: no re-list of everything).
    async fn saved(&self, reply: Option<(u64, u64)>, saved: Vec<SavedMemory>) {
        self.write_settled(reply, WriteState::Saved, saved.clone());
        let Ok(client) = self.client() else { return };
        for memory in saved {
            match (memory.event.as_str(), client.get(&memory.id).await) {
                ("DELETE", _) | (_, Ok(None)) => self.remove_item(&memory.id),
                (_, Ok(Some(found))) => self.upsert_item(found),
                (_, Err(_)) => self.schedule_refresh(),
            }
        }
    }

    /// Follows a queued write's event (with backoff) until it settles: one follower per write in
    /// this tab, and only if no other tab follows it already.
    fn follow_event(&self, write_id: u64, event_id: String) {
        if self.followed.with_value(|f| f.contains(&write_id)) {
            return;
        }
        self.followed.update_value(|f| f.push(write_id));
        let store = *self;
        spawn_local(async move {
            let lock = format!("wellness0-event-{write_id}");
            db::with_lock(&lock, true, move || async move { store.poll_event(write_id, event_id).await }).await;
            // Still pending after all polls: the next page load follows it again.
            store.followed.update_value(|f| f.retain(|id| *id != write_id));
        });
    }

    async fn poll_event(&self, write_id: u64, event_id: String) {
        // Processing takes a moment: ask after it, not at once (a first poll is always pending).
        for attempt in 1..=EVENT_POLLS {
            sleep_ms(backoff(attempt, MAX_EVENT_WAIT, 1.0).as_millis() as u32 / 2).await;
            let Ok(client) = self.client() else { return };
            let reply = self.outbox.with_untracked(|o| {
                let write = o.items.iter().find(|w| w.id == write_id)?;
                Some(write.session_id.zip(write.reply_id))
            });
            // Settled meanwhile (by another tab): nothing left to follow.
            let Some(reply) = reply else { return };
            match client.event_status(&event_id).await {
                Ok(EventStatus::Pending) | Err(_) => continue,
                Ok(EventStatus::Succeeded { saved }) => {
                    self.change_outbox(move |o| o.succeeded(write_id)).await;
                    self.saved(reply, saved).await;
                    return;
                }
                Ok(EventStatus::Failed) => {
                    self.change_outbox(move |o| o.not_processed(write_id)).await;
                    self.write_settled(reply, WriteState::Failed, Vec::new());
                    return;
                }
            }
        }
    }

    /// Wakes the worker when the next write falls due (one timer at a time).
    fn schedule_wake(&self) {
        let Some(at) = self.outbox.with_untracked(|o| o.next_wake_ms()) else { return };
        if at >= self.wake_scheduled_for.get_value() {
            return;
        }
        self.wake_scheduled_for.set_value(at);
        let delay = (at - now_ms()).max(0.0);
        let store = *self;
        set_timeout(
            move || {
                store.wake_scheduled_for.set_value(f64::INFINITY);
                store.kick();
            },
            Duration::from_millis(delay as u64),
        );
    }

    /// Re-lists the memories soon; several requests in a burst make one call.
    pub fn schedule_refresh(&self) {
        if self.refresh_queued.get_value() {
            return;
        }
        self.refresh_queued.set_value(true);
        let store = *self;
        set_timeout(
            move || {
                store.refresh_queued.set_value(false);
                spawn_local(async move { store.refresh().await });
            },
            Duration::from_millis(150),
        );
    }

    /// Lists the user's memories now.
    pub async fn refresh(&self) {
        let Ok(client) = self.client() else {
            self.status.set(ListStatus::Idle);
            return;
        };
        let user_id = self.settings.settings.with_untracked(|s| s.user_id.clone());
        if self.status.get_untracked() == ListStatus::Idle {
            self.status.set(ListStatus::Loading);
        }
        let generation = self.list_generation.get_value() + 1;
        self.list_generation.set_value(generation);
        let result = match UserId::parse(&user_id) {
            Ok(user) => client.list_all(&user).await,
            Err(e) => Err(e),
        };
        // A newer list call, or another user id, has taken over: this answer is stale.
        let user_changed = self.settings.settings.with_untracked(|s| s.user_id != user_id);
        if self.list_generation.get_value() != generation || user_changed {
            return;
        }
        match result {
            Ok(memories) => {
                self.set_items(memories);
                self.listed_at.set(Some(now_ms()));
                self.set_error(None);
                self.status.set(ListStatus::Ready);
            }
            Err(error) => {
                self.set_error(Some(error.user_message()));
                self.status.set(ListStatus::Failed);
                // Offline, or the service down: what was listed last, marked as maybe out of date.
                self.show_last_list(generation).await;
            }
        }
    }

    /// The browser is back online: waiting writes go out now, and a list that could not be
    /// fetched is fetched again.
    pub fn back_online(&self) {
        self.retry_writes_now();
        if self.status.get_untracked() == ListStatus::Failed {
            self.schedule_refresh();
        }
    }

    /// Shows (or clears) the sidebar's mem0 problem; the same text is not set again, so a screen
    /// reader does not announce it at every retry.
    pub fn set_error(&self, error: Option<String>) {
        if self.error.with_untracked(|e| *e != error) {
            self.error.set(error);
        }
    }
}
