//! The people of shared mode, in the database ([`crate::db`]): who may sign in, their
//! password hashes (Argon2id PHC strings, hashed in [`crate::auth::password`]), pending invites
//! ([`invites`]) and the sessions of their signed-in devices ([`sessions`]). An earlier
//! version's users file is read in once ([`import`]). Each person's end-to-end encrypted sync
//! records live beside their account ([`sync`]); [`hub`] tells listeners when they change.
//!
//! Names are unique without case; every person has a mem0 user id of their own, never empty and
//! never `*`.

pub mod events;
pub mod hub;
pub mod import;
pub mod invites;
pub mod sessions;
pub mod sync;
pub mod tokens;

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::Row;

use crate::db::{Db, DbError};
use crate::kdf::{Kdf, Verifier};

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, AnyArguments>;

/// Longest name.
pub const MAX_NAME: usize = 64;
/// Longest mem0 user id.
pub const MAX_USER_ID: usize = 128;

/// A signed-in person, as request handlers see them (a request extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Their account's row.
    pub account: i64,
    /// The name they sign in with.
    pub name: String,
    /// The mem0 user id their memories are stored under.
    pub user_id: String,
}

/// One person's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The row id.
    pub id: i64,
    /// What they sign in with.
    pub name: String,
    /// The mem0 user id their memories live under.
    pub user_id: String,
    /// PHC string of their authentication secret's hash (of the password itself for an account
    /// from before, whose `kdf` is `None`); `None` until an invite is used.
    pub password_hash: Option<String>,
    /// How their device derives the secret; `None` for an account from before.
    pub kdf: Option<Kdf>,
    /// When they were added (Unix seconds).
    pub created_at: i64,
    /// Sessions started before this (Unix seconds) are refused.
    pub sessions_valid_after: i64,
}

impl Account {
    /// The person this account signs in as.
    pub fn person(&self) -> Person {
        Person { account: self.id, name: self.name.clone(), user_id: self.user_id.clone() }
    }
}

/// What can go wrong with an account or a change to one.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// A bad name.
    #[error("names are 1 to {MAX_NAME} letters, digits, `.`, `_`, `-` or `@`")]
    BadName,
    /// A bad mem0 user id.
    #[error("user ids are 1 to {MAX_USER_ID} letters, digits, `.`, `_`, `-`, `@` or `:` (never `*`)")]
    BadUserId,
    /// The name is taken.
    #[error("there is already someone called {0:?}")]
    NameTaken(String),
    /// The user id is taken.
    #[error("the user id {0:?} already belongs to someone else")]
    UserIdTaken(String),
    /// Nobody has that name.
    #[error("nobody is called {0:?}")]
    NoSuchUser(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for AccountError {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(DbError::Sql(e))
    }
}

/// Whether `name` is an acceptable name.
pub fn valid_name(name: &str) -> bool {
    (1..=MAX_NAME).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

/// Whether `id` is an acceptable mem0 user id (never empty, never `*`).
pub fn valid_user_id(id: &str) -> bool {
    (1..=MAX_USER_ID).contains(&id.len())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | ':'))
}

/// The key a name is unique under.
pub fn name_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// The columns [`account`] reads, in its order (a macro, so queries stay literal strings).
macro_rules! columns {
    () => {
        "id, name, user_id, password_hash, created_at, sessions_valid_after, kdf_salt, kdf_iterations"
    };
}
pub(crate) use columns;

fn account_of(row: &AnyRow) -> Result<Account, sqlx::Error> {
    Ok(Account {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        user_id: row.try_get(2)?,
        password_hash: row.try_get(3)?,
        created_at: row.try_get(4)?,
        sessions_valid_after: row.try_get(5)?,
        kdf: match (row.try_get::<Option<String>, _>(6)?, row.try_get::<Option<i64>, _>(7)?) {
            (Some(salt), Some(n)) => Some(Kdf { salt, iterations: u32::try_from(n).unwrap_or(u32::MAX) }),
            _ => None,
        },
    })
}

/// The person called `name` (without case).
pub async fn find(db: &Db, name: &str) -> Result<Option<Account>, AccountError> {
    let sql = concat!("SELECT ", columns!(), " FROM accounts WHERE name_key = $1");
    let row = sqlx::query(sql).bind(name_key(name)).fetch_optional(db.pool()).await?;
    Ok(row.as_ref().map(account_of).transpose()?)
}

/// Everyone, by name.
pub async fn list(db: &Db) -> Result<Vec<Account>, AccountError> {
    let sql = concat!("SELECT ", columns!(), " FROM accounts ORDER BY name_key");
    let rows = sqlx::query(sql).fetch_all(db.pool()).await?;
    Ok(rows.iter().map(account_of).collect::<Result<_, _>>()?)
}

