//! End-to-end encrypted sync, in the database: each account's opaque records and the client's
//! wrapped data key. The server never sees plaintext or keys; what it sees is each record's
//! opaque key, its clock, its size, when it arrived and how many there are.
//!
//! - A record is a `key` ([`valid_key`]), a hybrid-logical-clock string `clock`
//!   ([`valid_clock`]: fixed width, so string order is clock order) and its ciphertext `data`
//!   (at most [`MAX_DATA`] bytes).
//! - [`push`] stores a batch in one transaction: a record whose stored version has a clock at
//!   least as new is ignored (replays are no-ops, and the last writer wins whatever the arrival
//!   order); every stored one gets the account's next sequence number (`accounts.sync_seq`), and
//!   [`changes`] reads records by it. A batch that would take the account past its quota is
//!   refused whole.
//! - [`get_key`] / [`put_key`]: the wrapped data key, replaced only by compare-and-swap on its
//!   version, so two devices never overwrite each other's key.
//!
//! On PostgreSQL a push also notifies channel [`NOTIFY_CHANNEL`] with `account:seq` (delivered
//! at commit), so every instance can tell its listeners ([`super::hub`]).

use sqlx::any::AnyRow;
use sqlx::Row;

use super::tokens::now_secs;
use crate::db::{Db, DbError, Engine};

/// Longest record key.
pub const MAX_KEY: usize = 86;
/// Longest device id at the end of a clock.
pub const MAX_DEVICE: usize = 32;
/// Largest record (bytes of ciphertext).
pub const MAX_DATA: usize = 64 * 1024;
/// The PostgreSQL channel pushes notify (payload `account_id:seq`).
pub const NOTIFY_CHANNEL: &str = "wellness0_sync";

/// A record as a client pushes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Opaque id ([`valid_key`]).
    pub key: String,
    /// Hybrid logical clock ([`valid_clock`]).
    pub clock: String,
    /// Ciphertext.
    pub data: Vec<u8>,
}

/// A record as stored, with the sequence number it was stored under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    /// Opaque id.
    pub key: String,
    /// Hybrid logical clock.
    pub clock: String,
    /// Ciphertext, exactly as pushed.
    pub data: Vec<u8>,
    /// The account's sequence number when it was stored.
    pub seq: i64,
}

/// What a [`push`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushOutcome {
    /// The account's latest sequence number, after the push.
    pub seq: i64,
    /// Records stored.
    pub stored: usize,
    /// Records ignored: the stored version's clock was as new or newer.
    pub ignored: usize,
}

/// What can go wrong with sync.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// A record that is not well-formed (the batch is refused whole).
    #[error("record {index}: {why}")]
    BadRecord {
        /// Its place in the batch (from 0).
        index: usize,
        /// What is wrong with it.
        why: String,
    },
    /// The batch would take the account past its quota (refused whole).
    #[error("this push would bring your synced records to {used} bytes; {limit} are allowed")]
    Quota {
        /// Bytes the account's records would take with the batch.
        used: i64,
        /// Bytes allowed.
        limit: i64,
    },
    /// A key replacement whose expected version is not the stored one.
    #[error("the sync key is at version {current}, not the one expected")]
    Version {
        /// The stored version (0: none).
        current: i64,
    },
    /// No such account.
    #[error("no such account")]
    NoAccount,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for SyncError {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(DbError::Sql(e))
    }
}

/// Whether `key` is a record key: 1 to [`MAX_KEY`] of `A-Z a-z 0-9 _ -`.
pub fn valid_key(key: &str) -> bool {
    (1..=MAX_KEY).contains(&key.len()) && key.bytes().all(is_id_byte)
}

