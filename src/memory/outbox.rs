//! The outbox of memory writes: each finished turn becomes one pending `add`, stored in the
//! browser so that a reload, a 5xx or an outage loses nothing. One worker sends them oldest
//! first; an entry is sent until mem0 has accepted it, and never again after, so each lands
//! once. A write the Platform queued stays (with its event id, never re-sent) until its event
//! settles, so that what it saved is learnt even across a reload.

use crate::backoff::backoff;
use crate::mem0::{Mem0Error, TurnWrite};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Longest pause between two tries of the same write.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingWrite {
    pub id: u64,
    /// The session and reply this turn ended with (none for imports).
    #[serde(default)]
    pub session_id: Option<u64>,
    pub reply_id: Option<u64>,
    pub turn: TurnWrite,
    pub attempts: u32,
    pub next_attempt_ms: f64,
    pub last_error: Option<Mem0Error>,
    /// mem0 refused it for good (e.g. 400): kept for the user to see and discard.
    #[serde(default)]
    pub gave_up: bool,
    /// Accepted and queued by mem0: the event to follow (the write is never sent again).
    #[serde(default)]
    pub event_id: Option<String>,
}

impl PendingWrite {
    /// Still to be sent (not accepted, not given up).
    pub fn is_waiting(&self) -> bool {
        !self.gave_up && self.event_id.is_none()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Outbox {
    pub items: Vec<PendingWrite>,
}

impl Outbox {
    /// Reads a stored outbox (this version's format, or the earlier one).
    pub fn restore(json: &str) -> Option<Self> {
        serde_json::from_str(json).ok().or_else(|| serde_json::from_str(&super::legacy::outbox(json)?).ok())
    }

    /// Queues a write under `id` (unique: made from the time, so tabs never collide); queuing the
    /// same id twice keeps one.
    pub fn enqueue(&mut self, id: u64, reply: Option<(u64, u64)>, turn: TurnWrite, now_ms: f64) {
        if self.items.iter().any(|w| w.id == id) {
            return;
        }
        self.items.push(PendingWrite {
            id,
            session_id: reply.map(|r| r.0),
            reply_id: reply.map(|r| r.1),
            turn,
            attempts: 0,
            next_attempt_ms: now_ms,
            last_error: None,
            gave_up: false,
            event_id: None,
        });
    }

    /// The oldest write due now.
    pub fn next_due(&self, now_ms: f64) -> Option<&PendingWrite> {
        self.items.iter().find(|w| w.is_waiting() && w.next_attempt_ms <= now_ms)
    }

    /// When the next write falls due, if any is waiting.
    pub fn next_wake_ms(&self) -> Option<f64> {
        self.items.iter().filter(|w| w.is_waiting()).map(|w| w.next_attempt_ms).reduce(f64::min)
    }

    /// How many writes are still to be sent.
    pub fn waiting(&self) -> usize {
        self.items.iter().filter(|w| w.is_waiting()).count()
    }

    /// Writes mem0 accepted and queued, whose events are still to be followed: (write id, event id).
    pub fn awaiting_events(&self) -> Vec<(u64, String)> {
        self.items.iter().filter_map(|w| Some((w.id, w.event_id.clone()?))).collect()
    }

    /// mem0 accepted and queued the write: it is never sent again; its event is followed.
    pub fn queued(&mut self, id: u64, event_id: String) {
        if let Some(w) = self.items.iter_mut().find(|w| w.id == id) {
            w.event_id = Some(event_id);
            w.last_error = None;
        }
    }

    /// mem0 saved the write (at once, or its event succeeded): it leaves the outbox. Returns it.
    pub fn succeeded(&mut self, id: u64) -> Option<PendingWrite> {
        let index = self.items.iter().position(|w| w.id == id)?;
        Some(self.items.remove(index))
    }

    /// mem0 accepted the write but could not process it: nothing was saved. It is kept, given
    /// up, for the user to send again or discard.
    pub fn not_processed(&mut self, id: u64) {
        if let Some(w) = self.items.iter_mut().find(|w| w.id == id) {
            w.event_id = None;
            w.gave_up = true;
            w.last_error = Some(Mem0Error::NotProcessed);
        }
    }

    /// The write failed: schedule the next try (or give up on a permanent refusal).
    /// `jitter` is in `0.0..1.0`.
    pub fn failed(&mut self, id: u64, error: &Mem0Error, now_ms: f64, jitter: f64) {
        let Some(write) = self.items.iter_mut().find(|w| w.id == id) else { return };
        write.attempts += 1;
        write.last_error = Some(error.clone());
        if !error.is_transient() {
            write.gave_up = true;
            return;
        }
        let wait = match error {
            Mem0Error::RateLimited { retry_after: Some(wait) } => wait.as_secs_f64() * 1000.0,
            _ => backoff(write.attempts, MAX_BACKOFF, jitter).as_secs_f64() * 1000.0,
        };
        write.next_attempt_ms = now_ms + wait;
    }

    /// Makes every waiting write due now (the user asked to retry, or the browser came online).
    pub fn retry_now(&mut self, now_ms: f64) {
        for w in self.items.iter_mut().filter(|w| w.is_waiting()) {
            w.next_attempt_ms = w.next_attempt_ms.min(now_ms);
        }
    }

    pub fn discard(&mut self, id: u64) {
        self.items.retain(|w| w.id != id);
    }

    /// Tries a given-up write again (the user fixed what was wrong).
    pub fn revive(&mut self, id: u64, now_ms: f64) {
        if let Some(w) = self.items.iter_mut().find(|w| w.id == id) {
            w.gave_up = false;
            w.next_attempt_ms = now_ms;
        }
    }

    /// Drops the write of a reply that was replaced, unless mem0 already took it; returns
    /// whether one was dropped.
    pub fn withdraw(&mut self, session_id: u64, reply_id: u64) -> bool {
        let before = self.items.len();
        self.items.retain(|w| !(w.is_waiting() && w.session_id == Some(session_id) && w.reply_id == Some(reply_id)));
        self.items.len() < before
    }

    /// Drops every write for `user_id` (their memories were deleted: nothing may bring them back).
    pub fn discard_user(&mut self, user_id: &str) {
        self.items.retain(|w| w.turn.user_id != user_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    fn turn(user_id: &str) -> TurnWrite {
        TurnWrite { user_id: user_id.into(), messages: vec![], metadata: json!({}), infer: true }
    }

    #[test]
    fn a_replaced_turn_is_withdrawn_unless_mem0_took_it() {
        let mut o = Outbox::default();
        o.enqueue(1, Some((7, 70)), turn("u"), 0.0);
        o.enqueue(2, Some((7, 71)), turn("u"), 0.0);
        o.enqueue(3, None, turn("u"), 0.0);
        o.queued(2, "event".into());
        assert!(!o.withdraw(7, 71), "accepted by mem0: it stays, to learn what it saved");
        assert!(!o.withdraw(8, 70), "another session's reply");
        assert!(o.withdraw(7, 70));
        assert_eq!(o.items.iter().map(|w| w.id).collect::<Vec<_>>(), vec![2, 3]);
        assert!(!o.withdraw(7, 70));
    }

    #[test]
    fn writes_go_oldest_first_and_leave_only_on_success() {
        let mut outbox = Outbox::default();
        let a = 1;
        outbox.enqueue(a, Some((1, 2)), turn("ann"), 0.0);
        let b = 2;
        outbox.enqueue(b, Some((1, 4)), turn("ann"), 0.0);
        assert_eq!(outbox.next_due(0.0).unwrap().id, a);
        outbox.failed(a, &Mem0Error::Server { code: 503 }, 0.0, 0.0);
        assert_eq!(outbox.next_due(0.0).unwrap().id, b, "a failed write waits; the next one goes");
        assert_eq!(outbox.succeeded(b).unwrap().reply_id, Some(4));
        assert_eq!(outbox.waiting(), 1);
        assert_eq!(outbox.next_wake_ms(), Some(500.0));
        assert!(outbox.next_due(499.0).is_none());
        assert_eq!(outbox.next_due(500.0).unwrap().id, a);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let mut outbox = Outbox::default();
        let id = 3;
        outbox.enqueue(id, None, turn("ann"), 0.0);
        let mut waits = Vec::new();
        for _ in 0..12 {
            outbox.failed(id, &Mem0Error::Unreachable { direct: false }, 0.0, 1.0);
            waits.push(outbox.items[0].next_attempt_ms);
        }
        assert_eq!(waits[0], 1000.0);
        assert_eq!(waits[1], 2000.0);
        assert!(waits.windows(2).all(|w| w[1] >= w[0]));
        assert_eq!(*waits.last().unwrap(), 60_000.0);
    }

    #[test]
    fn retry_after_is_honoured_and_permanent_refusals_stop() {
        let mut outbox = Outbox::default();
        let id = 4;
        outbox.enqueue(id, None, turn("ann"), 100.0);
        outbox.failed(id, &Mem0Error::RateLimited { retry_after: Some(Duration::from_secs(7)) }, 100.0, 0.3);
        assert_eq!(outbox.items[0].next_attempt_ms, 7100.0);
        outbox.retry_now(200.0);
        assert_eq!(outbox.items[0].next_attempt_ms, 200.0);
        outbox.failed(id, &Mem0Error::Rejected { code: 400, message: "bad".into() }, 0.0, 0.0);
        assert!(outbox.items[0].gave_up);
        assert!(outbox.next_due(f64::MAX).is_none());
        assert_eq!(outbox.waiting(), 0);
        outbox.discard(id);
        assert!(outbox.items.is_empty());
    }

    #[test]
    fn revive_and_discard_by_user() {
        let mut outbox = Outbox::default();
        let a = 5;
        outbox.enqueue(a, None, turn("ann"), 0.0);
        outbox.enqueue(99, None, turn("bob"), 0.0);
        outbox.failed(a, &Mem0Error::Rejected { code: 400, message: "bad".into() }, 0.0, 0.0);
        assert_eq!(outbox.waiting(), 1);
        outbox.revive(a, 10.0);
        assert_eq!(outbox.next_due(10.0).unwrap().id, a);
        outbox.discard_user("ann");
        assert_eq!(outbox.items.len(), 1);
        assert_eq!(outbox.items[0].turn.user_id, "bob");
    }

    #[test]
    fn a_queued_write_is_never_sent_again_and_settles_with_its_event() {
        let mut outbox = Outbox::default();
        let a = 6;
        outbox.enqueue(a, Some((1, 2)), turn("ann"), 0.0);
        let b = 7;
        outbox.enqueue(b, Some((1, 4)), turn("ann"), 0.0);
        outbox.queued(a, "evt-a".into());
        assert_eq!(outbox.next_due(0.0).unwrap().id, b, "an accepted write is not due again");
        assert_eq!(outbox.waiting(), 1);
        assert_eq!(outbox.awaiting_events(), vec![(a, "evt-a".to_string())]);
        outbox.retry_now(0.0);
        assert_eq!(outbox.next_due(0.0).unwrap().id, b);
        assert_eq!(outbox.succeeded(a).unwrap().reply_id, Some(2));
        assert!(outbox.awaiting_events().is_empty());
        // An event that failed: nothing saved; the write waits for the user, and can go again.
        outbox.queued(b, "evt-b".into());
        outbox.not_processed(b);
        assert!(outbox.items[0].gave_up && outbox.next_due(f64::MAX).is_none());
        assert_eq!(outbox.items[0].last_error, Some(Mem0Error::NotProcessed));
        outbox.revive(b, 5.0);
        assert_eq!(outbox.next_due(5.0).unwrap().id, b);
    }

    #[test]
    fn survives_a_round_trip_through_storage() {
        let mut outbox = Outbox::default();
        let id = 8;
        outbox.enqueue(id, Some((1, 1)), turn("ann"), 5.0);
        outbox.failed(id, &Mem0Error::Server { code: 502 }, 5.0, 0.5);
        let queued = 9;
        outbox.enqueue(queued, Some((1, 3)), turn("ann"), 5.0);
        outbox.queued(queued, "evt".into());
        let restored: Outbox = serde_json::from_str(&serde_json::to_string(&outbox).unwrap()).unwrap();
        assert_eq!(restored, outbox);
    }
}
