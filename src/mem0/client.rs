//! The browser client for a memory service: any [`MemoryBackend`] plus where to reach it (a base
//! URL — the service itself, or our proxy — and the user's key when the page holds one).

use super::backend::{has_dot_segment, AddAnswer, Capabilities, EventStatus, HttpCall, MemoryBackend, MemoryChange};
use super::error::Mem0Error;
use super::user_id::UserId;
use super::wire::{HistoryEntry, Memory, TurnWrite};
use crate::web::fetch::{self as http, FetchError};
use serde_json::Value;
use std::rc::Rc;
use web_sys::AbortSignal;

/// How many pages the list call follows at most.
const MAX_PAGES: u32 = 50;
/// How many memories a search asks for.
const SEARCH_TOP_K: u32 = 8;

/// Where a memory service is reached (pure data, decided by the settings' routing).
#[derive(Clone, Debug, PartialEq)]
pub struct Connection {
    pub base_url: String,
    /// Sent in the backend's key header; `None` when our proxy adds its own.
    pub api_key: Option<String>,
    /// Calls go straight from the browser to the service (not through our proxy).
    pub direct: bool,
}

#[derive(Clone)]
pub struct MemoryClient {
    backend: Rc<dyn MemoryBackend>,
    connection: Connection,
}

impl MemoryClient {
    pub fn new(backend: Rc<dyn MemoryBackend>, connection: Connection) -> Self {
        Self { backend, connection }
    }

    pub fn capabilities(&self) -> Capabilities {
        self.backend.capabilities()
    }

    /// Where the service is reached (with the user id, says whose memories a list is).
    pub fn base_url(&self) -> &str {
        &self.connection.base_url
    }

    async fn call(&self, call: HttpCall, signal: Option<&AbortSignal>) -> Result<Value, Mem0Error> {
        if has_dot_segment(&call.path) {
            // An id of `.` or `..`: even encoded (`%2E%2E`) the browser would resolve it and send
            // the call elsewhere. No memory can be reached by it (the proxy answers such ids 404).
            return Err(Mem0Error::NotFound { detail: "no memory has that id".into() });
        }
        let direct = self.connection.direct;
        let url = format!("{}{}", self.connection.base_url.trim_end_matches('/'), call.path);
        let auth = self.connection.api_key.as_deref().map(|k| self.backend.auth_header(k));
        let headers: Vec<(&str, &str)> = auth.iter().map(|(name, value)| (*name, value.as_str())).collect();
        let body_text = call.body.as_ref().map(Value::to_string);
        let response =
            http::send(call.method, &url, &headers, body_text.as_deref(), signal).await.map_err(|e| match e {
                FetchError::Aborted => Mem0Error::Timeout,
                FetchError::Network(_) if !crate::web::is_online() => Mem0Error::Offline,
                FetchError::Network(_) => Mem0Error::Unreachable { direct },
            })?;
        let status = response.status();
        let retry_after = response.headers().get("retry-after").ok().flatten();
        let text = http::text(&response).await.map_err(|_| Mem0Error::Unreachable { direct })?;
        if !(200..300).contains(&status) {
            return Err(match Mem0Error::from_status(status, retry_after.as_deref(), &text) {
                Mem0Error::Unauthorized { code } if self.connection.api_key.is_none() => {
                    Mem0Error::ServerKeyRefused { code }
                }
                other => other,
            });
        }
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(|_| Mem0Error::BadResponse)
    }

    /// Memories relevant to `query`, best first.
    pub async fn search(
        &self,
        user: &UserId,
        query: &str,
        signal: Option<&AbortSignal>,
    ) -> Result<Vec<Memory>, Mem0Error> {
        let answer = self.call(self.backend.search(user, query, SEARCH_TOP_K), signal).await?;
        Ok(self.backend.read_memories(answer))
    }

    /// Sends one waiting write (its user id is checked first: nothing is sent for a bad one).
    pub async fn add(&self, write: &TurnWrite) -> Result<AddAnswer, Mem0Error> {
        let user = UserId::parse(&write.user_id)?;
        let answer = self.call(self.backend.add(&user, write), None).await?;
        Ok(self.backend.read_add(&answer))
    }

    /// All memories of a user (every page).
    pub async fn list_all(&self, user: &UserId) -> Result<Vec<Memory>, Mem0Error> {
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let page = self.backend.read_page(self.call(self.backend.list_page(user, page), None).await?);
            all.extend(page.memories);
            if page.next.is_none() {
                break;
            }
        }
        Ok(all)
    }

    /// One memory as stored now (`None`: there is no such memory any more).
    pub async fn get(&self, memory_id: &str) -> Result<Option<Memory>, Mem0Error> {
        match self.call(self.backend.get(memory_id), None).await {
            Ok(answer) => Ok(self.backend.read_memory(answer)),
            Err(Mem0Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn update(&self, memory_id: &str, change: &MemoryChange) -> Result<(), Mem0Error> {
        self.call(self.backend.update(memory_id, change), None).await.map(drop)
    }

    pub async fn delete(&self, memory_id: &str) -> Result<(), Mem0Error> {
        self.call(self.backend.delete(memory_id), None).await.map(drop)
    }

    pub async fn delete_all(&self, user: &UserId) -> Result<(), Mem0Error> {
        self.call(self.backend.delete_all(user), None).await.map(drop)
    }

    pub async fn history(&self, memory_id: &str) -> Result<Vec<HistoryEntry>, Mem0Error> {
        let answer = self.call(self.backend.history(memory_id), None).await?;
        Ok(self.backend.read_history(answer))
    }

    /// Sends feedback; does nothing on a backend without feedback (its view offers none).
    pub async fn feedback(&self, memory_id: &str, useful: bool) -> Result<(), Mem0Error> {
        match self.backend.feedback(memory_id, useful) {
            Some(call) => self.call(call, None).await.map(drop),
            None => Ok(()),
        }
    }

    /// Where a queued add stands. (Only the Platform queues adds; a backend without events
    /// answers its adds at once, so it is never asked.)
    pub async fn event_status(&self, event_id: &str) -> Result<EventStatus, Mem0Error> {
        match self.backend.event(event_id) {
            Some(call) => Ok(self.backend.read_event(&self.call(call, None).await?)),
            None => Ok(EventStatus::Succeeded { saved: Vec::new() }),
        }
    }
}