/// Whether `clock` is a hybrid logical clock: 16 digits (wall milliseconds), `-`, 6 digits (the
/// counter), `-`, a device id of 1 to [`MAX_DEVICE`] of `A-Z a-z 0-9 _ -`.
pub fn valid_clock(clock: &str) -> bool {
    let b = clock.as_bytes();
    b.len() > 24
        && b.len() <= 24 + MAX_DEVICE
        && b[..16].iter().all(u8::is_ascii_digit)
        && b[16] == b'-'
        && b[17..23].iter().all(u8::is_ascii_digit)
        && b[23] == b'-'
        && b[24..].iter().copied().all(is_id_byte)
}

fn is_id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// What one stored record counts against the quota: its data, key and clock, and a row's own
/// cost, so records with no data are not free.
pub fn stored_size(record: &Record) -> i64 {
    (record.data.len() + record.key.len() + record.clock.len() + ROW_OVERHEAD) as i64
}

/// A stored row's own cost (its ids, numbers and index entries), counted in [`stored_size`].
pub const ROW_OVERHEAD: usize = 64;

/// How far ahead of the server's clock a record's clock may be (a day): a device whose clock is
/// set years ahead would otherwise win every later change to that record, everywhere.
pub const MAX_CLOCK_AHEAD_MS: u64 = 24 * 3600 * 1000;

/// Why `record` is refused at `now_ms` (the server's clock), if it is.
pub fn check_at(record: &Record, now_ms: u64) -> Result<(), String> {
    check(record)?;
    let ms: u64 = record.clock[..16].parse().unwrap_or(u64::MAX);
    if ms > now_ms.saturating_add(MAX_CLOCK_AHEAD_MS) {
        return Err("its clock is more than a day ahead of the server's: check the device's date and time".into());
    }
    Ok(())
}

/// Why `record` is refused, if it is.
pub fn check(record: &Record) -> Result<(), String> {
    if !valid_key(&record.key) {
        return Err(format!("the key must be 1 to {MAX_KEY} letters, digits, `_` or `-`"));
    }
    if !valid_clock(&record.clock) {
        return Err(format!(
            "the clock must be 16 digits, `-`, 6 digits, `-` and a device id of 1 to {MAX_DEVICE} letters, \
             digits, `_` or `-`"
        ));
    }
    if record.data.len() > MAX_DATA {
        return Err(format!("its data is {} bytes; at most {MAX_DATA} are allowed", record.data.len()));
    }
    Ok(())
}

