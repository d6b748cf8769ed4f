//! Who a request is from, as middleware: [`identify`] reads the sign-in cookie (shared mode)
//! and marks the request with its [`Person`]; [`require_person_for_api`] and
//! [`require_person_for_site`] turn away requests from nobody signed in. The sign-in state
//! itself is [`crate::auth`].

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::accounts::sessions;
use crate::accounts::tokens::now_secs;
use crate::auth::{pages, session, Person};
use crate::error::{Api, AppError, SIGN_IN_CHALLENGE};
use crate::AppState;

/// Middleware on every request (shared mode): a cookie naming a live session of a person who
/// still has a password and has not changed it since makes the request theirs ([`Person`] and
/// [`sessions::Current`] extensions). Use slides the session's idle end forward (in the database; no
/// cookie is sent back).
pub async fn identify(State(state): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let Some(shared) = state.auth.shared_parts() else {
        return next.run(req).await;
    };
    if let Some(secret) = session::read(req.headers()) {
        let now = now_secs();
        match sessions::find(&shared.db, &secret, now).await {
            Ok(Some(current)) => {
                if let Err(e) = sessions::touch(&shared.db, &current, now, shared.idle_secs).await {
                    tracing::warn!(error = %e, "cannot note a session's use");
                }
                req.extensions_mut().insert(current.person.clone());
                req.extensions_mut().insert(current);
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = %e, "cannot look a session up");
                return AppError::Database { api: Api::of_path(req.uri().path()) }.into_response();
            }
        }
    }
    next.run(req).await
}

/// Middleware on the `/api/…` calls (not `/api/health`): shared mode needs a signed-in person.
pub async fn require_person_for_api(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if state.auth.is_shared() && req.extensions().get::<Person>().is_none() {
        return AppError::Unauthenticated { api: Api::of_path(req.uri().path()) }.into_response();
    }
    next.run(req).await
}

/// Middleware on the site (shared mode): nobody signed in gets the sign-in page for a page
/// request (after one same-site reload when another site linked here, see
/// [`pages::same_site_reload`]) and a 401 for anything else.
pub async fn require_person_for_site(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if !state.auth.is_shared() || req.extensions().get::<Person>().is_some() {
        return next.run(req).await;
    }
    let h = req.headers();
    let fetch = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
    let is_page = matches!(*req.method(), Method::GET | Method::HEAD)
        && (fetch("sec-fetch-dest") == "document"
            || fetch(header::ACCEPT.as_str()).contains("text/html")
            || super::site::is_route_like(req.uri().path()));
    if !is_page {
        let mut resp = (StatusCode::UNAUTHORIZED, "sign in first\n").into_response();
        resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(SIGN_IN_CHALLENGE));
        return resp;
    }
    if matches!(fetch("sec-fetch-site"), "cross-site" | "same-site") {
        return pages::same_site_reload();
    }
    let mut resp = StatusCode::SEE_OTHER.into_response();
    let to = format!("{}auth/signin", to_root(req.uri().path()));
    resp.headers_mut().insert(header::LOCATION, HeaderValue::from_str(&to).expect("dots and slashes"));
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The relative path from `path`'s directory to the site root (`/` → ``, `/a/b` → `../`), so
/// redirects keep any path prefix a reverse proxy in front strips.
pub fn to_root(path: &str) -> String {
    "../".repeat(path.matches('/').count().saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_to_the_root() {
        assert_eq!(to_root("/"), "");
        assert_eq!(to_root("/index.html"), "");
        assert_eq!(to_root("/chat/42"), "../");
        assert_eq!(to_root("/a/b/"), "../../");
    }
}
