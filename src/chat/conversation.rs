//! The conversation as plain data: what is stored in the browser and what the prompt is built
//! from. No signals here, so all of it is tested natively.

use super::tree::{link_unlinked, Parent};
use crate::gemini::wire::{Content, Part};
use crate::gemini::ReplyProblem;
use crate::memory::usage::MemoryUse;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Model,
}

/// Where a message stands. User messages are always `Done`; replies move through the others.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageState {
    Done,
    /// Waiting for the first chunk or receiving chunks.
    Streaming,
    /// Waiting `wait_ms` before an automatic retry (`retry_at_ms` is a wall-clock time).
    Waiting {
        problem: ReplyProblem,
        wait_ms: u64,
        retry_at_ms: f64,
    },
    /// Stopped by the user; any partial text is kept.
    Stopped,
    /// Failed (before or during the stream); any partial text is kept. `cut` marks a reply
    /// whose stream ended early.
    Failed {
        problem: ReplyProblem,
        cut: bool,
    },
}

/// A note under a finished reply that did not end normally.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyNote {
    /// Gemini's `finishReason` (anything but `STOP`); `dangerous`: stopped for safety with
    /// dangerous content flagged (`gemini::safety`).
    Finish {
        reason: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        dangerous: bool,
    },
    /// A sentence stored by an earlier version of wellness0 (read, never written).
    Legacy { text: String },
}

impl ReplyNote {
    pub fn text(&self) -> String {
        match self {
            ReplyNote::Finish { reason, .. } => match reason.as_str() {
                "MAX_TOKENS" => "The reply reached the length limit and may be incomplete.".into(),
                "SAFETY" | "PROHIBITED_CONTENT" | "BLOCKLIST" | "SPII" => {
                    "Gemini stopped this reply for safety reasons.".into()
                }
                "RECITATION" => "Gemini stopped this reply because it was repeating a source.".into(),
                other => format!("The reply ended early ({other})."),
            },
            ReplyNote::Legacy { text } => text.clone(),
        }
    }
}

impl MessageState {
    pub fn is_active(&self) -> bool {
        matches!(self, MessageState::Streaming | MessageState::Waiting { .. })
    }

    pub fn can_retry(&self) -> bool {
        matches!(self, MessageState::Stopped | MessageState::Failed { .. })
    }
}

/// Whether Gemini refused or stopped this reply for safety with dangerous content flagged —
/// what the app reads as possibly self-harm related (`gemini::safety`, `docs/care.md`).
pub fn stopped_as_dangerous(state: &MessageState, note: Option<&ReplyNote>) -> bool {
    matches!(state, MessageState::Failed { problem: ReplyProblem::Blocked { dangerous: true, .. }, .. })
        || matches!(note, Some(ReplyNote::Finish { dangerous: true, .. }))
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: u64,
    /// The message this one follows (versions of a message share one).
    #[serde(default)]
    pub parent: Parent,
    pub role: Role,
    pub text: String,
    /// A reply's parts exactly as Gemini returned them (thought signatures included), so the
    /// turn goes back into history unchanged. Empty for user messages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Part>,
    pub state: MessageState,
    /// A note under a finished reply (e.g. it reached the length limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<ReplyNote>,
    /// For a reply: the memories retrieved for it and whether the turn was written to mem0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<MemoryUse>,
    /// When the message was written (shown on hover).
    pub created_ms: f64,
}

impl Message {
    /// A message as it is written or begun: its text and state, no parts, note or memory yet.
    pub fn new(id: u64, role: Role, text: impl Into<String>, state: MessageState, created_ms: f64) -> Self {
        let text = text.into();
        Message {
            id,
            parent: Parent::Unlinked,
            role,
            text,
            parts: Vec::new(),
            state,
            note: None,
            memory: None,
            created_ms,
        }
    }

    /// The same message, following `parent`.
    pub fn after(self, parent: Parent) -> Self {
        Message { parent, ..self }
    }

    /// A reply that was still streaming (or waiting to retry) when the page went away is kept
    /// with what had arrived and marked as interrupted.
    pub fn settle_interrupted(&mut self) {
        if self.state.is_active() {
            self.state = MessageState::Failed { problem: ReplyProblem::Interrupted, cut: true };
        }
    }
}

/// Puts a session's messages in id order (the order written) with every one linked to its
/// parent: records from before versions follow the message stored before them.
pub fn link_in_order(messages: &mut [Message]) {
    messages.sort_by_key(|m| m.id);
    link_unlinked(messages, |m| (&mut m.parent, m.id));
}