/// Stores `records` for `account`, all or nothing, within `quota_bytes` (the sum of the sizes of
/// the account's records). A batch that does not make the account's records larger passes even
/// when they are over the quota (after the quota was lowered), so a device can still shrink them.
pub async fn push(db: &Db, account: i64, records: &[Record], quota_bytes: i64) -> Result<PushOutcome, SyncError> {
    let now_ms = u64::try_from(crate::accounts::tokens::now_secs()).unwrap_or(0) * 1000;
    for (index, record) in records.iter().enumerate() {
        check_at(record, now_ms).map_err(|why| SyncError::BadRecord { index, why })?;
    }
    let mut tx = db.pool().begin().await?;
    // A write first: it locks the account's row (PostgreSQL) or takes the write lock (SQLite)
    // until commit, so concurrent pushes of one account run one after the other and each
    // compares against what the one before stored.
    let start: Option<i64> =
        sqlx::query_scalar("UPDATE accounts SET sync_seq = sync_seq WHERE id = $1 RETURNING sync_seq")
            .bind(account)
            .fetch_optional(&mut *tx)
            .await?;
    let mut seq = start.ok_or(SyncError::NoAccount)?;
    let before = used_bytes(&mut tx, account).await?;
    let mut stored = 0;
    for record in records {
        let current: Option<String> =
            sqlx::query_scalar("SELECT clock FROM sync_records WHERE account_id = $1 AND record_key = $2")
                .bind(account)
                .bind(&record.key)
                .fetch_optional(&mut *tx)
                .await?;
        if current.is_some_and(|c| c.as_str() >= record.clock.as_str()) {
            continue;
        }
        seq = sqlx::query_scalar("UPDATE accounts SET sync_seq = sync_seq + 1 WHERE id = $1 RETURNING sync_seq")
            .bind(account)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sync_records (account_id, record_key, clock, data, size, seq) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (account_id, record_key) DO UPDATE SET \
             clock = excluded.clock, data = excluded.data, size = excluded.size, seq = excluded.seq",
        )
        .bind(account)
        .bind(&record.key)
        .bind(&record.clock)
        .bind(&record.data)
        .bind(stored_size(record))
        .bind(seq)
        .execute(&mut *tx)
        .await?;
        stored += 1;
    }
    if stored > 0 {
        let used = used_bytes(&mut tx, account).await?;
        if used > quota_bytes && used > before {
            tx.rollback().await?;
            return Err(SyncError::Quota { used, limit: quota_bytes });
        }
        if db.engine() == Engine::Postgres {
            // Delivered to every listening instance when the transaction commits.
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(NOTIFY_CHANNEL)
                .bind(format!("{account}:{seq}"))
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(PushOutcome { seq, stored, ignored: records.len() - stored })
}

/// Bytes of the account's stored records.
async fn used_bytes(conn: &mut sqlx::AnyConnection, account: i64) -> Result<i64, sqlx::Error> {
    // SUM of a BIGINT is a NUMERIC on PostgreSQL, which the `Any` driver cannot read.
    sqlx::query_scalar("SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM sync_records WHERE account_id = $1")
        .bind(account)
        .fetch_one(conn)
        .await
}

/// The account's latest sequence number (0 before its first stored record).
pub async fn latest_seq(db: &Db, account: i64) -> Result<i64, SyncError> {
    let seq: Option<i64> = sqlx::query_scalar("SELECT sync_seq FROM accounts WHERE id = $1")
        .bind(account)
        .fetch_optional(db.pool())
        .await?;
    seq.ok_or(SyncError::NoAccount)
}

/// At most `limit` of the account's records stored after sequence number `since`, in the order
/// they were stored, and the account's latest sequence number. Only records up to that number
/// are returned: a client that has read them all can go on from it without missing any.
pub async fn changes(db: &Db, account: i64, since: i64, limit: usize) -> Result<(Vec<StoredRecord>, i64), SyncError> {
    // Read first: everything stored up to it is committed, and visible to the query below.
    let latest = latest_seq(db, account).await?;
    let rows = sqlx::query(
        "SELECT record_key, clock, data, seq FROM sync_records \
         WHERE account_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4",
    )
    .bind(account)
    .bind(since)
    .bind(latest)
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(db.pool())
    .await?;
    let record = |row: &AnyRow| -> Result<StoredRecord, sqlx::Error> {
        Ok(StoredRecord { key: row.try_get(0)?, clock: row.try_get(1)?, data: row.try_get(2)?, seq: row.try_get(3)? })
    };
    Ok((rows.iter().map(record).collect::<Result<_, _>>()?, latest))
}

/// The account's wrapped data key (opaque JSON text) and its version, if it has stored one.
pub async fn get_key(db: &Db, account: i64) -> Result<Option<(String, i64)>, SyncError> {
    let row = sqlx::query("SELECT body, version FROM sync_keys WHERE account_id = $1")
        .bind(account)
        .fetch_optional(db.pool())
        .await?;
    let key = |row: &AnyRow| -> Result<(String, i64), sqlx::Error> { Ok((row.try_get(0)?, row.try_get(1)?)) };
    Ok(row.as_ref().map(key).transpose()?)
}

/// Stores `body` as the account's wrapped data key if its stored version is `expected_version`
/// (0: none stored yet); returns the new version. Any other stored version refuses it with
/// [`SyncError::Version`].
pub async fn put_key(db: &Db, account: i64, body: &str, expected_version: i64) -> Result<i64, SyncError> {
    let now = now_secs();
    let version: Option<i64> = if expected_version == 0 {
        sqlx::query_scalar(
            "INSERT INTO sync_keys (account_id, body, version, updated_at) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (account_id) DO NOTHING RETURNING version",
        )
        .bind(account)
        .bind(body)
        .bind(now)
        .fetch_optional(db.pool())
        .await?
    } else {
        let mut conn = db.pool().acquire().await?;
        replace_key(&mut conn, account, body, expected_version, now).await?
    };
    match version {
        Some(v) => Ok(v),
        // Versions only grow: the stored one is still not the one expected.
        None => Err(SyncError::Version { current: get_key(db, account).await?.map_or(0, |(_, v)| v) }),
    }
}

/// Replaces account `account`'s key body if it is still at `expected_version`: the new version,
/// or `None`.
pub(crate) async fn replace_key(
    conn: &mut sqlx::AnyConnection,
    account: i64,
    body: &str,
    expected_version: i64,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE sync_keys SET body = $1, version = version + 1, updated_at = $2 \
         WHERE account_id = $3 AND version = $4 RETURNING version",
    )
    .bind(body)
    .bind(now)
    .bind(account)
    .bind(expected_version)
    .fetch_optional(&mut *conn)
    .await
}

