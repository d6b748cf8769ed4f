//! HTTP surface, every handler and middleware: [`app`] assembles the router — around everything
//! an access log, the security headers ([`security`]), the host guard ([`guards`]) and (shared
//! mode) who is signed in ([`auth`]); the API routes ([`gemini`], [`mem0`], [`account`],
//! [`sync`], [`health`]) with the same-origin guard, sign-in check, rate limiting
//! ([`ratelimit`]) and optional CORS; the sign-in routes in shared mode ([`signin`]); the static
//! site ([`site`]) as fallback. One module per resource or middleware.

pub mod account;
pub mod auth;
pub mod gemini;
pub mod guards;
pub mod health;
pub mod mem0;
pub mod ratelimit;
pub mod security;
pub mod signin;
pub mod site;
pub mod sync;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, get};
use axum::Router;

use crate::accounts::sessions::Current;
use crate::auth::Shared;
use crate::error::{Api, AppError};
use crate::AppState;

/// Longest request path written to the log (longer ones are cut, marked with `…`).
pub const LOG_PATH_CHARS: usize = 200;

/// The whole proxy as a router (drive it with `oneshot` in tests, or serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()` so rate limiting sees client IPs).
pub fn app(state: Arc<AppState>) -> Router {
    let mut calls = Router::new()
        .route("/api/gemini/{*rest}", any(gemini::proxy))
        .route("/api/mem0/{*rest}", any(mem0::proxy))
        .route("/api", any(not_found))
        .route("/api/{*rest}", any(not_found));
    if state.auth.is_shared() {
        calls = calls.merge(account::routes()).merge(sync::routes());
    }
    let calls = calls.route_layer(middleware::from_fn_with_state(state.clone(), auth::require_person_for_api));
    let mut api = Router::new()
        .route("/api/health", get(health::health))
        .merge(calls)
        .route_layer(middleware::from_fn_with_state(state.clone(), ratelimit::limit))
        .layer(middleware::from_fn_with_state(state.clone(), guards::api_guard));
    if let Some(cors) = state.cors.clone() {
        api = api.layer(cors);
    }
    let site =
        site::router(state.clone()).layer(middleware::from_fn_with_state(state.clone(), auth::require_person_for_site));
    let mut router = Router::new().merge(api);
    if state.auth.is_shared() {
        router = router.merge(signin::routes());
    }
    router
        .fallback_service(site)
        .layer(middleware::from_fn_with_state(state.clone(), auth::identify))
        .layer(middleware::from_fn_with_state(state.clone(), guards::host_guard))
        .layer(middleware::from_fn_with_state(state.clone(), security::security_headers))
        .layer(middleware::from_fn(access_log))
        .with_state(state)
}

/// `resp` marked never to be stored by a cache (the proxy's own API answers are one person's).
pub(crate) fn no_store(mut resp: Response) -> Response {
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// Shared mode's parts and the session of the person signed in, for the proxy's own API
/// (`/api/account/…`, `/api/sync/…`): 404 in personal mode, 401 without a session.
pub(crate) fn signed_in<'a>(state: &'a AppState, req: &Request) -> Result<(&'a Shared, Current), AppError> {
    let shared = state.auth.shared_parts().ok_or(AppError::NotFound(None))?;
    let current = req.extensions().get::<Current>().cloned().ok_or(AppError::Unauthenticated { api: None })?;
    Ok((shared, current))
}

/// A failure of the account database: logged (never sent) and answered 503.
pub(crate) fn database_failed(e: &dyn std::fmt::Display, api: Option<Api>) -> AppError {
    tracing::error!(error = %e, "the account database failed");
    AppError::Database { api }
}

async fn not_found(req: Request) -> AppError {
    AppError::NotFound(Api::of_path(req.uri().path()))
}

/// Logs method, path (never the query: it may carry a key), status and time to headers.
/// Bodies and headers are never logged.
async fn access_log(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = log_path(req.uri().path());
    let started = Instant::now();
    let resp = next.run(req).await;
    tracing::info!(
        target: "wellness0_proxy::access",
        %method,
        path = %path,
        status = resp.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
    );
    resp
}

/// A request path as logged: at most [`LOG_PATH_CHARS`] characters.
pub fn log_path(path: &str) -> String {
    match path.char_indices().nth(LOG_PATH_CHARS) {
        Some((cut, _)) => format!("{}…", &path[..cut]),
        None => path.to_owned(),
    }
}
