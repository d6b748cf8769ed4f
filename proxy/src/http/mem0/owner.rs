//! Ownership checks made upstream with the server's key, for `/api/mem0/…` calls that name one
//! memory or event: the memory is read first and must carry the person's `user_id` (on both
//! backends `GET` of one memory answers its `user_id`); an event (Platform) is relayed only to the
//! person whose add or delete-all created it, by the proxy's own record of the events its
//! forwarded calls were answered with (mem0 does not document an event's fields, so its body
//! decides nothing). Anything else looks like a missing memory or event (404), so ids of other
//! people's data reveal nothing.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use bytes::BytesMut;
use serde_json::Value;

use crate::accounts::tokens::now_secs;
use crate::accounts::{events, Person};
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

/// Answers an event's status only to the person whose add (or delete-all) created it, by the
/// proxy's own record ([`events`]): anyone else's, or one it never forwarded, is a `404`, and
/// nothing is asked upstream for it.
pub async fn relay_event(
    state: &AppState,
    url: reqwest::Url,
    event_id: &str,
    person: &Person,
    client_headers: &HeaderMap,
) -> Result<Response, AppError> {
    let db = &state.auth.shared_parts().ok_or(AppError::NotYours { what: "event" })?.db;
    if !events::belongs_to(db, event_id, person.account).await.map_err(|e| database(&e))? {
        tracing::warn!("refused an event this person's calls did not create");
        return Err(AppError::NotYours { what: "event" });
    }
    let headers = key_headers(client_headers);
    let resp = send(&state.client, &state.mem0, state.timeouts, Method::GET, url, &headers, Bytes::new()).await?;
    if !resp.status().is_success() {
        return Ok(relay(resp, Api::Mem0, state.timeouts.idle));
    }
    let (status, content_type) = (resp.status(), resp.headers().get(header::CONTENT_TYPE).cloned());
    let bytes = read_limited(resp, state.timeouts.idle).await?;
    Ok(json_answer(status, content_type, bytes))
}

/// Forwards an add or a delete-all for `person` and notes the event its answer names (the
/// Platform's asynchronous calls answer `{"event_id": …}`), so that [`relay_event`] can tell
/// whose it is. The answer is passed on as it came.
pub async fn forward_noting_event(
    state: &AppState,
    person: &Person,
    method: Method,
    url: reqwest::Url,
    client_headers: &HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let resp = send(&state.client, &state.mem0, state.timeouts, method, url, client_headers, body).await?;
    if !resp.status().is_success() {
        return Ok(relay(resp, Api::Mem0, state.timeouts.idle));
    }
    let (status, content_type) = (resp.status(), resp.headers().get(header::CONTENT_TYPE).cloned());
    let bytes = read_limited(resp, state.timeouts.idle).await?;
    if let Some(id) = event_id_of(&bytes) {
        if let Some(shared) = state.auth.shared_parts() {
            // mem0 took the call: pass its answer on whatever happens here (a 503 would invite a
            // retry and a second memory); without the note, that event's status answers 404.
            if let Err(e) = events::record(&shared.db, &id, person.account, now_secs()).await {
                tracing::error!(error = %e, "cannot note whose memory event this is");
            }
        }
    }
    Ok(json_answer(status, content_type, bytes))
}

/// The `event_id` an answer names, if it is JSON that names one.
pub fn event_id_of(answer: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(answer).ok()?;
    value.get("event_id").and_then(Value::as_str).map(str::to_owned)
}

fn json_answer(status: reqwest::StatusCode, content_type: Option<HeaderValue>, bytes: Bytes) -> Response {
    let mut out = Response::new(Body::from(bytes));
    *out.status_mut() = StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::OK);
    let h = out.headers_mut();
    h.insert(header::CONTENT_TYPE, content_type.unwrap_or(HeaderValue::from_static("application/json")));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    out
}

fn database(e: &dyn std::fmt::Display) -> AppError {
    crate::http::database_failed(e, Some(Api::Mem0))
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

    #[test]
    fn the_event_an_answer_names() {
        assert_eq!(event_id_of(br#"{"event_id": "ev-1", "status": "PENDING"}"#).as_deref(), Some("ev-1"));
        assert_eq!(event_id_of(br#"{"message": "ok", "event_id": "ev-2"}"#).as_deref(), Some("ev-2"));
        assert_eq!(event_id_of(br#"{"results": [{"id": "m", "event": "ADD"}]}"#), None, "a synchronous add");
        assert_eq!(event_id_of(br#"{"event_id": 7}"#), None);
        assert_eq!(event_id_of(b"not json"), None);
    }
}
