//! Who is calling. In personal mode (the default, on loopback) the one person at the keyboard
//! owns everything and nobody signs in. In shared mode (a users file is configured) people
//! sign in ([`signin`], [`pages`]) with a password hashed by Argon2id ([`password`]) from the
//! users file ([`users`], [`store`], managed by [`cli`]); a session cookie ([`session`])
//! tells the proxy who each request is from ([`identify`]), and every memory call is bound to
//! that [`Person`].

pub mod cli;
pub mod pages;
pub mod password;
pub mod session;
pub mod signin;
pub mod store;
pub mod users;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{Api, AppError};
use crate::ratelimit::RateLimiter;
use crate::AppState;
use password::Hasher;
use session::Sessions;
use store::UsersStore;
use users::{now_secs, UsersError};

/// A signed-in person, as request handlers see them (a request extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The name they sign in with.
    pub name: String,
    /// The mem0 user id their memories are stored under.
    pub user_id: String,
}

/// Shared mode's parts.
#[derive(Debug)]
pub struct Shared {
    /// The users file.
    pub users: UsersStore,
    /// Session cookies.
    pub sessions: Sessions,
    /// Password hashing off the async threads.
    pub hasher: Hasher,
    /// Sign-in attempts, per `ip:…` and per `name:…`.
    pub attempts: RateLimiter<String>,
}

/// The sign-in configuration.
#[derive(Debug, Default)]
pub struct Auth {
    shared: Option<Shared>,
}

/// Why shared mode could not start.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The users file is missing or invalid.
    #[error("users file: {0} (create it with `wellness0-proxy users add NAME`)")]
    Users(#[from] UsersError),
    /// `WELLNESS0_SESSION_SECRET` is too short.
    #[error("WELLNESS0_SESSION_SECRET must be at least 32 bytes (e.g. `openssl rand -base64 48`)")]
    ShortSecret,
}

/// What shared mode needs from the configuration.
#[derive(Debug, Clone)]
pub struct SharedSettings {
    /// The users file.
    pub users_file: PathBuf,
    /// A session secret that overrides the users file's.
    pub secret: Option<String>,
    /// How long a session lasts.
    pub session_ttl: Duration,
    /// Sign-in attempts a minute, per name and per IP.
    pub attempts_per_minute: u32,
}

impl Auth {
    /// Personal mode: no sign-in.
    pub fn personal() -> Self {
        Self { shared: None }
    }

    /// Shared mode from `settings`.
    pub fn shared(settings: &SharedSettings) -> Result<Self, AuthError> {
        let users = UsersStore::open(settings.users_file.clone())?;
        let secret = match settings.secret.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) if s.len() < 32 => return Err(AuthError::ShortSecret),
            Some(s) => s.as_bytes().to_vec(),
            None => users::UsersFile::load(&settings.users_file)?.secret().ok_or(AuthError::ShortSecret)?,
        };
        let sessions = Sessions::new(&secret, settings.session_ttl).ok_or(AuthError::ShortSecret)?;
        let per_minute = settings.attempts_per_minute.max(1);
        let attempts = RateLimiter::new(per_minute, per_minute).expect("at least one a minute");
        Ok(Self { shared: Some(Shared { users, sessions, hasher: Hasher::default(), attempts }) })
    }

    /// Whether people must sign in.
    pub fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// Shared mode's parts.
    pub fn shared_parts(&self) -> Option<&Shared> {
        self.shared.as_ref()
    }
}

/// Middleware on every request (shared mode): a valid session cookie of a person still in the
/// users file, issued after their last password change, makes the request theirs ([`Person`]
/// extension). A session past half its lifetime is renewed on the response.
pub async fn identify(State(state): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let Some(shared) = state.auth.shared_parts() else {
        return next.run(req).await;
    };
    let now = now_secs();
    let mut renewal = None;
    if let Some(claims) = shared.sessions.read(req.headers(), now) {
        let users = shared.users.current().await;
        let user = users
            .find(&claims.name)
            .filter(|u| u.user_id == claims.uid && u.password.is_some() && claims.iat >= u.sessions_valid_after);
        if let Some(u) = user {
            if shared.sessions.needs_renewal(&claims, now) {
                renewal = Some(shared.sessions.issue(&u.name, &u.user_id, now));
            }
            req.extensions_mut().insert(Person { name: u.name.clone(), user_id: u.user_id.clone() });
        }
    }
    let mut resp = next.run(req).await;
    if let Some(cookie) = renewal {
        // Signing out sets its own cookie; never undo it.
        if !resp.headers().contains_key(header::SET_COOKIE) {
            resp.headers_mut().insert(header::SET_COOKIE, cookie);
        }
    }
    resp
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
            || crate::http::site::is_route_like(req.uri().path()));
    if !is_page {
        let mut resp = (StatusCode::UNAUTHORIZED, "sign in first\n").into_response();
        resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
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
