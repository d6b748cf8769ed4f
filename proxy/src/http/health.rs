//! `GET /api/health`: tells the page it runs behind the proxy, which keys the proxy holds (as
//! booleans; never the keys), which memory backend is behind `/api/mem0/`, and who is signed
//! in (shared mode). In shared mode nobody signed in is told only `proxy` and `auth`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::accounts::Person;
use crate::AppState;

/// The health answer.
#[derive(Debug, Serialize)]
pub struct Health {
    /// Always `true`: the marker the app looks for.
    pub proxy: bool,
    /// The proxy's version (not told to anonymous callers in shared mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<&'static str>,
    /// Gemini side (likewise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gemini: Option<KeyStatus>,
    /// mem0 side (likewise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem0: Option<Mem0Status>,
    /// Sign-in.
    pub auth: AuthStatus,
}

/// Whether a key is configured for one upstream.
#[derive(Debug, Serialize)]
pub struct KeyStatus {
    /// `true` when the proxy adds its own key.
    pub key: bool,
}

/// The memory service.
#[derive(Debug, Serialize)]
pub struct Mem0Status {
    /// `true` when the proxy adds its own key.
    pub key: bool,
    /// `platform` or `self_hosted`: which paths the page calls under `/api/mem0/`.
    pub backend: &'static str,
}

/// Sign-in state.
#[derive(Debug, Serialize)]
pub struct AuthStatus {
    /// `personal` (nobody signs in) or `shared`.
    pub mode: &'static str,
    /// Who is signed in (`null` in personal mode or when nobody is).
    pub user: Option<UserStatus>,
}

/// The signed-in person.
#[derive(Debug, Serialize)]
pub struct UserStatus {
    /// The name they signed in with.
    pub name: String,
    /// The mem0 user id the proxy binds their memory calls to.
    pub user_id: String,
}

/// Handler.
pub async fn health(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let user =
        req.extensions().get::<Person>().map(|p| UserStatus { name: p.name.clone(), user_id: p.user_id.clone() });
    // In shared mode a stranger learns only that this is a wellness0 that wants a sign-in: not
    // its version, nor which keys and memory service its operator set up.
    let told = !state.auth.is_shared() || user.is_some();
    let body = Health {
        proxy: true,
        version: told.then_some(env!("CARGO_PKG_VERSION")),
        gemini: told.then(|| KeyStatus { key: state.gemini.has_key() }),
        mem0: told.then(|| Mem0Status { key: state.mem0.has_key(), backend: state.mem0_backend.health_name() }),
        auth: AuthStatus { mode: if state.auth.is_shared() { "shared" } else { "personal" }, user },
    };
    let mut resp = Json(body).into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}
