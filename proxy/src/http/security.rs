//! Security headers on every response the proxy sends — pages, files, API answers and errors
//! alike ([`security_headers`]): the Content-Security-Policy of the current `index.html` and the
//! fixed headers, both defined in [`crate::site::csp`].

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::site::csp::FIXED_HEADERS;
use crate::AppState;

/// Middleware: adds the CSP and the fixed headers to every response.
pub async fn security_headers(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let headers = resp.headers_mut();
    headers.insert(HeaderName::from_static("content-security-policy"), state.index.csp());
    for (name, value) in FIXED_HEADERS {
        headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    resp
}
