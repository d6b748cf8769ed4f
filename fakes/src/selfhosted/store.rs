//! The self-hosted fake's store, shaped like the open-source `Memory` class over the server's
//! default stores: each memory is an id plus a flat payload (`data`, `hash`, timestamps, the
//! entity ids, `role` for verbatim adds, and the caller's metadata keys), and a history table
//! of ADD / UPDATE / DELETE rows.

use serde_json::{json, Map, Value};

use crate::filters::{self, Field, Filterable};

/// Payload keys the server lifts to the top level of a memory item.
const PROMOTED: [&str; 7] = ["user_id", "agent_id", "run_id", "actor_id", "role", "attributed_to", "expiration_date"];
/// Payload keys that are neither promoted nor metadata.
const CORE: [&str; 6] = ["data", "hash", "created_at", "updated_at", "id", "text_lemmatized"];
/// Keys a caller's metadata may not set (the scope comes from the entity ids).
pub const IDENTITY: [&str; 4] = ["user_id", "agent_id", "run_id", "actor_id"];

/// Current time as Python's `datetime.now(timezone.utc).isoformat()` writes it.
pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

fn md5_hex(text: &str) -> String {
    format!("{:x}", md5::compute(text.as_bytes()))
}

/// Whether an item carries a score: absent (lists), `null` (one memory), or a value (search).
#[derive(Debug, Clone, Copy)]
pub enum Score {
    Absent,
    Null,
    Of(f64),
}

/// One stored memory.
#[derive(Debug, Clone)]
pub struct Memory {
    pub id: String,
    pub payload: Map<String, Value>,
}

impl Filterable for Memory {
    fn field(&self, key: &str) -> Field {
        Field::Known(self.payload.get(key).and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }))
    }
}

impl Memory {
    pub fn text(&self) -> &str {
        self.payload.get("data").and_then(Value::as_str).unwrap_or_default()
    }

    /// Hidden from lists and searches once its `expiration_date` has passed.
    pub fn expired(&self) -> bool {
        let today = chrono::Utc::now().date_naive().to_string();
        self.payload.get("expiration_date").and_then(Value::as_str).is_some_and(|d| d < today.as_str())
    }

