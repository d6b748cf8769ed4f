//! Signed-in devices. Signing in stores a session: a random secret goes to the browser in the
//! cookie, and only its SHA-256 is kept here, with the account, when it started, when it was last
//! used and what browser it was. Every request looks its session up, so signing a device out
//! (from that device, from another one, or by a password change) is refused at once by every
//! instance that shares the database.
//!
//! A session ends after `idle` without use, and [`MAX_AGE_SECS`] after it started whatever
//! happens; use slides the idle end forward, written at most once a [`TOUCH_EVERY_SECS`].

use sqlx::any::AnyRow;
use sqlx::Row;

use super::tokens::{random_token, token_hash};
use super::{Account, AccountError, Person};
use crate::db::Db;

/// The longest a session lasts (30 days), however active.
pub const MAX_AGE_SECS: i64 = 30 * 24 * 3600;
/// How often a session's last use is written.
pub const TOUCH_EVERY_SECS: i64 = 60;
/// Longest device description kept.
const MAX_DEVICE: usize = 80;

/// A session the request's cookie names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    /// Its public handle.
    pub id: String,
    /// Whose it is.
    pub person: Person,
    /// When it was last used (Unix seconds).
    pub last_seen: i64,
}

/// One signed-in device, for the list in Settings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Device {
    /// The session's public handle.
    pub id: String,
    /// What browser it is ("Firefox on Android").
    pub device: String,
    /// When it signed in (Unix seconds).
    pub created_at: i64,
    /// When it was last used (Unix seconds).
    pub last_seen: i64,
}

/// A new session for `account`, as it was when its password was checked; returns the cookie's
/// secret and the session's handle, or `None` when the password changed (or the account went)
/// since — so a sign-in racing a password change never outlives it.
pub async fn start(
    db: &Db,
    account: &Account,
    device: &str,
    now: i64,
    idle: i64,
) -> Result<Option<(String, String)>, AccountError> {
    let (secret, id) = (random_token(), random_token()[..22].to_owned());
    let device: String = device.chars().take(MAX_DEVICE).collect();
    let started = sqlx::query(
        "INSERT INTO signin_sessions (id, token_sha256, account_id, created_at, last_seen, expires_at, device) \
         SELECT $1, $2, id, $4, $4, $5, $6 FROM accounts WHERE id = $3 AND password_hash = $7",
    )
    .bind(&id)
    .bind(token_hash(&secret))
    .bind(account.id)
    .bind(now)
    .bind(expiry(now, now, idle))
    .bind(device)
    .bind(account.password_hash.as_deref())
    .execute(db.pool())
    .await?;
    Ok((started.rows_affected() == 1).then_some((secret, id)))
}

/// When a session started at `created` and last used at `seen` ends.
pub fn expiry(created: i64, seen: i64, idle: i64) -> i64 {
    (seen + idle).min(created + MAX_AGE_SECS)
}

/// The live session whose cookie secret is `secret`, of a person who still has a password and
/// has not changed it since.
pub async fn find(db: &Db, secret: &str, now: i64) -> Result<Option<Current>, AccountError> {
    let row = sqlx::query(
        "SELECT s.id, s.last_seen, a.id, a.name, a.user_id FROM signin_sessions s \
         JOIN accounts a ON a.id = s.account_id \
         WHERE s.token_sha256 = $1 AND s.expires_at > $2 \
         AND a.password_hash IS NOT NULL AND s.created_at >= a.sessions_valid_after",
    )
    .bind(token_hash(secret))
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    let current = |row: &AnyRow| -> Result<Current, sqlx::Error> {
        Ok(Current {
            id: row.try_get(0)?,
            last_seen: row.try_get(1)?,
            person: Person { account: row.try_get(2)?, name: row.try_get(3)?, user_id: row.try_get(4)? },
        })
    };
    Ok(row.as_ref().map(current).transpose()?)
}

/// Notes a use of session `id` at `now` when the last noted one is older than
/// [`TOUCH_EVERY_SECS`] (the idle end slides forward).
pub async fn touch(db: &Db, current: &Current, now: i64, idle: i64) -> Result<(), AccountError> {
    if now - current.last_seen < TOUCH_EVERY_SECS {
        return Ok(());
    }
    sqlx::query(
        "UPDATE signin_sessions SET last_seen = $1, \
         expires_at = CASE WHEN $2 < created_at + $3 THEN $2 ELSE created_at + $3 END WHERE id = $4",
    )
    .bind(now)
    .bind(now + idle)
    .bind(MAX_AGE_SECS)
    .bind(&current.id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The live sessions of `account`, most recently used first.
pub async fn list(db: &Db, account: i64, now: i64) -> Result<Vec<Device>, AccountError> {
    let rows = sqlx::query(
        "SELECT id, device, created_at, last_seen FROM signin_sessions \
         WHERE account_id = $1 AND expires_at > $2 ORDER BY last_seen DESC, created_at DESC",
    )
    .bind(account)
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    let device = |row: &AnyRow| -> Result<Device, sqlx::Error> {
        Ok(Device {
            id: row.try_get(0)?,
            device: row.try_get(1)?,
            created_at: row.try_get(2)?,
            last_seen: row.try_get(3)?,
        })
    };
    Ok(rows.iter().map(device).collect::<Result<_, _>>()?)
}

/// Ends `account`'s session `id`; whether there was one.
pub async fn end(db: &Db, account: i64, id: &str) -> Result<bool, AccountError> {
    let q = sqlx::query("DELETE FROM signin_sessions WHERE account_id = $1 AND id = $2").bind(account).bind(id);
    Ok(q.execute(db.pool()).await?.rows_affected() == 1)
}

/// Ends every session of `account` but `keep`; how many ended.
pub async fn end_others(db: &Db, account: i64, keep: &str) -> Result<u64, AccountError> {
    let q = sqlx::query("DELETE FROM signin_sessions WHERE account_id = $1 AND id <> $2").bind(account).bind(keep);
    Ok(q.execute(db.pool()).await?.rows_affected())
}

/// Forgets sessions that have ended; how many.
pub async fn purge(db: &Db, now: i64) -> Result<u64, AccountError> {
    let q = sqlx::query("DELETE FROM signin_sessions WHERE expires_at <= $1").bind(now);
    Ok(q.execute(db.pool()).await?.rows_affected())
}

/// A short, content-free description of a browser from its `User-Agent` ("Chrome on Android").
pub fn describe(user_agent: &str) -> String {
    let ua = user_agent;
    let browser = if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") || ua.contains("CriOS/") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else {
        "A browser"
    };
    let system = if ua.contains("Android") {
        "Android"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Linux") || ua.contains("X11") {
        "Linux"
    } else {
        return browser.to_owned();
    };
    format!("{browser} on {system}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_are_named_without_their_details() {
        let android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36";
        assert_eq!(describe(android), "Chrome on Android");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
        assert_eq!(describe(iphone), "Safari on iOS");
        assert_eq!(
            describe("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"),
            "Firefox on Linux"
        );
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0";
        assert_eq!(describe(edge), "Edge on Windows");
        assert_eq!(describe("curl/8.5"), "A browser");
    }

    #[test]
    fn a_session_ends_idle_or_at_its_maximum_age() {
        assert_eq!(expiry(0, 0, 3600), 3600);
        assert_eq!(expiry(0, 10_000, 3600), 13_600);
        assert_eq!(expiry(0, MAX_AGE_SECS, 3600), MAX_AGE_SECS, "never past the maximum age");
    }
}
