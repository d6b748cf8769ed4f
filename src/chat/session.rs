//! What the session list shows of a session (pure): its title (the first message, shortened,
//! unless the person renamed it), when it started and was last used, and how many messages it has.

use serde::{Deserialize, Serialize};

/// Longest title made from a first message.
pub const TITLE_CHARS: usize = 60;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionMeta {
    pub id: u64,
    /// Empty until the first message (or a rename) gives it one.
    pub title: String,
    /// Renamed by the person: the first message no longer sets it.
    #[serde(default)]
    pub renamed: bool,
    pub created_ms: f64,
    pub updated_ms: f64,
    /// Messages stored, every version counted.
    pub count: u32,
    /// The message whose branch the transcript shows (see `tree::Tree::shown_path`); none: the newest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shown: Option<u64>,
}

impl SessionMeta {
    pub fn new(id: u64, now_ms: f64) -> Self {
        Self { id, title: String::new(), renamed: false, created_ms: now_ms, updated_ms: now_ms, count: 0, shown: None }
    }

    /// `added` messages were stored, the first user message of them being `first_text` (if any).
    pub fn messages_added(&mut self, added: u32, first_text: Option<&str>, now_ms: f64) {
        self.count += added;
        self.updated_ms = self.updated_ms.max(now_ms);
        if self.title.is_empty() && !self.renamed {
            if let Some(text) = first_text {
                self.title = title_from(text);
            }
        }
    }

    /// Gives the session a name of the person's choosing (an empty one changes nothing).
    pub fn rename(&mut self, title: &str) {
        let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
        if !title.is_empty() {
            self.title = title.chars().take(200).collect();
            self.renamed = true;
        }
    }

    /// What the list shows as the title.
    pub fn shown_title(&self) -> &str {
        if self.title.is_empty() {
            "New session"
        } else {
            &self.title
        }
    }
}

/// A title from a first message: its first line, whitespace collapsed, at most
/// [`TITLE_CHARS`] characters (cut at a word, with an ellipsis).
pub fn title_from(text: &str) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
    let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= TITLE_CHARS {
        return line;
    }
    let cut: String = line.chars().take(TITLE_CHARS - 1).collect();
    let at_word = cut.rfind(' ').filter(|&i| i > TITLE_CHARS / 2).map_or(cut.as_str(), |i| &cut[..i]);
    format!("{}…", at_word.trim_end_matches([',', '.', ';', ':']))
}

/// Newest (last used) first.
pub fn newest_first(sessions: &mut [SessionMeta]) {
    sessions.sort_by(|a, b| b.updated_ms.total_cmp(&a.updated_ms).then(b.id.cmp(&a.id)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_come_from_the_first_message_shortened_at_a_word() {
        assert_eq!(title_from("  \n Hi, I am a war veteran.\nMore"), "Hi, I am a war veteran.");
        let long = "I have been thinking about the way my sleep changed since I came home from the deployment";
        let title = title_from(long);
        assert!(title.chars().count() <= TITLE_CHARS && title.ends_with('…'), "{title}");
        assert!(title.starts_with("I have been thinking about the way my sleep"), "{title}");
        assert_eq!(title_from(&"x".repeat(100)).chars().count(), TITLE_CHARS);
        assert_eq!(title_from("   "), "");
    }

    #[test]
    fn the_first_user_message_names_a_session_until_it_is_renamed() {
        let mut s = SessionMeta::new(1, 10.0);
        assert_eq!(s.shown_title(), "New session");
        s.messages_added(2, Some("Hello there"), 20.0);
        assert_eq!((s.title.as_str(), s.count, s.updated_ms), ("Hello there", 2, 20.0));
        s.messages_added(2, Some("Second"), 15.0);
        assert_eq!((s.title.as_str(), s.count, s.updated_ms), ("Hello there", 4, 20.0));
        s.rename("  My   evenings ");
        assert_eq!((s.title.as_str(), s.renamed), ("My evenings", true));
        s.rename("   ");
        s.messages_added(1, Some("again"), 30.0);
        assert_eq!(s.title, "My evenings", "an empty name changes nothing; a rename sticks");
    }

    #[test]
    fn newest_first_by_last_use() {
        let mut list = vec![SessionMeta::new(1, 5.0), SessionMeta::new(2, 9.0), SessionMeta::new(3, 7.0)];
        newest_first(&mut list);
        assert_eq!(list.iter().map(|s| s.id).collect::<Vec<_>>(), vec![2, 3, 1]);
    }
}
