//! Response bodies: the API's JSON styles (pretty for plain answers, compact with a space
//! after each colon inside SSE events), response ids, and the per-call [`Ctx`] that renders
//! reply chunks and safety blocks.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::JSON_CT;
use crate::control::json_response;

/// Pretty JSON with 2-space indent and a trailing newline, like the real API.
pub fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

/// Compact JSON with a space after each colon (the SSE payload style).
pub fn sse_json(v: &Value) -> String {
    struct SpacedColon;
    impl serde_json::ser::Formatter for SpacedColon {
        fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
            w.write_all(b": ")
        }
    }
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, SpacedColon);
    serde::Serialize::serialize(v, &mut ser).expect("serializing a Value cannot fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

pub(super) fn ok_json(v: &Value) -> Response {
    json_response(StatusCode::OK, JSON_CT, pretty(v))
}

/// A response id: 20 URL-safe base64 characters.
pub fn response_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let a = uuid::Uuid::new_v4();
    let b = uuid::Uuid::new_v4();
    a.as_bytes().iter().chain(b.as_bytes()).take(20).map(|byte| ALPHABET[(*byte & 63) as usize] as char).collect()
}

/// Per-call facts used to render response objects.
pub(super) struct Ctx {
    pub(super) model_version: String,
    pub(super) response_id: String,
    pub(super) prompt_tokens: usize,
}

impl Ctx {
    fn usage(&self, cand: usize) -> Value {
        json!({
            "promptTokenCount": self.prompt_tokens,
            "candidatesTokenCount": cand,
            "totalTokenCount": self.prompt_tokens + cand,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": self.prompt_tokens}]
        })
    }

    pub(super) fn chunk(&self, text: &str, finish: Option<&str>, cand: usize) -> Value {
        let mut cand_obj = Map::new();
        cand_obj.insert("content".into(), json!({"parts": [{"text": text}], "role": "model"}));
        if let Some(f) = finish {
            cand_obj.insert("finishReason".into(), json!(f));
        }
        cand_obj.insert("index".into(), json!(0));
        json!({
            "candidates": [Value::Object(cand_obj)],
            "usageMetadata": self.usage(cand),
            "modelVersion": self.model_version,
            "responseId": self.response_id
        })
    }

    pub(super) fn blocked(&self, reason: &str, ratings: Option<Vec<Value>>) -> Value {
        let ratings = ratings.map(Value::Array).unwrap_or_else(|| {
            json!([
                {"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "probability": "NEGLIGIBLE"},
                {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE"},
                {"category": "HARM_CATEGORY_HARASSMENT", "probability": "MEDIUM"},
                {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "NEGLIGIBLE"}
            ])
        });
        json!({
            "promptFeedback": {
                "blockReason": reason,
                "safetyRatings": ratings
            },
            "usageMetadata": {
                "promptTokenCount": self.prompt_tokens,
                "totalTokenCount": self.prompt_tokens,
                "promptTokensDetails": [{"modality": "TEXT", "tokenCount": self.prompt_tokens}]
            },
            "modelVersion": self.model_version,
            "responseId": self.response_id
        })
    }

    /// The last chunk of a reply stopped for safety: no content, the reason and the ratings.
    pub(super) fn safety_stop(&self, reason: &str, ratings: Option<Vec<Value>>, cand: usize) -> Value {
        let ratings = ratings.map(Value::Array).unwrap_or_else(
            || json!([{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": true}]),
        );
        json!({
            "candidates": [{"finishReason": reason, "index": 0, "safetyRatings": ratings}],
            "usageMetadata": self.usage(cand),
            "modelVersion": self.model_version,
            "responseId": self.response_id
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_json_has_space_after_colon_only() {
        let v = json!({"a": [{"b": 1}], "c": "x:y"});
        assert_eq!(sse_json(&v), r#"{"a": [{"b": 1}],"c": "x:y"}"#);
    }

    #[test]
    fn response_ids_are_url_safe() {
        let id = response_id();
        assert_eq!(id.len(), 20);
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }
}
