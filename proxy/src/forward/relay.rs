//! Sends one allow-listed call upstream and relays the answer: a small header allow-list goes
//! up with the key header; status, content type, `retry-after` and body come back unbuffered
//! (SSE events leave as they arrive). What could act on our origin never comes back: an
//! informational or upgrade status (`101`) becomes a 502, and so does any body that is not
//! JSON, SSE or plain text — an upstream's HTML error page is never served as a page here.

use std::pin::Pin;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::Response;
use futures_util::{Stream, StreamExt};
use reqwest::Url;

use super::{Timeouts, Upstream};
use crate::error::{Api, AppError};

/// Client request headers copied upstream (everything else, cookies included, is dropped).
pub const FORWARDED_REQUEST_HEADERS: [HeaderName; 2] = [header::CONTENT_TYPE, header::ACCEPT];

/// Upstream response headers copied back to the client.
pub const FORWARDED_RESPONSE_HEADERS: [HeaderName; 2] = [header::CONTENT_TYPE, header::RETRY_AFTER];

/// Whether an upstream content type may be relayed: JSON (also `+json`), SSE or plain text.
pub fn relayable_content_type(ct: &str) -> bool {
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
        || essence == "text/event-stream"
        || essence == "text/plain"
}

/// Sends a call upstream and returns the upstream's raw answer (after the response timeout).
pub async fn send(
    client: &reqwest::Client,
    upstream: &Upstream,
    timeouts: Timeouts,
    method: Method,
    url: Url,
    client_headers: &HeaderMap,
    body: Bytes,
) -> Result<reqwest::Response, AppError> {
    let api = upstream.api;
    let mut headers = reqwest::header::HeaderMap::new();
    for name in FORWARDED_REQUEST_HEADERS {
        if let Some(v) = client_headers.get(&name) {
            headers.insert(name, v.clone());
        }
    }
    let key = upstream.key_value.clone().or_else(|| {
        // No server key: pass the client's own key header through (direct-key mode via proxy).
        client_headers.get(&upstream.key_header).map(|v| {
            let mut v = v.clone();
            v.set_sensitive(true);
            v
        })
    });
    if let Some(key) = key {
        headers.insert(upstream.key_header.clone(), key);
    }
    let mut request = client.request(method, url).headers(headers);
    if !body.is_empty() {
        request = request.body(body);
    }
    let started = Instant::now();
    let resp = match tokio::time::timeout(timeouts.response, request.send()).await {
        Err(_) => return Err(AppError::Timeout { api, after: timeouts.response }),
        Ok(Err(e)) => {
            let e = e.without_url();
            tracing::warn!(upstream = api.name(), error = %e, "upstream request failed");
            return Err(if e.is_timeout() && !e.is_connect() {
                AppError::Timeout { api, after: timeouts.response }
            } else {
                AppError::Unreachable { api, source: e }
            });
        }
        Ok(Ok(resp)) => resp,
    };
    tracing::debug!(
        upstream = api.name(),
        status = resp.status().as_u16(),
        first_byte_ms = started.elapsed().as_millis() as u64,
        "upstream answered"
    );
    check_answer(api, &resp)?;
    Ok(resp)
}

/// Refuses upstream answers that must not reach the browser (see the module docs).
fn check_answer(api: Api, resp: &reqwest::Response) -> Result<(), AppError> {
    let status = resp.status().as_u16();
    if status < 200 {
        tracing::warn!(upstream = api.name(), status, "refused an informational/upgrade answer from upstream");
        return Err(AppError::UpstreamAnswer { api, status, what: "an informational or upgrade status" });
    }
    let ct = resp.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap_or("?"));
    if ct.is_some_and(|ct| !relayable_content_type(ct)) {
        tracing::warn!(upstream = api.name(), status, content_type = ct, "refused an upstream answer that is not data");
        return Err(AppError::UpstreamAnswer { api, status, what: "a page that is not JSON, SSE or text" });
    }
    Ok(())
}

/// Sends the call upstream and turns the answer into the client's response.
pub async fn forward(
    client: &reqwest::Client,
    upstream: &Upstream,
    timeouts: Timeouts,
    method: Method,
    url: Url,
    client_headers: &HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let resp = send(client, upstream, timeouts, method, url, client_headers, body).await?;
    Ok(relay(resp, upstream.api, timeouts.idle))
}

/// Streams an upstream answer back (status, allowed headers, body with the idle timeout).
pub fn relay(resp: reqwest::Response, api: Api, idle: Duration) -> Response {
    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut out_headers = HeaderMap::new();
    for name in FORWARDED_RESPONSE_HEADERS {
        if let Some(v) = resp.headers().get(&name) {
            out_headers.insert(name, v.clone());
        }
    }
    // An answer without a type is shown as text, never sniffed.
    out_headers.entry(header::CONTENT_TYPE).or_insert(HeaderValue::from_static("text/plain; charset=utf-8"));
    out_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let is_sse = out_headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/event-stream"));
    if is_sse {
        // Ask any reverse proxy in front (nginx) not to buffer the stream.
        out_headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    }
    let body = Body::from_stream(with_idle_timeout(resp.bytes_stream(), idle, api));
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = out_headers;
    response
}

type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// Passes chunks through as they come; ends the body with an error (the client sees a cut
/// stream) when the upstream fails or stays silent longer than `idle`.
fn with_idle_timeout(
    stream: impl Stream<Item = reqwest::Result<Bytes>> + Send + 'static,
    idle: Duration,
    api: Api,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let stream: ByteStream = Box::pin(stream);
    futures_util::stream::unfold(Some(stream), move |state| async move {
        let mut stream = state?;
        match tokio::time::timeout(idle, stream.next()).await {
            Ok(Some(Ok(bytes))) => Some((Ok(bytes), Some(stream))),
            Ok(None) => None,
            Ok(Some(Err(e))) => {
                let e = e.without_url();
                tracing::warn!(upstream = api.name(), error = %e, "upstream body failed");
                Some((Err(std::io::Error::other("upstream body failed")), None))
            }
            Err(_) => {
                tracing::warn!(
                    upstream = api.name(),
                    idle_secs = idle.as_secs(),
                    "upstream body idle too long; cutting it"
                );
                Some((Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "upstream idle timeout")), None))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_data_types_are_relayed() {
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/problem+json",
            "text/event-stream",
            "text/plain; charset=utf-8",
        ] {
            assert!(relayable_content_type(ok), "{ok}");
        }
        for bad in ["text/html", "text/html; charset=utf-8", "application/xhtml+xml", "image/svg+xml", "text/xml", ""] {
            assert!(!relayable_content_type(bad), "{bad}");
        }
    }
}
