//! The server's memory routes, each checking in the server's order: body decoding, then the
//! caller, then request validation, then the core library's own checks. Answers are the core
//! library's (`{"results": [...]}` for add, list and search; a bare item, `null` or a list for
//! the rest) and the server's own messages.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde_json::{json, Map, Value};

use super::auth::{authenticate, Caller};
use super::errors::ApiError;
use super::store::{Score, IDENTITY};
use super::validate::{decode_body, query_bool, query_int, validate_model, FieldSpec, Kind};
use super::SelfHostedState;
use crate::control::{self, lock};
use crate::relevance::hybrid_rank;

/// The server's `MemoryCreate`.
const MEMORY_CREATE: &[FieldSpec] = &[
    FieldSpec("messages", Kind::Messages, true),
    FieldSpec("user_id", Kind::Str, false),
    FieldSpec("agent_id", Kind::Str, false),
    FieldSpec("run_id", Kind::Str, false),
    FieldSpec("metadata", Kind::Dict, false),
    FieldSpec("expiration_date", Kind::Str, false),
    FieldSpec("infer", Kind::Bool, false),
    FieldSpec("memory_type", Kind::Str, false),
    FieldSpec("prompt", Kind::Str, false),
];
/// The server's `MemoryUpdate`.
const MEMORY_UPDATE: &[FieldSpec] = &[
    FieldSpec("text", Kind::Str, false),
    FieldSpec("metadata", Kind::Dict, false),
    FieldSpec("expiration_date", Kind::Str, false),
];
/// The server's `SearchRequest` (top-level ids are deprecated but still merged into `filters`).
const SEARCH_REQUEST: &[FieldSpec] = &[
    FieldSpec("query", Kind::Str, true),
    FieldSpec("user_id", Kind::Str, false),
    FieldSpec("run_id", Kind::Str, false),
    FieldSpec("agent_id", Kind::Str, false),
    FieldSpec("filters", Kind::Dict, false),
    FieldSpec("top_k", Kind::Int, false),
    FieldSpec("threshold", Kind::Float, false),
    FieldSpec("explain", Kind::Bool, false),
    FieldSpec("show_expired", Kind::Bool, false),
];
/// The entity ids of the open-source server (no `app_id`), in the order it reads them.
const IDS: [&str; 3] = ["user_id", "run_id", "agent_id"];
/// Most memories one list answers.
const ALL_MEMORIES_LIMIT: i64 = 1000;

/// The core library's check of an entity id: text (numbers become text), trimmed, not blank,
/// no whitespace inside. `Err` is the library's message.
fn entity_id(name: &str, v: &Value) -> Result<String, String> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Null => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Array(a) if a.is_empty() => "[]".into(),
        Value::Object(o) if o.is_empty() => "{}".into(),
        // A non-empty list or dict prints with spaces, which the library refuses.
        Value::Array(_) | Value::Object(_) => "has space".into(),
        other => other.to_string(),
    };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(format!("Invalid {name}: cannot be empty or whitespace-only. Provide a valid identifier."));
    }
    if trimmed.chars().any(char::is_whitespace) {
        return Err(format!("Invalid {name}: cannot contain whitespace. Provide a valid identifier without spaces."));
    }
    Ok(trimmed.to_string())
}

/// The non-empty entity ids of a map (the server's `any([user_id, agent_id, run_id])`).
fn given_ids(m: &Map<String, Value>) -> Vec<(&'static str, String)> {
    IDS.iter()
        .filter_map(|k| m.get(*k).and_then(Value::as_str).filter(|v| !v.is_empty()).map(|v| (*k, v.to_string())))
        .collect()
}

/// An expiration date as the library normalises it (`YYYY-MM-DD`, or the compact form).
fn expiration(v: &Value) -> Result<Option<String>, ApiError> {
    let Some(s) = v.as_str() else {
        return Ok(None);
    };
    ["%Y-%m-%d", "%Y%m%d"]
        .iter()
        .find_map(|f| chrono::NaiveDate::parse_from_str(s, f).ok())
        .map(|d| Some(d.format("%Y-%m-%d").to_string()))
        .ok_or_else(|| ApiError::bad("expiration_date must be a valid date in YYYY-MM-DD format."))
}

/// The vector store keys rows by UUID: any other id makes it fail, and the server answers 502.
fn stored_id(id: &str) -> Result<(), ApiError> {
    uuid::Uuid::parse_str(id).map(|_| ()).map_err(|_| ApiError::upstream_unknown())
}

