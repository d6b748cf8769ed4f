//! One-time links that let a person set their password: only the token's hash is stored, a new
//! invite replaces the old one, and using one is a single atomic step (it works once, on every
//! instance at once).

use super::tokens::{random_token, token_hash};
use super::{account_of, columns, name_key, Account, AccountError};
use crate::db::Db;
use crate::kdf::Verifier;

/// When an account's open invite ends (Unix seconds), if it has one.
pub async fn expiry(db: &Db, account: i64) -> Result<Option<i64>, AccountError> {
    let q = sqlx::query_scalar("SELECT expires_at FROM invites WHERE account_id = $1").bind(account);
    Ok(q.fetch_optional(db.pool()).await?)
}

/// A new invite for `name`, valid `valid_secs` from `now` (replacing any earlier one); its token.
pub async fn create(db: &Db, name: &str, valid_secs: i64, now: i64) -> Result<String, AccountError> {
    let account = super::find(db, name).await?.ok_or_else(|| AccountError::NoSuchUser(name.into()))?;
    let token = random_token();
    store(db.pool(), account.id, &token_hash(&token), now + valid_secs).await?;
    Ok(token)
}

/// Stores an invite by its token's hash (replacing the account's earlier one).
pub(crate) async fn store<'c, E>(conn: E, account: i64, hash: &str, expires_at: i64) -> Result<(), AccountError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO invites (account_id, token_sha256, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id) DO UPDATE SET token_sha256 = excluded.token_sha256, expires_at = excluded.expires_at",
    )
    .bind(account)
    .bind(hash)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The person a still-valid invite token belongs to.
pub async fn invited(db: &Db, token: &str, now: i64) -> Result<Option<Account>, AccountError> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM accounts \
         WHERE id = (SELECT account_id FROM invites WHERE token_sha256 = $1 AND expires_at > $2)"
    );
    let row = sqlx::query(sql).bind(token_hash(token)).bind(now).fetch_optional(db.pool()).await?;
    Ok(row.as_ref().map(account_of).transpose()?)
}

/// Uses `token` to set `name`'s verifier: `None` when the link is no longer valid (used,
/// replaced, expired) or is someone else's. Signs every device of theirs out.
pub async fn redeem(
    db: &Db,
    token: &str,
    name: &str,
    verifier: &Verifier,
    now: i64,
) -> Result<Option<Account>, AccountError> {
    let mut tx = db.pool().begin().await?;
    let used: Option<i64> = sqlx::query_scalar(
        "DELETE FROM invites WHERE token_sha256 = $1 AND expires_at > $2 \
         AND account_id = (SELECT id FROM accounts WHERE name_key = $3) RETURNING account_id",
    )
    .bind(token_hash(token))
    .bind(now)
    .bind(name_key(name))
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = used else {
        return Ok(None);
    };
    let account = super::store_password(&mut tx, id, verifier, now).await?;
    tx.commit().await?;
    Ok(Some(account))
}
