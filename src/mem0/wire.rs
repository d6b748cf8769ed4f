//! mem0 wire types shared by both backends (see `docs/memory-backends.md`).
//!
//! Parsing is lenient: every field but `id` and `memory` is optional, unknown fields are
//! ignored, and a list answer may come bare or in a `{"results": …}` envelope. One odd entry
//! never fails a whole list: entries that do not parse are skipped.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A stored memory.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Memory {
    pub id: String,
    pub memory: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty", skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Relevance, in search results only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// What the Platform's combined search score is made of (search results only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_breakdown: Option<ScoreBreakdown>,
}

/// The parts of a v3 search score: meaning, keywords (BM25) and shared names (entities).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScoreBreakdown {
    #[serde(default)]
    pub semantic: f64,
    #[serde(default)]
    pub bm25: f64,
    #[serde(default)]
    pub entity: f64,
}

/// A memory an add created, changed or removed (an add's or its event's `results`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedMemory {
    pub id: String,
    pub text: String,
    /// `ADD`, `UPDATE` or `DELETE`.
    pub event: String,
}

/// The memories an add's results name. Items carry the text as `memory` (self-hosted) or as
/// `data.memory` (Platform); items without an id are skipped.
pub fn parse_saved(results: Option<&Value>) -> Vec<SavedMemory> {
    let Some(Value::Array(items)) = results else { return Vec::new() };
    let text = |item: &Value| {
        let text = item.get("memory").or_else(|| item.get("data").and_then(|d| d.get("memory")));
        text.and_then(Value::as_str).unwrap_or_default().to_owned()
    };
    items
        .iter()
        .filter_map(|item| {
            let id = item.get("id")?.as_str()?.to_owned();
            let event = item.get("event").and_then(Value::as_str).unwrap_or("ADD").to_owned();
            Some(SavedMemory { id, text: text(item), event })
        })
        .collect()
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

/// One event in a memory's history.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct HistoryEntry {
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default)]
    pub old_memory: Option<String>,
    #[serde(default)]
    pub new_memory: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
}

/// One page of a user's memories, and whether another follows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    pub memories: Vec<Memory>,
    pub next: Option<String>,
}

/// Entries of a list that may be bare or wrapped in `{"results": […]}`.
fn entries(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        Value::Object(mut map) => match map.remove("results").or_else(|| map.remove("memories")) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// Memories in a search or list answer, skipping entries that are not memories.
pub fn parse_memories(value: Value) -> Vec<Memory> {
    entries(value).into_iter().filter_map(|v| serde_json::from_value(v).ok()).collect()
}

pub fn parse_page(value: Value) -> Page {
    let next = value.get("next").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned);
    Page { memories: parse_memories(value), next }
}

/// One memory (a `GET` of it); `None` when the answer is not one (self-hosted answers `null`
/// for a memory that does not exist).
pub fn parse_memory(value: Value) -> Option<Memory> {
    serde_json::from_value(value).ok()
}

pub fn parse_history(value: Value) -> Vec<HistoryEntry> {
    entries(value).into_iter().filter_map(|v| serde_json::from_value(v).ok()).collect()
}

/// A chat message as mem0 takes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TurnMessage {
    pub role: String,
    pub content: String,
}

/// One memory write waiting in the outbox: a finished turn (or an imported memory with
/// `infer: false`). Backend-neutral: each backend builds its own request from it when it is sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TurnWrite {
    /// Checked with [`super::UserId::parse`] when the write is sent.
    pub user_id: String,
    pub messages: Vec<TurnMessage>,
    pub metadata: Value,
    /// `false`: store the messages' text verbatim instead of extracting memories from them.
    pub infer: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_come_bare_or_wrapped_and_bad_entries_are_skipped() {
        let bare = json!([{"id": "a", "memory": "one", "categories": null}, {"id": 5}]);
        assert_eq!(parse_memories(bare).len(), 1);
        let wrapped = json!({"results": [{"id": "a", "memory": "one", "score": 0.8, "extra": 1}]});
        let m = &parse_memories(wrapped)[0];
        assert_eq!(m.score, Some(0.8));
        assert!(m.categories.is_empty());
    }

    #[test]
    fn saved_memories_in_either_shape() {
        let platform =
            json!([{"id": "a", "event": "ADD", "user_id": "ann", "data": {"memory": "Has PTSD"}}, {"event": "ADD"}]);
        let selfhosted = json!([{"id": "b", "memory": "Likes tea", "event": "ADD"}]);
        assert_eq!(
            parse_saved(Some(&platform)),
            vec![SavedMemory { id: "a".into(), text: "Has PTSD".into(), event: "ADD".into() }]
        );
        assert_eq!(parse_saved(Some(&selfhosted))[0].text, "Likes tea");
        assert!(parse_saved(None).is_empty());
        assert!(parse_saved(Some(&json!({"no": "list"}))).is_empty());
    }

    #[test]
    fn search_items_keep_their_score_breakdown() {
        let found = parse_memories(json!({"results": [{"id": "a", "memory": "m", "score": 0.42,
            "score_breakdown": {"semantic": 0.8, "bm25": 0.1, "entity": 0.0}}]}));
        assert_eq!(found[0].score_breakdown, Some(ScoreBreakdown { semantic: 0.8, bm25: 0.1, entity: 0.0 }));
        assert_eq!(parse_memory(Value::Null), None);
        assert_eq!(parse_memory(json!({"id": "a", "memory": "m", "score": null})).unwrap().id, "a");
    }

    #[test]
    fn pages_carry_the_next_link() {
        let page = parse_page(json!({"count": 3, "next": "http://x/v2/memories/?page=2", "previous": null,
            "results": [{"id": "a", "memory": "m", "categories": ["health"], "created_at": "2026-11-25T10:00:00+00:00"}]}));
        assert_eq!(page.next.as_deref(), Some("http://x/v2/memories/?page=2"));
        assert_eq!(page.memories[0].categories, vec!["health".to_string()]);
        assert_eq!(parse_page(json!({"next": null, "results": []})).next, None);
    }
}
