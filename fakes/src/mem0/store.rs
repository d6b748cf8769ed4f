//! The Platform fake's store: memories, their history, and add / delete events; plus the
//! shapes each API generation renders a memory in (v3 search names the session `run_id`,
//! the v3 list and the v1 calls name it `session_id`, the old v1/v2 answers carry both).

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::categories::categorize;
use crate::filters::{self, Field, Filterable};
use crate::relevance::Hit;

/// Current time the way the fake writes timestamps.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
}

/// md5 hex of the memory text (the `hash` field).
pub fn hash(text: &str) -> String {
    format!("{:x}", md5::compute(text.as_bytes()))
}

/// One stored memory.
#[derive(Debug, Clone)]
pub struct Memory {
    pub id: String,
    pub text: String,
    pub user_id: Option<String>,
    pub agent_id: Option<String>,
    pub app_id: Option<String>,
    pub run_id: Option<String>,
    pub metadata: Value,
    pub categories: Vec<String>,
    pub immutable: bool,
    pub expiration_date: Value,
    pub created_at: String,
    pub updated_at: String,
    /// Stored verbatim by an `infer: false` add (those dedupe only among themselves).
    pub direct: bool,
}

impl Filterable for Memory {
    fn field(&self, key: &str) -> Field {
        let v = match key {
            "user_id" => self.user_id.as_deref(),
            "agent_id" => self.agent_id.as_deref(),
            "app_id" => self.app_id.as_deref(),
            "run_id" | "session_id" => self.run_id.as_deref(),
            "id" | "memory_id" => Some(self.id.as_str()),
            "created_at" => Some(self.created_at.as_str()),
            "updated_at" => Some(self.updated_at.as_str()),
            _ => return Field::Unknown,
        };
        Field::Known(v.map(str::to_string))
    }

    fn categories(&self) -> &[String] {
        &self.categories
    }

    fn metadata(&self, key: &str) -> Option<&Value> {
        self.metadata.get(key)
    }
}

impl Memory {
    /// The same scope (user, agent, app and run ids) as `other`.
    fn same_scope(&self, other: &Memory) -> bool {
        (&self.user_id, &self.agent_id, &self.app_id, &self.run_id)
            == (&other.user_id, &other.agent_id, &other.app_id, &other.run_id)
    }

    /// Whether the memory's `expiration_date` (YYYY-MM-DD) has passed.
    pub fn expired(&self) -> bool {
        let today = chrono::Utc::now().date_naive().to_string();
        self.expiration_date.as_str().is_some_and(|d| d < today.as_str())
    }

    /// The deprecated v1/v2 answers' item (both `run_id` and `session_id`, `hash`, `immutable`).
    pub fn legacy_json(&self, score: Option<f64>) -> Value {
        let mut o = self.common("run_id");
        o.insert("session_id".into(), json!(self.run_id));
        o.insert("hash".into(), json!(hash(&self.text)));
        o.insert("immutable".into(), json!(self.immutable));
        if let Some(s) = score {
            o.insert("score".into(), json!(s));
        }
        Value::Object(o)
    }

    /// An item of `POST /v3/memories/` and the answer of `GET`/`PUT /v1/memories/{id}/`.
    pub fn v3_json(&self) -> Value {
        let mut o = self.common("session_id");
        o.insert("structured_attributes".into(), Value::Null);
        o.insert("replaced_by".into(), Value::Null);
        o.insert("synthesized".into(), json!(false));
        Value::Object(o)
    }

    /// An item of `POST /v3/memories/search/`: `run_id`, the combined score and its breakdown.
    pub fn search_json(&self, hit: &Hit) -> Value {
        let mut o = self.common("run_id");
        o.insert("score".into(), json!(hit.score));
        o.insert("score_breakdown".into(), json!({"semantic": hit.semantic, "bm25": hit.bm25, "entity": hit.entity}));
        Value::Object(o)
    }

