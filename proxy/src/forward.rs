//! Forwarding one allow-listed call to its upstream: builds the upstream URL from the
//! configured base (never from the request), copies a small header allow-list, sets the key
//! header, and streams the upstream response back unbuffered with its status, content type,
//! `retry-after` and body unchanged.

use std::pin::Pin;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::Response;
use futures_util::{Stream, StreamExt};
use reqwest::Url;

use crate::error::{Api, AppError};

/// Client request headers copied upstream (everything else, cookies included, is dropped).
pub const FORWARDED_REQUEST_HEADERS: [HeaderName; 2] = [header::CONTENT_TYPE, header::ACCEPT];

/// Upstream response headers copied back to the client.
pub const FORWARDED_RESPONSE_HEADERS: [HeaderName; 2] = [header::CONTENT_TYPE, header::RETRY_AFTER];

/// One configured upstream.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// Which API this is.
    pub api: Api,
    /// Base URL without a trailing slash, e.g. `https://api.mem0.ai`.
    pub base: String,
    /// The header the key goes in (`x-goog-api-key` or `authorization`).
    pub key_header: HeaderName,
    /// The ready-made, sensitive key header value, when a key is configured.
    pub key_value: Option<HeaderValue>,
}

/// Why an upstream base URL was refused.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// Not a URL.
    #[error("upstream URL {url:?} is not valid: {source}")]
    Invalid {
        /// The configured text.
        url: String,
        /// Parser error.
        source: url::ParseError,
    },
    /// Not http(s), or carries a query, fragment or credentials.
    #[error("upstream URL {0:?} must be a plain http:// or https:// base URL")]
    Unsupported(String),
    /// The key contains characters not allowed in a header.
    #[error("the {0} key contains characters that cannot be sent in a header")]
    BadKey(&'static str),
}

impl Upstream {
    /// Validates a base URL and prepares the key header.
    pub fn new(api: Api, base: &str, key: Option<&str>) -> Result<Self, UpstreamError> {
        let url = Url::parse(base).map_err(|source| UpstreamError::Invalid { url: base.to_owned(), source })?;
        if !matches!(url.scheme(), "http" | "https")
            || url.host_str().is_none()
            || url.query().is_some()
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(UpstreamError::Unsupported(base.to_owned()));
        }
        let (key_header, key_text) = match api {
            Api::Gemini => (HeaderName::from_static("x-goog-api-key"), key.map(str::to_owned)),
            Api::Mem0 => (header::AUTHORIZATION, key.map(|k| format!("Token {k}"))),
        };
        let key_value = key_text
            .map(|k| {
                let mut v = HeaderValue::from_str(&k).map_err(|_| UpstreamError::BadKey(api.name()))?;
                v.set_sensitive(true);
                Ok(v)
            })
            .transpose()?;
        Ok(Self { api, base: url.as_str().trim_end_matches('/').to_owned(), key_header, key_value })
    }

    /// Whether a key is configured.
    pub fn has_key(&self) -> bool {
        self.key_value.is_some()
    }

    /// The full upstream URL for an allow-listed path (starting with `/`) and query.
    pub fn url(&self, path: &str, query: Option<&str>) -> Option<Url> {
        let mut s = format!("{}{}", self.base, path);
        if let Some(q) = query {
            s.push('?');
            s.push_str(q);
        }
        let url = Url::parse(&s).ok()?;
        // Defence in depth: the result must stay on the configured origin and under its path.
        let base = Url::parse(&self.base).ok()?;
        (url.origin() == base.origin() && url.path().starts_with(base.path().trim_end_matches('/'))).then_some(url)
    }
}

/// Timeouts applied to upstream calls.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Until the upstream's response headers arrive.
    pub response: Duration,
    /// Longest silence inside a response body.
    pub idle: Duration,
}

/// Reads the request body with a size limit.
pub async fn read_body(req: Request, api: Api, limit: usize) -> Result<Bytes, AppError> {
    let too_large = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > limit as u64);
    if too_large {
        return Err(AppError::BodyTooLarge { api, limit });
    }
    axum::body::to_bytes(req.into_body(), limit).await.map_err(|e| {
        let is_limit = std::error::Error::source(&e).is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
            || e.to_string().contains("length limit");
        if is_limit {
            AppError::BodyTooLarge { api, limit }
        } else {
            AppError::BodyRead(api)
        }
    })
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
    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut out_headers = HeaderMap::new();
    for name in FORWARDED_RESPONSE_HEADERS {
        if let Some(v) = resp.headers().get(&name) {
            out_headers.insert(name, v.clone());
        }
    }
    out_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let is_sse = out_headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/event-stream"));
    if is_sse {
        // Ask any reverse proxy in front (nginx) not to buffer the stream.
        out_headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    }
    let body = Body::from_stream(with_idle_timeout(resp.bytes_stream(), timeouts.idle, api));
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = out_headers;
    Ok(response)
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
    fn upstream_urls_stay_on_the_configured_origin() {
        let u = Upstream::new(Api::Gemini, "https://generativelanguage.googleapis.com/", None).unwrap();
        assert_eq!(u.base, "https://generativelanguage.googleapis.com");
        assert_eq!(
            u.url("/v1beta/models", Some("pageSize=50")).unwrap().as_str(),
            "https://generativelanguage.googleapis.com/v1beta/models?pageSize=50"
        );
        // Even if a bad path slipped through, it could not leave the origin.
        assert!(u.url("@evil.example/x", None).is_none());
        let m = Upstream::new(Api::Mem0, "http://127.0.0.1:9/mem0", Some("k")).unwrap();
        assert_eq!(m.url("/v1/ping/", None).unwrap().as_str(), "http://127.0.0.1:9/mem0/v1/ping/");
        assert!(m.url("/../v1/ping/", None).is_none());
        assert_eq!(m.key_value.as_ref().unwrap(), "Token k");
        assert!(m.key_value.as_ref().unwrap().is_sensitive());
    }

    #[test]
    fn odd_upstreams_are_refused() {
        for bad in [
            "ftp://x.example",
            "not a url",
            "https://user:pw@x.example",
            "https://x.example/?a=1",
            "https://x.example/#f",
        ] {
            assert!(Upstream::new(Api::Mem0, bad, None).is_err(), "{bad}");
        }
        assert!(Upstream::new(Api::Gemini, "https://x.example", Some("bad\nkey")).is_err());
    }
}
