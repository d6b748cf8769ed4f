//! The calls that stay on v1: one memory (`GET` / `PUT` / `DELETE /v1/memories/{id}/`), its
//! history, delete-all (`DELETE /v1/memories/?user_id=…`, where `*` means every user), batch
//! edits, feedback, and the key check the SDKs make on start (`GET /v1/ping/`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::Json;
use serde_json::{json, Map, Value};

use super::errors::{parse_json, ApiError};
use super::store::{Added, Event, EventStatus, Store};
use super::Mem0State;
use crate::control::{self, lock};
use crate::filters::{effective_filter, ENTITY_KEYS};

/// Largest batch the Platform accepts.
const MAX_BATCH: usize = 1000;

/// `GET /v1/ping/`: the key is valid; who owns it.
pub(super) async fn ping() -> Json<Value> {
    Json(json!({
        "status": "ok",
        "message": "API key is valid",
        "org_id": "org_fake0000000000",
        "project_id": "proj_fake000000000",
        "user_email": "tester@example.com"
    }))
}

fn valid_id(id: &str) -> Result<(), ApiError> {
    uuid::Uuid::parse_str(id).map(|_| ()).map_err(|_| ApiError::bad("memory_id should be a valid UUID"))
}

/// `GET /v1/memories/{id}/`.
pub(super) async fn get_one(State(s): State<Arc<Mem0State>>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    valid_id(&id)?;
    lock(&s.store).find(&id).map(|m| Json(m.v3_json())).ok_or_else(ApiError::memory_not_found)
}

fn update_in(store: &mut Store, id: &str, change: &Value) -> Result<Value, ApiError> {
    match store.update(id, change) {
        Ok(Some(m)) => Ok(m.v3_json()),
        Ok(None) => Err(ApiError::memory_not_found()),
        Err(refusal) => Err(ApiError::bad(refusal)),
    }
}

/// `PUT /v1/memories/{id}/` with `{text?, metadata?, expiration_date?}`: the updated memory.
pub(super) async fn update(
    State(s): State<Arc<Mem0State>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    valid_id(&id)?;
    let body = parse_json(&body)?;
    Ok(Json(update_in(&mut lock(&s.store), &id, &body)?))
}

/// `DELETE /v1/memories/{id}/`.
pub(super) async fn delete_one(
    State(s): State<Arc<Mem0State>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    valid_id(&id)?;
    lock(&s.store).delete(&id).ok_or_else(ApiError::memory_not_found)?;
    Ok(Json(json!({"message": "Memory deleted successfully!"})))
}

/// `GET /v1/memories/{id}/history/`: every ADD / UPDATE / DELETE of the memory, oldest first.
pub(super) async fn history(State(s): State<Arc<Mem0State>>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    valid_id(&id)?;
    lock(&s.store).history(&id).map(|h| Json(Value::Array(h.clone()))).ok_or_else(ApiError::memory_not_found)
}

/// `DELETE /v1/memories/?user_id=…`: deletes every memory matching the entity ids (`*` matches
/// any value, so `user_id=*` deletes every user's memories). The Platform queues the deletion
/// and answers an event id; the fake deletes before answering, so a test sees the effect at once.
pub(super) async fn delete_all(
    State(s): State<Arc<Mem0State>>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let query = control::parse_query(q.as_deref());
    let ids: Map<String, Value> = ENTITY_KEYS
        .iter()
        .filter_map(|k| query.get(*k).filter(|v| !v.is_empty()).map(|v| (k.to_string(), json!(v))))
        .collect();
    if ids.is_empty() {
        return Err(ApiError::bad(
            "At least one filter is required to delete all memories. \
             If you want to delete all memories, use the `reset()` method.",
        ));
    }
    let payload = Value::Object(ids);
    let filter = effective_filter(&payload);
    let mut store = lock(&s.store);
    let doomed: Vec<String> = store.matching(&filter).iter().map(|m| m.id.clone()).collect();
    let mut ev = Event::new("DELETE", EventStatus::Pending, payload);
    for id in doomed {
        if let Some(m) = store.delete(&id) {
            let gone = Added { id: m.id, text: m.text, user_id: m.user_id, event: "DELETE" };
            ev.results.push(gone.event_json());
        }
    }
    ev.set_status(EventStatus::Succeeded);
    let event_id = ev.id.clone();
    store.events.insert(event_id.clone(), ev);
    Ok(Json(json!({"message": "Delete in progress. This may take some time.", "event_id": event_id})))
}

fn batch_list(body: &Bytes) -> Result<Vec<Value>, ApiError> {
    let body = parse_json(body)?;
    let list = body
        .get("memories")
        .and_then(Value::as_array)
        .cloned()
        .ok_or_else(|| ApiError::bad("memories is required."))?;
    if list.len() > MAX_BATCH {
        return Err(ApiError::bad(format!("Maximum of {MAX_BATCH} memories can be updated in a single request")));
    }
    Ok(list)
}

/// `PUT /v1/batch/` with `{"memories": [{"memory_id", "text"?, "metadata"?}]}`.
pub(super) async fn batch_update(State(s): State<Arc<Mem0State>>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let list = batch_list(&body)?;
    let mut store = lock(&s.store);
    for item in &list {
        let id = item.get("memory_id").and_then(Value::as_str).unwrap_or_default();
        update_in(&mut store, id, item)?;
    }
    Ok(Json(json!({"message": format!("Successfully updated {} memories", list.len())})))
}

/// `DELETE /v1/batch/` with `{"memories": [{"memory_id"}]}`.
pub(super) async fn batch_delete(State(s): State<Arc<Mem0State>>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let list = batch_list(&body)?;
    let mut store = lock(&s.store);
    let deleted = list
        .iter()
        .filter_map(|item| item.get("memory_id").and_then(Value::as_str))
        .filter(|id| store.delete(id).is_some())
        .count();
    Ok(Json(json!({"message": format!("Successfully deleted {deleted} memories")})))
}

/// `POST /v1/feedback/` with `{memory_id, feedback: POSITIVE|NEGATIVE|VERY_NEGATIVE|null, feedback_reason?}`.
pub(super) async fn feedback(body: Bytes) -> Result<Json<Value>, ApiError> {
    let body = parse_json(&body)?;
    if body.get("memory_id").and_then(Value::as_str).is_none() {
        return Err(ApiError::bad("memory_id is required."));
    }
    let fb = body.get("feedback").cloned().unwrap_or(Value::Null);
    if !(fb.is_null() || matches!(fb.as_str(), Some("POSITIVE" | "NEGATIVE" | "VERY_NEGATIVE"))) {
        return Err(ApiError::bad("feedback must be one of POSITIVE, NEGATIVE, VERY_NEGATIVE or null."));
    }
    Ok(Json(json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "feedback": fb,
        "feedback_reason": body.get("feedback_reason").cloned().unwrap_or(Value::Null)
    })))
}
