//! `GET /api/health`: tells the app it runs behind the proxy and which keys the proxy holds
//! (as booleans; never the keys).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::AppState;

/// The health answer.
#[derive(Debug, Serialize)]
pub struct Health {
    /// Always `true`: the marker the app looks for.
    pub proxy: bool,
    /// The proxy's version.
    pub version: &'static str,
    /// Gemini side.
    pub gemini: KeyStatus,
    /// mem0 side.
    pub mem0: KeyStatus,
}

/// Whether a key is configured for one upstream.
#[derive(Debug, Serialize)]
pub struct KeyStatus {
    /// `true` when the proxy adds its own key.
    pub key: bool,
}

/// Handler.
pub async fn health(State(state): State<Arc<AppState>>) -> Response {
    let body = Health {
        proxy: true,
        version: env!("CARGO_PKG_VERSION"),
        gemini: KeyStatus { key: state.gemini.has_key() },
        mem0: KeyStatus { key: state.mem0.has_key() },
    };
    let mut resp = Json(body).into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}
