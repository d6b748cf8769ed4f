//! What this device holds of each record, and the two decisions sync makes with it — plain
//! Rust, tested natively; `engine` reads and writes the browser's side.
//!
//! The ledger keeps, per record key, the clock of the value this device has (sent or taken in)
//! and a digest of it. [`changes_in`] compares a session as it is stored now with the ledger and
//! says what changed since (those get a new clock and are pushed); [`verdict`] says what a
//! pulled record does here, by the merge rule of [`super::merge`]: the latest clock per key
//! wins, and a session's deletion hides what was written to it before.

use std::collections::{BTreeMap, BTreeSet};

use super::clock::Clock;
use super::merge::Key;

/// The value a deletion record carries (any value marks the session deleted).
pub const DELETED: &str = "{}";

/// What this device holds of one record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Held {
    /// The clock of the value held.
    #[serde(rename = "c")]
    pub clock: String,
    /// A digest of the value; `None`: held as deleted (no value).
    #[serde(rename = "h")]
    pub digest: Option<String>,
}

impl Held {
    pub fn of(clock: &Clock, value: Option<&str>) -> Self {
        Self { clock: clock.to_string(), digest: value.map(digest) }
    }

    fn clock(&self) -> Option<Clock> {
        Clock::parse(&self.clock)
    }
}

/// A digest of a value (64-bit FNV-1a, hex): enough to tell whether it changed since it was
/// sent — never sent anywhere, and sealed under the passcode with the rest of the ledger.
pub fn digest(value: &str) -> String {
    let hash = value.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    format!("{hash:016x}")
}

/// One session as stored on this device, as the values sync sends.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stored {
    /// Its details (`None`: no session record).
    pub details: Option<String>,
    /// Its messages by id (each version is a message).
    pub messages: BTreeMap<String, String>,
    /// Messages still being written (a reply streaming): sent once they settle, never taken for
    /// deleted meanwhile.
    pub unsettled: BTreeSet<String>,
}

impl Stored {
    fn is_gone(&self) -> bool {
        self.details.is_none() && self.messages.is_empty() && self.unsettled.is_empty()
    }
}

/// What changed in `session` since the ledger `held` (its entries for that session): the records
/// to send, each with its new value (`None`: a message deleted). A session gone altogether is
/// one deletion record, not a record per message.
pub fn changes_in(session: &str, stored: &Stored, held: &BTreeMap<Key, Held>) -> Vec<(Key, Option<String>)> {
    let live = |key: &Key| held.get(key).is_some_and(|h| h.digest.is_some());
    let details_key = Key::Session(session.to_owned());
    let message_key = |id: &str| Key::Message { session: session.to_owned(), id: id.to_owned() };
    if stored.is_gone() {
        let any_live = held.iter().any(|(k, h)| !matches!(k, Key::Deletion(_)) && h.digest.is_some());
        return if any_live { vec![(Key::Deletion(session.to_owned()), Some(DELETED.to_owned()))] } else { Vec::new() };
    }
    let differs =
        |key: &Key, value: &str| held.get(key).and_then(|h| h.digest.as_deref()) != Some(digest(value).as_str());
    let mut out = Vec::new();
    if let Some(details) = &stored.details {
        if differs(&details_key, details) {
            out.push((details_key, Some(details.clone())));
        }
    }
    for (id, value) in &stored.messages {
        let key = message_key(id);
        if differs(&key, value) {
            out.push((key, Some(value.clone())));
        }
    }
    for key in held.keys() {
        if let Key::Message { id, .. } = key {
            if live(key) && !stored.messages.contains_key(id) && !stored.unsettled.contains(id) {
                out.push((key.clone(), None));
            }
        }
    }
    out
}

/// What a pulled record does on this device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// This device holds that record or a later one for its key: nothing happens.
    Ignore,
    /// Store the value (`None`: delete what the key names).
    Take,
    /// Noted in the ledger but not shown: the session was deleted after it was written.
    Hidden,
    /// The session is deleted at this record's clock: what was written to it before goes.
    DeleteSession,
}

