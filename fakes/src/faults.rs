//! Scripted faults shared by the two mem0 fakes (Platform and self-hosted): rules queued with
//! `POST /_fake/script` that delay matching requests, answer them with a chosen status and
//! body, or (Platform adds only) let the add through but fail its event.

use std::sync::Mutex;
use std::time::Duration;

use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::control::{lock, ScriptError};

/// A scripted fault or delay for matching requests.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
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
    /// Response body (default `{"detail": "<reason phrase>"}`).
    pub body: Option<Value>,
    /// Delay before answering (or before failing).
    pub delay_ms: Option<u64>,
    /// Platform adds only: the add is accepted as usual, but its event ends `FAILED` with
    /// this error text and stores nothing.
    pub fail_event: Option<String>,
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

    /// The scripted answer, when the rule has a status.
    fn response(self) -> Option<Response> {
        let status = StatusCode::from_u16(self.status?).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = self.body.unwrap_or_else(|| json!({"detail": status.canonical_reason().unwrap_or("Error")}));
        let mut resp = (status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        Some(resp)
    }
}

/// The queue of scripted rules of one fake.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<Rule>>,
}

impl Faults {
    /// Forgets every queued rule.
    pub fn clear(&self) {
        lock(&self.rules).clear();
    }

    /// Parses and appends rules; returns how many are queued.
    pub fn push(&self, steps: Vec<Value>) -> Result<usize, ScriptError> {
        let parsed = steps
            .into_iter()
            .enumerate()
            .map(|(index, v)| {
                let bad = |reason: String| ScriptError::BadStep { index, reason };
                let r: Rule = serde_json::from_value(v).map_err(|e| bad(e.to_string()))?;
                if r.status.is_none() && r.delay_ms.is_none() && r.fail_event.is_none() {
                    return Err(bad("needs `status`, `delay_ms` or `fail_event`".into()));
                }
                Ok(r)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut rules = lock(&self.rules);
        rules.extend(parsed);
        Ok(rules.len())
    }

    /// Consumes one use of the first matching rule of the wanted kind.
    fn take(&self, method: &Method, path: &str, event_fault: bool) -> Option<Rule> {
        let mut rules = lock(&self.rules);
        let i = rules.iter().position(|r| r.fail_event.is_some() == event_fault && r.matches(method, path))?;
        rules[i].times -= 1;
        let r = rules[i].clone();
        if rules[i].times == 0 {
            rules.remove(i);
        }
        Some(r)
    }

    /// Waits `latency_ms`, then applies the first matching HTTP rule: its delay, then its
    /// scripted answer. `None` means the request goes on to its handler.
    pub async fn intercept(&self, latency_ms: u64, method: &Method, path: &str) -> Option<Response> {
        if latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(latency_ms)).await;
        }
        let rule = self.take(method, path, false)?;
        if let Some(ms) = rule.delay_ms {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        rule.response()
    }

    /// The error text an add's event should fail with, if a `fail_event` rule matches.
    pub fn take_event_failure(&self, method: &Method, path: &str) -> Option<String> {
        self.take(method, path, true).and_then(|r| r.fail_event)
    }
}
