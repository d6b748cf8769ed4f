//! Whose mem0 events are: the proxy notes the event id of every add and delete-all it forwards
//! for a person, and answers an event's status only to that person. Kept [`KEEP_SECS`] (events
//! finish within minutes; the app stops asking after that).

use super::AccountError;
use crate::db::Db;

/// How long an event's owner is kept (7 days).
pub const KEEP_SECS: i64 = 7 * 24 * 3600;
/// Longest event id kept.
const MAX_ID: usize = 128;

/// Notes that `account`'s call created event `id` (a repeat is a no-op).
pub async fn record(db: &Db, id: &str, account: i64, now: i64) -> Result<(), AccountError> {
    if id.is_empty() || id.len() > MAX_ID {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO memory_events (event_id, account_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(id)
    .bind(account)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Whether event `id` was created by `account`'s call.
pub async fn belongs_to(db: &Db, id: &str, account: i64) -> Result<bool, AccountError> {
    let q = sqlx::query_scalar("SELECT account_id FROM memory_events WHERE event_id = $1").bind(id);
    let owner: Option<i64> = q.fetch_optional(db.pool()).await?;
    Ok(owner == Some(account))
}

/// Forgets owners older than [`KEEP_SECS`]; how many.
pub async fn purge(db: &Db, now: i64) -> Result<u64, AccountError> {
    let q = sqlx::query("DELETE FROM memory_events WHERE created_at < $1").bind(now - KEEP_SECS);
    Ok(q.execute(db.pool()).await?.rows_affected())
}