/// The stored form of a conversation (before sessions: one, in `localStorage`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub next_id: u64,
    pub messages: Vec<Message>,
}

impl Conversation {
    /// Reads a stored conversation (this version's format, or the earlier one). A reply that was
    /// still streaming when the page went away is kept with what had arrived and marked as interrupted.
    pub fn restore(json: &str) -> Option<Self> {
        let mut conv: Conversation = serde_json::from_str(json)
            .ok()
            .or_else(|| serde_json::from_str(&super::legacy::conversation(json)?).ok())?;
        for m in &mut conv.messages {
            if m.state.is_active() {
                m.state = MessageState::Failed { problem: ReplyProblem::Interrupted, cut: true };
            }
        }
        let max_id = conv.messages.iter().map(|m| m.id).max().unwrap_or(0);
        conv.next_id = conv.next_id.max(max_id + 1);
        Some(conv)
    }
}

/// How many of the newest messages keep their raw parts in storage. Older ones are sent back as
/// plain text (if at all: the history budget reaches back only so far), so their parts, which can
/// carry large thought signatures, would only fill the browser's storage.
pub const MESSAGES_WITH_PARTS: usize = 60;

impl Conversation {
    /// Drops the raw parts of all but the newest [`MESSAGES_WITH_PARTS`] messages.
    pub fn compact(&mut self) {
        let keep_from = self.messages.len().saturating_sub(MESSAGES_WITH_PARTS);
        for m in &mut self.messages[..keep_from] {
            m.parts.clear();
        }
    }
}

/// Picks the history for a reply to the user message at `user_index`: earlier exchanges whose
/// reply has text, newest first until `budget_chars` is spent, then that user message. Failed
/// replies and unanswered messages are left out, and the window always starts with a user turn.
pub fn history_for(messages: &[Message], user_index: usize, budget_chars: usize) -> Vec<Content> {
    let current = &messages[user_index];
    let mut spent = current.text.chars().count();
    let mut pairs: Vec<(Content, Content)> = Vec::new();
    let earlier = &messages[..user_index];
    let mut i = earlier.len();
    while i >= 2 {
        let (user, reply) = (&earlier[i - 2], &earlier[i - 1]);
        i -= 1;
        if user.role != Role::User || reply.role != Role::Model {
            continue;
        }
        i -= 1;
        let usable = !reply.text.trim().is_empty() && !matches!(reply.state, MessageState::Failed { .. });
        if !usable {
            continue;
        }
        let cost = user.text.chars().count() + reply.text.chars().count();
        if spent + cost > budget_chars {
            break;
        }
        spent += cost;
        pairs.push((Content::text("user", user.text.clone()), model_content(reply)));
    }
    let mut contents: Vec<Content> = pairs.into_iter().rev().flat_map(|(u, m)| [u, m]).collect();
    contents.push(Content::text("user", current.text.clone()));
    contents
}

