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
        Self { role: Some(role.to_owned()), parts: vec![Part::text(text)] }
    }
}

/// One part of a turn. Fields we do not model (function calls, inline data, …) are kept in
/// `other` so that a model turn can be sent back exactly as it was returned.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Part {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub thought: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thought_signature: Option<String>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Part {
    pub fn text(text: impl Into<String>) -> Self {
        Self { text: Some(text.into()), ..Self::default() }
    }

    /// A plain answer-text part with nothing else on it (safe to merge with a neighbour).
    fn is_plain_text(&self) -> bool {
        self.text.is_some() && !self.thought && self.thought_signature.is_none() && self.other.is_empty()
    }
}

/// Appends streamed delta parts to a turn's parts, merging runs of plain text so that the
/// history we send back is compact while signatures and other parts are kept verbatim.
pub fn append_parts(parts: &mut Vec<Part>, new_parts: &[Part]) {
    for part in new_parts {
        match parts.last_mut() {
            Some(last) if last.is_plain_text() && part.is_plain_text() => {
                let tail = part.text.as_deref().unwrap_or_default();
                last.text.get_or_insert_with(String::new).push_str(tail);
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
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptFeedback {
    #[serde(default)]
    pub block_reason: Option<String>,
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
            system_instruction: Some(Content { role: None, parts: vec![Part::text("be kind")] }),
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
        assert_eq!(part.thought_signature.as_deref(), Some("c2ln"));
        assert_eq!(serde_json::to_value(&part).unwrap(), raw);
    }

    #[test]
    fn append_parts_merges_plain_text_but_keeps_signed_parts() {
        let mut parts = Vec::new();
        append_parts(&mut parts, &[Part::text("Hel")]);
        append_parts(&mut parts, &[Part::text("lo")]);
        let signed = Part { thought_signature: Some("sig".into()), ..Part::text("") };
        append_parts(&mut parts, std::slice::from_ref(&signed));
        assert_eq!(parts, vec![Part::text("Hello"), signed]);
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
