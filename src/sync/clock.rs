//! Hybrid logical clocks: the order every change between devices is merged in. A clock is the
//! wall time in milliseconds, a counter for changes within one millisecond (or while the wall
//! clock stands behind a clock already seen), and the device's id to break ties; a device's next
//! clock is always later than every clock it has made or seen, whatever its own wall clock says.
//! Written with fixed widths, so the server compares them as plain strings.

use std::cmp::Ordering;
use std::fmt;

/// Longest device id.
pub const MAX_DEVICE: usize = 32;
/// The largest counter (six digits).
pub const MAX_COUNTER: u32 = 999_999;
/// How far ahead of the wall clock a clock seen elsewhere may be and still count (a day).
pub const MAX_AHEAD_MS: u64 = 24 * 3600 * 1000;

/// One change's place in the merge order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Clock {
    /// Wall time (ms since the epoch), never behind an earlier clock of the same device.
    pub ms: u64,
    /// Changes within the same `ms`.
    pub counter: u32,
    /// The device that made it: the tiebreak.
    pub device: String,
}

impl Ord for Clock {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.ms, self.counter, &self.device).cmp(&(other.ms, other.counter, &other.device))
    }
}

impl PartialOrd for Clock {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Clock {
    /// `0001796639009742-000003-devA`: 16 digits, 6 digits, the device.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016}-{:06}-{}", self.ms, self.counter, self.device)
    }
}

/// Whether `id` can name a device (1 to [`MAX_DEVICE`] letters, digits, `-` or `_`).
pub fn valid_device(id: &str) -> bool {
    (1..=MAX_DEVICE).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Clock {
    /// Reads the written form back (`None` for anything else).
    pub fn parse(text: &str) -> Option<Self> {
        let (ms, rest) = text.split_once('-')?;
        let (counter, device) = rest.split_once('-')?;
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(ms, 16) || !digits(counter, 6) || !valid_device(device) {
            return None;
        }
        Some(Self { ms: ms.parse().ok()?, counter: counter.parse().ok()?, device: device.to_owned() })
    }
}

/// One device's clock.
#[derive(Debug, Clone)]
pub struct Hlc {
    device: String,
    last: Option<(u64, u32)>,
}

impl Hlc {
    /// A clock for `device` (a valid device id).
    pub fn new(device: &str) -> Self {
        debug_assert!(valid_device(device), "{device:?}");
        Self { device: device.to_owned(), last: None }
    }

    /// The clock of a change made now (`wall_ms` is the device's wall clock).
    pub fn tick(&mut self, wall_ms: u64) -> Clock {
        let (ms, counter) = match self.last {
            // The counter has six digits: past them, the next millisecond.
            Some((ms, counter)) if ms >= wall_ms && counter >= MAX_COUNTER => (ms + 1, 0),
            Some((ms, counter)) if ms >= wall_ms => (ms, counter + 1),
            _ => (wall_ms, 0),
        };
        self.last = Some((ms, counter));
        Clock { ms, counter, device: self.device.clone() }
    }

    /// Notes a clock made elsewhere: every later tick comes after it — unless it is more than
    /// [`MAX_AHEAD_MS`] ahead of this device's wall clock (a device set years ahead must not drag
    /// every other one along; the server refuses such clocks too).
    pub fn observe(&mut self, seen: &Clock, wall_ms: u64) {
        if seen.ms > wall_ms.saturating_add(MAX_AHEAD_MS) {
            return;
        }
        if self.last.is_none_or(|last| (seen.ms, seen.counter) > last) {
            self.last = Some((seen.ms, seen.counter));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_form_sorts_like_the_clock_and_reads_back() {
        let a = Clock { ms: 9, counter: 2, device: "b".into() };
        let b = Clock { ms: 10, counter: 0, device: "a".into() };
        assert!(a < b && a.to_string() < b.to_string());
        assert_eq!(a.to_string(), "0000000000000009-000002-b");
        assert_eq!(Clock::parse(&a.to_string()), Some(a));
        for bad in ["", "9-2-b", "0000000000000009-000002-", "0000000000000009-000002-b c", "x000000000000009-000002-b"]
        {
            assert_eq!(Clock::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ticks_never_go_back_and_pass_every_clock_seen() {
        let mut h = Hlc::new("phone");
        let first = h.tick(1000);
        let same_ms = h.tick(1000);
        let clock_went_back = h.tick(500);
        assert!(first < same_ms && same_ms < clock_went_back, "{first} {same_ms} {clock_went_back}");
        let remote = Clock { ms: 5000, counter: 7, device: "laptop".into() };
        h.observe(&remote, 1200);
        let after = h.tick(1200);
        assert!(after > remote, "{after} after {remote}");
        h.observe(&Clock { ms: 1, counter: 0, device: "old".into() }, 1200);
        assert!(h.tick(1200) > after, "an old clock seen changes nothing");
        assert_eq!(h.tick(9000), Clock { ms: 9000, counter: 0, device: "phone".into() });
    }

    #[test]
    fn a_clock_years_ahead_is_not_followed_and_the_counter_stays_six_digits() {
        let mut h = Hlc::new("phone");
        h.observe(&Clock { ms: 4_000_000_000_000, counter: 0, device: "wrong-date".into() }, 1_000);
        assert_eq!(h.tick(1_000).ms, 1_000);
        let mut busy = Hlc::new("phone");
        let mut last = busy.tick(5);
        for _ in 0..=MAX_COUNTER {
            let next = busy.tick(5);
            assert!(next > last && next.to_string() > last.to_string() && Clock::parse(&next.to_string()).is_some());
            last = next;
        }
        assert_eq!((last.ms, last.counter), (6, 0));
    }
}