/// What `clock`'s record for `key` (with a value or not) does here, given what the ledger holds
/// for that key and when the session was deleted (if it is).
pub fn verdict(key: &Key, clock: &Clock, has_value: bool, held: Option<&Held>, deleted_at: Option<&Clock>) -> Verdict {
    if held.and_then(Held::clock).is_some_and(|h| h >= *clock) {
        return Verdict::Ignore;
    }
    match key {
        Key::Deletion(_) if has_value => Verdict::DeleteSession,
        Key::Deletion(_) => Verdict::Take,
        _ if deleted_at.is_some_and(|d| clock < d) => Verdict::Hidden,
        _ => Verdict::Take,
    }
}

/// The keys of a session's records written before its deletion at `deleted`: those go.
pub fn before_deletion(held: &BTreeMap<Key, Held>, deleted: &Clock) -> Vec<Key> {
    held.iter()
        .filter(|(k, h)| !matches!(k, Key::Deletion(_)) && h.clock().is_none_or(|c| c < *deleted))
        .map(|(k, _)| k.clone())
        .collect()
}

/// The key a record waiting to be sent is kept under: after every ledger key (`~`), in clock
/// order, and one per change (a newer change to the same key waits beside it, so sending the
/// older one never drops the newer).
pub fn outgoing_key(clock: &Clock, key: &Key) -> String {
    format!("~{clock} {key}")
}