fn model_content(reply: &Message) -> Content {
    // Parts as returned; a stopped reply (or one stored without parts) sends the text it shows.
    let complete = matches!(reply.state, MessageState::Done);
    if complete && !reply.parts.is_empty() {
        Content { role: Some("model".into()), parts: reply.parts.clone() }
    } else {
        Content::text("model", reply.text.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: u64, role: Role, text: &str, state: MessageState) -> Message {
        Message::new(id, role, text, state, 0.0)
    }

    fn texts(contents: &[Content]) -> Vec<(String, String)> {
        contents.iter().map(|c| (c.role.clone().unwrap(), c.parts.iter().filter_map(|p| p.text()).collect())).collect()
    }

    #[test]
    fn history_alternates_and_skips_failed_turns() {
        let failed = MessageState::Failed { problem: ReplyProblem::StreamCut, cut: false };
        let messages = vec![
            msg(1, Role::User, "a", MessageState::Done),
            msg(2, Role::Model, "A", MessageState::Done),
            msg(3, Role::User, "b", MessageState::Done),
            msg(4, Role::Model, "", failed),
            msg(5, Role::User, "c", MessageState::Done),
        ];
        let h = history_for(&messages, 4, 10_000);
        assert_eq!(
            texts(&h),
            vec![("user".into(), "a".into()), ("model".into(), "A".into()), ("user".into(), "c".into())]
        );
    }

    #[test]
    fn history_keeps_the_newest_turns_within_budget() {
        let mut messages = Vec::new();
        for i in 0..50 {
            messages.push(msg(2 * i, Role::User, &"u".repeat(100), MessageState::Done));
            messages.push(msg(2 * i + 1, Role::Model, &format!("reply {i:03}{}", "m".repeat(91)), MessageState::Done));
        }
        messages.push(msg(1000, Role::User, "now", MessageState::Done));
        let h = history_for(&messages, messages.len() - 1, 1_000);
        assert_eq!(h.len(), 2 * 4 + 1);
        assert_eq!(h[0].role.as_deref(), Some("user"));
        assert!(h[7].parts[0].text().unwrap().starts_with("reply 049"));
        assert_eq!(h[8].parts[0].text(), Some("now"));
    }

    #[test]
    fn model_turns_go_back_with_their_parts() {
        let signed = Part::from_text("").with("thoughtSignature", "sig");
        let mut reply = msg(2, Role::Model, "hi", MessageState::Done);
        reply.parts = vec![Part::from_text("hi"), signed.clone()];
        let messages =
            vec![msg(1, Role::User, "a", MessageState::Done), reply, msg(3, Role::User, "b", MessageState::Done)];
        let h = history_for(&messages, 2, 10_000);
        assert_eq!(h[1].parts, vec![Part::from_text("hi"), signed]);
    }

    #[test]
    fn compact_keeps_parts_only_for_recent_messages() {
        let mut conv = Conversation::default();
        for i in 0..100 {
            let mut m = msg(i, Role::Model, "t", MessageState::Done);
            m.parts = vec![Part::from_text("t").with("thoughtSignature", "x".repeat(100))];
            conv.messages.push(m);
        }
        conv.compact();
        assert!(conv.messages[..40].iter().all(|m| m.parts.is_empty()));
        assert!(conv.messages[40..].iter().all(|m| m.parts.len() == 1));
        assert!(conv.messages.iter().all(|m| m.text == "t"));
    }

    #[test]
    fn restore_marks_interrupted_streams_and_fixes_ids() {
        let conv = Conversation {
            next_id: 0,
            messages: vec![
                msg(1, Role::User, "a", MessageState::Done),
                msg(7, Role::Model, "par", MessageState::Streaming),
            ],
        };
        let restored = Conversation::restore(&serde_json::to_string(&conv).unwrap()).unwrap();
        assert_eq!(restored.messages[1].state, MessageState::Failed { problem: ReplyProblem::Interrupted, cut: true });
        assert_eq!(restored.messages[1].text, "par");
        assert_eq!(restored.next_id, 8);
        assert!(Conversation::restore("not json").is_none());
    }

    #[test]
    fn states_and_notes_are_stored_as_kinds() {
        let mut m = msg(2, Role::Model, "par", MessageState::Failed { problem: ReplyProblem::StreamCut, cut: true });
        m.note = Some(ReplyNote::Finish { reason: "MAX_TOKENS".into(), dangerous: false });
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains(r#""state":{"failed":{"problem":{"kind":"stream_cut"},"cut":true}}"#), "{json}");
        assert!(json.contains(r#""note":{"finish":{"reason":"MAX_TOKENS"}}"#), "{json}");
        assert_eq!(serde_json::from_str::<Message>(&json).unwrap(), m);
        assert_eq!(m.note.unwrap().text(), "The reply reached the length limit and may be incomplete.");
        // A safety stop keeps whether dangerous content was flagged; an older record reads as not.
        let safety = ReplyNote::Finish { reason: "SAFETY".into(), dangerous: true };
        let json = serde_json::to_string(&safety).unwrap();
        assert_eq!(json, r#"{"finish":{"reason":"SAFETY","dangerous":true}}"#);
        assert_eq!(
            serde_json::from_str::<ReplyNote>(r#"{"finish":{"reason":"SAFETY"}}"#).unwrap(),
            ReplyNote::Finish { reason: "SAFETY".into(), dangerous: false }
        );
    }

    #[test]
    fn dangerous_stops_are_told_apart() {
        let blocked = |dangerous| MessageState::Failed {
            problem: ReplyProblem::Blocked { reason: "SAFETY".into(), dangerous },
            cut: false,
        };
        assert!(stopped_as_dangerous(&blocked(true), None));
        assert!(!stopped_as_dangerous(&blocked(false), None));
        let note = ReplyNote::Finish { reason: "SAFETY".into(), dangerous: true };
        assert!(stopped_as_dangerous(&MessageState::Done, Some(&note)));
        assert!(!stopped_as_dangerous(&MessageState::Done, None));
    }
}
