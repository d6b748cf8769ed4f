//! Fake mem0 Platform API: an in-memory store with add (sync and async, v1 and
//! v3), naive keyword search (v1/v2/v3), lists, get/update/delete, history,
//! batch edits, feedback and event status, plus scriptable failures, delays
//! and a "down" switch. Paths and shapes follow the `mem0ai` Python SDK
//! (`mem0/client/main.py`, v2.2.1) and mem0's `docs/openapi.json`.
// Helpers return a ready `Response` as their error: that is what every handler
// sends back, and boxing it would only add noise.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::control::{self, lock, ControlPlane, Controlled, CONTROL_PREFIX};

/// Settings of the mem0 fake.
#[derive(Debug, Clone)]
pub struct Mem0Config {
    /// The only API key accepted (`Authorization: Token <key>`).
    pub api_key: String,
    /// Extra latency added to every non-control request.
    pub latency_ms: u64,
    /// How long an async add stays PENDING before its memories appear.
    pub async_delay_ms: u64,
}

impl Default for Mem0Config {
    fn default() -> Self {
        Self { api_key: "test-mem0-key".into(), latency_ms: 0, async_delay_ms: 50 }
    }
}

/// A scripted fault or delay for matching requests.
#[derive(Debug, Clone, Deserialize)]
pub struct Rule {
    /// HTTP method to match (any when absent).
    pub method: Option<String>,
    /// Path prefix to match (any when absent).
    pub path_prefix: Option<String>,
    /// Status to answer with (no failure when absent: delay only).
    pub status: Option<u16>,
    /// How many matching requests this rule affects (default 1).
    #[serde(default = "one")]
    pub times: u32,
    /// `Retry-After` header value in seconds.
    pub retry_after: Option<u64>,
    /// Response body (default `{"detail": "..."}`).
    pub body: Option<Value>,
    /// Delay before answering (or before failing).
    pub delay_ms: Option<u64>,
}

fn one() -> u32 {
    1
}

impl Rule {
    fn matches(&self, method: &Method, path: &str) -> bool {
        self.times > 0
            && self.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method.as_str()))
            && self.path_prefix.as_deref().is_none_or(|p| path.starts_with(p))
    }
}

/// One stored memory.
#[derive(Debug, Clone)]
struct Memory {
    id: String,
    text: String,
    user_id: Option<String>,
    agent_id: Option<String>,
    app_id: Option<String>,
    run_id: Option<String>,
    metadata: Value,
    categories: Vec<String>,
    immutable: bool,
    expiration_date: Value,
    created_at: String,
    updated_at: String,
}

impl Memory {
    fn field(&self, name: &str) -> Option<&str> {
        match name {
            "user_id" => self.user_id.as_deref(),
            "agent_id" => self.agent_id.as_deref(),
            "app_id" => self.app_id.as_deref(),
            "run_id" | "session_id" => self.run_id.as_deref(),
            "id" | "memory_id" => Some(&self.id),
            "created_at" => Some(&self.created_at),
            "updated_at" => Some(&self.updated_at),
            _ => None,
        }
    }

    fn to_json(&self, score: Option<f64>) -> Value {
        let mut o = Map::new();
        o.insert("id".into(), json!(self.id));
        o.insert("memory".into(), json!(self.text));
        o.insert("user_id".into(), json!(self.user_id));
        o.insert("agent_id".into(), json!(self.agent_id));
        o.insert("app_id".into(), json!(self.app_id));
        o.insert("run_id".into(), json!(self.run_id));
        o.insert("session_id".into(), json!(self.run_id));
        o.insert("hash".into(), json!(hash(&self.text)));
        o.insert("metadata".into(), self.metadata.clone());
        o.insert("categories".into(), json!(self.categories));
        o.insert("immutable".into(), json!(self.immutable));
        o.insert("expiration_date".into(), self.expiration_date.clone());
        o.insert("created_at".into(), json!(self.created_at));
        o.insert("updated_at".into(), json!(self.updated_at));
        if let Some(s) = score {
            o.insert("score".into(), json!(s));
        }
        Value::Object(o)
    }
}

/// Status of an add event.
#[derive(Debug, Clone)]
struct Event {
    id: String,
    status: &'static str,
    payload: Value,
    results: Vec<Value>,
    created_at: String,
    updated_at: String,
}

impl Event {
    fn to_json(&self) -> Value {
        let done = self.status == "SUCCEEDED";
        json!({
            "id": self.id,
            "event_type": "ADD",
            "status": self.status,
            "payload": self.payload,
            "metadata": null,
            "results": self.results,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "started_at": self.created_at,
            "completed_at": if done { json!(self.updated_at) } else { Value::Null },
            "latency": if done { json!(50.0) } else { Value::Null },
            "graph_status": null,
            "error": null
        })
    }
}