/// The range of ledger keys of one session's messages, both ends included.
pub fn message_range(session: &str) -> (String, String) {
    (format!("m/{session}/"), format!("m/{session}/\u{ffff}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::clock::Hlc;

    fn msg(id: &str) -> Key {
        Key::Message { session: "s".into(), id: id.into() }
    }

    fn stored(details: Option<&str>, messages: &[(&str, &str)]) -> Stored {
        Stored {
            details: details.map(str::to_owned),
            messages: messages.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            unsettled: BTreeSet::new(),
        }
    }

    /// The ledger after sending `changes` at `clock`.
    fn sent(held: &mut BTreeMap<Key, Held>, changes: &[(Key, Option<String>)], clock: &Clock) {
        for (key, value) in changes {
            held.insert(key.clone(), Held::of(clock, value.as_deref()));
        }
    }

    #[test]
    fn digests_tell_values_apart_and_stay_the_same_across_builds() {
        assert_eq!(digest(""), "cbf29ce484222325");
        assert_eq!(digest("a"), "af63dc4c8601ec8c", "FNV-1a's published value");
        assert_ne!(digest("hello"), digest("hellp"));
    }

    #[test]
    fn only_what_changed_is_sent_and_a_removed_version_is_a_deletion() {
        let mut hlc = Hlc::new("phone");
        let mut held = BTreeMap::new();
        let first = stored(Some(r#"{"title":"Monday"}"#), &[("1", "hi"), ("2", "hello")]);
        let changes = changes_in("s", &first, &held);
        assert_eq!(changes.len(), 3, "all new: {changes:?}");
        sent(&mut held, &changes, &hlc.tick(10));
        assert!(changes_in("s", &first, &held).is_empty(), "nothing changed since");

        let later = stored(Some(r#"{"title":"Monday"}"#), &[("1", "hi"), ("3", "a new version")]);
        let changes = changes_in("s", &later, &held);
        assert_eq!(changes, vec![(msg("3"), Some("a new version".into())), (msg("2"), None)]);
        sent(&mut held, &changes, &hlc.tick(20));
        assert!(changes_in("s", &later, &held).is_empty(), "a deletion sent is not sent again");
    }

    #[test]
    fn a_streaming_reply_waits_and_is_not_taken_for_deleted() {
        let mut held = BTreeMap::new();
        let mut hlc = Hlc::new("phone");
        sent(&mut held, &[(msg("2"), Some("Hel".into()))], &hlc.tick(1));
        let mut streaming = stored(Some("{}"), &[("1", "hi")]);
        streaming.unsettled.insert("2".into());
        let changes = changes_in("s", &streaming, &held);
        assert!(changes.iter().all(|(k, _)| *k != msg("2")), "{changes:?}");
    }

    #[test]
    fn a_session_gone_is_one_deletion_and_only_once() {
        let mut hlc = Hlc::new("phone");
        let mut held = BTreeMap::new();
        let there = stored(Some("{}"), &[("1", "hi"), ("2", "hello")]);
        let changes = changes_in("s", &there, &held);
        sent(&mut held, &changes, &hlc.tick(1));
        let gone = Stored::default();
        let changes = changes_in("s", &gone, &held);
        assert_eq!(changes, vec![(Key::Deletion("s".into()), Some(DELETED.into()))]);
        // The engine drops the session's entries once its deletion is sent: nothing more to send.
        let deletion_only: BTreeMap<Key, Held> =
            [(Key::Deletion("s".into()), Held::of(&hlc.tick(2), Some(DELETED)))].into_iter().collect();
        assert!(changes_in("s", &gone, &deletion_only).is_empty());
        assert!(changes_in("never-synced", &gone, &BTreeMap::new()).is_empty());
    }

    #[test]
    fn pulled_records_follow_the_merge_rule() {
        let mut a = Hlc::new("a");
        let (early, mid, late) = (a.tick(1), a.tick(2), a.tick(3));
        let held = Held::of(&mid, Some("x"));
        let m = msg("1");
        assert_eq!(verdict(&m, &early, true, Some(&held), None), Verdict::Ignore, "older than held");
        assert_eq!(verdict(&m, &mid, true, Some(&held), None), Verdict::Ignore, "the same, again");
        assert_eq!(verdict(&m, &late, true, Some(&held), None), Verdict::Take);
        assert_eq!(verdict(&m, &late, false, None, None), Verdict::Take, "a deletion of a message");
        assert_eq!(verdict(&m, &early, true, None, Some(&mid)), Verdict::Hidden, "written before the deletion");
        assert_eq!(verdict(&m, &late, true, None, Some(&mid)), Verdict::Take, "written after it: kept");
        let x = Key::Deletion("s".into());
        assert_eq!(verdict(&x, &late, true, None, None), Verdict::DeleteSession);
        assert_eq!(verdict(&x, &late, false, None, None), Verdict::Take, "restored");
    }

    #[test]
    fn a_deletion_takes_what_was_written_before_it_and_keeps_what_came_after() {
        let mut a = Hlc::new("a");
        let (before, deletion, after) = (a.tick(1), a.tick(2), a.tick(3));
        let held: BTreeMap<Key, Held> = [
            (Key::Session("s".into()), Held::of(&before, Some("{}"))),
            (msg("1"), Held::of(&before, Some("old"))),
            (msg("2"), Held::of(&after, Some("written after"))),
            (Key::Deletion("s".into()), Held::of(&before, None)),
        ]
        .into_iter()
        .collect();
        assert_eq!(before_deletion(&held, &deletion), vec![Key::Session("s".into()), msg("1")]);
    }

    #[test]
    fn waiting_records_sort_after_the_ledger_in_clock_order() {
        let mut a = Hlc::new("a");
        let (one, two) = (a.tick(5), a.tick(5));
        let (k1, k2) = (outgoing_key(&one, &msg("9")), outgoing_key(&two, &msg("1")));
        assert!(k1 < k2 && "x/zzz" < k1.as_str(), "{k1} {k2}");
        let (low, high) = message_range("12");
        assert!(
            low.as_str() < "m/12/5"
                && "m/12/5" < high.as_str()
                && !("m/123/5" > low.as_str() && "m/123/5" < high.as_str())
        );
    }
}
