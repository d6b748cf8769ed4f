//! Fake Gemini Developer API (`v1beta`): generate, stream (SSE and JSON-array modes),
//! countTokens, embeddings and the model list, with Google-style error envelopes and a
//! scriptable FIFO of replies and faults. The wire formats are described in the project's
//! `docs/` and checked against the official `google-genai` SDK by `tests/fidelity/`.
//!
//! Layout: [`script`] (the steps tests queue), [`errors`] (the `google.rpc.Status`
//! envelope and key checks), [`models`] (the model table and its routes), [`prompt`]
//! (reading a request), [`render`] (response objects), [`stream`] (SSE / JSON-array
//! framing) and [`handlers`] (the `models/{model}:{method}` actions).

mod errors;
mod handlers;
mod models;
mod prompt;
mod render;
mod script;
mod stream;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::Value;

use crate::control::{self, lock, ControlPlane, Controlled, ScriptError};

pub use errors::{status_name, ApiError};
pub use models::{find_model, ModelInfo, MODELS};
pub use prompt::{count_words, split_chunks, validate_generate, Prompt};
pub use render::{pretty, response_id, sse_json};
pub use script::{Step, Timing};

/// Content type of every JSON answer of the real API.
const JSON_CT: &str = "application/json; charset=UTF-8";

/// Settings of the Gemini fake.
#[derive(Debug, Clone)]
pub struct GeminiConfig {
    /// The only API key accepted.
    pub api_key: String,
    /// Delay before the first streamed chunk (default replies).
    pub first_token_ms: u64,
    /// Delay between streamed chunks (default replies).
    pub chunk_ms: u64,
}

impl Default for GeminiConfig {
    fn default() -> Self {
        Self { api_key: "test-gemini-key".into(), first_token_ms: 0, chunk_ms: 0 }
    }
}

/// Shared state of the Gemini fake.
#[derive(Debug)]
pub struct GeminiState {
    cfg: GeminiConfig,
    control: ControlPlane,
    script: Mutex<VecDeque<Step>>,
}

impl GeminiState {
    /// New state with an empty script.
    pub fn new(cfg: GeminiConfig) -> Arc<Self> {
        Arc::new(Self { cfg, control: ControlPlane::default(), script: Mutex::new(VecDeque::new()) })
    }

    fn pop_step(&self) -> Option<Step> {
        lock(&self.script).pop_front()
    }
}

impl Controlled for GeminiState {
    fn control(&self) -> &ControlPlane {
        &self.control
    }

    fn reset_extra(&self) {
        lock(&self.script).clear();
    }

    fn push_script(&self, steps: Vec<Value>) -> Result<usize, ScriptError> {
        let parsed = steps
            .into_iter()
            .enumerate()
            .map(|(index, v)| {
                serde_json::from_value::<Step>(v).map_err(|e| ScriptError::BadStep { index, reason: e.to_string() })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut q = lock(&self.script);
        q.extend(parsed);
        Ok(q.len())
    }

    fn down_response(&self) -> Response {
        ApiError::new(503, "The model is overloaded. Please try again later.").into_response()
    }
}

/// The Gemini fake's router (control routes, CORS and recording included).
pub fn app(state: Arc<GeminiState>) -> Router {
    Router::new()
        .route("/v1beta/models", get(models::list_models))
        .route("/v1beta/models/{name}", get(models::get_model).post(handlers::model_action))
        .merge(control::control_routes::<GeminiState>())
        .fallback(models::fallback)
        .layer(middleware::from_fn_with_state(state.clone(), control::record_and_gate::<GeminiState>))
        .layer(control::cors_layer())
        .with_state(state)
}
