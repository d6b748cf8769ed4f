//! How two devices' changes to sessions become one state. Every change is a record: a key
//! naming what it changes (a session's details, one message, a session's draft), the [`Clock`]
//! of the change, and the new value, or none for a deletion. The rule:
//!
//! 1. **Per key, the latest clock wins** (last writer wins; the device id breaks a tie). A record
//!    applied twice, or one older than what is held, changes nothing, so records may arrive in
//!    any order, any number of times.
//! 2. **Deleting a session hides what was written to it before the deletion**: its details,
//!    messages and draft with an earlier clock. Something written to it later — on a device that had not yet
//!    heard of the deletion, with a later clock — is kept, and the session shows again with it,
//!    so no words written after a deletion are lost.
//!
//! Both are deterministic functions of the set of records, so every device that has received the
//! same records shows the same sessions, whatever order they came in (proven below by a
//! property test over random interleavings, replays and clock skew on three devices). The server
//! applies rule 1 too, on the clocks it can read, so what it hands a new device is the winners.

use std::collections::BTreeMap;
use std::fmt;

use super::clock::Clock;

/// What a record changes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    /// A session's details (title, when it started).
    Session(String),
    /// Whether a session is deleted (a value: deleted at this record's clock; none: restored).
    Deletion(String),
    /// One message (each version of a message is a message of its own).
    Message {
        /// The session it is in.
        session: String,
        /// Its id.
        id: String,
    },
    /// A session's draft.
    Draft(String),
}

impl Key {
    /// The session the key belongs to.
    pub fn session(&self) -> &str {
        match self {
            Key::Session(s) | Key::Deletion(s) | Key::Draft(s) | Key::Message { session: s, .. } => s,
        }
    }

    /// Reads the written form back.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.splitn(3, '/');
        let (kind, session) = (parts.next()?, parts.next().filter(|s| !s.is_empty())?.to_owned());
        match (kind, parts.next()) {
            ("s", None) => Some(Key::Session(session)),
            ("x", None) => Some(Key::Deletion(session)),
            ("d", None) => Some(Key::Draft(session)),
            ("m", Some(id)) if !id.is_empty() && !id.contains('/') => Some(Key::Message { session, id: id.into() }),
            _ => None,
        }
    }
}

impl fmt::Display for Key {
    /// `s/<session>`, `x/<session>`, `m/<session>/<message>`, `d/<session>` (ids never contain `/`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Session(s) => write!(f, "s/{s}"),
            Key::Deletion(s) => write!(f, "x/{s}"),
            Key::Message { session, id } => write!(f, "m/{session}/{id}"),
            Key::Draft(s) => write!(f, "d/{s}"),
        }
    }
}

/// One change, as sent between devices (encrypted on the way).
#[derive(Debug, Clone, PartialEq)]
pub struct Change<T> {
    /// What it changes.
    pub key: Key,
    /// When, in merge order.
    pub clock: Clock,
    /// The new value; `None` deletes.
    pub value: Option<T>,
}

/// What applying a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// It is the latest for its key now.
    Newer,
    /// A later (or the same) change for its key was already held: nothing changed.
    Ignored,
}

/// One session as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionView<T> {
    /// Its details; `None` when it was deleted and shows again only for what was written later.
    pub details: Option<T>,
    /// Its messages, by id.
    pub messages: BTreeMap<String, T>,
    /// Its draft.
    pub draft: Option<T>,
}

/// Everything a device holds: the latest change per key.
#[derive(Debug, Clone, PartialEq)]
pub struct Replica<T> {
    latest: BTreeMap<Key, (Clock, Option<T>)>,
}

impl<T> Default for Replica<T> {
    fn default() -> Self {
        Self { latest: BTreeMap::new() }
    }
}

impl<T: Clone> Replica<T> {
    /// Applies `change` by rule 1.
    pub fn apply(&mut self, change: &Change<T>) -> Applied {
        if let Some((held, _)) = self.latest.get(&change.key) {
            if *held >= change.clock {
                return Applied::Ignored;
            }
        }
        self.latest.insert(change.key.clone(), (change.clock.clone(), change.value.clone()));
        Applied::Newer
    }

