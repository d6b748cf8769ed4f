//! Browser client for the mem0 Platform API, behind the [`MemoryApi`] trait so that a second
//! backend (self-hosted mem0) is a new implementation, not a rewrite.

use super::error::Mem0Error;
use super::wire::{self, HistoryEntry, Memory};
use crate::http::{self, FetchError};
use serde_json::{json, Value};
use web_sys::AbortSignal;

/// Largest page the list call asks for, and how many pages it follows at most.
const PAGE_SIZE: u32 = 500;
const MAX_PAGES: u32 = 50;

/// What the app needs from a memory service.
#[allow(async_fn_in_trait)] // used from one thread (the browser's); futures need not be Send
pub trait MemoryApi {
    /// Memories relevant to `query`, best first.
    async fn search(&self, user_id: &str, query: &str, signal: Option<&AbortSignal>) -> Result<Vec<Memory>, Mem0Error>;
    /// Queues an add; returns its event id when the service gives one.
    async fn add(&self, body: &Value) -> Result<Option<String>, Mem0Error>;
    /// All memories of a user (every page).
    async fn list_all(&self, user_id: &str) -> Result<Vec<Memory>, Mem0Error>;
    async fn update(&self, memory_id: &str, text: &str) -> Result<(), Mem0Error>;
    async fn delete(&self, memory_id: &str) -> Result<(), Mem0Error>;
    async fn delete_all(&self, user_id: &str) -> Result<(), Mem0Error>;
    async fn history(&self, memory_id: &str) -> Result<Vec<HistoryEntry>, Mem0Error>;
    async fn feedback(&self, memory_id: &str, useful: bool) -> Result<(), Mem0Error>;
    /// `PENDING`, `RUNNING`, `SUCCEEDED` or `FAILED`.
    async fn event_status(&self, event_id: &str) -> Result<String, Mem0Error>;
}

/// The mem0 Platform: a base URL (the public API, or our proxy) and, in direct mode, a key
/// (sent only as `Authorization: Token …`).
#[derive(Clone, Debug, PartialEq)]
pub struct PlatformClient {
    pub base_url: String,
    pub api_key: Option<String>,
    /// Calls go straight from the browser to mem0 (not through our proxy).
    pub direct: bool,
}

impl PlatformClient {
    async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        signal: Option<&AbortSignal>,
    ) -> Result<Value, Mem0Error> {
        let url = format!("{}{path}", self.base_url.trim_end_matches('/'));
        let auth = self.api_key.as_deref().map(|k| format!("Token {}", k.trim()));
        let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("authorization", a.as_str())).collect();
        let body_text = body.map(Value::to_string);
        let response = http::send(method, &url, &headers, body_text.as_deref(), signal).await.map_err(|e| match e {
            FetchError::Aborted => Mem0Error::Timeout,
            FetchError::Network(_) => Mem0Error::Unreachable { direct: self.direct },
        })?;
        let status = response.status();
        let retry_after = response.headers().get("retry-after").ok().flatten();
        let text = http::text(&response).await.map_err(|_| Mem0Error::Unreachable { direct: self.direct })?;
        if !(200..300).contains(&status) {
            return Err(match Mem0Error::from_status(status, retry_after.as_deref(), &text) {
                Mem0Error::Unauthorized { code } if self.api_key.is_none() => Mem0Error::ServerKeyRefused { code },
                other => other,
            });
        }
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(|_| Mem0Error::BadResponse)
    }
}

fn encode(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}

impl MemoryApi for PlatformClient {
    async fn search(&self, user_id: &str, query: &str, signal: Option<&AbortSignal>) -> Result<Vec<Memory>, Mem0Error> {
        let body = wire::search_body(user_id, query, 8);
        Ok(wire::parse_memories(self.call("POST", "/v2/memories/search/", Some(&body), signal).await?))
    }

    async fn add(&self, body: &Value) -> Result<Option<String>, Mem0Error> {
        Ok(wire::add_event_id(&self.call("POST", "/v1/memories/", Some(body), None).await?))
    }

    async fn list_all(&self, user_id: &str) -> Result<Vec<Memory>, Mem0Error> {
        let body = json!({"filters": wire::user_filter(user_id)});
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let path = format!("/v2/memories/?page={page}&page_size={PAGE_SIZE}");
            let page = wire::parse_page(self.call("POST", &path, Some(&body), None).await?);
            all.extend(page.memories);
            if page.next.is_none() {
                break;
            }
        }
        Ok(all)
    }

    async fn update(&self, memory_id: &str, text: &str) -> Result<(), Mem0Error> {
        let path = format!("/v1/memories/{}/", encode(memory_id));
        self.call("PUT", &path, Some(&json!({"text": text})), None).await.map(drop)
    }

    async fn delete(&self, memory_id: &str) -> Result<(), Mem0Error> {
        self.call("DELETE", &format!("/v1/memories/{}/", encode(memory_id)), None, None).await.map(drop)
    }

    async fn delete_all(&self, user_id: &str) -> Result<(), Mem0Error> {
        self.call("DELETE", &format!("/v1/memories/?user_id={}", encode(user_id)), None, None).await.map(drop)
    }

    async fn history(&self, memory_id: &str) -> Result<Vec<HistoryEntry>, Mem0Error> {
        let path = format!("/v1/memories/{}/history/", encode(memory_id));
        Ok(wire::parse_history(self.call("GET", &path, None, None).await?))
    }

    async fn feedback(&self, memory_id: &str, useful: bool) -> Result<(), Mem0Error> {
        let feedback = if useful { "POSITIVE" } else { "NEGATIVE" };
        let body = json!({"memory_id": memory_id, "feedback": feedback, "feedback_reason": null});
        self.call("POST", "/v1/feedback/", Some(&body), None).await.map(drop)
    }

    async fn event_status(&self, event_id: &str) -> Result<String, Mem0Error> {
        let value = self.call("GET", &format!("/v1/event/{}/", encode(event_id)), None, None).await?;
        Ok(value.get("status").and_then(Value::as_str).unwrap_or("PENDING").to_owned())
    }
}
