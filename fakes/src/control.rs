//! Test-control plumbing shared by every fake: request recording (with body sizes in both
//! directions), the "down" switch, permissive CORS, and the `/_fake/*` control routes
//! (`reset`, `requests`, `script`, `down`).

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http_body::{Frame, SizeHint};
use serde::{Serialize, Serializer};
use serde_json::{json, Value};
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer};

/// Prefix of every control route; requests under it are never recorded.
pub const CONTROL_PREFIX: &str = "/_fake/";

/// Largest request body the fakes accept (and record).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// One request as seen by a fake, returned by `GET /_fake/requests`.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedRequest {
    /// HTTP method, upper case.
    pub method: String,
    /// Path as sent (still percent-encoded).
    pub path: String,
    /// Decoded query parameters (last value wins for repeated keys).
    pub query: BTreeMap<String, String>,
    /// Headers with lower-cased names.
    pub headers: BTreeMap<String, String>,
    /// Body parsed as JSON, or `null` when empty / not JSON.
    pub body: Value,
    /// Milliseconds since the Unix epoch when the request arrived.
    pub ts_ms: u64,
    /// The status the fake answered with (recorded once the response head is ready).
    pub status: u16,
    /// Size of the request body in bytes, as received.
    pub request_bytes: usize,
    /// Size of the response body in bytes sent so far (final once the body has ended;
    /// a stream still open counts what it has sent).
    pub response_bytes: ResponseBytes,
}

/// A response body size that grows while the body is being sent.
#[derive(Debug, Clone, Default)]
pub struct ResponseBytes(Arc<AtomicU64>);

impl ResponseBytes {
    /// Bytes sent so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl Serialize for ResponseBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.get())
    }
}

/// A script step a fake could not accept.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    /// Step `index` of the posted list is malformed.
    #[error("step {index}: {reason}")]
    BadStep {
        /// Position of the step in the posted list.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
}

/// State every fake carries for its control plane.
#[derive(Debug, Default)]
pub struct ControlPlane {
    requests: Mutex<Vec<RecordedRequest>>,
    down: AtomicBool,
}

impl ControlPlane {
    /// Appends a recorded request.
    pub fn record(&self, req: RecordedRequest) {
        lock(&self.requests).push(req);
    }

    /// All recorded requests, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }

    /// Forgets recorded requests and clears the down switch.
    pub fn reset(&self) {
        lock(&self.requests).clear();
        self.down.store(false, Ordering::SeqCst);
    }

    /// Whether the fake currently answers every request with 503.
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::SeqCst)
    }

    /// Sets the down switch.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }
}

/// Locks a mutex, ignoring poisoning (a panicking handler must not wedge the fake).
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a fake must provide so the shared control routes can drive it.
pub trait Controlled: Send + Sync + 'static {
    /// The fake's control plane.
    fn control(&self) -> &ControlPlane;
    /// Clears fake-specific state (script queue, store).
    fn reset_extra(&self);
    /// Appends script steps; returns the queue length, or the first bad step.
    fn push_script(&self, steps: Vec<Value>) -> Result<usize, ScriptError>;
    /// The response sent to every non-control request while the fake is down.
    fn down_response(&self) -> Response;
}

/// Routes under `/_fake/`.
pub fn control_routes<S: Controlled>() -> Router<Arc<S>> {
    Router::new()
        .route("/_fake/reset", post(reset::<S>))
        .route("/_fake/requests", get(requests::<S>))
        .route("/_fake/script", post(script::<S>))
        .route("/_fake/down", post(down::<S>))
}

async fn reset<S: Controlled>(State(s): State<Arc<S>>) -> Json<Value> {
    s.control().reset();
    s.reset_extra();
    Json(json!({"ok": true}))
}

async fn requests<S: Controlled>(State(s): State<Arc<S>>) -> Json<Vec<RecordedRequest>> {
    Json(s.control().requests())
}

async fn script<S: Controlled>(State(s): State<Arc<S>>, body: axum::body::Bytes) -> Response {
    let steps = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(steps)) => steps,
        Ok(one @ Value::Object(_)) => vec![one],
        _ => return bad_control("body must be a JSON array of steps"),
    };
    match s.push_script(steps) {
        Ok(queued) => Json(json!({"ok": true, "queued": queued})).into_response(),
        Err(e) => bad_control(&e.to_string()),
    }
}

async fn down<S: Controlled>(State(s): State<Arc<S>>, body: axum::body::Bytes) -> Response {
    let down = match serde_json::from_slice::<Value>(&body) {
        Ok(v) => v.get("down").and_then(Value::as_bool).unwrap_or(true),
        Err(_) if body.is_empty() => true,
        Err(_) => return bad_control("body must be {\"down\": true|false}"),
    };
    s.control().set_down(down);
    Json(json!({"ok": true, "down": down})).into_response()
}

fn bad_control(msg: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"ok": false, "error": msg}))).into_response()
}

/// Middleware: answers stray `OPTIONS`, records every other non-control
/// request, and short-circuits with the fake's 503 while it is down.
pub async fn record_and_gate<S: Controlled>(State(s): State<Arc<S>>, req: Request, next: Next) -> Response {
    if req.method() == Method::OPTIONS {
        // Real preflights are answered by the CORS layer; this catches the rest.
        return StatusCode::NO_CONTENT.into_response();
    }
    if req.uri().path().starts_with(CONTROL_PREFIX) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
    };
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_ascii_lowercase(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let mut recorded = RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parse_query(parts.uri.query()),
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ts_ms: now_ms(),
        status: 0,
        request_bytes: bytes.len(),
        response_bytes: ResponseBytes::default(),
    };
    let response = if s.control().is_down() {
        s.down_response()
    } else {
        next.run(Request::from_parts(parts, Body::from(bytes))).await
    };
    recorded.status = response.status().as_u16();
    let counter = recorded.response_bytes.clone();
    s.control().record(recorded);
    let (parts, body) = response.into_parts();
    Response::from_parts(parts, Body::new(CountingBody { inner: body, sent: counter }))
}

/// A response body that adds every data frame's length to a shared counter, keeping the
/// inner body's size hint (so a known length still goes out as `Content-Length`).
struct CountingBody {
    inner: Body,
    sent: ResponseBytes,
}

impl http_body::Body for CountingBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled {
            if let Some(data) = frame.data_ref() {
                self.sent.0.fetch_add(data.len() as u64, Ordering::SeqCst);
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Decodes a query string into a map (last value wins, `+` is a space).
pub fn parse_query(q: Option<&str>) -> BTreeMap<String, String> {
    form_urlencoded::parse(q.unwrap_or("").as_bytes()).into_owned().collect()
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Permissive CORS: reflects the Origin and the requested headers, allows
/// GET/POST/PUT/DELETE/OPTIONS, answers preflights without a key, and exposes
/// `Retry-After` so a browser client can read it.
pub fn cors_layer() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_headers(AllowHeaders::mirror_request())
        .allow_methods(AllowMethods::list([Method::GET, Method::POST, Method::PUT, Method::DELETE, Method::OPTIONS]))
        .expose_headers([header::RETRY_AFTER, header::CONTENT_TYPE])
        .allow_private_network(true)
        .max_age(std::time::Duration::from_secs(600))
}

/// A JSON response with an explicit content type and pre-rendered body.
pub fn json_response(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}
