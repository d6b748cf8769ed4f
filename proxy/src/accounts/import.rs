//! The users file of earlier versions (`WELLNESS0_USERS_FILE`), read into the database once, on
//! the first start that finds it: everyone in it, their password hashes and their open invites.
//! The file is left as it was; after the import the database is what counts (the `meta` row
//! `users_file_imported` says when it happened, so the import never runs twice).
//!
//! ```json
//! {"version": 1, "session_secret": "…",
//!  "users": [{"name": "alice", "user_id": "w0-…", "password": "$argon2id$v=19$…",
//!             "created_at": 1764100000, "sessions_valid_after": 1764100000,
//!             "invite": {"token_sha256": "<hex>", "expires_at": 1764700000}}]}
//! ```
//!
//! Sign-in cookies of those versions are not carried over: people sign in once more.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{invites, valid_name, valid_user_id, AccountError, NewAccount};
use crate::db::Db;

/// The `meta` key that records the import.
pub const IMPORTED: &str = "users_file_imported";

/// The file, as earlier versions wrote it.
#[derive(Debug, Deserialize)]
struct UsersFile {
    version: u32,
    users: Vec<User>,
}

#[derive(Debug, Deserialize)]
struct User {
    name: String,
    user_id: String,
    password: Option<String>,
    created_at: u64,
    sessions_valid_after: u64,
    invite: Option<Invite>,
}

#[derive(Debug, Deserialize)]
struct Invite {
    token_sha256: String,
    expires_at: u64,
}

/// Why the import failed (the database is left as it was).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Reading the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid users file.
    #[error("{path} is not a valid users file: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong (never the file's content).
        reason: String,
    },
    /// The database refused it.
    #[error(transparent)]
    Account(#[from] AccountError),
}

fn read(path: &Path) -> Result<UsersFile, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Io { path: path.into(), source })?;
    let invalid = |reason: String| ImportError::Invalid { path: path.into(), reason };
    // serde's messages name the position, not the content.
    let file: UsersFile = serde_json::from_slice(&bytes).map_err(|e| invalid(format!("line {}", e.line())))?;
    if file.version != 1 {
        return Err(invalid(format!("unknown version {}", file.version)));
    }
    for (i, u) in file.users.iter().enumerate() {
        if !valid_name(&u.name) || !valid_user_id(&u.user_id) {
            return Err(invalid(format!("entry {} has a bad name or user id", i + 1)));
        }
    }
    Ok(file)
}

/// Imports `path` when it exists and no import has run yet; how many people it brought in
/// (`None`: nothing to do).
pub async fn import_once(db: &Db, path: &Path, now: i64) -> Result<Option<usize>, ImportError> {
    if db.meta(IMPORTED).await.map_err(AccountError::from)?.is_some() {
        return Ok(None);
    }
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        _ => {}
    }
    let file = read(path)?;
    let secs = |t: u64| i64::try_from(t).unwrap_or(i64::MAX);
    let mut tx = db.pool().begin().await.map_err(AccountError::from)?;
    // Taken first: a second instance importing at the same moment waits here, then finds it done.
    let first = sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(IMPORTED)
        .bind(now.to_string())
        .execute(&mut *tx)
        .await
        .map_err(AccountError::from)?;
    if first.rows_affected() == 0 {
        return Ok(None);
    }
    for (i, u) in file.users.iter().enumerate() {
        let new = NewAccount {
            name: &u.name,
            user_id: Some(&u.user_id),
            password_hash: u.password.as_deref(),
            created_at: secs(u.created_at),
            sessions_valid_after: secs(u.sessions_valid_after),
        };
        let Some(account) = super::insert(&mut *tx, new).await? else {
            let reason = format!("entry {} repeats a name or user id", i + 1);
            return Err(ImportError::Invalid { path: path.into(), reason });
        };
        if let Some(inv) = &u.invite {
            invites::store(&mut *tx, account.id, &inv.token_sha256, secs(inv.expires_at)).await?;
        }
    }
    tx.commit().await.map_err(AccountError::from)?;
    Ok(Some(file.users.len()))
}