/// Counts account `account`'s key version up if it is still `expected_version`, the body as
/// it is: the new version, or `None`.
pub(crate) async fn bump_key_version(
    conn: &mut sqlx::AnyConnection,
    account: i64,
    expected_version: i64,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE sync_keys SET version = version + 1, updated_at = $1 WHERE account_id = $2 AND version = $3 \
         RETURNING version",
    )
    .bind(now)
    .bind(account)
    .bind(expected_version)
    .fetch_optional(&mut *conn)
    .await
}

/// The version of account `account`'s key body (0 when it has none).
pub(crate) async fn key_version(conn: &mut sqlx::AnyConnection, account: i64) -> Result<i64, sqlx::Error> {
    let v: Option<i64> = sqlx::query_scalar("SELECT version FROM sync_keys WHERE account_id = $1")
        .bind(account)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(v.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_keys() {
        assert!(valid_key("a"));
        assert!(valid_key("Ab_-09"));
        assert!(valid_key(&"k".repeat(MAX_KEY)));
        for bad in ["", "a b", "a/b", "a.b", "a=", "é", &"k".repeat(MAX_KEY + 1)] {
            assert!(!valid_key(bad), "{bad:?}");
        }
    }

    #[test]
    fn clocks_have_a_fixed_width_and_order_as_strings() {
        let ok = "0001735689600000-000000-phone";
        assert!(valid_clock(ok));
        assert!(valid_clock(&format!("0001735689600000-999999-{}", "d".repeat(MAX_DEVICE))));
        for bad in [
            "",
            "0001735689600000-000000-",
            "1735689600000-000000-phone",
            "0001735689600000-00000-phone",
            "0001735689600000_000000-phone",
            "0001735689600000-000000_phone",
            "000173568960000a-000000-phone",
            "0001735689600000-000000-ph.one",
            &format!("0001735689600000-000000-{}", "d".repeat(MAX_DEVICE + 1)),
        ] {
            assert!(!valid_clock(bad), "{bad:?}");
        }
        let mut clocks = [
            "0001735689600001-000000-a",
            "0001735689600000-000002-a",
            "0001735689600000-000010-a",
            "0001735689600000-000010-b",
        ];
        clocks.sort();
        assert_eq!(clocks[0], "0001735689600000-000002-a", "milliseconds, then the counter, then the device");
        assert_eq!(clocks[3], "0001735689600001-000000-a");
    }

    #[test]
    fn records_are_checked_whole() {
        let ok = Record { key: "k".into(), clock: "0001735689600000-000000-phone".into(), data: vec![0; MAX_DATA] };
        assert_eq!(check(&ok), Ok(()));
        let big = Record { data: vec![0; MAX_DATA + 1], ..ok.clone() };
        assert!(check(&big).unwrap_err().contains("65537 bytes"));
        assert!(check(&Record { key: "a b".into(), ..ok.clone() }).unwrap_err().contains("key"));
        assert!(check(&Record { clock: "now".into(), ..ok }).unwrap_err().contains("clock"));
    }
}
