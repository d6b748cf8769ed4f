//! Gemini REST wire types (`v1beta`); `docs/gemini-api.md` says which fields the app relies on.
//!
//! Requests serialise in lowerCamelCase and omit empty fields; responses deserialise leniently:
//! every field is optional and unknown fields are kept (on parts) or ignored (elsewhere), so a new
//! field from the API never breaks a reply.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One conversation turn: `role` is `user` or `model`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Content {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default)]
    pub parts: Vec<Part>,
}

impl Content {
    /// A turn made of one text part.
    pub fn text(role: &str, text: impl Into<String>) -> Self {
        Self { role: Some(role.to_owned()), parts: vec![Part::from_text(text)] }
    }
}

/// One part of a turn, kept as the JSON object the API sent (text, the thought flag, a thought
/// signature, function calls, inline data, …), so that a model turn goes back exactly as it was
/// returned. (A plain object costs far less code to read than a struct with a catch-all field.)
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Part(pub Map<String, Value>);

impl Part {
    pub fn from_text(text: impl Into<String>) -> Self {
        Self(Map::from_iter([("text".to_owned(), Value::String(text.into()))]))
    }

    /// The same part with one more field (e.g. `thoughtSignature`).
    pub fn with(mut self, field: &str, value: impl Into<Value>) -> Self {
        self.0.insert(field.to_owned(), value.into());
        self
    }

    pub fn text(&self) -> Option<&str> {
        self.0.get("text").and_then(Value::as_str)
    }

    /// A thought summary (not answer text).
    pub fn is_thought(&self) -> bool {
        self.0.get("thought").and_then(Value::as_bool).unwrap_or(false)
    }

    pub fn thought_signature(&self) -> Option<&str> {
        self.0.get("thoughtSignature").and_then(Value::as_str)
    }

    /// A plain answer-text part with nothing else on it (safe to merge with a neighbour).
    fn is_plain_text(&self) -> bool {
        self.0.len() == 1 && self.text().is_some()
    }
}

/// Appends streamed delta parts to a turn's parts, merging runs of plain text so that the
/// history we send back is compact while signatures and other parts are kept verbatim.
pub fn append_parts(parts: &mut Vec<Part>, new_parts: &[Part]) {
    for part in new_parts {
        match parts.last_mut() {
            Some(last) if last.is_plain_text() && part.is_plain_text() => {
                let joined = format!("{}{}", last.text().unwrap_or_default(), part.text().unwrap_or_default());
                last.0.insert("text".to_owned(), Value::String(joined));
            }
            _ => parts.push(part.clone()),
        }
    }
}

/// Body of `generateContent` and `streamGenerateContent`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateContentRequest {
    pub contents: Vec<Content>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_instruction: Option<Content>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    #[serde(default)]
    pub content: Option<Content>,
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(default)]
    pub finish_message: Option<String>,
    /// Sent with a candidate stopped for safety (and by older models with every candidate).
    #[serde(default)]
    pub safety_ratings: Vec<SafetyRating>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptFeedback {
    #[serde(default)]
    pub block_reason: Option<String>,
    #[serde(default)]
    pub safety_ratings: Vec<SafetyRating>,
}

/// How likely a prompt or reply falls into one harm category (`HARM_CATEGORY_DANGEROUS_CONTENT`
/// …), and whether that rating is what blocked it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SafetyRating {
    #[serde(default)]
    pub category: String,
    /// `NEGLIGIBLE`, `LOW`, `MEDIUM` or `HIGH`.
    #[serde(default)]
    pub probability: Option<String>,
    #[serde(default)]
    pub blocked: bool,
}

/// A whole `generateContent` answer, or one streamed chunk of it (a delta).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateContentResponse {
    #[serde(default)]
    pub candidates: Vec<Candidate>,
    #[serde(default)]
    pub prompt_feedback: Option<PromptFeedback>,
    #[serde(default)]
    pub model_version: Option<String>,
}

/// One entry of `GET /v1beta/models`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelInfo {
    pub name: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub supported_generation_methods: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelList {
    #[serde(default)]
    pub models: Vec<ModelInfo>,
    #[serde(default)]
    pub next_page_token: Option<String>,
}

impl ModelInfo {
    /// Bare id (`gemini-3.5-flash`) of a `models/…` name.
    pub fn id(&self) -> &str {
        self.name.strip_prefix("models/").unwrap_or(&self.name)
    }

    /// Whether a chat should offer this model: a Gemini text model that can generate content
    /// (the list also holds embedding, TTS, image, live and Gemma models).
    pub fn is_chat_model(&self) -> bool {
        const NOT_CHAT: [&str; 6] = ["-tts", "-image", "-live", "embedding", "-native-audio", "computer-use"];
        let id = self.id();
        id.starts_with("gemini-")
            && self.supported_generation_methods.iter().any(|m| m == "generateContent")
            && !NOT_CHAT.iter().any(|bad| id.contains(bad))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_serialises_camel_case_and_omits_empty_fields() {
        let req = GenerateContentRequest {
            contents: vec![Content::text("user", "hi")],
            system_instruction: Some(Content { role: None, parts: vec![Part::from_text("be kind")] }),
        };
        let json = serde_json::to_value(&req).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
                "systemInstruction": {"parts": [{"text": "be kind"}]}
            })
        );
    }

    #[test]
    fn unknown_part_fields_and_signatures_round_trip() {
        let raw = serde_json::json!({"text": "", "thoughtSignature": "c2ln", "functionCall": {"name": "f"}});
        let part: Part = serde_json::from_value(raw.clone()).unwrap();
        assert_eq!(part.thought_signature(), Some("c2ln"));
        assert_eq!(serde_json::to_value(&part).unwrap(), raw);
    }

    #[test]
    fn append_parts_merges_plain_text_but_keeps_signed_parts() {
        let mut parts = Vec::new();
        append_parts(&mut parts, &[Part::from_text("Hel")]);
        append_parts(&mut parts, &[Part::from_text("lo")]);
        let signed = Part::from_text("").with("thoughtSignature", "sig");
        append_parts(&mut parts, std::slice::from_ref(&signed));
        append_parts(&mut parts, &[Part::from_text("!")]);
        assert_eq!(parts, vec![Part::from_text("Hello"), signed, Part::from_text("!")]);
    }

    #[test]
    fn chat_model_filter() {
        let m = |name: &str, methods: &[&str]| ModelInfo {
            name: name.into(),
            display_name: None,
            supported_generation_methods: methods.iter().map(|s| s.to_string()).collect(),
        };
        assert!(m("models/gemini-3.5-flash", &["generateContent"]).is_chat_model());
        assert!(!m("models/gemini-2.5-flash-preview-tts", &["generateContent"]).is_chat_model());
        assert!(!m("models/gemini-embedding-001", &["embedContent"]).is_chat_model());
        assert!(!m("models/gemma-3-27b-it", &["generateContent"]).is_chat_model());
    }
}