#[derive(Debug, Default)]
struct Store {
    memories: Vec<Memory>,
    history: HashMap<String, Vec<Value>>,
    events: HashMap<String, Event>,
}

/// Shared state of the mem0 fake.
#[derive(Debug)]
pub struct Mem0State {
    cfg: Mem0Config,
    control: ControlPlane,
    store: Mutex<Store>,
    rules: Mutex<Vec<Rule>>,
}

impl Mem0State {
    /// New, empty state.
    pub fn new(cfg: Mem0Config) -> Arc<Self> {
        Arc::new(Self {
            cfg,
            control: ControlPlane::default(),
            store: Mutex::new(Store::default()),
            rules: Mutex::new(Vec::new()),
        })
    }

    /// Consumes one use of the first matching rule.
    fn take_rule(&self, method: &Method, path: &str) -> Option<Rule> {
        let mut rules = lock(&self.rules);
        let i = rules.iter().position(|r| r.matches(method, path))?;
        rules[i].times -= 1;
        let r = rules[i].clone();
        if rules[i].times == 0 {
            rules.remove(i);
        }
        Some(r)
    }
}

impl Controlled for Mem0State {
    fn control(&self) -> &ControlPlane {
        &self.control
    }

    fn reset_extra(&self) {
        *lock(&self.store) = Store::default();
        lock(&self.rules).clear();
    }

    fn push_script(&self, steps: Vec<Value>) -> Result<usize, String> {
        let parsed = steps
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let r: Rule = serde_json::from_value(v).map_err(|e| format!("step {i}: {e}"))?;
                if r.status.is_none() && r.delay_ms.is_none() {
                    return Err(format!("step {i}: needs `status` or `delay_ms`"));
                }
                Ok(r)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut rules = lock(&self.rules);
        rules.extend(parsed);
        Ok(rules.len())
    }

    fn down_response(&self) -> Response {
        err(StatusCode::SERVICE_UNAVAILABLE, "detail", "Service temporarily unavailable.")
    }
}

/// The mem0 fake's router (control routes, CORS and recording included).
pub fn app(state: Arc<Mem0State>) -> Router {
    Router::new()
        .route("/v1/ping/", get(ping))
        .route("/v1/memories/", post(add_v1).get(list_v1).delete(delete_all))
        .route("/v3/memories/add/", post(add_v3))
        .route("/v1/memories/search/", post(search_v1))
        .route("/v2/memories/search/", post(search_v2))
        .route("/v3/memories/search/", post(search_v3))
        .route("/v2/memories/", post(list_v2))
        .route("/v3/memories/", post(list_v3))
        .route("/v1/memories/{id}/", get(get_memory).put(update_memory).delete(delete_memory))
        .route("/v1/memories/{id}/history/", get(history))
        .route("/v1/batch/", put(batch_update).delete(batch_delete))
        .route("/v1/feedback/", post(feedback))
        .route("/v1/event/{id}/", get(event))
        .route("/v1/entities/", get(entities))
        .route("/v2/entities/{kind}/{name}/", axum::routing::delete(delete_entity))
        .merge(control::control_routes::<Mem0State>())
        .fallback(|| async { err(StatusCode::NOT_FOUND, "detail", "Not found.") })
        .layer(middleware::from_fn_with_state(state.clone(), gate))
        .layer(middleware::from_fn_with_state(state.clone(), control::record_and_gate::<Mem0State>))
        .layer(control::cors_layer())
        .with_state(state)
}

/// Latency, scripted rules and auth, in that order.
async fn gate(State(s): State<Arc<Mem0State>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with(CONTROL_PREFIX) {
        return next.run(req).await;
    }
    if s.cfg.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(s.cfg.latency_ms)).await;
    }
    if let Some(rule) = s.take_rule(req.method(), &path) {
        if let Some(ms) = rule.delay_ms {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        if let Some(code) = rule.status {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = rule.body.unwrap_or_else(|| json!({"detail": status.canonical_reason().unwrap_or("Error")}));
            let mut resp = (status, Json(body)).into_response();
            if let Some(secs) = rule.retry_after {
                resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            return resp;
        }
    }
    let auth = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::trim);
    match auth {
        None => err(StatusCode::UNAUTHORIZED, "detail", "Authentication credentials were not provided."),
        Some(a) if a.strip_prefix("Token ").map(str::trim) == Some(s.cfg.api_key.as_str()) => next.run(req).await,
        Some(_) => err(
            StatusCode::UNAUTHORIZED,
            "detail",
            "Invalid API key. You can find your API key on https://app.mem0.ai/dashboard/api-keys.",
        ),
    }
}

// ---------------------------------------------------------------- helpers

fn err(status: StatusCode, key: &str, msg: &str) -> Response {
    let mut o = Map::new();
    o.insert(key.into(), json!(msg));
    (status, Json(Value::Object(o))).into_response()
}