    fn common(&self, session_key: &str) -> Map<String, Value> {
        let mut o = Map::new();
        o.insert("id".into(), json!(self.id));
        o.insert("memory".into(), json!(self.text));
        o.insert("user_id".into(), json!(self.user_id));
        o.insert("agent_id".into(), json!(self.agent_id));
        o.insert("app_id".into(), json!(self.app_id));
        o.insert(session_key.into(), json!(self.run_id));
        o.insert("metadata".into(), self.metadata.clone());
        o.insert("categories".into(), json!(self.categories));
        o.insert("expiration_date".into(), self.expiration_date.clone());
        o.insert("created_at".into(), json!(self.created_at));
        o.insert("updated_at".into(), json!(self.updated_at));
        o
    }
}

/// Status of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventStatus {
    Pending,
    Running,
    Succeeded,
    Failed,
}

impl EventStatus {
    fn name(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Running => "RUNNING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
        }
    }
}

/// An add (or delete-all) event, as `GET /v1/event/{id}/` shows it.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: String,
    pub event_type: &'static str,
    pub status: EventStatus,
    pub payload: Value,
    /// What the event did, one `{id, event, user_id, data: {memory}}` per memory.
    pub results: Vec<Value>,
    pub error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    /// Milliseconds from creation to completion.
    pub latency_ms: Option<f64>,
}

impl Event {
    /// A new event in `status`, created now.
    pub fn new(event_type: &'static str, status: EventStatus, payload: Value) -> Self {
        let ts = now();
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            event_type,
            status,
            payload,
            results: Vec::new(),
            error: None,
            created_at: ts.clone(),
            updated_at: ts,
            started_at: None,
            completed_at: None,
            latency_ms: None,
        }
    }

    /// Moves the event to `status` now; a final status records completion and latency.
    pub fn set_status(&mut self, status: EventStatus) {
        let ts = now();
        if self.started_at.is_none() && status != EventStatus::Pending {
            self.started_at = Some(ts.clone());
        }
        if matches!(status, EventStatus::Succeeded | EventStatus::Failed) {
            self.completed_at = Some(ts.clone());
            let ms = |t: &str| chrono::DateTime::parse_from_rfc3339(t).map(|d| d.timestamp_micros()).unwrap_or(0);
            self.latency_ms = Some((ms(&ts) - ms(&self.created_at)) as f64 / 1000.0);
        }
        self.status = status;
        self.updated_at = ts;
    }

    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "event_type": self.event_type,
            "status": self.status.name(),
            "payload": self.payload,
            "metadata": null,
            "results": self.results,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "started_at": self.started_at,
            "completed_at": self.completed_at,
            "latency": self.latency_ms,
            "graph_status": null,
            "error": self.error
        })
    }
}

/// What an add does with its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddMode {
    /// The old v1 extraction: each user message, `NONE` for one already stored.
    Legacy,
    /// The v3 extraction (ADD only): each user message not already stored in the scope.
    Infer,
    /// `infer: false`: every user and assistant message verbatim; exact repeats of earlier
    /// verbatim memories in the scope are skipped.
    Direct,
}

/// One memory an add touched.
#[derive(Debug, Clone)]
pub struct Added {
    pub id: String,
    pub text: String,
    pub user_id: Option<String>,
    /// `ADD`, or `NONE` (legacy: already stored).
    pub event: &'static str,
}

impl Added {
    /// The item of an event's `results`.
    pub fn event_json(&self) -> Value {
        json!({"id": self.id, "event": self.event, "user_id": self.user_id, "data": {"memory": self.text}})
    }
}

/// All state of the Platform fake.
#[derive(Debug, Default)]
pub struct Store {
    pub memories: Vec<Memory>,
    history: HashMap<String, Vec<Value>>,
    pub events: HashMap<String, Event>,
    /// Bumped on reset, so a queued add from before a reset does not land after it.
    pub generation: u64,
}

