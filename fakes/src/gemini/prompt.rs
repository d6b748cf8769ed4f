//! Reading a generate request: its prompt facts (last user turn, turn count, system text,
//! token estimate), the light validation the real API applies, and word-wise chunking.

use axum::body::Bytes;
use serde_json::{json, Value};

use super::errors::{unknown_field, ApiError};

/// Top-level request fields the fake accepts on generate/stream calls.
const KNOWN_FIELDS: &[&str] = &[
    "contents",
    "systemInstruction",
    "system_instruction",
    "generationConfig",
    "generation_config",
    "safetySettings",
    "safety_settings",
    "tools",
    "toolConfig",
    "tool_config",
    "cachedContent",
    "cached_content",
    "serviceTier",
    "service_tier",
    "model",
];

/// What the fake extracts from a generate request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prompt {
    /// Text of the last user turn.
    pub last_user_text: String,
    /// Number of user turns in `contents`.
    pub user_turns: usize,
    /// Text of `systemInstruction`.
    pub system_text: String,
    /// Prompt token estimate (words).
    pub tokens: usize,
}

pub(super) fn content_text(c: &Value) -> String {
    match c {
        Value::String(s) => s.clone(),
        _ => c
            .get("parts")
            .and_then(Value::as_array)
            .map(|parts| {
                parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join("")
            })
            .unwrap_or_default(),
    }
}

/// Counts tokens the fake way: whitespace-separated words.
pub fn count_words(s: &str) -> usize {
    s.split_whitespace().count()
}

impl Prompt {
    /// Extracts the prompt facts from a (validated) request body.
    pub fn from_request(body: &Value) -> Self {
        let mut p = Prompt::default();
        if let Some(contents) = body.get("contents").and_then(Value::as_array) {
            for c in contents {
                let text = content_text(c);
                p.tokens += count_words(&text);
                let role = c.get("role").and_then(Value::as_str).unwrap_or("user");
                if role == "user" {
                    p.user_turns += 1;
                    p.last_user_text = text;
                }
            }
        }
        if let Some(si) = body.get("systemInstruction").or_else(|| body.get("system_instruction")) {
            p.system_text = content_text(si);
            p.tokens += count_words(&p.system_text);
        }
        p
    }

    /// Bullet lines (`- …`) under a heading line that mentions "memories".
    pub fn memories(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut in_section = false;
        for line in self.system_text.lines() {
            let t = line.trim();
            if let Some(item) = t.strip_prefix("- ") {
                if in_section && !item.trim().is_empty() {
                    out.push(item.trim().to_string());
                }
            } else if !t.is_empty() {
                in_section = t.to_lowercase().contains("memories");
            }
        }
        out
    }

    /// The deterministic default reply.
    pub fn default_reply(&self) -> String {
        let said: String = self.last_user_text.chars().take(200).collect();
        let mut s = format!("I hear you. You said: \"{said}\"\n\n**Turns so far:** {}", self.user_turns);
        let mems = self.memories();
        if !mems.is_empty() {
            s.push_str(&format!("\n\nI remember: {}", mems.join("; ")));
        }
        s
    }
}

/// Validates a generate/stream body like the real API (lightly).
pub fn validate_generate(body: &Value) -> Result<(), ApiError> {
    let obj =
        body.as_object().ok_or_else(|| ApiError::new(400, "Invalid JSON payload received. Expected an object."))?;
    if let Some(k) = obj.keys().find(|k| !KNOWN_FIELDS.contains(&k.as_str())) {
        return Err(unknown_field(k));
    }
    let contents = match obj.get("contents") {
        Some(Value::Array(a)) if !a.is_empty() => a,
        Some(Value::Array(_)) | None | Some(Value::Null) => {
            return Err(ApiError::new(
                400,
                "* GenerateContentRequest.contents: contents is not specified\n",
            ))
        }
        Some(_) => {
            return Err(ApiError::new(
                400,
                "Invalid JSON payload received. Unknown name \"contents\": Proto field is not repeating, cannot start list.",
            ))
        }
    };
    for (i, c) in contents.iter().enumerate() {
        match c.get("role").and_then(Value::as_str) {
            None | Some("user") | Some("model") => {}
            Some(_) => return Err(ApiError::new(400, "Please use a valid role: user, model.")),
        }
        let parts_ok = c.get("parts").and_then(Value::as_array).is_some_and(|p| !p.is_empty());
        if !parts_ok {
            return Err(ApiError::new(
                400,
                format!("* GenerateContentRequest.contents[{i}].parts: contents.parts must not be empty.\n"),
            ));
        }
    }
    Ok(())
}

pub(super) fn parse_body(body: &Bytes) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::new(400, format!("Invalid JSON payload received. Unexpected token.\n{e}")))
}

/// Splits text into chunks of `words` words; concatenating them gives the text back.
pub fn split_chunks(text: &str, words: usize) -> Vec<String> {
    let words = words.max(1);
    let mut chunks = Vec::new();
    let mut cur = String::new();
    let mut count = 0;
    let mut prev_ws = true;
    for ch in text.chars() {
        let ws = ch.is_whitespace();
        if !ws && prev_ws {
            if count == words {
                chunks.push(std::mem::take(&mut cur));
                count = 0;
            }
            count += 1;
        }
        cur.push(ch);
        prev_ws = ws;
    }
    if !cur.is_empty() || chunks.is_empty() {
        chunks.push(cur);
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_rejoin_to_the_text() {
        let t = "I hear you.  You said: \"hi there\"\n\n**Turns so far:** 1";
        let c = split_chunks(t, 3);
        assert_eq!(c.concat(), t);
        assert!(c.len() > 2);
        assert_eq!(split_chunks("", 3), vec![String::new()]);
        assert_eq!(split_chunks("  lead", 3).concat(), "  lead");
    }

    #[test]
    fn memories_are_read_under_their_heading() {
        let p = Prompt {
            system_text:
                "You are kind.\n\n## What you remember (memories)\n- Likes tea\n\n- Is a veteran\n## Other\n- not this"
                    .into(),
            ..Prompt::default()
        };
        assert_eq!(p.memories(), vec!["Likes tea", "Is a veteran"]);
    }
}
