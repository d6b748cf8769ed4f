//! Who is calling. In personal mode (the default, on loopback) the one person at the keyboard
//! owns everything and nobody signs in. In shared mode (a database is configured) people sign in
//! ([`signin`], [`pages`]) with a password hashed by Argon2id ([`password`]) to an account in
//! the database ([`crate::accounts`], managed by [`cli`]); the sign-in cookie ([`session`])
//! names a session the database keeps, which tells the proxy who each request is from
//! ([`identify`]), and every memory call is bound to that [`Person`].

pub mod cli;
pub mod pages;
pub mod password;
pub mod session;
pub mod signin;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::accounts::import::{import_once, ImportError};
use crate::accounts::sessions;
use crate::accounts::tokens::now_secs;
pub use crate::accounts::Person;
use crate::db::{Db, DbError};
use crate::error::{Api, AppError};
use crate::ratelimit::RateLimiter;
use crate::AppState;
use password::Hasher;

/// Shared mode's parts.
#[derive(Debug)]
pub struct Shared {
    /// Accounts and sessions.
    pub db: Db,
    /// How long a session lasts without use (seconds).
    pub idle_secs: i64,
    /// Password hashing off the async threads.
    pub hasher: Hasher,
    /// Sign-in attempts, per `ip:…` and per `name|ip:…`.
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
    /// The database cannot be opened.
    #[error(transparent)]
    Db(#[from] DbError),
    /// An earlier version's users file cannot be imported.
    #[error("importing the users file: {0}")]
    Import(#[from] ImportError),
}

/// What shared mode needs from the configuration.
#[derive(Debug, Clone)]
pub struct SharedSettings {
    /// The database (`sqlite://…` or `postgres://…`).
    pub database_url: String,
    /// An earlier version's users file to import on the first start.
    pub users_file: Option<PathBuf>,
    /// How long a session lasts without use.
    pub session_ttl: Duration,
    /// Sign-in attempts a minute, per client address and per name from one address.
    pub attempts_per_minute: u32,
}

impl Auth {
    /// Personal mode: no sign-in.
    pub fn personal() -> Self {
        Self { shared: None }
    }

    /// Shared mode from `settings`: opens (and migrates) the database and imports the users
    /// file of an earlier version, once.
    pub async fn shared(settings: &SharedSettings) -> Result<Self, AuthError> {
        let db = Db::open(&settings.database_url).await?;
        if let Some(path) = &settings.users_file {
            if let Some(n) = import_once(&db, path, now_secs()).await? {
                tracing::info!(people = n, file = %path.display(), "imported the users file into the database");
            }
        }
        let per_minute = settings.attempts_per_minute.max(1);
        let attempts = RateLimiter::new(per_minute, per_minute).expect("at least one a minute");
        let idle_secs = i64::try_from(settings.session_ttl.as_secs()).unwrap_or(i64::MAX).max(60);
        tokio::spawn(purge_ended_sessions(db.clone()));
        Ok(Self { shared: Some(Shared { db, idle_secs, hasher: Hasher::default(), attempts }) })
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

/// Forgets ended sessions now and every hour (any instance may; the work is one DELETE).
async fn purge_ended_sessions(db: Db) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every.tick().await;
        match sessions::purge(&db, now_secs()).await {
            Ok(n) if n > 0 => tracing::info!(sessions = n, "forgot ended sessions"),
            Ok(_) => {}
            // Closed at shutdown: nothing more to do.
            Err(_) if db.pool().is_closed() => return,
            Err(e) => tracing::warn!(error = %e, "cannot forget ended sessions"),
        }
    }
}

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