/// Entity id of an add: top-level, or inside `filters`; an empty string counts as absent.
pub fn entity(body: &Value, key: &str) -> Option<String> {
    body.get(key)
        .or_else(|| body.get("filters").and_then(|f| f.get(key)))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl Store {
    /// Forgets everything (and orphans queued adds).
    pub fn reset(&mut self) {
        *self = Store { generation: self.generation + 1, ..Store::default() };
    }

    /// The memories matching a filter expression, oldest first.
    pub fn matching(&self, filter: &Value) -> Vec<&Memory> {
        self.memories.iter().filter(|m| filters::matches(*m, filter)).collect()
    }

    pub fn find(&self, id: &str) -> Option<&Memory> {
        self.memories.iter().find(|m| m.id == id)
    }

    pub fn history(&self, id: &str) -> Option<&Vec<Value>> {
        self.history.get(id)
    }

    /// Applies an add to the store; returns the memories it touched.
    pub fn apply_add(&mut self, body: &Value, msgs: &[(String, String)], mode: AddMode) -> Vec<Added> {
        let ts = now();
        let template = Memory {
            id: String::new(),
            text: String::new(),
            user_id: entity(body, "user_id"),
            agent_id: entity(body, "agent_id"),
            app_id: entity(body, "app_id"),
            run_id: entity(body, "run_id"),
            metadata: body.get("metadata").cloned().unwrap_or(Value::Null),
            categories: Vec::new(),
            immutable: body.get("immutable").and_then(Value::as_bool).unwrap_or(false),
            expiration_date: body.get("expiration_date").cloned().unwrap_or(Value::Null),
            created_at: ts.clone(),
            updated_at: ts,
            direct: mode == AddMode::Direct,
        };
        let input: Vec<Value> = msgs.iter().map(|(r, c)| json!({"role": r, "content": c})).collect();
        let mut added = Vec::new();
        for (role, content) in msgs {
            let text = content.trim().to_string();
            let wanted = match mode {
                AddMode::Legacy | AddMode::Infer => role == "user",
                AddMode::Direct => role != "system",
            };
            if text.is_empty() || !wanted {
                continue;
            }
            // Verbatim and extracted memories are deduplicated separately (the Platform's
            // direct import does not check extracted memories, nor they it).
            let comparable = |m: &Memory| match mode {
                AddMode::Legacy => true,
                AddMode::Infer => !m.direct,
                AddMode::Direct => m.direct,
            };
            let existing = self.memories.iter().find(|m| m.text == text && m.same_scope(&template) && comparable(m));
            match (existing, mode) {
                (Some(d), AddMode::Legacy) => {
                    added.push(Added { id: d.id.clone(), text, user_id: d.user_id.clone(), event: "NONE" });
                    continue;
                }
                (Some(_), _) => continue,
                (None, _) => {}
            }
            let m = Memory {
                id: uuid::Uuid::new_v4().to_string(),
                categories: categorize(&text),
                text: text.clone(),
                ..template.clone()
            };
            self.push_history(&m, &input, None, Some(&text), "ADD");
            added.push(Added { id: m.id.clone(), text, user_id: m.user_id.clone(), event: "ADD" });
            self.memories.push(m);
        }
        added
    }

    fn push_history(&mut self, m: &Memory, input: &[Value], old: Option<&str>, new: Option<&str>, event: &str) {
        let ts = now();
        self.history.entry(m.id.clone()).or_default().push(json!({
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

    /// Updates text, metadata and/or expiration date of one memory, recording history.
    /// `Err` carries the refusal text; `Ok(None)` means no such memory.
    pub fn update(&mut self, id: &str, change: &Value) -> Result<Option<&Memory>, &'static str> {
        let Some(i) = self.memories.iter().position(|m| m.id == id) else {
            return Ok(None);
        };
        let mut m = self.memories[i].clone();
        if m.immutable {
            return Err("Immutable memories cannot be updated.");
        }
        let text = change.get("text").and_then(Value::as_str);
        if text.is_none() && change.get("metadata").is_none() && change.get("expiration_date").is_none() {
            return Err("Either text or metadata must be provided for update.");
        }
        let old = m.text.clone();
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
        self.push_history(&m, &[], Some(&old), Some(&new), "UPDATE");
        self.memories[i] = m;
        Ok(self.memories.get(i))
    }

    /// Deletes one memory (its history stays); `None` when there is no such memory.
    pub fn delete(&mut self, id: &str) -> Option<Memory> {
        let i = self.memories.iter().position(|m| m.id == id)?;
        let m = self.memories.remove(i);
        self.push_history(&m, &[], Some(&m.text), None, "DELETE");
        Some(m)
    }
}
