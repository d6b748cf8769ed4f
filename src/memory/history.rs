//! How a memory's times and history read in the sidebar (pure).

use crate::mem0::wire::HistoryEntry;

/// `2026-11-25T10:04:05.123+00:00` → `2026-11-25 10:04`.
pub fn short_time(iso: &str) -> String {
    match (iso.get(..10), iso.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time}"),
        _ => iso.to_owned(),
    }
}

/// What one history entry changed: `old → new`, or the one text there is.
pub fn change_text(entry: &HistoryEntry) -> String {
    match (&entry.old_memory, &entry.new_memory) {
        (Some(old), Some(new)) if old != new => format!("{old} → {new}"),
        (_, Some(new)) => new.clone(),
        (Some(old), None) => old.clone(),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shortened() {
        assert_eq!(short_time("2026-11-25T10:04:05.123+00:00"), "2026-11-25 10:04");
        assert_eq!(short_time("yesterday"), "yesterday");
    }

    #[test]
    fn changes_read_old_to_new() {
        let entry = |old: Option<&str>, new: Option<&str>| HistoryEntry {
            old_memory: old.map(Into::into),
            new_memory: new.map(Into::into),
            ..HistoryEntry::default()
        };
        assert_eq!(change_text(&entry(Some("Likes tea"), Some("Likes green tea"))), "Likes tea → Likes green tea");
        assert_eq!(change_text(&entry(Some("same"), Some("same"))), "same");
        assert_eq!(change_text(&entry(None, Some("added"))), "added");
        assert_eq!(change_text(&entry(Some("deleted"), None)), "deleted");
        assert_eq!(change_text(&entry(None, None)), "");
    }
}