fn bad(msg: &str) -> Response {
    err(StatusCode::BAD_REQUEST, "error", msg)
}

fn not_found() -> Response {
    err(StatusCode::NOT_FOUND, "error", "Memory not found!")
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
}

/// md5 hex of the memory text (the `hash` field).
pub fn hash(text: &str) -> String {
    format!("{:x}", md5::compute(text.as_bytes()))
}

fn parse_json(body: &Bytes) -> Result<Value, Response> {
    if body.is_empty() {
        return Ok(json!({}));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(bad("JSON body must be an object.")),
        Err(e) => Err(err(StatusCode::BAD_REQUEST, "detail", &format!("JSON parse error - {e}"))),
    }
}

const ENTITY_KEYS: [&str; 4] = ["user_id", "agent_id", "app_id", "run_id"];

const STOP_WORDS: &[&str] = &[
    "the", "and", "for", "are", "but", "not", "you", "your", "all", "any", "can", "had", "has", "have", "her", "his",
    "how", "its", "our", "out", "she", "was", "were", "what", "when", "where", "which", "who", "why", "will", "with",
    "this", "that", "these", "those", "from", "they", "them", "then", "than", "there", "their", "about", "into",
    "does", "did", "user", "users", "like", "likes", "just", "also", "been", "being", "would", "could", "should",
];

/// Lower-cased words of length ≥ 3, stop words removed, a plural `s` stripped.
pub fn keywords(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 3 && !STOP_WORDS.contains(&w.as_str()))
        .map(|w| stem(&w))
        .collect();
    out.dedup();
    out
}

fn stem(w: &str) -> String {
    if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") {
        w[..w.len() - 1].to_string()
    } else {
        w.to_string()
    }
}

/// Naive relevance: the fraction of query keywords present in the memory.
pub fn score(query: &str, memory: &str) -> f64 {
    let q = keywords(query);
    if q.is_empty() {
        return 0.0;
    }
    let m = keywords(memory);
    let hits = q.iter().filter(|w| m.contains(w)).count();
    hits as f64 / q.len() as f64
}

const CATEGORY_TABLE: &[(&str, &[&str])] = &[
    (
        "health",
        &[
            "health",
            "therapy",
            "therapist",
            "ptsd",
            "anxiety",
            "depression",
            "doctor",
            "medication",
            "sleep",
            "insomnia",
            "pain",
            "hospital",
            "diagnosis",
            "nightmare",
            "counselor",
        ],
    ),
    (
        "personal_details",
        &[
            "veteran",
            "deployed",
            "deployment",
            "war",
            "army",
            "navy",
            "marine",
            "military",
            "name",
            "born",
            "age",
            "served",
            "afghanistan",
            "iraq",
        ],
    ),
    (
        "family",
        &[
            "wife", "husband", "kid", "children", "son", "daughter", "mother", "father", "mom", "dad", "family",
            "brother", "sister", "married",
        ],
    ),
    ("professional_details", &["job", "work", "career", "boss", "office", "coworker"]),
    ("food", &["eat", "food", "coffee", "tea", "vegetarian", "vegan", "cook", "cooking"]),
    ("hobbies", &["hiking", "fishing", "music", "reading", "hobby", "guitar", "golf", "running"]),
];

/// Categories from a small keyword table (table order, no duplicates).
pub fn categorize(text: &str) -> Vec<String> {
    let words: Vec<String> = text.split(|c: char| !c.is_alphanumeric()).map(|w| stem(&w.to_lowercase())).collect();
    CATEGORY_TABLE
        .iter()
        .filter(|(_, keys)| keys.iter().any(|k| words.iter().any(|w| w == k)))
        .map(|(c, _)| c.to_string())
        .collect()
}

// ---------------------------------------------------------------- filters

fn value_matches(actual: Option<&str>, cond: &Value) -> bool {
    match cond {
        Value::String(s) if s == "*" => actual.is_some(),
        Value::String(s) => actual == Some(s.as_str()),
        Value::Null => actual.is_none(),
        Value::Object(ops) => ops.iter().all(|(op, v)| match op.as_str() {
            "in" => v.as_array().is_some_and(|a| a.iter().any(|x| x.as_str() == actual && actual.is_some())),
            "ne" => actual != v.as_str(),
            "gte" => actual.zip(v.as_str()).is_some_and(|(a, b)| a >= b),
            "gt" => actual.zip(v.as_str()).is_some_and(|(a, b)| a > b),
            "lte" => actual.zip(v.as_str()).is_some_and(|(a, b)| a[..b.len().min(a.len())] <= *b),
            "lt" => actual.zip(v.as_str()).is_some_and(|(a, b)| a < b),
            "icontains" | "contains" => {
                actual.zip(v.as_str()).is_some_and(|(a, b)| a.to_lowercase().contains(&b.to_lowercase()))
            }
            _ => true,
        }),
        other => actual == Some(other.to_string().as_str()),
    }
}

