//! The request guards as middleware, before any route: [`host_guard`] refuses (421) a host name
//! this proxy does not serve ([`crate::guard::host`], against DNS rebinding), and [`api_guard`]
//! lets `/api/…` take only same-origin calls with JSON bodies ([`crate::guard::origin`], against
//! cross-site "simple" requests). Refused requests never reach an upstream.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{Api, AppError};
use crate::guard::origin;
use crate::AppState;

/// The host a request names: its `Host` header, else the authority of an absolute-form
/// target (HTTP/1.1 clients must send `Host`; only non-browser clients leave it out).
pub fn request_host(req: &Request) -> Option<&str> {
    match req.headers().get(header::HOST) {
        Some(h) => Some(h.to_str().unwrap_or("\u{fffd}")),
        None => req.uri().authority().map(|a| a.as_str()),
    }
}

/// Middleware on every request: refuses (421) a `Host` header or absolute-form target that
/// names a host this proxy does not serve.
pub async fn host_guard(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let port = state.listen_port();
    let header_host = req.headers().get(header::HOST).map(|h| h.to_str().unwrap_or("\u{fffd}"));
    let target_host = req.uri().authority().map(|a| a.as_str());
    if let Some(bad) = [header_host, target_host].into_iter().flatten().find(|h| !state.hosts.allows(h, port)) {
        let host: String = bad.chars().take(100).collect();
        tracing::warn!(host = %host, "refused a request for a host name this proxy does not serve");
        return AppError::UnknownHost { api: Api::of_path(req.uri().path()), host }.into_response();
    }
    next.run(req).await
}

/// Middleware on `/api/…`: only same-origin calls (or allowed CORS origins), and only JSON
/// bodies.
pub async fn api_guard(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let api = Api::of_path(req.uri().path());
    let checked = origin::check_same_origin(req.headers(), request_host(&req), &state.cors_origins)
        .and_then(|()| origin::check_json_body(req.method(), req.headers()));
    if let Err(refusal) = checked {
        tracing::warn!(path = %super::log_path(req.uri().path()), %refusal, "refused");
        return AppError::Refused { api, refusal }.into_response();
    }
    next.run(req).await
}
