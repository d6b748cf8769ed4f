//! `/api/gemini/...`: the Gemini calls the app makes (model list, one model, generate,
//! stream, count tokens), forwarded to `{gemini_upstream}/v1beta/...` with the server's
//! `x-goog-api-key` and without any `key` query parameter.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::Response;

use crate::allow::{gemini_path, strip_key_param};
use crate::error::{Api, AppError};
use crate::forward::{forward, read_body};
use crate::AppState;

/// Handles every request under `/api/gemini/`.
pub async fn proxy(State(state): State<Arc<AppState>>, req: Request) -> Result<Response, AppError> {
    let not_found = || AppError::NotFound(Some(Api::Gemini));
    let rest = req.uri().path().strip_prefix("/api/gemini").ok_or_else(not_found)?;
    let path = gemini_path(req.method(), rest).ok_or_else(not_found)?;
    let query = strip_key_param(req.uri().query());
    let url = state.gemini.url(&path, query.as_deref()).ok_or_else(not_found)?;
    let method = req.method().clone();
    let headers = req.headers().clone();
    let body = read_body(req, Api::Gemini, state.max_body_bytes, state.limits.body_timeout).await?;
    forward(&state.client, &state.gemini, state.timeouts, method, url, &headers, body).await
}
