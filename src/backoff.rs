//! Exponential backoff with jitter, shared by reply retries and memory writes.

use std::time::Duration;

/// The wait before retry number `attempt` (counting from 1): 1 s, 2 s, 4 s … capped at `cap`,
/// then scaled by `0.5..=1.0` with `jitter` in `0.0..1.0`, so clients do not retry in step.
pub fn backoff(attempt: u32, cap: Duration, jitter: f64) -> Duration {
    let exp = Duration::from_secs(1u64 << attempt.saturating_sub(1).min(10));
    exp.min(cap).mul_f64(0.5 + jitter.clamp(0.0, 1.0) * 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_then_caps_and_jitters_down_to_half() {
        let cap = Duration::from_secs(30);
        assert_eq!(backoff(1, cap, 1.0), Duration::from_secs(1));
        assert_eq!(backoff(2, cap, 1.0), Duration::from_secs(2));
        assert_eq!(backoff(3, cap, 0.0), Duration::from_secs(2));
        assert_eq!(backoff(40, cap, 1.0), cap);
        assert_eq!(backoff(0, cap, 1.0), Duration::from_secs(1));
    }
}