/// Whether a memory satisfies a mem0 filter expression (AND/OR/NOT, entity
/// ids with `*`/`in`/`ne`, `categories`, `created_at`/`updated_at` ranges, `metadata`).
fn filter_matches(m: &Memory, f: &Value) -> bool {
    let Some(obj) = f.as_object() else {
        return true;
    };
    obj.iter().all(|(k, v)| match k.as_str() {
        "AND" => v.as_array().is_none_or(|a| a.iter().all(|x| filter_matches(m, x))),
        "OR" => v.as_array().is_none_or(|a| a.is_empty() || a.iter().any(|x| filter_matches(m, x))),
        "NOT" => v.as_array().is_none_or(|a| !a.iter().any(|x| filter_matches(m, x))),
        "categories" => match v {
            Value::Object(ops) => ops.iter().all(|(op, x)| match op.as_str() {
                "contains" => x.as_str().is_some_and(|c| m.categories.iter().any(|mc| mc == c)),
                "in" => x
                    .as_array()
                    .is_some_and(|a| a.iter().any(|c| m.categories.iter().any(|mc| Some(mc.as_str()) == c.as_str()))),
                _ => true,
            }),
            Value::String(c) => m.categories.contains(c),
            _ => true,
        },
        "metadata" => v.as_object().is_none_or(|want| want.iter().all(|(mk, mv)| m.metadata.get(mk) == Some(mv))),
        "user_id" | "agent_id" | "app_id" | "run_id" | "session_id" | "created_at" | "updated_at" | "id"
        | "memory_id" => value_matches(m.field(k), v),
        _ => true,
    })
}

/// Builds the effective filter: `filters` plus any top-level entity ids.
fn effective_filter(body: &Value) -> Value {
    let mut clauses = Vec::new();
    if let Some(f) = body.get("filters").filter(|f| !f.is_null()) {
        clauses.push(f.clone());
    }
    for k in ENTITY_KEYS {
        if let Some(v) = body.get(k).filter(|v| !v.is_null()) {
            clauses.push(json!({ k: v }));
        }
    }
    json!({ "AND": clauses })
}

fn has_entity(f: &Value) -> bool {
    match f {
        Value::Object(o) => o
            .iter()
            .any(|(k, v)| ENTITY_KEYS.contains(&k.as_str()) || (matches!(k.as_str(), "AND" | "OR") && has_entity(v))),
        Value::Array(a) => a.iter().any(has_entity),
        _ => false,
    }
}

// ---------------------------------------------------------------- handlers

async fn ping() -> Json<Value> {
    Json(json!({
        "status": "ok",
        "message": "API key is valid",
        "org_id": "org_fake0000000000",
        "project_id": "proj_fake000000000",
        "user_email": "tester@example.com"
    }))
}

/// Messages of an add call as (role, content) pairs.
fn messages(body: &Value) -> Result<Vec<(String, String)>, Response> {
    let list = match body.get("messages") {
        Some(Value::String(s)) => return Ok(vec![("user".into(), s.clone())]),
        Some(Value::Array(a)) if !a.is_empty() => a,
        _ => {
            return Err(bad(
                "Invalid input data. Please refer to the memory creation documentation at \
                 https://docs.mem0.ai/platform/quickstart#4-1-create-memories for correct formatting and required fields.",
            ))
        }
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

/// Entity ids of an add call: top-level, or inside `filters`.
fn entity(body: &Value, key: &str) -> Option<String> {
    body.get(key).or_else(|| body.get("filters").and_then(|f| f.get(key))).and_then(Value::as_str).map(str::to_string)
}

/// Applies an add to the store; returns the per-memory results.
fn apply_add(store: &mut Store, body: &Value, msgs: &[(String, String)]) -> Vec<Value> {
    let infer = body.get("infer").and_then(Value::as_bool).unwrap_or(true);
    let (user_id, agent_id, app_id, run_id) =
        (entity(body, "user_id"), entity(body, "agent_id"), entity(body, "app_id"), entity(body, "run_id"));
    let metadata = body.get("metadata").cloned().unwrap_or(Value::Null);
    let immutable = body.get("immutable").and_then(Value::as_bool).unwrap_or(false);
    let expiration_date = body.get("expiration_date").cloned().unwrap_or(Value::Null);
    let input: Vec<Value> = msgs.iter().map(|(r, c)| json!({"role": r, "content": c})).collect();
    let mut results = Vec::new();
    for (role, content) in msgs {
        let text = content.trim().to_string();
        if text.is_empty() || (infer && role != "user") {
            continue;
        }
        if infer {
            let dup = store
                .memories
                .iter()
                .find(|m| m.text == text && m.user_id == user_id && m.agent_id == agent_id && m.run_id == run_id);
            if let Some(d) = dup {
                results.push(json!({"id": d.id, "memory": text, "event": "NONE", "data": {"memory": text}}));
                continue;
            }
        }
        let ts = now();
        let m = Memory {
            id: uuid::Uuid::new_v4().to_string(),
            categories: categorize(&text),
            text: text.clone(),
            user_id: user_id.clone(),
            agent_id: agent_id.clone(),
            app_id: app_id.clone(),
            run_id: run_id.clone(),
            metadata: metadata.clone(),
            immutable,
            expiration_date: expiration_date.clone(),
            created_at: ts.clone(),
            updated_at: ts,
        };
        push_history(store, &m, &input, None, Some(&text), "ADD");
        results.push(json!({"id": m.id, "memory": text, "event": "ADD", "data": {"memory": text}}));
        store.memories.push(m);
    }
    results
}

fn push_history(store: &mut Store, m: &Memory, input: &[Value], old: Option<&str>, new: Option<&str>, event: &str) {
    let ts = now();
    store.history.entry(m.id.clone()).or_default().push(json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "memory_id": m.id,
        "input": input,
        "old_memory": old,
        "new_memory": new,
        "user_id": m.user_id,
        "agent_id": m.agent_id,
        "app_id": m.app_id,
        "session_id": m.run_id,
        "categories": m.categories,
        "event": event,
        "metadata": m.metadata,
        "created_at": ts,
        "updated_at": ts
    }));
}

