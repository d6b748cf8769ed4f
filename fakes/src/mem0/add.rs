//! Adds and their events: `POST /v3/memories/add/` (queued, answering an event id, unless
//! `infer: false`, which stores the messages verbatim and answers the results at once),
//! the deprecated `POST /v1/memories/`, and `GET /v1/event/{id}/`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::Method;
use axum::Json;
use serde_json::{json, Value};

use super::errors::{parse_json, ApiError};
use super::store::{entity, AddMode, Added, Event, EventStatus};
use super::Mem0State;
use crate::control::lock;
use crate::filters::ENTITY_KEYS;

/// Messages of an add as (role, content) pairs (a bare string is one user message).
fn messages(body: &Value) -> Result<Vec<(String, String)>, ApiError> {
    let list = match body.get("messages") {
        Some(Value::String(s)) => return Ok(vec![("user".into(), s.clone())]),
        Some(Value::Array(a)) if !a.is_empty() => a,
        _ => return Err(ApiError::InvalidAddInput),
    };
    Ok(list
        .iter()
        .map(|m| {
            let role = m.get("role").and_then(Value::as_str).unwrap_or("user").to_string();
            let content = match m.get("content") {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            (role, content)
        })
        .collect())
}

/// The messages of a valid add: some messages and at least one (non-empty) entity id.
fn check_add(body: &Value) -> Result<Vec<(String, String)>, ApiError> {
    let msgs = messages(body)?;
    if !ENTITY_KEYS.iter().any(|k| entity(body, k).is_some()) {
        return Err(ApiError::bad("At least one of the filters: agent_id, user_id, app_id, run_id is required!"));
    }
    Ok(msgs)
}

/// Applies an add now under a SUCCEEDED event; returns the event id and what was stored.
fn add_now(s: &Mem0State, body: Value, msgs: &[(String, String)], mode: AddMode) -> (String, Vec<Added>) {
    let mut store = lock(&s.store);
    let added = store.apply_add(&body, msgs, mode);
    let mut ev = Event::new("ADD", EventStatus::Pending, body);
    ev.results = added.iter().map(Added::event_json).collect();
    ev.set_status(EventStatus::Succeeded);
    let id = ev.id.clone();
    store.events.insert(id.clone(), ev);
    (id, added)
}

/// Queues an add: its event is PENDING, RUNNING for the second half of the delay, then
/// SUCCEEDED with the stored memories as results (or FAILED, storing nothing, when scripted).
fn queue_add(s: &Arc<Mem0State>, path: &str, body: Value, msgs: Vec<(String, String)>, mode: AddMode) -> String {
    let failure = s.faults.take_event_failure(&Method::POST, path);
    let ev = Event::new("ADD", EventStatus::Pending, body.clone());
    let id = ev.id.clone();
    let generation = {
        let mut store = lock(&s.store);
        store.events.insert(id.clone(), ev);
        store.generation
    };
    let (s, event_id) = (s.clone(), id.clone());
    tokio::spawn(async move {
        let half = Duration::from_millis(s.cfg.async_delay_ms / 2);
        tokio::time::sleep(half).await;
        {
            let mut store = lock(&s.store);
            if store.generation != generation {
                return;
            }
            if let Some(ev) = store.events.get_mut(&event_id) {
                ev.set_status(EventStatus::Running);
            }
        }
        tokio::time::sleep(Duration::from_millis(s.cfg.async_delay_ms) - half).await;
        let mut store = lock(&s.store);
        if store.generation != generation {
            return;
        }
        let added = if failure.is_none() { store.apply_add(&body, &msgs, mode) } else { Vec::new() };
        if let Some(ev) = store.events.get_mut(&event_id) {
            ev.results = added.iter().map(Added::event_json).collect();
            ev.error = failure.clone();
            ev.set_status(if failure.is_some() { EventStatus::Failed } else { EventStatus::Succeeded });
        }
    });
    id
}

/// `POST /v3/memories/add/`: `{"event_id", "status": "PENDING"}`, or with `infer: false` the
/// stored memories at once.
pub(super) async fn add_v3(State(s): State<Arc<Mem0State>>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let body = parse_json(&body)?;
    let msgs = check_add(&body)?;
    if body.get("infer").and_then(Value::as_bool) == Some(false) {
        let (event_id, added) = add_now(&s, body, &msgs, AddMode::Direct);
        let results: Vec<Value> =
            added.iter().map(|a| json!({"id": a.id, "data": {"memory": a.text}, "event": a.event})).collect();
        return Ok(Json(json!({
            "message": "Memories stored successfully",
            "status": "SUCCEEDED",
            "event_id": event_id,
            "results": results
        })));
    }
    let event_id = queue_add(&s, "/v3/memories/add/", body, msgs, AddMode::Infer);
    Ok(Json(json!({"event_id": event_id, "status": "PENDING"})))
}

/// `POST /v1/memories/` (deprecated): queued unless `async_mode: false`; the answer is a bare
/// list unless `version: "v2"` and `output_format: "v1.1"` ask for `{"results", "relations"}`.
pub(super) async fn add_v1(State(s): State<Arc<Mem0State>>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let body = parse_json(&body)?;
    let msgs = check_add(&body)?;
    let mode = match body.get("infer").and_then(Value::as_bool) {
        Some(false) => AddMode::Direct,
        _ => AddMode::Legacy,
    };
    let wrapped = body.get("output_format").and_then(Value::as_str) == Some("v1.1")
        && body.get("version").and_then(Value::as_str) == Some("v2");
    let list: Vec<Value> = if body.get("async_mode").and_then(Value::as_bool) == Some(false) {
        let (_, added) = add_now(&s, body, &msgs, mode);
        added
            .iter()
            .map(|a| json!({"id": a.id, "memory": a.text, "event": a.event, "data": {"memory": a.text}}))
            .collect()
    } else {
        let event_id = queue_add(&s, "/v1/memories/", body, msgs, mode);
        vec![json!({
            "message": "Memory processing has been queued for background execution",
            "status": "PENDING",
            "event_id": event_id
        })]
    };
    Ok(Json(if wrapped { json!({"results": list, "relations": []}) } else { Value::Array(list) }))
}

/// `GET /v1/event/{id}/`.
pub(super) async fn event(State(s): State<Arc<Mem0State>>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    lock(&s.store)
        .events
        .get(&id)
        .map(|e| Json(e.to_json()))
        .ok_or(ApiError::NotFound("Event not found or you don't have permission to access it."))
}
