//! Who is calling: [`Auth`], built once at start. In personal mode (the default, on loopback)
//! the one person at the keyboard owns everything and nobody signs in. In shared mode (a database
//! is configured) people sign in (the routes are [`crate::http::signin`], the pages [`pages`])
//! with a secret their device derives from their password ([`crate::kdf`]: the password never leaves
//! the device), hashed by Argon2id ([`password`]), to an account in the database
//! ([`crate::accounts`], managed by [`crate::cli`]); the sign-in cookie ([`session`]) names a
//! session the database keeps, which tells the proxy who each request is from
//! ([`crate::http::auth::identify`]), and every memory call is bound to that [`Person`].

pub mod pages;
pub mod password;
pub mod session;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::accounts::hub::{self, SyncHub};
use crate::accounts::import::{import_once, ImportError};
use crate::accounts::sessions;
use crate::accounts::tokens::now_secs;
pub use crate::accounts::Person;
use crate::db::{Db, DbError, Engine};
use crate::ratelimit::RateLimiter;
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
    /// Who waits to hear of sync changes (fed by this instance's pushes and, on PostgreSQL,
    /// every instance's).
    pub sync_hub: Arc<SyncHub>,
    /// Bytes of sync records each person may store.
    pub sync_quota_bytes: i64,
    /// What salts for names without one are derived from ([`kdf::Kdf::for_name`]), the same on
    /// every instance.
    pub salt_secret: Vec<u8>,
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
    /// Bytes of sync records each person may store.
    pub sync_quota_bytes: u64,
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
        let sync_hub = Arc::new(SyncHub::default());
        if db.engine() == Engine::Postgres {
            let (ready, listening) = tokio::sync::oneshot::channel();
            let url = settings.database_url.clone();
            tokio::spawn(hub::listen_postgres(url, db.clone(), Arc::downgrade(&sync_hub), ready));
            // Listening before the first request, so no push of another instance is missed.
            let _ = tokio::time::timeout(Duration::from_secs(10), listening).await;
        }
        let sync_quota_bytes = i64::try_from(settings.sync_quota_bytes).unwrap_or(i64::MAX);
        let hasher = Hasher::default();
        let salt_secret = crate::accounts::salt_secret(&db).await?;
        let shared = Shared { db, idle_secs, hasher, attempts, sync_hub, sync_quota_bytes, salt_secret };
        Ok(Self { shared: Some(shared) })
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

/// Forgets ended sessions and old event owners now and every hour (any instance may: the work
/// is two DELETEs).
async fn purge_ended_sessions(db: Db) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every.tick().await;
        let now = now_secs();
        let purged = match sessions::purge(&db, now).await {
            Ok(n) => crate::accounts::events::purge(&db, now).await.map(|e| (n, e)),
            Err(e) => Err(e),
        };
        match purged {
            Ok((n, e)) if n + e > 0 => tracing::info!(sessions = n, events = e, "forgot ended sessions and old events"),
            Ok(_) => {}
            // Closed at shutdown: nothing more to do.
            Err(_) if db.pool().is_closed() => return,
            Err(e) => tracing::warn!(error = %e, "cannot forget ended sessions or old events"),
        }
    }
}