/// Records a new event; when `sync`, applies the add at once.
fn start_add(s: &Arc<Mem0State>, body: Value, msgs: Vec<(String, String)>, sync: bool) -> (String, Vec<Value>) {
    let id = uuid::Uuid::new_v4().to_string();
    let ts = now();
    let mut store = lock(&s.store);
    let mut ev = Event {
        id: id.clone(),
        status: "PENDING",
        payload: body.clone(),
        results: Vec::new(),
        created_at: ts.clone(),
        updated_at: ts,
    };
    let mut results = Vec::new();
    if sync {
        results = apply_add(&mut store, &body, &msgs);
        ev.status = "SUCCEEDED";
        ev.results = results.clone();
    } else {
        let s2 = s.clone();
        let id2 = id.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(s2.cfg.async_delay_ms)).await;
            let mut store = lock(&s2.store);
            let res = apply_add(&mut store, &body, &msgs);
            if let Some(ev) = store.events.get_mut(&id2) {
                ev.status = "SUCCEEDED";
                ev.results = res;
                ev.updated_at = now();
            }
        });
    }
    store.events.insert(id.clone(), ev);
    (id, results)
}

fn check_add(body: &Value) -> Result<Vec<(String, String)>, Response> {
    let msgs = messages(body)?;
    if !ENTITY_KEYS.iter().any(|k| entity(body, k).is_some()) {
        return Err(bad("At least one of the filters: agent_id, user_id, app_id, run_id is required!"));
    }
    Ok(msgs)
}

