//! What a memory service is to the app: one trait, [`MemoryBackend`], that turns each operation
//! into an HTTP call and reads each answer. It is pure (no I/O), so every request a backend
//! builds is tested natively, and object-safe, so [`super::MemoryClient`] holds any backend as
//! `Rc<dyn MemoryBackend>` and no component knows which service it talks to.

use super::user_id::UserId;
use super::wire::{HistoryEntry, Memory, Page, SavedMemory, TurnWrite};
use serde_json::Value;

/// One HTTP call to make: method, path below the service's base URL (query included), JSON body.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpCall {
    pub method: &'static str,
    pub path: String,
    pub body: Option<Value>,
}

impl HttpCall {
    pub fn get(path: String) -> Self {
        Self { method: "GET", path, body: None }
    }

    pub fn post(path: impl Into<String>, body: Value) -> Self {
        Self { method: "POST", path: path.into(), body: Some(body) }
    }

    pub fn put(path: String, body: Value) -> Self {
        Self { method: "PUT", path, body: Some(body) }
    }

    pub fn delete(path: String) -> Self {
        Self { method: "DELETE", path, body: None }
    }
}

/// What to change in a memory.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MemoryChange {
    pub text: Option<String>,
    pub metadata: Option<Value>,
}

impl MemoryChange {
    /// The body of the edit call: only what changes.
    pub fn body(&self) -> Value {
        let mut body = serde_json::Map::new();
        if let Some(text) = &self.text {
            body.insert("text".into(), Value::String(text.clone()));
        }
        if let Some(metadata) = &self.metadata {
            body.insert("metadata".into(), metadata.clone());
        }
        Value::Object(body)
    }
}

/// What a backend can do beyond the basics (the view hides what is missing rather than faking it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// Useful / not useful feedback on a memory.
    pub feedback: bool,
    /// Adds are processed in the background and followed through events.
    pub events: bool,
}

/// How an add was answered.
#[derive(Clone, Debug, PartialEq)]
pub enum AddAnswer {
    /// Queued: follow the event to learn when (and what) it saved.
    Queued { event_id: String },
    /// Done at once: these memories were saved.
    Done { saved: Vec<SavedMemory> },
}

/// Where a queued add stands.
#[derive(Clone, Debug, PartialEq)]
pub enum EventStatus {
    Pending,
    /// Processed: these memories were saved (possibly none).
    Succeeded {
        saved: Vec<SavedMemory>,
    },
    /// Processing failed: nothing was saved.
    Failed,
}

pub trait MemoryBackend {
    fn capabilities(&self) -> Capabilities;
    /// The request header that carries a key.
    fn auth_header(&self, key: &str) -> (&'static str, String);

    /// Memories relevant to `query`, best first.
    fn search(&self, user: &UserId, query: &str, top_k: u32) -> HttpCall;
    fn add(&self, user: &UserId, write: &TurnWrite) -> HttpCall;
    fn read_add(&self, answer: &Value) -> AddAnswer;
    /// Page `page` (from 1) of a user's memories; [`Page::next`] says whether more follow.
    fn list_page(&self, user: &UserId, page: u32) -> HttpCall;
    /// The path of one memory (both services then read, change and delete it there alike).
    fn memory_path(&self, memory_id: &str) -> String;

    fn get(&self, memory_id: &str) -> HttpCall {
        HttpCall::get(self.memory_path(memory_id))
    }

    /// Changes a memory's text and/or metadata (the metadata given replaces what is there).
    fn update(&self, memory_id: &str, change: &MemoryChange) -> HttpCall {
        HttpCall::put(self.memory_path(memory_id), change.body())
    }

    fn delete(&self, memory_id: &str) -> HttpCall {
        HttpCall::delete(self.memory_path(memory_id))
    }

    /// Every memory of one user (never all users: [`UserId`] cannot be a wildcard).
    fn delete_all(&self, user: &UserId) -> HttpCall;
    fn history(&self, memory_id: &str) -> HttpCall;
    /// `None` when the backend has no feedback.
    fn feedback(&self, memory_id: &str, useful: bool) -> Option<HttpCall>;
    /// `None` when the backend has no events.
    fn event(&self, event_id: &str) -> Option<HttpCall>;
    fn read_event(&self, answer: &Value) -> EventStatus;

    fn read_memories(&self, answer: Value) -> Vec<Memory> {
        super::wire::parse_memories(answer)
    }

    fn read_memory(&self, answer: Value) -> Option<Memory> {
        super::wire::parse_memory(answer)
    }

    fn read_page(&self, answer: Value) -> Page {
        super::wire::parse_page(answer)
    }

    fn read_history(&self, answer: Value) -> Vec<HistoryEntry> {
        super::wire::parse_history(answer)
    }
}

/// Percent-encodes one path segment or query value (everything but RFC 3986's unreserved
/// characters), so an id can never add a path segment or a query parameter. A whole `.` or `..`
/// (a dot segment: "here", "one up") has its dots encoded too, `%2E` — though browsers still
/// resolve `%2E%2E` as `..`, which is why a path with a dot segment is never sent at all.
pub fn encode_component(text: &str) -> String {
    if matches!(text, "." | "..") {
        return "%2E".repeat(text.len());
    }
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Whether a call's path has a `.` or `..` segment, plain or percent-encoded in any case
/// (`%2E%2E`, `.%2e` …). A URL parser that follows the WHATWG URL standard (every browser's
/// `fetch`) resolves all of them, so such a call would reach another path than the one it names.
pub fn has_dot_segment(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or("");
    path.split(['/', '\\'])
        .any(|segment| matches!(segment.to_ascii_lowercase().replace("%2e", ".").as_str(), "." | ".."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_cannot_escape_their_segment() {
        assert_eq!(encode_component("3f2b-9a_x.~"), "3f2b-9a_x.~");
        assert_eq!(encode_component("../a/b?c=*&d#é"), "..%2Fa%2Fb%3Fc%3D%2A%26d%23%C3%A9");
        assert_eq!(encode_component("ann@home"), "ann%40home");
    }

    #[test]
    fn dot_segments_are_found_however_written() {
        let dotted =
            ["/memories/..", "/v1/memories/%2E%2E/", "/memories/%2e.", "/memories/.%2E/x", "/v1/%2E/", "/a/./b"];
        for path in dotted {
            assert!(has_dot_segment(path), "{path}");
        }
        // Encoding the dots does not make `..` safe to send: the browser still reads it as one up.
        assert!(has_dot_segment(&format!("/memories/{}", encode_component(".."))));
        let plain =
            ["/v1/memories/m1/", "/memories/...", "/memories/a..b", "/memories/..%2Fping", "/m?user_id=..", "/"];
        for path in plain {
            assert!(!has_dot_segment(path), "{path}");
        }
    }

    #[test]
    fn dot_segments_are_encoded() {
        assert_eq!(encode_component("."), "%2E");
        assert_eq!(encode_component(".."), "%2E%2E");
        // Dots within a longer segment change nothing and stay as they are.
        assert_eq!(encode_component("..."), "...");
        assert_eq!(encode_component(".a"), ".a");
        assert_eq!(encode_component("a..b"), "a..b");
        assert_eq!(encode_component(""), "");
    }
}
