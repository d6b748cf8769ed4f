//! Searches: the current `POST /v3/memories/search/` (ids only inside `filters`, combined
//! 0..1 score with its breakdown, defaults `top_k` 10 and `threshold` 0.1) and the deprecated
//! v1 and v2 searches (keyword-fraction score, a bare list unless `output_format: "v1.1"`).

use std::ops::RangeInclusive;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::errors::{parse_json, ApiError};
use super::store::Memory;
use super::Mem0State;
use crate::control::lock;
use crate::filters::{effective_filter, has_entity, ENTITY_KEYS};
use crate::relevance::{hybrid_rank, keyword_score};

/// Where the 400 for missing filters points (captured from the Platform's v2 search).
const SEARCH_DOCS: &str = "https://docs.mem0.ai/api-reference/memory/search-memories";

/// The query of a search: a non-blank string.
fn query_of(body: &Value) -> Result<&str, ApiError> {
    body.get("query")
        .and_then(Value::as_str)
        .filter(|q| !q.trim().is_empty())
        .ok_or_else(|| ApiError::bad("query is required and cannot be empty."))
}

/// v3 refuses entity ids outside `filters`.
pub(super) fn reject_top_level_ids(body: &Value) -> Result<(), ApiError> {
    match ENTITY_KEYS.iter().find(|k| body.get(**k).is_some()) {
        Some(k) => Err(ApiError::bad(format!(
            "Top-level entity parameter '{k}' is not supported. Use filters={{'{k}': '...'}} instead."
        ))),
        None => Ok(()),
    }
}

/// The request's `filters`, which must name at least one entity id.
pub(super) fn required_filters(body: &Value, docs: &str) -> Result<Value, ApiError> {
    match body.get("filters") {
        Some(f) if has_entity(f) => Ok(f.clone()),
        _ => Err(ApiError::bad(format!("Filters are required and cannot be empty. Please refer to {docs}"))),
    }
}

/// An optional integer field within `range`.
pub(super) fn int_field(body: &Value, key: &str, range: RangeInclusive<u64>, default: u64) -> Result<u64, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v.as_u64().filter(|n| range.contains(n)).ok_or_else(|| {
            ApiError::bad(format!("{key} must be an integer between {} and {}.", range.start(), range.end()))
        }),
    }
}

fn threshold(body: &Value, default: f64) -> Result<f64, ApiError> {
    match body.get("threshold") {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_f64()
            .filter(|t| (0.0..=1.0).contains(t))
            .ok_or_else(|| ApiError::bad("threshold must be a number between 0 and 1.")),
    }
}

/// `POST /v3/memories/search/`: `{"results": [...]}`, best first.
pub(super) async fn search_v3(State(s): State<Arc<Mem0State>>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let body = parse_json(&body)?;
    let query = query_of(&body)?;
    reject_top_level_ids(&body)?;
    let mut clauses = vec![required_filters(&body, SEARCH_DOCS)?];
    let top_k = int_field(&body, "top_k", 1..=1000, 10)? as usize;
    let threshold = threshold(&body, 0.1)?;
    if let Some(cats) = body.get("categories").filter(|c| c.is_array()) {
        clauses.push(json!({"categories": {"in": cats}}));
    }
    if let Some(md) = body.get("metadata").filter(|m| m.is_object()) {
        clauses.push(json!({ "metadata": md }));
    }
    let show_expired = body.get("show_expired").and_then(Value::as_bool).unwrap_or(false);
    let store = lock(&s.store);
    let scoped: Vec<&Memory> =
        store.matching(&json!({ "AND": clauses })).into_iter().filter(|m| show_expired || !m.expired()).collect();
    let texts: Vec<&str> = scoped.iter().map(|m| m.text.as_str()).collect();
    let results: Vec<Value> =
        hybrid_rank(query, &texts, threshold, top_k).iter().map(|h| scoped[h.index].search_json(h)).collect();
    Ok(Json(json!({ "results": results })))
}

/// The old searches' ranking: the keyword fraction, best first (newer first on ties).
fn legacy_search(s: &Mem0State, body: &Value) -> Result<Vec<Value>, ApiError> {
    let query = query_of(body)?;
    let top_k = body.get("top_k").and_then(Value::as_u64).unwrap_or(10).clamp(1, 1000) as usize;
    let threshold = body.get("threshold").and_then(Value::as_f64).unwrap_or(0.0);
    let store = lock(&s.store);
    let mut hits: Vec<(f64, usize, &Memory)> = store
        .matching(&effective_filter(body))
        .into_iter()
        .enumerate()
        .map(|(i, m)| (keyword_score(query, &m.text), i, m))
        .filter(|(score, _, _)| *score >= threshold)
        .collect();
    hits.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
    Ok(hits.into_iter().take(top_k).map(|(score, _, m)| m.legacy_json(Some(score))).collect())
}

fn legacy_answer(list: Vec<Value>, body: &Value) -> Json<Value> {
    if body.get("output_format").and_then(Value::as_str) == Some("v1.1") {
        Json(json!({ "results": list }))
    } else {
        Json(Value::Array(list))
    }
}

/// `POST /v1/memories/search/` (deprecated): entity ids top-level or in `filters`.
pub(super) async fn search_v1(State(s): State<Arc<Mem0State>>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let body = parse_json(&body)?;
    Ok(legacy_answer(legacy_search(&s, &body)?, &body))
}

/// `POST /v2/memories/search/` (deprecated): like v1, but `filters` must name an entity id.
pub(super) async fn search_v2(State(s): State<Arc<Mem0State>>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let body = parse_json(&body)?;
    required_filters(&body, SEARCH_DOCS)?;
    Ok(legacy_answer(legacy_search(&s, &body)?, &body))
}