    /// The item `get`, `get_all` and `search` answer (the core library's `MemoryItem`).
    pub fn item(&self, score: Score) -> Value {
        let p = &self.payload;
        let mut o = Map::new();
        o.insert("id".into(), json!(self.id));
        o.insert("memory".into(), json!(self.text()));
        o.insert("hash".into(), p.get("hash").cloned().unwrap_or(Value::Null));
        let metadata: Map<String, Value> = p
            .iter()
            .filter(|(k, _)| !CORE.contains(&k.as_str()) && !PROMOTED.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        o.insert("metadata".into(), if metadata.is_empty() { Value::Null } else { Value::Object(metadata) });
        match score {
            Score::Absent => {}
            Score::Null => {
                o.insert("score".into(), Value::Null);
            }
            Score::Of(s) => {
                o.insert("score".into(), json!(s));
            }
        }
        o.insert("created_at".into(), p.get("created_at").cloned().unwrap_or(Value::Null));
        o.insert("updated_at".into(), p.get("updated_at").cloned().unwrap_or(Value::Null));
        for key in PROMOTED {
            if let Some(v) = p.get(key) {
                o.insert(key.into(), v.clone());
            }
        }
        Value::Object(o)
    }

    /// The item of the admin's unscoped listing (the server serialises the raw row).
    pub fn raw_item(&self) -> Value {
        let p = &self.payload;
        let reserved = ["data", "user_id", "agent_id", "run_id", "hash", "created_at", "updated_at", "expiration_date"];
        let metadata: Map<String, Value> =
            p.iter().filter(|(k, _)| !reserved.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
        let get = |k: &str| p.get(k).cloned().unwrap_or(Value::Null);
        json!({
            "id": self.id, "memory": get("data"), "user_id": get("user_id"), "agent_id": get("agent_id"),
            "run_id": get("run_id"), "hash": get("hash"), "expiration_date": get("expiration_date"),
            "metadata": metadata, "created_at": get("created_at"), "updated_at": get("updated_at")
        })
    }
}

/// The memories and the history table.
#[derive(Debug, Default)]
pub struct Store {
    memories: Vec<Memory>,
    history: Vec<Value>,
}

impl Store {
    pub fn get(&self, id: &str) -> Option<&Memory> {
        self.memories.iter().find(|m| m.id == id)
    }

    pub fn all(&self) -> &[Memory] {
        &self.memories
    }

    /// The memories matching a filter expression, oldest first.
    pub fn matching(&self, filter: &Value) -> Vec<&Memory> {
        self.memories.iter().filter(|m| filters::matches(*m, filter)).collect()
    }

    fn record(
        &mut self,
        memory_id: &str,
        old: Option<&str>,
        new: Option<&str>,
        event: &str,
        times: (Value, Value),
        m: &Memory,
    ) {
        self.history.push(json!({
            "id": uuid::Uuid::new_v4().to_string(), "memory_id": memory_id, "old_memory": old, "new_memory": new,
            "event": event, "created_at": times.0, "updated_at": times.1, "is_deleted": event == "DELETE",
            "actor_id": m.payload.get("actor_id"), "role": m.payload.get("role")
        }));
    }

    fn insert(&mut self, template: &Map<String, Value>, text: &str, role: Option<&str>) -> Memory {
        let mut payload = template.clone();
        if let Some(r) = role {
            payload.insert("role".into(), json!(r));
        }
        let ts = now();
        payload.insert("data".into(), json!(text));
        payload.insert("hash".into(), json!(md5_hex(text)));
        payload.insert("created_at".into(), json!(ts));
        payload.insert("updated_at".into(), json!(ts));
        let m = Memory { id: uuid::Uuid::new_v4().to_string(), payload };
        self.memories.push(m.clone());
        m
    }

    /// The fake's extraction: each non-blank user message becomes a memory, unless the same
    /// text (by hash) is already stored in the scope or earlier in this add. Answers
    /// `{id, memory, event: "ADD"}` per stored memory.
    pub fn add_inferred(&mut self, template: &Map<String, Value>, msgs: &[(String, String)]) -> Vec<Value> {
        let scope =
            |m: &Memory| ["user_id", "agent_id", "run_id"].iter().all(|k| m.payload.get(*k) == template.get(*k));
        let mut results = Vec::new();
        for (role, content) in msgs {
            let text = content.trim();
            if role != "user" || text.is_empty() {
                continue;
            }
            let hash = md5_hex(text);
            if self.memories.iter().any(|m| scope(m) && m.payload.get("hash") == Some(&json!(hash))) {
                continue;
            }
            let m = self.insert(template, text, None);
            let created = m.payload["created_at"].clone();
            self.record(&m.id, None, Some(text), "ADD", (created, Value::Null), &m);
            results.push(json!({"id": m.id, "memory": text, "event": "ADD"}));
        }
        results
    }

    /// `infer: false`: every message but the system's, verbatim, with its role. Answers
    /// `{id, memory, event: "ADD", actor_id, role}` per message.
    pub fn add_verbatim(&mut self, template: &Map<String, Value>, msgs: &[(String, String)]) -> Vec<Value> {
        let mut results = Vec::new();
        for (role, content) in msgs.iter().filter(|(role, _)| role != "system") {
            let m = self.insert(template, content, Some(role));
            let created = m.payload["created_at"].clone();
            self.record(&m.id, None, Some(content), "ADD", (created.clone(), created), &m);
            results.push(json!({"id": m.id, "memory": content, "event": "ADD", "actor_id": null, "role": role}));
        }
        results
    }

    /// Updates one memory; metadata merges into the payload (identity keys ignored) and an
    /// expiration date of `Some(None)` clears it. `false` when there is no such memory.
    pub fn update(
        &mut self,
        id: &str,
        text: Option<&str>,
        metadata: Option<&Map<String, Value>>,
        expiration: Option<Option<String>>,
    ) -> bool {
        let Some(i) = self.memories.iter().position(|m| m.id == id) else {
            return false;
        };
        let mut m = self.memories[i].clone();
        let old = m.text().to_string();
        let new = text.map_or_else(|| old.clone(), str::to_string);
        for (k, v) in metadata.into_iter().flatten() {
            if !IDENTITY.contains(&k.as_str()) {
                m.payload.insert(k.clone(), v.clone());
            }
        }
        if let Some(date) = expiration {
            m.payload.insert("expiration_date".into(), json!(date));
        }
        m.payload.insert("data".into(), json!(new));
        m.payload.insert("hash".into(), json!(md5_hex(&new)));
        m.payload.insert("updated_at".into(), json!(now()));
        let times = (m.payload["created_at"].clone(), m.payload["updated_at"].clone());
        self.record(id, Some(&old), Some(&new), "UPDATE", times, &m);
        self.memories[i] = m;
        true
    }

    /// Deletes one memory, recording a DELETE row; `false` when there is no such memory.
    pub fn delete(&mut self, id: &str) -> bool {
        let Some(i) = self.memories.iter().position(|m| m.id == id) else {
            return false;
        };
        let m = self.memories.remove(i);
        let times = (m.payload["created_at"].clone(), json!(now()));
        self.record(id, Some(m.text()), None, "DELETE", times, &m);
        true
    }

    /// Every history row of a memory id, oldest first (none for an unknown id).
    pub fn history(&self, id: &str) -> Vec<Value> {
        self.history.iter().filter(|h| h["memory_id"] == id).cloned().collect()
    }
}
