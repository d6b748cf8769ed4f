//! Turns the bytes of a `streamGenerateContent?alt=sse` body into a reply: answer text as it
//! grows (thought summaries are not answer text), every part kept for history, and a clear end state
//! (finished, blocked, failed mid-stream, or cut).

use super::error::{ApiError, GeminiError};
use super::safety::{flags_dangerous_content, is_safety_stop};
use super::sse::{SseDecoder, SseItem};
use super::wire::{append_parts, GenerateContentResponse, Part};
use serde_json::Value;

/// How a complete reply ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Finished {
    /// `STOP` normally; anything else (e.g. `MAX_TOKENS`) is worth a note under the reply.
    pub finish_reason: String,
    /// Stopped for safety with dangerous content flagged (see `safety`).
    pub dangerous: bool,
}

#[derive(Debug, Default)]
pub struct ReplyStream {
    decoder: SseDecoder,
    /// Every part received, plain text merged, for sending the turn back as history.
    pub parts: Vec<Part>,
    /// The answer text so far (non-thought parts).
    pub text: String,
    finish_reason: Option<String>,
    block_reason: Option<String>,
    /// A safety rating of the prompt or the reply flagged dangerous content.
    dangerous: bool,
}

impl ReplyStream {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds body bytes; returns the answer text they added (possibly empty).
    pub fn feed(&mut self, bytes: &[u8]) -> Result<String, GeminiError> {
        let items = self.decoder.feed(bytes);
        self.apply(items)
    }

    /// Call when the body ends. Errors if the stream carried an error, was blocked, or ended
    /// without a `finishReason` (cut).
    pub fn finish(&mut self) -> Result<(String, Finished), GeminiError> {
        let (items, leftover) = self.decoder.finish();
        let added = self.apply(items)?;
        let dangerous = self.dangerous;
        if let Some(reason) = self.block_reason.clone() {
            if self.text.is_empty() {
                return Err(GeminiError::Blocked { reason, dangerous });
            }
        }
        match (&self.finish_reason, leftover) {
            (Some(reason), None) => {
                if self.text.is_empty() && is_refusal(reason) {
                    return Err(GeminiError::Blocked { reason: reason.clone(), dangerous });
                }
                let dangerous = dangerous && is_safety_stop(reason);
                Ok((added, Finished { finish_reason: reason.clone(), dangerous }))
            }
            _ => Err(GeminiError::StreamCut),
        }
    }

    fn apply(&mut self, items: Vec<SseItem>) -> Result<String, GeminiError> {
        let mut added = String::new();
        for item in items {
            let payload = match &item {
                SseItem::Data(p) | SseItem::RawJson(p) => p,
            };
            let value: Value = serde_json::from_str(payload)
                .map_err(|e| GeminiError::BadResponse(format!("stream event is not JSON: {e}")))?;
            if let Some(err) = ApiError::from_stream_value(&value) {
                return Err(GeminiError::Api(err));
            }
            let chunk: GenerateContentResponse =
                serde_json::from_value(value).map_err(|e| GeminiError::BadResponse(e.to_string()))?;
            added.push_str(&self.apply_chunk(chunk));
        }
        Ok(added)
    }

    fn apply_chunk(&mut self, chunk: GenerateContentResponse) -> String {
        let mut added = String::new();
        if let Some(feedback) = chunk.prompt_feedback {
            self.dangerous |= flags_dangerous_content(&feedback.safety_ratings);
            if let Some(reason) = feedback.block_reason {
                self.block_reason = Some(reason);
            }
        }
        if let Some(candidate) = chunk.candidates.into_iter().next() {
            self.dangerous |= flags_dangerous_content(&candidate.safety_ratings);
            if let Some(content) = candidate.content {
                // Thought summaries are kept in `parts` (for history) but never shown as answer text.
                for part in content.parts.iter().filter(|p| !p.is_thought()) {
                    added.extend(part.text());
                }
                append_parts(&mut self.parts, &content.parts);
            }
            if candidate.finish_reason.is_some() {
                self.finish_reason = candidate.finish_reason;
            }
        }
        self.text.push_str(&added);
        added
    }
}

