//! When an unattended app locks itself (pure).

/// The choices offered for locking after a time without use, in minutes (0: never).
pub const IDLE_CHOICES: [u32; 6] = [1, 5, 15, 30, 60, 0];
/// Locking after this long without use, unless the person chose otherwise.
pub const DEFAULT_IDLE_MINUTES: u32 = 5;

/// Whether it is time to lock: `minutes` without a key, click or touch, and no reply arriving
/// (a person reading a long reply as it streams is not away).
pub fn should_lock(now_ms: f64, last_used_ms: f64, minutes: u32, reply_streaming: bool) -> bool {
    minutes > 0 && !reply_streaming && now_ms - last_used_ms >= f64::from(minutes) * 60_000.0
}

/// A choice as the settings show it.
pub fn describe(minutes: u32) -> String {
    match minutes {
        0 => "Never".to_owned(),
        1 => "After 1 minute without use".to_owned(),
        60 => "After 1 hour without use".to_owned(),
        m => format!("After {m} minutes without use"),
    }
}

/// A stored choice, read back: only the offered ones count.
pub fn parse_minutes(stored: Option<&str>) -> u32 {
    stored.and_then(|s| s.parse().ok()).filter(|m| IDLE_CHOICES.contains(m)).unwrap_or(DEFAULT_IDLE_MINUTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_the_chosen_time_without_use_only() {
        let minute = 60_000.0;
        assert!(!should_lock(4.0 * minute, 0.0, 5, false));
        assert!(should_lock(5.0 * minute, 0.0, 5, false));
        assert!(!should_lock(50.0 * minute, 0.0, 0, false), "never");
        assert!(!should_lock(50.0 * minute, 0.0, 5, true), "a reply is arriving");
        assert!(!should_lock(50.0 * minute, 49.5 * minute, 1, false), "used a moment ago");
    }

    #[test]
    fn stored_choices_read_back_and_strangers_fall_back() {
        assert_eq!(parse_minutes(Some("15")), 15);
        assert_eq!(parse_minutes(Some("0")), 0);
        assert_eq!(parse_minutes(Some("7")), DEFAULT_IDLE_MINUTES);
        assert_eq!(parse_minutes(Some("x")), DEFAULT_IDLE_MINUTES);
        assert_eq!(parse_minutes(None), DEFAULT_IDLE_MINUTES);
        assert_eq!(describe(0), "Never");
        assert_eq!(describe(15), "After 15 minutes without use");
    }
}