    /// The latest clock of anything in `session` (a deletion made now must come after it).
    pub fn latest_in(&self, session: &str) -> Option<&Clock> {
        self.latest.iter().filter(|(k, _)| k.session() == session).map(|(_, (c, _))| c).max()
    }

    /// When `session` was deleted, if it is (and was not restored since).
    pub fn deleted_at(&self, session: &str) -> Option<&Clock> {
        match self.latest.get(&Key::Deletion(session.to_owned())) {
            Some((clock, Some(_))) => Some(clock),
            _ => None,
        }
    }

    /// The sessions as shown, by id (rule 2).
    pub fn view(&self) -> BTreeMap<String, SessionView<T>> {
        let mut out: BTreeMap<String, SessionView<T>> = BTreeMap::new();
        for (key, (clock, value)) in &self.latest {
            let Some(value) = value else { continue };
            if self.deleted_at(key.session()).is_some_and(|d| clock < d) {
                continue;
            }
            let slot = || SessionView { details: None, messages: BTreeMap::new(), draft: None };
            match key {
                Key::Deletion(_) => {}
                Key::Session(s) => out.entry(s.clone()).or_insert_with(slot).details = Some(value.clone()),
                Key::Message { session, id } => {
                    out.entry(session.clone()).or_insert_with(slot).messages.insert(id.clone(), value.clone());
                }
                Key::Draft(s) => out.entry(s.clone()).or_insert_with(slot).draft = Some(value.clone()),
            }
        }
        // A draft alone does not bring a deleted session back: only its words or details do.
        out.retain(|_, v| v.details.is_some() || !v.messages.is_empty());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::clock::Hlc;

    fn change(key: Key, clock: &Clock, value: Option<&str>) -> Change<String> {
        Change { key, clock: clock.clone(), value: value.map(str::to_owned) }
    }

    fn msg(session: &str, id: &str) -> Key {
        Key::Message { session: session.into(), id: id.into() }
    }

    #[test]
    fn keys_read_back_and_refuse_anything_else() {
        for key in [Key::Session("a".into()), Key::Deletion("a".into()), msg("a", "m1"), Key::Draft("a".into())] {
            assert_eq!(Key::parse(&key.to_string()), Some(key));
        }
        for bad in ["", "s", "s/", "m/a", "m/a/", "m/a/b/c", "y/a", "s/a/b", "d/", "x/"] {
            assert_eq!(Key::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_latest_clock_wins_in_any_order_and_replays_change_nothing() {
        let (mut a, mut b) = (Hlc::new("a"), Hlc::new("b"));
        let first = change(Key::Session("s".into()), &a.tick(10), Some("Monday"));
        let second = change(Key::Session("s".into()), &b.tick(20), Some("Tuesday"));
        let mut one = Replica::default();
        assert_eq!(one.apply(&first), Applied::Newer);
        assert_eq!(one.apply(&second), Applied::Newer);
        let mut other = Replica::default();
        assert_eq!(other.apply(&second), Applied::Newer);
        assert_eq!(other.apply(&first), Applied::Ignored);
        assert_eq!(other.apply(&second), Applied::Ignored, "a replay");
        assert_eq!(one, other);
        assert_eq!(one.view()["s"].details.as_deref(), Some("Tuesday"));
    }

    #[test]
    fn a_deletion_hides_what_came_before_it_and_keeps_what_came_after() {
        let (mut laptop, mut phone) = (Hlc::new("laptop"), Hlc::new("phone"));
        let mut r = Replica::default();
        r.apply(&change(Key::Session("s".into()), &laptop.tick(10), Some("Evening")));
        r.apply(&change(msg("s", "m1"), &laptop.tick(11), Some("I slept badly")));
        // The phone, offline, wrote before the deletion's clock and after it.
        let before = change(msg("s", "m2"), &phone.tick(12), Some("and woke at four"));
        let draft = change(Key::Draft("s".into()), &phone.tick(13), Some("half a thought"));
        r.apply(&change(Key::Deletion("s".into()), &laptop.tick(20), Some("deleted")));
        assert!(r.view().is_empty(), "deleted");
        r.apply(&before);
        r.apply(&draft);
        assert!(r.view().is_empty(), "what was written before the deletion stays deleted");
        let after = change(msg("s", "m3"), &phone.tick(30), Some("better today"));
        r.apply(&after);
        let shown = &r.view()["s"];
        assert_eq!(shown.details, None);
        assert_eq!(shown.messages.values().map(String::as_str).collect::<Vec<_>>(), ["better today"]);
        assert_eq!(shown.draft, None);
        // A rename after the deletion shows the session again, but not what it held before.
        r.apply(&change(Key::Session("s".into()), &phone.tick(31), Some("Renamed")));
        let shown = &r.view()["s"];
        assert_eq!((shown.details.as_deref(), shown.messages.len()), (Some("Renamed"), 1));
        // Restored (undo): everything is back.
        r.apply(&change(Key::Deletion("s".into()), &laptop.tick(40), None));
        assert_eq!(r.view()["s"].messages.len(), 3);
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod interleavings {
        use proptest::prelude::*;

        use super::*;

        #[derive(Debug, Clone)]
        enum Op {
            /// Device `d` renames (or creates) session `s`.
            Details { d: usize, s: u8, v: u8 },
            /// Device `d` writes message `m` of session `s` (a new one or a new version).
            Message { d: usize, s: u8, m: u8, v: u8 },
            /// Device `d` deletes message `m`.
            DeleteMessage { d: usize, s: u8, m: u8 },
            /// Device `d` changes the draft of `s`.
            Draft { d: usize, s: u8, v: u8 },
            /// Device `d` deletes session `s`.
            DeleteSession { d: usize, s: u8 },
            /// Device `d` undoes the deletion of session `s`.
            Restore { d: usize, s: u8 },
            /// Device `d` receives `n` records from the server's log, starting at `from`.
            Receive { d: usize, from: usize, n: usize },
        }

        fn op() -> impl Strategy<Value = Op> {
            let d = 0..3usize;
            prop_oneof![
                (d.clone(), 0..3u8, any::<u8>()).prop_map(|(d, s, v)| Op::Details { d, s, v }),
                (d.clone(), 0..3u8, 0..4u8, any::<u8>()).prop_map(|(d, s, m, v)| Op::Message { d, s, m, v }),
                (d.clone(), 0..3u8, 0..4u8).prop_map(|(d, s, m)| Op::DeleteMessage { d, s, m }),
                (d.clone(), 0..3u8, any::<u8>()).prop_map(|(d, s, v)| Op::Draft { d, s, v }),
                (d.clone(), 0..3u8).prop_map(|(d, s)| Op::DeleteSession { d, s }),
                (d.clone(), 0..3u8).prop_map(|(d, s)| Op::Restore { d, s }),
                (d, 0..64usize, 0..8usize).prop_map(|(d, from, n)| Op::Receive { d, from, n }),
            ]
        }

        struct Device {
            clock: Hlc,
            replica: Replica<String>,
            /// How far its wall clock is off (ms).
            skew: u64,
        }

        impl Device {
            fn make(&mut self, log: &mut Vec<Change<String>>, step: u64, key: Key, value: Option<String>) {
                let clock = self.clock.tick(step * 10 + self.skew);
                let c = Change { key, clock, value };
                self.replica.apply(&c);
                log.push(c);
            }

            fn receive(&mut self, c: &Change<String>) {
                self.clock.observe(&c.clock, u64::MAX / 2);
                self.replica.apply(c);
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(400))]

            /// Three devices change sessions offline, hear of each other's changes in bits, out of
            /// order and more than once, with wall clocks apart; once each has every record, in
            /// whatever order, all three show the same sessions, and that is the state of the
            /// records applied in clock order (what the server hands a new device).
            #[test]
            fn every_device_converges_to_the_same_sessions(
                ops in proptest::collection::vec(op(), 1..80),
                skews in proptest::array::uniform3(0..50u64),
                order in proptest::collection::vec(any::<prop::sample::Index>(), 0..400),
            ) {
                let mut devices: Vec<Device> = (0..3)
                    .map(|i| Device { clock: Hlc::new(&format!("dev{i}")), replica: Replica::default(), skew: skews[i] })
                    .collect();
                let mut log: Vec<Change<String>> = Vec::new();
                for (step, op) in ops.iter().enumerate() {
                    let step = step as u64;
                    let sid = |s: &u8| format!("s{s}");
                    match op {
                        Op::Details { d, s, v } => devices[*d].make(&mut log, step, Key::Session(sid(s)), Some(format!("title {v}"))),
                        Op::Message { d, s, m, v } => {
                            devices[*d].make(&mut log, step, msg(&sid(s), &format!("m{m}")), Some(format!("text {v}")))
                        }
                        Op::DeleteMessage { d, s, m } => devices[*d].make(&mut log, step, msg(&sid(s), &format!("m{m}")), None),
                        Op::Draft { d, s, v } => devices[*d].make(&mut log, step, Key::Draft(sid(s)), Some(format!("draft {v}"))),
                        Op::DeleteSession { d, s } => {
                            // A deletion comes after everything its device holds of the session.
                            let dev = &mut devices[*d];
                            if let Some(latest) = dev.replica.latest_in(&sid(s)).cloned() {
                                dev.clock.observe(&latest, u64::MAX / 2);
                            }
                            dev.make(&mut log, step, Key::Deletion(sid(s)), Some("deleted".into()))
                        }
                        Op::Restore { d, s } => devices[*d].make(&mut log, step, Key::Deletion(sid(s)), None),
                        Op::Receive { d, from, n } => {
                            for c in log.iter().skip(*from).take(*n).cloned().collect::<Vec<_>>() {
                                devices[*d].receive(&c);
                            }
                        }
                    }
                }
                // The rest arrives in a shuffled order, with replays of records already held.
                for (i, dev) in devices.iter_mut().enumerate() {
                    let mut pending: Vec<Change<String>> = log.clone();
                    for (j, pick) in order.iter().enumerate().filter(|(j, _)| j % 3 == i) {
                        if pending.is_empty() { break; }
                        let c = pending.remove(pick.index(pending.len()));
                        dev.receive(&c);
                        if j % 2 == 0 { dev.receive(&c); }
                    }
                    for c in pending.iter().rev() {
                        dev.receive(c);
                    }
                }
                let mut by_clock = log.clone();
                by_clock.sort_by(|a, b| a.clock.cmp(&b.clock));
                let mut reference = Replica::default();
                for c in &by_clock {
                    reference.apply(c);
                }
                let expected = reference.view();
                for dev in &devices {
                    prop_assert_eq!(&dev.replica, &reference);
                    prop_assert_eq!(&dev.replica.view(), &expected);
                }
                // Rule 2: nothing written to a deleted session before its deletion shows.
                let shown = |key: &Key| match key {
                    Key::Session(s) => expected.get(s).is_some_and(|v| v.details.is_some()),
                    Key::Message { session, id } => expected.get(session).is_some_and(|v| v.messages.contains_key(id)),
                    Key::Draft(s) => expected.get(s).is_some_and(|v| v.draft.is_some()),
                    Key::Deletion(_) => false,
                };
                for (key, (clock, value)) in &reference.latest {
                    if value.is_none() || matches!(key, Key::Deletion(_)) {
                        continue;
                    }
                    let hidden = reference.deleted_at(key.session()).is_some_and(|d| clock < d);
                    if hidden {
                        prop_assert!(!shown(key), "{} shows though written before its session's deletion", key);
                    } else if !matches!(key, Key::Draft(_)) {
                        prop_assert!(shown(key), "{} is hidden though no deletion came after it", key);
                    }
                }
                // Everything again: nothing changes.
                let mut again = devices[0].replica.clone();
                for c in &log {
                    prop_assert_eq!(again.apply(c), Applied::Ignored);
                }
                prop_assert_eq!(again.view(), expected);
            }
        }
    }
}