/// What [`add`] stores.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    /// The name.
    pub name: &'a str,
    /// The mem0 user id (default: a new random one).
    pub user_id: Option<&'a str>,
    /// A password hash, when one is known already (an import).
    pub password_hash: Option<&'a str>,
    /// When the person was added.
    pub created_at: i64,
    /// Sessions started before this are refused.
    pub sessions_valid_after: i64,
}

impl<'a> NewAccount<'a> {
    /// Someone added now, with no password yet.
    pub fn now(name: &'a str, user_id: Option<&'a str>, now: i64) -> Self {
        Self { name, user_id, password_hash: None, created_at: now, sessions_valid_after: now }
    }
}

/// Adds a person, after checking the name and the user id.
pub async fn add(db: &Db, new: NewAccount<'_>) -> Result<Account, AccountError> {
    if !valid_name(new.name) {
        return Err(AccountError::BadName);
    }
    if new.user_id.is_some_and(|id| !valid_user_id(id)) {
        return Err(AccountError::BadUserId);
    }
    if find(db, new.name).await?.is_some() {
        return Err(AccountError::NameTaken(new.name.into()));
    }
    if let Some(id) = new.user_id {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE user_id = $1")
            .bind(id)
            .fetch_one(db.pool())
            .await?;
        if n > 0 {
            return Err(AccountError::UserIdTaken(id.into()));
        }
    }
    // Another instance may have added the same name since the checks.
    let name = new.name;
    insert(db.pool(), new).await?.ok_or_else(|| AccountError::NameTaken(name.into()))
}

/// Inserts a valid account; `None` when its name or user id is taken.
pub(crate) async fn insert<'c, E>(conn: E, new: NewAccount<'_>) -> Result<Option<Account>, AccountError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let user_id = match new.user_id {
        Some(id) => id.to_owned(),
        None => format!("w0-{}", &tokens::random_token()[..22]),
    };
    let sql = concat!(
        "INSERT INTO accounts (name, name_key, user_id, password_hash, created_at, sessions_valid_after) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING ",
        columns!()
    );
    let row = sqlx::query(sql)
        .bind(new.name)
        .bind(name_key(new.name))
        .bind(user_id)
        .bind(new.password_hash)
        .bind(new.created_at)
        .bind(new.sessions_valid_after)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(account_of).transpose()?)
}

/// Removes a person (their invite and sessions go with them).
pub async fn remove(db: &Db, name: &str) -> Result<Account, AccountError> {
    let sql = concat!("DELETE FROM accounts WHERE name_key = $1 RETURNING ", columns!());
    let row = sqlx::query(sql).bind(name_key(name)).fetch_optional(db.pool()).await?;
    row.as_ref().map(account_of).transpose()?.ok_or_else(|| AccountError::NoSuchUser(name.into()))
}

/// Sets a password's verifier: any invite is used up, and every device is signed out.
pub async fn set_password(db: &Db, name: &str, verifier: &Verifier, now: i64) -> Result<Account, AccountError> {
    let mut tx = db.pool().begin().await?;
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM accounts WHERE name_key = $1")
        .bind(name_key(name))
        .fetch_optional(&mut *tx)
        .await?;
    let id = id.ok_or_else(|| AccountError::NoSuchUser(name.into()))?;
    let account = store_password(&mut tx, id, verifier, now).await?;
    tx.commit().await?;
    Ok(account)
}

/// Stores account `id`'s new verifier, uses up its invite and ends its sessions.
pub(crate) async fn store_password(
    conn: &mut sqlx::AnyConnection,
    id: i64,
    verifier: &Verifier,
    now: i64,
) -> Result<Account, AccountError> {
    let sql = concat!(
        "UPDATE accounts SET password_hash = $1, sessions_valid_after = $2, kdf_salt = $3, kdf_iterations = $4 \
         WHERE id = $5 RETURNING ",
        columns!()
    );
    let row = new_verifier(sql, id, verifier, now).fetch_one(&mut *conn).await?;
    end_access(conn, id).await?;
    Ok(account_of(&row)?)
}

/// `sql` (an update of account `id` to `verifier`, from now on: `$1`–`$5`) with its parameters.
fn new_verifier<'q>(sql: &'static str, id: i64, verifier: &'q Verifier, now: i64) -> AnyQuery<'q> {
    sqlx::query(sql)
        .bind(&verifier.hash)
        .bind(now)
        .bind(&verifier.kdf.salt)
        .bind(i64::from(verifier.kdf.iterations))
        .bind(id)
}

