//! Fake mem0 Platform API (`api.mem0.ai`): an in-memory store behind the current v3 calls
//! (add with events, hybrid-scored search, paginated list), the v1 calls that stay (one
//! memory, edit, delete, history, delete-all, feedback, batch, ping), and the deprecated
//! v1/v2 add / search / list that older SDKs still use. Scriptable faults, latency and a
//! "down" switch come from [`crate::faults`] and [`crate::control`].
//!
//! Paths and shapes follow mem0's Python SDK (`mem0/client/main.py`), its OpenAPI file and
//! its docs; `docs/memory-backends.md` lists them, with the few places the fake simplifies.
//!
//! Layout: [`errors`] (the one error type handlers return), [`store`] (memories, history,
//! events), [`categories`], [`add`] (adds and events), [`search`], [`list`] (lists and
//! pagination) and [`memory`] (the per-memory calls and the rest).

mod add;
mod categories;
mod errors;
mod list;
mod memory;
mod search;
mod store;

use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use serde_json::Value;

use crate::control::{self, lock, ControlPlane, Controlled, ScriptError, CONTROL_PREFIX};
use crate::faults::Faults;

pub use categories::categorize;
pub use errors::ApiError;
pub use store::hash;

/// Settings of the mem0 fake.
#[derive(Debug, Clone)]
pub struct Mem0Config {
    /// The only API key accepted (`Authorization: Token <key>`).
    pub api_key: String,
    /// Extra latency added to every non-control request.
    pub latency_ms: u64,
    /// How long an inferring add takes: its event is PENDING for the first half and RUNNING
    /// for the second, then SUCCEEDED with the memories stored.
    pub async_delay_ms: u64,
}

impl Default for Mem0Config {
    fn default() -> Self {
        Self { api_key: "test-mem0-key".into(), latency_ms: 0, async_delay_ms: 50 }
    }
}

/// Shared state of the mem0 fake.
#[derive(Debug)]
pub struct Mem0State {
    cfg: Mem0Config,
    control: ControlPlane,
    store: Mutex<store::Store>,
    faults: Faults,
}

impl Mem0State {
    /// New, empty state.
    pub fn new(cfg: Mem0Config) -> Arc<Self> {
        Arc::new(Self {
            cfg,
            control: ControlPlane::default(),
            store: Mutex::new(store::Store::default()),
            faults: Faults::default(),
        })
    }
}

impl Controlled for Mem0State {
    fn control(&self) -> &ControlPlane {
        &self.control
    }

    fn reset_extra(&self) {
        lock(&self.store).reset();
        self.faults.clear();
    }

    fn push_script(&self, steps: Vec<Value>) -> Result<usize, ScriptError> {
        self.faults.push(steps)
    }

    fn down_response(&self) -> Response {
        ApiError::Unavailable.into_response()
    }
}

/// The mem0 fake's router (control routes, CORS and recording included).
pub fn app(state: Arc<Mem0State>) -> Router {
    Router::new()
        .route("/v1/ping/", get(memory::ping))
        .route("/v3/memories/add/", post(add::add_v3))
        .route("/v1/event/{id}/", get(add::event))
        .route("/v3/memories/search/", post(search::search_v3))
        .route("/v3/memories/", post(list::list_v3))
        .route("/v1/memories/", post(add::add_v1).get(list::list_v1).delete(memory::delete_all))
        .route("/v1/memories/search/", post(search::search_v1))
        .route("/v2/memories/search/", post(search::search_v2))
        .route("/v2/memories/", post(list::list_v2))
        .route("/v1/memories/{id}/", get(memory::get_one).put(memory::update).delete(memory::delete_one))
        .route("/v1/memories/{id}/history/", get(memory::history))
        .route("/v1/batch/", put(memory::batch_update).delete(memory::batch_delete))
        .route("/v1/feedback/", post(memory::feedback))
        .merge(control::control_routes::<Mem0State>())
        .fallback(|| async { ApiError::RouteNotFound })
        .layer(middleware::from_fn_with_state(state.clone(), gate))
        .layer(middleware::from_fn_with_state(state.clone(), control::record_and_gate::<Mem0State>))
        .layer(control::cors_layer())
        .with_state(state)
}

/// Latency and scripted faults, then the `Authorization: Token <key>` check.
async fn gate(State(s): State<Arc<Mem0State>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with(CONTROL_PREFIX) {
        return next.run(req).await;
    }
    if let Some(scripted) = s.faults.intercept(s.cfg.latency_ms, req.method(), &path).await {
        return scripted;
    }
    let auth = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::trim);
    match auth {
        None => ApiError::NoCredentials.into_response(),
        Some(a) if a.strip_prefix("Token ").map(str::trim) == Some(s.cfg.api_key.as_str()) => next.run(req).await,
        Some(_) => ApiError::InvalidKey.into_response(),
    }
}