/// Finish reasons that mean "the model would not answer" when no text came.
fn is_refusal(reason: &str) -> bool {
    !matches!(reason, "STOP" | "MAX_TOKENS")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: &str) -> String {
        format!("data: {json}\r\n\r\n")
    }

    const HELLO: &str =
        r#"{"candidates": [{"content": {"parts": [{"text": "Hel"}],"role": "model"},"index": 0}],"responseId": "r"}"#;
    const WORLD: &str = r#"{"candidates": [{"content": {"parts": [{"text": "lo"}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 3,"totalTokenCount": 5}}"#;

    #[test]
    fn streams_deltas_to_a_finished_reply() {
        let mut s = ReplyStream::new();
        assert_eq!(s.feed(event(HELLO).as_bytes()).unwrap(), "Hel");
        assert_eq!(s.feed(event(WORLD).as_bytes()).unwrap(), "lo");
        let (tail, done) = s.finish().unwrap();
        assert_eq!(tail, "");
        assert_eq!(done.finish_reason, "STOP");
        assert_eq!(s.text, "Hello");
        assert_eq!(s.parts, vec![Part::from_text("Hello")]);
    }

    #[test]
    fn thoughts_are_kept_apart() {
        let mut s = ReplyStream::new();
        let thought =
            r#"{"candidates": [{"content": {"parts": [{"text": "hmm","thought": true}],"role": "model"},"index": 0}]}"#;
        assert_eq!(s.feed(event(thought).as_bytes()).unwrap(), "");
        s.feed(event(WORLD).as_bytes()).unwrap();
        assert_eq!(s.text, "lo", "thought text is not answer text");
        assert_eq!(s.parts.len(), 2);
    }

    #[test]
    fn a_body_without_finish_reason_is_cut() {
        let mut s = ReplyStream::new();
        s.feed(event(HELLO).as_bytes()).unwrap();
        assert_eq!(s.finish(), Err(GeminiError::StreamCut));
        assert_eq!(s.text, "Hel");
    }

    #[test]
    fn error_object_mid_stream_keeps_partial_text() {
        let mut s = ReplyStream::new();
        let body = format!(
            "{}{{\n  \"error\": {{\n    \"code\": 503,\n    \"message\": \"The model is overloaded.\",\n    \"status\": \"UNAVAILABLE\"\n  }}\n}}\n",
            event(HELLO)
        );
        let err = s.feed(body.as_bytes()).unwrap_err();
        assert!(matches!(err, GeminiError::Api(ref e) if e.code == 503));
        assert_eq!(s.text, "Hel");
    }

    #[test]
    fn blocked_prompt_is_a_refusal() {
        let mut s = ReplyStream::new();
        s.feed(event(r#"{"promptFeedback": {"blockReason": "SAFETY"}}"#).as_bytes()).unwrap();
        assert_eq!(s.finish(), Err(GeminiError::Blocked { reason: "SAFETY".into(), dangerous: false }));
    }

    #[test]
    fn a_prompt_blocked_as_dangerous_content_says_so() {
        let mut s = ReplyStream::new();
        let blocked = r#"{"promptFeedback": {"blockReason": "SAFETY","safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT","probability": "NEGLIGIBLE"},{"category": "HARM_CATEGORY_DANGEROUS_CONTENT","probability": "HIGH","blocked": true}]},"usageMetadata": {"promptTokenCount": 9,"totalTokenCount": 9}}"#;
        s.feed(event(blocked).as_bytes()).unwrap();
        assert_eq!(s.finish(), Err(GeminiError::Blocked { reason: "SAFETY".into(), dangerous: true }));
    }

    #[test]
    fn a_reply_stopped_for_safety_keeps_its_text_and_the_rating() {
        let mut s = ReplyStream::new();
        s.feed(event(HELLO).as_bytes()).unwrap();
        let stop = r#"{"candidates": [{"finishReason": "SAFETY","index": 0,"safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT","probability": "MEDIUM","blocked": true}]}]}"#;
        s.feed(event(stop).as_bytes()).unwrap();
        let (_, done) = s.finish().unwrap();
        assert_eq!(done, Finished { finish_reason: "SAFETY".into(), dangerous: true });
        assert_eq!(s.text, "Hel");
        // Without text, the same stop is a refusal that carries the rating.
        let mut empty = ReplyStream::new();
        empty.feed(event(stop).as_bytes()).unwrap();
        assert_eq!(empty.finish(), Err(GeminiError::Blocked { reason: "SAFETY".into(), dangerous: true }));
    }

    #[test]
    fn a_normal_reply_is_never_dangerous_even_when_rated() {
        let mut s = ReplyStream::new();
        let rated = r#"{"candidates": [{"content": {"parts": [{"text": "ok"}],"role": "model"},"finishReason": "STOP","index": 0,"safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT","probability": "MEDIUM"}]}]}"#;
        s.feed(event(rated).as_bytes()).unwrap();
        assert_eq!(s.finish().unwrap().1, Finished { finish_reason: "STOP".into(), dangerous: false });
    }

    #[test]
    fn data_error_event_is_an_error_too() {
        let mut s = ReplyStream::new();
        let err = s.feed(event(r#"{"error": {"code": 500, "message": "boom", "status": "INTERNAL"}}"#).as_bytes());
        assert!(matches!(err, Err(GeminiError::Api(ref e)) if e.code == 500));
    }
}