/// `POST /memories`: adds synchronously and answers what was stored.
pub(super) async fn add(
    State(s): State<Arc<SelfHostedState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body = decode_body(&headers, &body)?;
    authenticate(&s.cfg, &headers)?;
    let m = validate_model(body.as_ref(), MEMORY_CREATE)?;
    if given_ids(&m).is_empty() {
        return Err(ApiError::bad("At least one identifier (user_id, agent_id, run_id) is required."));
    }
    let expires = m.get("expiration_date").map(expiration).transpose()?.flatten();
    let mut template = Map::new();
    for (key, value) in &m {
        if let ("user_id" | "agent_id" | "run_id", Value::String(v)) = (key.as_str(), value) {
            template.insert(key.clone(), json!(entity_id(key, &json!(v)).map_err(ApiError::client)?));
        }
    }
    if let Some(t) = m.get("memory_type").and_then(Value::as_str) {
        if t != "procedural_memory" {
            return Err(ApiError::bad(
                "Invalid 'memory_type'. Please pass procedural_memory to create procedural memories.",
            ));
        }
    }
    for (k, v) in m.get("metadata").and_then(Value::as_object).into_iter().flatten() {
        if !IDENTITY.contains(&k.as_str()) {
            template.insert(k.clone(), v.clone());
        }
    }
    if let Some(date) = expires {
        template.insert("expiration_date".into(), json!(date));
    }
    let msgs: Vec<(String, String)> = m["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| {
            (x["role"].as_str().unwrap_or_default().to_string(), x["content"].as_str().unwrap_or_default().to_string())
        })
        .collect();
    let mut store = lock(&s.store);
    let results = if m.get("infer").and_then(Value::as_bool) == Some(false) {
        store.add_verbatim(&template, &msgs)
    } else {
        store.add_inferred(&template, &msgs)
    };
    Ok(Json(json!({ "results": results })))
}

/// `GET /memories?user_id=…&top_k=…&show_expired=…`: one unpaginated list, at most `top_k`
/// (default 20, the library's) memories; without ids, every memory (admins only).
pub(super) async fn list(
    State(s): State<Arc<SelfHostedState>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let caller = authenticate(&s.cfg, &headers)?;
    let query = control::parse_query(q.as_deref());
    let top_k = query_int(query.get("top_k"), "top_k", 0, ALL_MEMORIES_LIMIT);
    let show_expired = query_bool(query.get("show_expired"), "show_expired");
    let (top_k, show_expired) = match (top_k, show_expired) {
        (Ok(k), Ok(e)) => (k, e.unwrap_or(false)),
        (k, e) => return Err(ApiError::Validation(k.err().into_iter().chain(e.err()).collect())),
    };
    let ids: Vec<(&str, String)> =
        IDS.iter().filter_map(|k| query.get(*k).filter(|v| !v.is_empty()).map(|v| (*k, v.clone()))).collect();
    let store = lock(&s.store);
    if ids.is_empty() {
        if caller == Caller::Member {
            return Err(ApiError::http(StatusCode::FORBIDDEN, "Admin role required to list all memories."));
        }
        let limit = top_k.unwrap_or(ALL_MEMORIES_LIMIT) as usize;
        return Ok(Json(json!({"results": store.all().iter().take(limit).map(|m| m.raw_item()).collect::<Vec<_>>()})));
    }
    let mut filter = Map::new();
    for (k, v) in ids {
        // The library refuses the id, and this route turns every such error into a 502.
        filter.insert(k.into(), json!(entity_id(k, &json!(v)).map_err(|_| ApiError::upstream_unknown())?));
    }
    let results: Vec<Value> = store
        .matching(&Value::Object(filter))
        .into_iter()
        .filter(|m| show_expired || !m.expired())
        .take(top_k.unwrap_or(20) as usize)
        .map(|m| m.item(Score::Absent))
        .collect();
    Ok(Json(json!({ "results": results })))
}

