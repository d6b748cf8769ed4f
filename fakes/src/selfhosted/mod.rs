//! Fake self-hosted mem0: the REST surface of mem0's open-source server (`server/main.py` and
//! `server/auth.py` in the mem0 repository) over an in-memory store. What it copies: routes
//! without trailing slashes (FastAPI with `redirect_slashes=False`, so `/memories/` is a 404),
//! `X-API-Key` auth (or none when auth is disabled), FastAPI's 404 / 405 / 422 answers, the
//! synchronous add that answers its results, search, the unpaginated list, one memory, edit,
//! delete, history and admin-only delete-all, `X-Request-ID` on every answer, and CORS for a
//! single origin. Same control API and scripted faults as the other fakes.
//!
//! Layout: [`auth`] (who is calling), [`errors`] (FastAPI's error answers), [`validate`]
//! (pydantic's 422s), [`store`] (memories and history) and [`handlers`] (the routes).

mod auth;
mod errors;
mod handlers;
mod store;
mod validate;

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

use crate::control::{self, lock, ControlPlane, Controlled, ScriptError, CONTROL_PREFIX};
use crate::faults::Faults;

pub use errors::ApiError;

/// Settings of the self-hosted fake.
#[derive(Debug, Clone)]
pub struct SelfHostedConfig {
    /// The server's `ADMIN_API_KEY` (`X-API-Key: <key>`; may delete and list everything).
    pub api_key: String,
    /// A per-user key of a non-admin user (refused where the server requires an admin).
    pub member_key: Option<String>,
    /// `AUTH_DISABLED=true`: requests without credentials are let in (a wrong key still is not).
    pub auth_disabled: bool,
    /// Extra latency added to every non-control request.
    pub latency_ms: u64,
    /// The one origin CORS allows (the server's `DASHBOARD_URL`); `POST /_fake/cors` changes it.
    pub cors_origin: String,
}

impl Default for SelfHostedConfig {
    fn default() -> Self {
        Self {
            api_key: "test-selfhosted-key".into(),
            member_key: None,
            auth_disabled: false,
            latency_ms: 0,
            cors_origin: "http://localhost:3000".into(),
        }
    }
}

/// Shared state of the self-hosted fake.
#[derive(Debug)]
pub struct SelfHostedState {
    cfg: SelfHostedConfig,
    control: ControlPlane,
    store: Mutex<store::Store>,
    faults: Faults,
    cors_origin: Mutex<String>,
}

impl SelfHostedState {
    /// New, empty state.
    pub fn new(cfg: SelfHostedConfig) -> Arc<Self> {
        let cors_origin = Mutex::new(cfg.cors_origin.clone());
        Arc::new(Self {
            cfg,
            control: ControlPlane::default(),
            store: Mutex::new(store::Store::default()),
            faults: Faults::default(),
            cors_origin,
        })
    }

    /// The origin CORS currently allows.
    pub fn cors_origin(&self) -> String {
        lock(&self.cors_origin).clone()
    }
}

impl Controlled for SelfHostedState {
    fn control(&self) -> &ControlPlane {
        &self.control
    }

    /// Forgets memories, history and scripts (the CORS origin is configuration and stays).
    fn reset_extra(&self) {
        *lock(&self.store) = store::Store::default();
        self.faults.clear();
    }

    fn push_script(&self, steps: Vec<Value>) -> Result<usize, ScriptError> {
        self.faults.push(steps)
    }

    /// "Down" is the server up with its database gone: its own 502.
    fn down_response(&self) -> Response {
        ApiError::datastore_down().into_response()
    }
}

/// The self-hosted fake's router (control routes, CORS, request ids and recording included).
pub fn app(state: Arc<SelfHostedState>) -> Router {
    let cors_state = state.clone();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin: &HeaderValue, _| {
            origin.as_bytes() == cors_state.cors_origin().as_bytes()
        }))
        .allow_credentials(true)
        .allow_methods([
            Method::DELETE,
            Method::GET,
            Method::HEAD,
            Method::OPTIONS,
            Method::PATCH,
            Method::POST,
            Method::PUT,
        ])
        .allow_headers(AllowHeaders::mirror_request())
        .max_age(std::time::Duration::from_secs(600));
    Router::new()
        .route("/memories", post(handlers::add).get(handlers::list).delete(handlers::delete_all))
        .route("/memories/{memory_id}", get(handlers::get_one).put(handlers::update).delete(handlers::delete_one))
        .route("/memories/{memory_id}/history", get(handlers::history))
        .route("/search", post(handlers::search))
        .route("/_fake/cors", post(set_cors_origin))
        .merge(control::control_routes::<SelfHostedState>())
        .fallback(|| async { ApiError::http(StatusCode::NOT_FOUND, "Not Found") })
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), faults))
        .layer(middleware::from_fn_with_state(state.clone(), control::record_and_gate::<SelfHostedState>))
        .layer(cors)
        .layer(middleware::from_fn_with_state(state.clone(), refuse_foreign_preflight))
        .layer(middleware::from_fn(request_id))
        .with_state(state)
}

/// Latency and scripted faults (auth is each route's own, as in the server).
async fn faults(State(s): State<Arc<SelfHostedState>>, req: Request, next: Next) -> Response {
    if req.uri().path().starts_with(CONTROL_PREFIX) {
        return next.run(req).await;
    }
    match s.faults.intercept(s.cfg.latency_ms, req.method(), req.uri().path()).await {
        Some(scripted) => scripted,
        None => next.run(req).await,
    }
}

/// Starlette answers the methods of the first route on a path: `/memories` and `/search`
/// start with POST, the `/memories/{id}` paths with GET.
async fn method_not_allowed(uri: Uri) -> ApiError {
    let path = uri.path();
    ApiError::MethodNotAllowed(if path == "/memories" || path == "/search" { "POST" } else { "GET" })
}

/// Starlette's CORS refuses a preflight from any other origin with a plain-text 400.
async fn refuse_foreign_preflight(State(s): State<Arc<SelfHostedState>>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    let preflight = req.method() == Method::OPTIONS && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let origin = headers.get(header::ORIGIN).map(|o| o.as_bytes().to_vec());
    match origin {
        Some(o) if preflight && o != s.cors_origin().as_bytes() => {
            let mut resp = Response::new(Body::from("Disallowed CORS origin"));
            *resp.status_mut() = StatusCode::BAD_REQUEST;
            resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
            resp
        }
        _ => next.run(req).await,
    }
}

/// Every answer carries an `X-Request-ID` (a 502 already has the one its body names).
async fn request_id(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    if !resp.headers().contains_key(errors::REQUEST_ID) {
        if let Ok(v) = HeaderValue::from_str(&errors::new_request_id()) {
            resp.headers_mut().insert(errors::REQUEST_ID, v);
        }
    }
    resp
}

/// `POST /_fake/cors {"origin": "http://…"}`: the one origin CORS allows from now on.
async fn set_cors_origin(State(s): State<Arc<SelfHostedState>>, Json(body): Json<Value>) -> Response {
    match body.get("origin").and_then(Value::as_str) {
        Some(origin) => {
            *lock(&s.cors_origin) = origin.to_string();
            Json(json!({"ok": true, "origin": origin})).into_response()
        }
        None => (StatusCode::BAD_REQUEST, Json(json!({"ok": false, "error": "body must be {\"origin\": \"…\"}"})))
            .into_response(),
    }
}