/// `POST /v1/memories/`: async (default) or sync; the answer is a bare list
/// unless `version=v2` and `output_format=v1.1`, which wrap it in `results`.
async fn add_v1(State(s): State<Arc<Mem0State>>, body: Bytes) -> Response {
    let body = match parse_json(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let msgs = match check_add(&body) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let sync = body.get("async_mode").and_then(Value::as_bool) == Some(false);
    let wrapped = body.get("output_format").and_then(Value::as_str) == Some("v1.1")
        && body.get("version").and_then(Value::as_str) == Some("v2");
    let (event_id, results) = start_add(&s, body, msgs, sync);
    let list = if sync {
        results
    } else {
        vec![json!({
            "message": "Memory processing has been queued for background execution",
            "status": "PENDING",
            "event_id": event_id
        })]
    };
    if wrapped {
        Json(json!({"results": list, "relations": []})).into_response()
    } else {
        Json(Value::Array(list)).into_response()
    }
}

/// `POST /v3/memories/add/`: `infer=false` is synchronous, otherwise queued.
async fn add_v3(State(s): State<Arc<Mem0State>>, body: Bytes) -> Response {
    let body = match parse_json(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let msgs = match check_add(&body) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let sync = body.get("infer").and_then(Value::as_bool) == Some(false);
    let (event_id, results) = start_add(&s, body, msgs, sync);
    if sync {
        Json(json!({
            "message": "Memories added successfully",
            "status": "SUCCEEDED",
            "event_id": event_id,
            "results": results
        }))
        .into_response()
    } else {
        Json(json!({"event_id": event_id, "status": "PENDING"})).into_response()
    }
}

fn run_search(s: &Mem0State, body: &Value, default_threshold: f64) -> Result<Vec<Value>, Response> {
    let Some(query) = body.get("query").and_then(Value::as_str).filter(|q| !q.trim().is_empty()) else {
        return Err(bad("query is required and cannot be empty."));
    };
    let filter = effective_filter(body);
    let top_k = body.get("top_k").and_then(Value::as_u64).unwrap_or(10).clamp(1, 1000) as usize;
    let threshold = body.get("threshold").and_then(Value::as_f64).unwrap_or(default_threshold);
    let store = lock(&s.store);
    let mut hits: Vec<(f64, usize, &Memory)> = store
        .memories
        .iter()
        .enumerate()
        .filter(|(_, m)| filter_matches(m, &filter))
        .map(|(i, m)| (score(query, &m.text), i, m))
        .filter(|(sc, _, _)| *sc >= threshold)
        .collect();
    hits.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
    Ok(hits.into_iter().take(top_k).map(|(sc, _, m)| m.to_json(Some(sc))).collect())
}

fn require_filters(body: &Value, v3: bool) -> Result<(), Response> {
    if v3 {
        if let Some(k) = ENTITY_KEYS.iter().find(|k| body.get(**k).is_some()) {
            return Err(bad(&format!(
                "Top-level entity parameter '{k}' is not supported. Use filters={{'{k}': '...'}} instead."
            )));
        }
    }
    let f = effective_filter(body);
    if !has_entity(&f) {
        return Err(bad("Filters are required and must contain at least one of: user_id, agent_id, app_id, run_id."));
    }
    Ok(())
}

/// `POST /v1/memories/search/`: a bare list (or `{"results"}` with `output_format=v1.1`).
async fn search_v1(State(s): State<Arc<Mem0State>>, body: Bytes) -> Response {
    search_legacy(&s, body, false)
}

/// `POST /v2/memories/search/`: like v1, but entity ids are required.
async fn search_v2(State(s): State<Arc<Mem0State>>, body: Bytes) -> Response {
    search_legacy(&s, body, true)
}

fn search_legacy(s: &Mem0State, body: Bytes, need_filters: bool) -> Response {
    let body = match parse_json(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if need_filters {
        if let Err(r) = require_filters(&body, false) {
            return r;
        }
    }
    match run_search(s, &body, 0.0) {
        Ok(list) if body.get("output_format").and_then(Value::as_str) == Some("v1.1") => {
            Json(json!({ "results": list })).into_response()
        }
        Ok(list) => Json(Value::Array(list)).into_response(),
        Err(r) => r,
    }
}

/// `POST /v3/memories/search/`: `{"results": [...]}`, default threshold 0.1.
async fn search_v3(State(s): State<Arc<Mem0State>>, body: Bytes) -> Response {
    let body = match parse_json(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Err(r) = require_filters(&body, true) {
        return r;
    }
    match run_search(&s, &body, 0.1) {
        Ok(list) => Json(json!({ "results": list })).into_response(),
        Err(r) => r,
    }
}

fn matching(s: &Mem0State, filter: &Value) -> Vec<Value> {
    lock(&s.store).memories.iter().filter(|m| filter_matches(m, filter)).map(|m| m.to_json(None)).collect()
}

/// `GET /v1/memories/?user_id=…`: a bare list.
async fn list_v1(State(s): State<Arc<Mem0State>>, RawQuery(q): RawQuery) -> Response {
    let query = control::parse_query(q.as_deref());
    let mut body = Map::new();
    for k in ENTITY_KEYS {
        if let Some(v) = query.get(k) {
            body.insert(k.into(), json!(v));
        }
    }
    Json(Value::Array(matching(&s, &effective_filter(&Value::Object(body))))).into_response()
}

fn paginate(all: Vec<Value>, page: usize, size: usize, base: &str) -> Value {
    let count = all.len();
    let start = (page - 1) * size;
    let results: Vec<Value> = all.into_iter().skip(start).take(size).collect();
    let next = (start + size < count).then(|| format!("{base}?page={}&page_size={size}", page + 1));
    let previous = (page > 1).then(|| format!("{base}?page={}&page_size={size}", page - 1));
    json!({"count": count, "next": next, "previous": previous, "results": results})
}

fn page_params(q: &BTreeMap<String, String>) -> Result<Option<(usize, usize)>, Response> {
    match (q.get("page"), q.get("page_size")) {
        (None, None) => Ok(None),
        (p, sz) => {
            let page = p.map_or(Ok(1), |v| v.parse::<usize>()).ok().filter(|p| *p >= 1);
            let size = sz.map_or(Ok(100), |v| v.parse::<usize>()).ok().filter(|s| *s >= 1);
            match (page, size) {
                (Some(p), Some(s)) => Ok(Some((p, s.min(1000)))),
                _ => Err(err(StatusCode::NOT_FOUND, "detail", "Invalid page.")),
            }
        }
    }
}

fn base_url(headers: &HeaderMap, path: &str) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    format!("http://{host}{path}")
}

/// `POST /v2/memories/`: paginated with `page`/`page_size`, else a bare list.
async fn list_v2(State(s): State<Arc<Mem0State>>, RawQuery(q): RawQuery, headers: HeaderMap, body: Bytes) -> Response {
    let body = match parse_json(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Err(r) = require_filters(&body, false) {
        return r;
    }
    let all = matching(&s, &effective_filter(&body));
    match page_params(&control::parse_query(q.as_deref())) {
        Err(r) => r,
        Ok(None) => Json(Value::Array(all)).into_response(),
        Ok(Some((p, n))) => Json(paginate(all, p, n, &base_url(&headers, "/v2/memories/"))).into_response(),
    }
}

/// `POST /v3/memories/`: always the paginated envelope.
async fn list_v3(State(s): State<Arc<Mem0State>>, RawQuery(q): RawQuery, headers: HeaderMap, body: Bytes) -> Response {
    let body = match parse_json(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Err(r) = require_filters(&body, true) {
        return r;
    }
    let all = matching(&s, &effective_filter(&body));
    match page_params(&control::parse_query(q.as_deref())) {
        Err(r) => r,
        Ok(pp) => {
            let (p, n) = pp.unwrap_or((1, 100));
            Json(paginate(all, p, n, &base_url(&headers, "/v3/memories/"))).into_response()
        }
    }
}

fn valid_id(id: &str) -> Result<(), Response> {
    uuid::Uuid::parse_str(id).map(|_| ()).map_err(|_| bad("memory_id should be a valid UUID"))
}

async fn get_memory(State(s): State<Arc<Mem0State>>, Path(id): Path<String>) -> Response {
    if let Err(r) = valid_id(&id) {
        return r;
    }
    let store = lock(&s.store);
    match store.memories.iter().find(|m| m.id == id) {
        Some(m) => Json(m.to_json(None)).into_response(),
        None => not_found(),
    }
}

/// Updates text and/or metadata of one memory, recording history.
fn update_one(store: &mut Store, id: &str, change: &Value) -> Result<Value, Response> {
    let Some(i) = store.memories.iter().position(|m| m.id == id) else {
        return Err(not_found());
    };
    let mut m = store.memories[i].clone();
    if m.immutable {
        return Err(bad("Immutable memories cannot be updated."));
    }
    let old = m.text.clone();
    let text = change.get("text").and_then(Value::as_str);
    if text.is_none() && change.get("metadata").is_none() && change.get("expiration_date").is_none() {
        return Err(bad("Either text or metadata must be provided for update."));
    }
    if let Some(t) = text {
        m.text = t.to_string();
        m.categories = categorize(t);
    }
    if let Some(md) = change.get("metadata") {
        m.metadata = md.clone();
    }
    if let Some(ed) = change.get("expiration_date") {
        m.expiration_date = ed.clone();
    }
    m.updated_at = now();
    let new = m.text.clone();
    push_history(store, &m, &[], Some(&old), Some(&new), "UPDATE");
    let out = m.to_json(None);
    store.memories[i] = m;
    Ok(out)
}

async fn update_memory(State(s): State<Arc<Mem0State>>, Path(id): Path<String>, body: Bytes) -> Response {
    if let Err(r) = valid_id(&id) {
        return r;
    }
    let body = match parse_json(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    match update_one(&mut lock(&s.store), &id, &body) {
        Ok(v) => Json(v).into_response(),
        Err(r) => r,
    }
}

fn delete_one(store: &mut Store, id: &str) -> bool {
    let Some(i) = store.memories.iter().position(|m| m.id == id) else {
        return false;
    };
    let m = store.memories.remove(i);
    push_history(store, &m, &[], Some(&m.text), None, "DELETE");
    true
}

async fn delete_memory(State(s): State<Arc<Mem0State>>, Path(id): Path<String>) -> Response {
    if let Err(r) = valid_id(&id) {
        return r;
    }
    if delete_one(&mut lock(&s.store), &id) {
        Json(json!({"message": "Memory deleted successfully!"})).into_response()
    } else {
        not_found()
    }
}

/// `DELETE /v1/memories/?user_id=…` (at least one entity id required).
async fn delete_all(State(s): State<Arc<Mem0State>>, RawQuery(q): RawQuery) -> Response {
    let query = control::parse_query(q.as_deref());
    let mut body = Map::new();
    for k in ENTITY_KEYS {
        if let Some(v) = query.get(k) {
            body.insert(k.into(), json!(v));
        }
    }
    if body.is_empty() {
        return bad(
            "At least one filter is required to delete all memories. If you want to delete all memories, use the `reset()` method.",
        );
    }
    let filter = effective_filter(&Value::Object(body));
    let mut store = lock(&s.store);
    let ids: Vec<String> = store.memories.iter().filter(|m| filter_matches(m, &filter)).map(|m| m.id.clone()).collect();
    for id in &ids {
        delete_one(&mut store, id);
    }
    Json(json!({"message": "Memories deleted successfully!"})).into_response()
}

async fn history(State(s): State<Arc<Mem0State>>, Path(id): Path<String>) -> Response {
    if let Err(r) = valid_id(&id) {
        return r;
    }
    match lock(&s.store).history.get(&id) {
        Some(h) => Json(Value::Array(h.clone())).into_response(),
        None => not_found(),
    }
}

fn batch_list(body: &Bytes) -> Result<Vec<Value>, Response> {
    let body = parse_json(body)?;
    let list = body.get("memories").and_then(Value::as_array).cloned().ok_or_else(|| bad("memories is required."))?;
    if list.len() > 1000 {
        return Err(bad("Maximum of 1000 memories can be updated in a single request"));
    }
    Ok(list)
}

async fn batch_update(State(s): State<Arc<Mem0State>>, body: Bytes) -> Response {
    let list = match batch_list(&body) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let mut store = lock(&s.store);
    for item in &list {
        let id = item.get("memory_id").and_then(Value::as_str).unwrap_or_default();
        if let Err(r) = update_one(&mut store, id, item) {
            return r;
        }
    }
    Json(json!({"message": format!("Successfully updated {} memories", list.len())})).into_response()
}

async fn batch_delete(State(s): State<Arc<Mem0State>>, body: Bytes) -> Response {
    let list = match batch_list(&body) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let mut store = lock(&s.store);
    let mut n = 0;
    for item in &list {
        let id = item.get("memory_id").and_then(Value::as_str).unwrap_or_default();
        if delete_one(&mut store, id) {
            n += 1;
        }
    }
    Json(json!({"message": format!("Successfully deleted {n} memories")})).into_response()
}

async fn feedback(body: Bytes) -> Response {
    let body = match parse_json(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if body.get("memory_id").and_then(Value::as_str).is_none() {
        return bad("memory_id is required.");
    }
    let fb = body.get("feedback").cloned().unwrap_or(Value::Null);
    if !(fb.is_null() || matches!(fb.as_str(), Some("POSITIVE" | "NEGATIVE" | "VERY_NEGATIVE"))) {
        return bad("feedback must be one of POSITIVE, NEGATIVE, VERY_NEGATIVE or null.");
    }
    Json(json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "feedback": fb,
        "feedback_reason": body.get("feedback_reason").cloned().unwrap_or(Value::Null)
    }))
    .into_response()
}

async fn event(State(s): State<Arc<Mem0State>>, Path(id): Path<String>) -> Response {
    match lock(&s.store).events.get(&id) {
        Some(e) => Json(e.to_json()).into_response(),
        None => err(StatusCode::NOT_FOUND, "error", "Event not found or you don't have permission to access it."),
    }
}

/// `GET /v1/entities/`: the users (and agents, runs) that own memories.
async fn entities(State(s): State<Arc<Mem0State>>) -> Json<Value> {
    let store = lock(&s.store);
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    for m in &store.memories {
        for (kind, v) in [("user", &m.user_id), ("agent", &m.agent_id), ("run", &m.run_id)] {
            if let Some(v) = v {
                *seen.entry((kind.to_string(), v.clone())).or_default() += 1;
            }
        }
    }
    let results: Vec<Value> = seen
        .into_iter()
        .map(|((kind, name), n)| json!({"id": name, "name": name, "type": kind, "total_memories": n}))
        .collect();
    Json(json!({"count": results.len(), "results": results}))
}

/// `DELETE /v2/entities/{kind}/{name}/`: drops an entity's memories.
async fn delete_entity(State(s): State<Arc<Mem0State>>, Path((kind, name)): Path<(String, String)>) -> Response {
    let key = match kind.as_str() {
        "user" => "user_id",
        "agent" => "agent_id",
        "app" => "app_id",
        "run" => "run_id",
        _ => return bad("Invalid entity type."),
    };
    let filter = json!({ key: name });
    let mut store = lock(&s.store);
    let ids: Vec<String> = store.memories.iter().filter(|m| filter_matches(m, &filter)).map(|m| m.id.clone()).collect();
    for id in &ids {
        delete_one(&mut store, id);
    }
    Json(json!({"message": "Entity deleted successfully!"})).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_drop_short_and_stop_words() {
        assert_eq!(keywords("What does the user like to drink? Tea!"), vec!["drink", "tea"]);
    }

    #[test]
    fn score_is_fraction_of_query_words() {
        assert_eq!(score("veteran sleep problems", "I am a veteran and sleep badly"), 2.0 / 3.0);
        assert_eq!(score("a an", "anything"), 0.0);
    }

    #[test]
    fn categories_from_keywords() {
        assert_eq!(categorize("I was deployed and now see a therapist"), vec!["health", "personal_details"]);
        assert!(categorize("nothing here").is_empty());
    }
}
