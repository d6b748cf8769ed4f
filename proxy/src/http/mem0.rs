//! `/api/mem0/...`: the mem0 calls the app makes, forwarded to `{mem0_upstream}/...` with the
//! server's `Authorization: Token ...`; the query string is kept (`user_id`, `page`, ...).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::Response;

use crate::allow::mem0_path;
use crate::error::{Api, AppError};
use crate::forward::{forward, read_body};
use crate::AppState;

/// Handles every request under `/api/mem0/`.
pub async fn proxy(State(state): State<Arc<AppState>>, req: Request) -> Result<Response, AppError> {
    let not_found = || AppError::NotFound(Some(Api::Mem0));
    let rest = req.uri().path().strip_prefix("/api/mem0").ok_or_else(not_found)?;
    let path = mem0_path(req.method(), rest).ok_or_else(not_found)?;
    let url = state.mem0.url(&path, req.uri().query()).ok_or_else(not_found)?;
    let method = req.method().clone();
    let headers = req.headers().clone();
    let body = read_body(req, Api::Mem0, state.max_body_bytes, state.limits.body_timeout).await?;
    forward(&state.client, &state.mem0, state.timeouts, method, url, &headers, body).await
}