/// Python's `repr` of a float (`2.0`, `0.5`).
fn py_float(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e16 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

/// `POST /search`: `{"results": [...]}` with the combined score (and `score_details` when
/// `explain` is set); defaults `top_k` 20 and `threshold` 0.1.
pub(super) async fn search(
    State(s): State<Arc<SelfHostedState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body = decode_body(&headers, &body)?;
    authenticate(&s.cfg, &headers)?;
    let m = validate_model(body.as_ref(), SEARCH_REQUEST)?;
    let mut filters = m.get("filters").and_then(Value::as_object).cloned().unwrap_or_default();
    for (k, v) in given_ids(&m) {
        filters.insert(k.into(), json!(v));
    }
    let threshold = m.get("threshold").and_then(Value::as_f64).unwrap_or(0.1);
    if !(0.0..=1.0).contains(&threshold) {
        return Err(ApiError::bad(format!(
            "Invalid threshold: {}. Must be between 0 and 1 (inclusive).",
            py_float(threshold)
        )));
    }
    let top_k = m.get("top_k").and_then(Value::as_i64).unwrap_or(20);
    if top_k < 0 {
        return Err(ApiError::bad(format!("Invalid top_k: {top_k}. Must be a non-negative integer.")));
    }
    let query = m["query"].as_str().unwrap_or_default().trim();
    if query.is_empty() {
        return Err(ApiError::bad("Invalid query: cannot be empty or whitespace-only."));
    }
    for k in ["user_id", "agent_id", "run_id"] {
        if let Some(v) = filters.get(k) {
            let id = entity_id(k, v).map_err(ApiError::bad)?;
            filters.insert(k.into(), json!(id));
        }
    }
    if !["user_id", "agent_id", "run_id"].iter().any(|k| filters.contains_key(*k)) {
        return Err(ApiError::bad(
            "filters must contain at least one of: user_id, agent_id, run_id. Example: filters={'user_id': 'u1'}",
        ));
    }
    let explain = m.get("explain").and_then(Value::as_bool).unwrap_or(false);
    let show_expired = m.get("show_expired").and_then(Value::as_bool).unwrap_or(false);
    let store = lock(&s.store);
    let scoped: Vec<_> =
        store.matching(&Value::Object(filters)).into_iter().filter(|m| show_expired || !m.expired()).collect();
    let texts: Vec<&str> = scoped.iter().map(|m| m.text()).collect();
    let results: Vec<Value> = hybrid_rank(query, &texts, threshold, top_k as usize)
        .iter()
        .map(|h| {
            let mut item = scoped[h.index].item(Score::Of(h.score));
            if explain {
                item["score_details"] = json!({
                    "semantic_score": h.semantic, "bm25_score": h.bm25, "entity_boost": h.entity, "raw_score": h.raw,
                    "max_possible_score": h.max_possible, "final_score": h.score, "threshold": threshold
                });
            }
            item
        })
        .collect();
    Ok(Json(json!({ "results": results })))
}

/// `GET /memories/{id}`: the memory, or `null` when there is none.
pub(super) async fn get_one(
    State(s): State<Arc<SelfHostedState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    authenticate(&s.cfg, &headers)?;
    stored_id(&id)?;
    Ok(Json(lock(&s.store).get(&id).map_or(Value::Null, |m| m.item(Score::Null))))
}

/// `PUT /memories/{id}` with `{text?, metadata?, expiration_date?}`.
pub(super) async fn update(
    State(s): State<Arc<SelfHostedState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body = decode_body(&headers, &body)?;
    authenticate(&s.cfg, &headers)?;
    let m = validate_model(body.as_ref(), MEMORY_UPDATE)?;
    let text = m.get("text").and_then(Value::as_str);
    let metadata = m.get("metadata").and_then(Value::as_object);
    if text.is_none() && metadata.is_none() && !m.contains_key("expiration_date") {
        return Err(ApiError::bad("At least one of text, metadata, or expiration_date must be provided."));
    }
    let expires = m.get("expiration_date").map(expiration).transpose()?;
    stored_id(&id)?;
    if !lock(&s.store).update(&id, text, metadata, expires) {
        return Err(ApiError::client(format!("Memory with id {id} not found. Please provide a valid 'memory_id'")));
    }
    Ok(Json(json!({"message": "Memory updated successfully!"})))
}

/// `GET /memories/{id}/history`: the memory's ADD / UPDATE / DELETE rows (`[]` if none).
pub(super) async fn history(
    State(s): State<Arc<SelfHostedState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    authenticate(&s.cfg, &headers)?;
    Ok(Json(Value::Array(lock(&s.store).history(&id))))
}

/// `DELETE /memories/{id}`.
pub(super) async fn delete_one(
    State(s): State<Arc<SelfHostedState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    authenticate(&s.cfg, &headers)?;
    stored_id(&id)?;
    if !lock(&s.store).delete(&id) {
        return Err(ApiError::client(format!("Memory with id {id} not found")));
    }
    Ok(Json(json!({"message": "Memory deleted successfully"})))
}

/// `DELETE /memories?user_id=…` (admins only): every memory matching the ids — where `*`
/// matches any value, so `user_id=*` deletes every user's memories.
pub(super) async fn delete_all(
    State(s): State<Arc<SelfHostedState>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    authenticate(&s.cfg, &headers)?.require_admin()?;
    let query = control::parse_query(q.as_deref());
    let ids: Vec<(&str, &String)> =
        IDS.iter().filter_map(|k| query.get(*k).filter(|v| !v.is_empty()).map(|v| (*k, v))).collect();
    if ids.is_empty() {
        return Err(ApiError::bad("At least one identifier is required."));
    }
    let mut filter = Map::new();
    for (k, v) in ids {
        filter.insert(k.into(), json!(entity_id(k, &json!(v)).map_err(|_| ApiError::upstream_unknown())?));
    }
    let mut store = lock(&s.store);
    let doomed: Vec<String> = store.matching(&Value::Object(filter)).iter().map(|m| m.id.clone()).collect();
    for id in doomed {
        store.delete(&id);
    }
    Ok(Json(json!({"message": "All relevant memories deleted"})))
}