/// Uses up account `id`'s invite and ends its sessions (its password just changed).
async fn end_access(conn: &mut sqlx::AnyConnection, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM invites WHERE account_id = $1").bind(id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM signin_sessions WHERE account_id = $1").bind(id).execute(&mut *conn).await?;
    Ok(())
}

/// What [`change_password`] did.
#[derive(Debug)]
pub enum PasswordChange {
    /// Changed: the account as it is now (every session of it ended).
    Changed(Account),
    /// The password changed since it was checked: nothing was stored.
    PasswordMoved,
    /// The sync key is no longer the version the device read: nothing was stored.
    KeyMoved,
}

/// Changes the password of `account` (as it was when its current password was checked) to
/// `verifier`, with the sync data key wrapped anew for the new password: `key_version` is the
/// version of the key the device read (0 for none) and `key` its re-wrapped body, when the old
/// password's key opened it. One transaction, so the password and the key never disagree;
/// every session ends (the caller starts one for the browser that changed it).
pub async fn change_password(
    db: &Db,
    account: &Account,
    verifier: &Verifier,
    key_version: i64,
    key: Option<&str>,
    now: i64,
) -> Result<PasswordChange, AccountError> {
    let mut tx = db.pool().begin().await?;
    let sql = concat!(
        "UPDATE accounts SET password_hash = $1, sessions_valid_after = $2, kdf_salt = $3, kdf_iterations = $4 \
         WHERE id = $5 AND password_hash = $6 RETURNING ",
        columns!()
    );
    let row = new_verifier(sql, account.id, verifier, now)
        .bind(account.password_hash.as_deref())
        .fetch_optional(&mut *tx)
        .await?;
    let Some(row) = row else {
        return Ok(PasswordChange::PasswordMoved);
    };
    let key_kept = match (key, key_version) {
        (Some(body), v) if v > 0 => sync::replace_key(&mut tx, account.id, body, v, now).await?.is_some(),
        (Some(_), _) => false,
        (None, 0) => sync::key_version(&mut tx, account.id).await? == 0,
        // Not re-wrapped (this password's key does not open it): the version still counts up,
        // so a replacement read before the change is refused after it.
        (None, v) => sync::bump_key_version(&mut tx, account.id, v, now).await?.is_some(),
    };
    if !key_kept {
        return Ok(PasswordChange::KeyMoved);
    }
    end_access(&mut tx, account.id).await?;
    tx.commit().await?;
    Ok(PasswordChange::Changed(account_of(&row)?))
}

/// Moves an account from before (its hash of the password itself, just checked) to its
/// verifier, keeping its sessions: the one sign-in at which the server sees that password.
/// `None` when the account changed since the check.
pub async fn upgrade(db: &Db, account: &Account, verifier: &Verifier) -> Result<Option<Account>, AccountError> {
    let sql = concat!(
        "UPDATE accounts SET password_hash = $1, kdf_salt = $2, kdf_iterations = $3 \
         WHERE id = $4 AND password_hash = $5 AND kdf_salt IS NULL RETURNING ",
        columns!()
    );
    let row = sqlx::query(sql)
        .bind(&verifier.hash)
        .bind(&verifier.kdf.salt)
        .bind(i64::from(verifier.kdf.iterations))
        .bind(account.id)
        .bind(account.password_hash.as_deref())
        .fetch_optional(db.pool())
        .await?;
    Ok(row.as_ref().map(account_of).transpose()?)
}

/// The `meta` key of the secret that salts for names without one are derived from.
const SALT_SECRET: &str = "salt_secret";

/// The server's secret for [`Kdf::for_name`], made by whichever instance needs it first.
pub async fn salt_secret(db: &Db) -> Result<Vec<u8>, DbError> {
    let fresh = tokens::random_token();
    sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(SALT_SECRET)
        .bind(&fresh)
        .execute(db.pool())
        .await
        .map_err(DbError::Sql)?;
    let stored = db.meta(SALT_SECRET).await?.unwrap_or(fresh);
    Ok(stored.into_bytes())
}

/// How the device of `account` (the one called `name`, if anyone is) derives its keys, and
/// whether the account is from before (then the page sends the password once more, to move it
/// over). A name without a stored salt (nobody, an invite not yet used, an account from before)
/// gets one derived from `server_secret` — the one an account from before moves over with.
pub fn kdf_of(account: Option<&Account>, server_secret: &[u8], name: &str) -> (Kdf, bool) {
    let upgrade = account.is_some_and(|a| a.kdf.is_none() && a.password_hash.is_some());
    let kdf = account.and_then(|a| a.kdf.clone()).unwrap_or_else(|| Kdf::for_name(server_secret, &name_key(name)));
    (kdf, upgrade)
}
