//! Ownership checks made upstream with the server's key, for `/api/mem0/…` calls that name one
//! memory or event: the memory is read first and must carry the person's `user_id` (on both
//! backends `GET` of one memory answers its `user_id`); an event (Platform) is fetched and relayed
//! only when its `payload.user_id` — the add or delete-all request that created it, which the
//! proxy bound to the person — is theirs, or, for a payload without one, when every result names
//! them. Anything else looks like a missing memory or event (404), so ids of other people's data
//! reveal nothing.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use bytes::BytesMut;
use serde_json::Value;

use crate::error::{Api, AppError};
use crate::forward::relay::{relay, send};
use crate::mem0::Backend;
use crate::AppState;

/// Largest memory or event answer read for a check.
const MAX_CHECK_BYTES: usize = 4 * 1024 * 1024;

/// The outcome of a memory check.
#[derive(Debug)]
pub enum Verdict {
    /// The memory is the person's: forward the call.
    Owned,
    /// Send this answer instead (an upstream error such as 429, passed on as it came).
    Answer(Response),
}

/// Checks that memory `id` belongs to `person`.
pub async fn check_memory(
    state: &AppState,
    backend: Backend,
    id: &str,
    person: &str,
    client_headers: &HeaderMap,
) -> Result<Verdict, AppError> {
    let path = match backend {
        Backend::Platform => format!("/v1/memories/{id}/"),
        Backend::SelfHosted => format!("/memories/{id}"),
    };
    let url = state.mem0.url(&path, None).ok_or(AppError::NotFound(Some(Api::Mem0)))?;
    let headers = key_headers(client_headers);
    let resp = send(&state.client, &state.mem0, state.timeouts, Method::GET, url, &headers, Bytes::new()).await?;
    let status = resp.status().as_u16();
    if status == 404 {
        return Err(AppError::NotYours { what: "memory" });
    }
    if !(200..300).contains(&status) {
        return Ok(Verdict::Answer(relay(resp, Api::Mem0, state.timeouts.idle)));
    }
    let memory = read_json(resp, state.timeouts.idle).await?;
    // The self-hosted server answers `null` (200) for a memory it does not have.
    if memory.get("user_id").and_then(Value::as_str) == Some(person) {
        Ok(Verdict::Owned)
    } else {
        tracing::warn!("refused a call on a memory of someone else (or none)");
        Err(AppError::NotYours { what: "memory" })
    }
}

/// Fetches an event and answers it only if it belongs to `person`.
pub async fn relay_event(
    state: &AppState,
    url: reqwest::Url,
    person: &str,
    client_headers: &HeaderMap,
) -> Result<Response, AppError> {
    let headers = key_headers(client_headers);
    let resp = send(&state.client, &state.mem0, state.timeouts, Method::GET, url, &headers, Bytes::new()).await?;
    let status = resp.status();
    if !status.is_success() {
        return Ok(relay(resp, Api::Mem0, state.timeouts.idle));
    }
    let content_type = resp.headers().get(header::CONTENT_TYPE).cloned();
    let bytes = read_limited(resp, state.timeouts.idle).await?;
    let event: Value = serde_json::from_slice(&bytes).map_err(|_| AppError::UpstreamAnswer {
        api: Api::Mem0,
        status: status.as_u16(),
        what: "an event that is not JSON",
    })?;
    if !event_belongs_to(&event, person) {
        tracing::warn!("refused an event of someone else");
        return Err(AppError::NotYours { what: "event" });
    }
    let mut out = Response::new(Body::from(bytes));
    *out.status_mut() = StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::OK);
    let h = out.headers_mut();
    h.insert(header::CONTENT_TYPE, content_type.unwrap_or(HeaderValue::from_static("application/json")));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(out)
}

/// Whose an event is: its payload's `user_id`, else (no id in the payload) the `user_id` every
/// one of its results names.
pub fn event_belongs_to(event: &Value, person: &str) -> bool {
    if let Some(owner) = event.get("payload").and_then(|p| p.get("user_id")) {
        return owner.as_str() == Some(person);
    }
    let results = event.get("results").and_then(Value::as_array);
    results.is_some_and(|r| !r.is_empty() && r.iter().all(|m| m.get("user_id").and_then(Value::as_str) == Some(person)))
}

/// Only the headers a check may send: the client's key headers, used when the proxy holds
/// no key of its own (no body, so no content type).
fn key_headers(client: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for name in [header::AUTHORIZATION, header::HeaderName::from_static("x-api-key")] {
        if let Some(v) = client.get(&name) {
            out.insert(name, v.clone());
        }
    }
    out.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    out
}

async fn read_json(resp: reqwest::Response, idle: Duration) -> Result<Value, AppError> {
    let status = resp.status().as_u16();
    let bytes = read_limited(resp, idle).await?;
    serde_json::from_slice(&bytes).map_err(|_| AppError::UpstreamAnswer {
        api: Api::Mem0,
        status,
        what: "a memory that is not JSON",
    })
}

/// Reads an upstream body of at most [`MAX_CHECK_BYTES`], with the idle timeout per piece.
async fn read_limited(mut resp: reqwest::Response, idle: Duration) -> Result<Bytes, AppError> {
    let status = resp.status().as_u16();
    let mut buf = BytesMut::new();
    loop {
        let chunk = match tokio::time::timeout(idle, resp.chunk()).await {
            Err(_) => return Err(AppError::Timeout { api: Api::Mem0, after: idle }),
            Ok(Err(e)) => return Err(AppError::Unreachable { api: Api::Mem0, source: e.without_url() }),
            Ok(Ok(None)) => return Ok(buf.freeze()),
            Ok(Ok(Some(c))) => c,
        };
        if buf.len() + chunk.len() > MAX_CHECK_BYTES {
            return Err(AppError::UpstreamAnswer { api: Api::Mem0, status, what: "an answer too large to check" });
        }
        buf.extend_from_slice(&chunk);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_belong_to_the_user_of_their_payload() {
        let ev = |payload: Value, results: Value| json!({"id": "e", "status": "SUCCEEDED", "payload": payload, "results": results});
        assert!(event_belongs_to(&ev(json!({"user_id": "me", "messages": []}), json!([])), "me"));
        assert!(!event_belongs_to(&ev(json!({"user_id": "bob"}), json!([{"user_id": "me"}])), "me"));
        assert!(!event_belongs_to(&ev(json!({"user_id": null}), json!([{"user_id": "me"}])), "me"));
        // No id in the payload: every result must name the person.
        assert!(event_belongs_to(&ev(json!({}), json!([{"user_id": "me"}, {"user_id": "me"}])), "me"));
        assert!(!event_belongs_to(&ev(json!({}), json!([{"user_id": "me"}, {"user_id": "bob"}])), "me"));
        assert!(!event_belongs_to(&ev(json!({}), json!([])), "me"));
        assert!(!event_belongs_to(&json!({"id": "e"}), "me"));
    }
}
