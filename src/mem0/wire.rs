//! mem0 Platform wire types (`shared/api/mem0.md`, checked against the `mem0ai` SDK).
//!
//! Parsing is lenient: every field but `id` and `memory` is optional, unknown fields are
//! ignored, and a list answer may come bare or in a `{"results": …}` envelope. One odd entry
//! never fails a whole list: entries that do not parse are skipped.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

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

/// A page of `POST /v2/memories/?page=…`.
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

pub fn parse_history(value: Value) -> Vec<HistoryEntry> {
    entries(value).into_iter().filter_map(|v| serde_json::from_value(v).ok()).collect()
}

/// The event id of a queued (async) add, if the answer has one.
pub fn add_event_id(value: &Value) -> Option<String> {
    let first = match value {
        Value::Array(items) => items.first(),
        Value::Object(map) => match map.get("results") {
            Some(Value::Array(items)) => items.first(),
            _ => Some(value),
        },
        _ => None,
    }?;
    first.get("event_id").and_then(Value::as_str).map(str::to_owned)
}

/// `filters` selecting one user's memories.
pub fn user_filter(user_id: &str) -> Value {
    json!({"AND": [{"user_id": user_id}]})
}

/// A chat message as mem0 takes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TurnMessage {
    pub role: String,
    pub content: String,
}

/// Body of `POST /v1/memories/` for one turn (or one imported memory with `infer: false`).
pub fn add_body(user_id: &str, messages: &[TurnMessage], metadata: Value, infer: bool) -> Value {
    let mut body = json!({
        "messages": messages,
        "user_id": user_id,
        "metadata": metadata,
        "version": "v2",
        "output_format": "v1.1",
        "async_mode": true,
    });
    if !infer {
        body["infer"] = json!(false);
    }
    body
}

/// Lowest relevance a search result needs. mem0's own current default (v3 search) is 0.1;
/// the model is told to use memories only when they help, so recall matters more than precision.
pub const SEARCH_THRESHOLD: f64 = 0.1;

/// Body of `POST /v2/memories/search/`.
pub fn search_body(user_id: &str, query: &str, top_k: u32) -> Value {
    json!({"query": query, "filters": user_filter(user_id), "top_k": top_k, "threshold": SEARCH_THRESHOLD, "rerank": false})
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn pages_carry_the_next_link() {
        let page = parse_page(json!({"count": 3, "next": "http://x/v2/memories/?page=2", "previous": null,
            "results": [{"id": "a", "memory": "m", "categories": ["health"], "created_at": "2026-11-25T10:00:00+00:00"}]}));
        assert_eq!(page.next.as_deref(), Some("http://x/v2/memories/?page=2"));
        assert_eq!(page.memories[0].categories, vec!["health".to_string()]);
        assert_eq!(parse_page(json!({"next": null, "results": []})).next, None);
    }

    #[test]
    fn event_ids_of_queued_adds() {
        let v1 = json!({"results": [{"message": "queued", "status": "PENDING", "event_id": "e1"}], "relations": []});
        assert_eq!(add_event_id(&v1).as_deref(), Some("e1"));
        assert_eq!(add_event_id(&json!([{"event_id": "e2"}])).as_deref(), Some("e2"));
        assert_eq!(add_event_id(&json!({"event_id": "e3", "status": "PENDING"})).as_deref(), Some("e3"));
        assert_eq!(add_event_id(&json!({"results": [{"id": "m", "event": "ADD"}]})), None);
    }

    #[test]
    fn add_body_sends_only_the_turn_it_is_given() {
        let turn = [
            TurnMessage { role: "user".into(), content: "hi".into() },
            TurnMessage { role: "assistant".into(), content: "hello".into() },
        ];
        let body = add_body("u1", &turn, json!({"app": "wellness0"}), true);
        assert_eq!(body["messages"].as_array().unwrap().len(), 2);
        assert_eq!(body["user_id"], "u1");
        assert_eq!(body["async_mode"], true);
        assert_eq!(body["version"], "v2");
        assert!(body.get("infer").is_none());
        assert_eq!(add_body("u1", &turn, Value::Null, false)["infer"], false);
    }

    #[test]
    fn search_filters_by_user() {
        let body = search_body("u1", "war story", 8);
        assert_eq!(body["filters"], json!({"AND": [{"user_id": "u1"}]}));
        assert_eq!(body["query"], "war story");
    }
}
