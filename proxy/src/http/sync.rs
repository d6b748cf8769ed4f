//! `/api/sync/…` (shared mode): end-to-end encrypted sync. The signed-in person's devices push
//! opaque records (ciphertext, with an opaque key and a hybrid-logical-clock string), read back
//! what changed since a sequence number, keep their wrapped data key here by compare-and-swap,
//! and hear of changes over Server-Sent Events. The records and the key are stored as they come
//! ([`crate::accounts::sync`]); the server never sees plaintext or keys. In personal mode there
//! is no sync (404).
//!
//! - `POST push` `{"records": [{"key", "clock", "data"}]}` (`data` base64url without padding;
//!   at most [`MAX_BATCH`] records of at most 64 KiB each; the body within `--max-body-bytes`)
//!   → `{"seq", "stored", "ignored"}`; a bad record refuses the batch (400), and so does the
//!   quota (507).
//! - `GET changes?since=N&limit=M` → `{"records": [{"key", "clock", "data", "seq"}], "seq",
//!   "more"}`: records stored after `since`, oldest first, at most `limit` ([`DEFAULT_LIMIT`],
//!   at most [`MAX_LIMIT`]); `seq` is the latest sequence number. While `more`, ask again from
//!   the last record's `seq`; then from `seq`.
//! - `GET key` → `{"body", "version"}` (404 before the first); `PUT key` `{"body": {…},
//!   "expected_version": n}` → `{"version": n + 1}`, or 409 with the current `version`.
//! - `GET events`: `event: changed` / `data: {"seq": N}` at once and whenever the person's
//!   sequence number grows (pushes through any instance on PostgreSQL, through this one on
//!   SQLite), and a comment every [`KEEP_ALIVE`]; the stream ends once the session has.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Value};
use tower_http::compression::CompressionLayer;

use super::{no_store, signed_in};
use crate::accounts::hub::Subscription;
use crate::accounts::sessions::{self, Current};
use crate::accounts::sync::{self, Record, SyncError};
use crate::accounts::tokens::now_secs;
use crate::auth::session;
use crate::db::Db;
use crate::error::AppError;
use crate::forward::read_body;
use crate::AppState;

/// Most records in one push.
pub const MAX_BATCH: usize = 500;
/// Records in one answer of `changes` unless asked otherwise.
pub const DEFAULT_LIMIT: usize = 500;
/// Most records in one answer of `changes`.
pub const MAX_LIMIT: usize = 1000;
/// Largest key body (bytes of its JSON).
pub const MAX_KEY_BODY: usize = 16 * 1024;
/// How often an event stream sends a comment (and checks that its session still lives).
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

const MIB: i64 = 1024 * 1024;

/// The routes, mounted under the API guards in shared mode.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/sync/push", post(push))
        // Records are base64 of ciphertext: gzip takes back most of base64's third, so a new
        // device's first sync costs about what the plaintext would.
        .route(
            "/api/sync/changes",
            get(changes).layer(CompressionLayer::new().quality(tower_http::CompressionLevel::Precise(5))),
        )
        .route("/api/sync/key", get(get_key).put(put_key))
        .route("/api/sync/events", get(events))
}

/// Why a sync call failed.
#[derive(Debug)]
enum Failure {
    /// A malformed call (400).
    Bad(String),
    /// Over the quota (507).
    Quota { used: i64, limit: i64 },
    /// A key replacement against a stale version (409).
    Stale { current: i64 },
    /// No key stored yet (404).
    NoKey,
    /// Anything else.
    App(AppError),
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

impl From<SyncError> for Failure {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::BadRecord { .. } => Self::Bad(e.to_string()),
            SyncError::Quota { used, limit } => Self::Quota { used, limit },
            SyncError::Version { current } => Self::Stale { current },
            // Removed while asking: signed out.
            SyncError::NoAccount => Self::App(AppError::Unauthenticated { api: None }),
            SyncError::Db(e) => {
                tracing::error!(error = %e, "the sync database failed");
                Self::App(AppError::Database { api: None })
            }
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            Failure::App(e) => return e.into_response(),
            Failure::Bad(detail) => (StatusCode::BAD_REQUEST, json!({ "detail": detail })),
            Failure::Quota { used, limit } => (
                StatusCode::INSUFFICIENT_STORAGE,
                json!({
                    "detail": format!(
                        "sync storage is full: this push would bring your records to {}, and {} are allowed",
                        mib(used),
                        mib(limit)
                    ),
                    "used": used,
                    "limit": limit,
                }),
            ),
            Failure::Stale { current } => (
                StatusCode::CONFLICT,
                json!({
                    "detail": format!(
                        "the sync key was changed meanwhile (it is at version {current}); read it again before \
                         replacing it"
                    ),
                    "version": current,
                }),
            ),
            Failure::NoKey => (StatusCode::NOT_FOUND, json!({ "detail": "no sync key is stored yet" })),
        };
        no_store((status, Json(body)).into_response())
    }
}

/// `bytes` in MiB, as a person reads it.
fn mib(bytes: i64) -> String {
    if bytes % MIB == 0 {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    }
}

/// A record in a push.
#[derive(Debug, Deserialize)]
struct PushedRecord {
    key: String,
    clock: String,
    data: String,
}

/// The body of a push.
#[derive(Debug, Deserialize)]
struct PushBody {
    records: Vec<PushedRecord>,
}

/// The records of a push body, decoded and checked.
fn records_of(body: &[u8]) -> Result<Vec<Record>, Failure> {
    let body: PushBody = serde_json::from_slice(body).map_err(|e| {
        Failure::Bad(format!("the body must be {{\"records\": [{{\"key\", \"clock\", \"data\"}}]}} ({e})"))
    })?;
    if body.records.len() > MAX_BATCH {
        return Err(Failure::Bad(format!(
            "{} records in one push; at most {MAX_BATCH} are allowed (push them in several batches)",
            body.records.len()
        )));
    }
    body.records
        .into_iter()
        .enumerate()
        .map(|(index, r)| {
            let data = URL_SAFE_NO_PAD.decode(r.data.as_bytes()).map_err(|_| {
                Failure::Bad(format!("record {index}: its data must be base64url (`-` and `_`) without `=` padding"))
            })?;
            let record = Record { key: r.key, clock: r.clock, data };
            sync::check(&record).map_err(|why| Failure::Bad(format!("record {index}: {why}")))?;
            Ok(record)
        })
        .collect()
}

async fn push(State(state): State<Arc<AppState>>, req: Request) -> Result<Response, Failure> {
    let (shared, Current { person, .. }) = signed_in(&state, &req)?;
    let body = read_body(req, None, state.max_body_bytes, state.limits.body_timeout).await?;
    let records = records_of(&body)?;
    let outcome = sync::push(&shared.db, person.account, &records, shared.sync_quota_bytes).await?;
    if outcome.stored > 0 {
        shared.sync_hub.publish(person.account, outcome.seq);
    }
    tracing::info!(stored = outcome.stored, ignored = outcome.ignored, "sync push");
    let answer = json!({ "seq": outcome.seq, "stored": outcome.stored, "ignored": outcome.ignored });
    Ok(no_store(Json(answer).into_response()))
}

/// `since` and `limit` of a `changes` query.
fn changes_query(query: &str) -> Result<(i64, usize), Failure> {
    let (mut since, mut limit) = (0, DEFAULT_LIMIT);
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match &*name {
            "since" => {
                since = value.parse().ok().filter(|n: &i64| *n >= 0).ok_or_else(|| {
                    Failure::Bad(format!("since must be a sequence number (0 or more), not {:?}", cut(&value)))
                })?;
            }
            "limit" => {
                let n: u64 = value.parse().map_err(|_| {
                    Failure::Bad(format!("limit must be a number of records (1 to {MAX_LIMIT}), not {:?}", cut(&value)))
                })?;
                limit = usize::try_from(n).unwrap_or(MAX_LIMIT).clamp(1, MAX_LIMIT);
            }
            _ => {}
        }
    }
    Ok((since, limit))
}

fn cut(text: &str) -> String {
    text.chars().take(40).collect()
}

async fn changes(State(state): State<Arc<AppState>>, req: Request) -> Result<Response, Failure> {
    let (shared, Current { person, .. }) = signed_in(&state, &req)?;
    let (since, limit) = changes_query(req.uri().query().unwrap_or(""))?;
    let (mut records, seq) = sync::changes(&shared.db, person.account, since, limit + 1).await?;
    let more = records.len() > limit;
    records.truncate(limit);
    let records: Vec<Value> = records
        .into_iter()
        .map(|r| json!({ "key": r.key, "clock": r.clock, "data": URL_SAFE_NO_PAD.encode(&r.data), "seq": r.seq }))
        .collect();
    Ok(no_store(Json(json!({ "records": records, "seq": seq, "more": more })).into_response()))
}

async fn get_key(State(state): State<Arc<AppState>>, req: Request) -> Result<Response, Failure> {
    let (shared, Current { person, .. }) = signed_in(&state, &req)?;
    let (body, version) = sync::get_key(&shared.db, person.account).await?.ok_or(Failure::NoKey)?;
    let body: Value = serde_json::from_str(&body).map_err(|e| {
        tracing::error!(error = %e, "a stored sync key is not JSON");
        AppError::Database { api: None }
    })?;
    Ok(no_store(Json(json!({ "body": body, "version": version })).into_response()))
}

/// The body of a key replacement.
#[derive(Debug, Deserialize)]
struct PutKey {
    body: Value,
    expected_version: i64,
}

/// A key body as stored (compact JSON), or why it is refused.
pub fn key_body(body: &Value) -> Result<String, String> {
    if !body.is_object() {
        return Err("the key's body must be a JSON object".into());
    }
    let text = body.to_string();
    if text.len() > MAX_KEY_BODY {
        return Err(format!("the key's body is {} bytes of JSON; at most {MAX_KEY_BODY}", text.len()));
    }
    Ok(text)
}

async fn put_key(State(state): State<Arc<AppState>>, req: Request) -> Result<Response, Failure> {
    let (shared, Current { person, .. }) = signed_in(&state, &req)?;
    let raw = read_body(req, None, state.max_body_bytes, state.limits.body_timeout).await?;
    let put: PutKey = serde_json::from_slice(&raw)
        .map_err(|e| Failure::Bad(format!("the body must be {{\"body\": {{…}}, \"expected_version\": n}} ({e})")))?;
    let body = key_body(&put.body).map_err(Failure::Bad)?;
    if put.expected_version < 0 {
        return Err(Failure::Bad("expected_version must be 0 (no key yet) or the version last read".into()));
    }
    let version = sync::put_key(&shared.db, person.account, &body, put.expected_version).await?;
    tracing::info!(version, "stored the sync key");
    Ok(no_store(Json(json!({ "version": version })).into_response()))
}

/// An open event stream.
struct Stream {
    sub: Subscription,
    /// The last sequence number sent.
    sent: i64,
    /// The first event, not sent yet.
    first: Option<i64>,
    tick: tokio::time::Interval,
    db: Db,
    /// The cookie's secret, to check that the session still lives.
    secret: String,
    account: i64,
}

fn changed(seq: i64) -> Event {
    Event::default().event("changed").data(json!({ "seq": seq }).to_string())
}

impl Stream {
    /// The next event, or `None` when the session has ended.
    async fn next(&mut self) -> Option<Event> {
        if let Some(seq) = self.first.take() {
            return Some(changed(seq));
        }
        loop {
            tokio::select! {
                seq = self.sub.changed() => {
                    if seq > self.sent {
                        self.sent = seq;
                        return Some(changed(seq));
                    }
                }
                _ = self.tick.tick() => {
                    return self.signed_in().await.then(|| Event::default().comment("keep-alive"));
                }
            }
        }
    }

    /// Whether the session the stream was opened with still lives (signing a device out ends
    /// its stream too, within a [`KEEP_ALIVE`]).
    async fn signed_in(&self) -> bool {
        match sessions::find(&self.db, &self.secret, now_secs()).await {
            Ok(current) => current.is_some_and(|c| c.person.account == self.account),
            Err(e) => {
                tracing::warn!(error = %e, "cannot check an event stream's session; keeping it");
                true
            }
        }
    }
}

async fn events(State(state): State<Arc<AppState>>, req: Request) -> Result<Response, Failure> {
    let (shared, Current { person, .. }) = signed_in(&state, &req)?;
    let secret = session::read(req.headers()).ok_or(AppError::Unauthenticated { api: None })?;
    // Listening first, then reading: a push in between is not missed.
    let mut sub = shared.sync_hub.subscribe(person.account);
    let latest = sync::latest_seq(&shared.db, person.account).await?;
    let seq = latest.max(sub.latest());
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stream =
        Stream { sub, sent: seq, first: Some(seq), tick, db: shared.db.clone(), secret, account: person.account };
    let events = futures_util::stream::unfold(stream, |mut s| async move {
        let event = s.next().await?;
        Some((Ok::<_, Infallible>(event), s))
    });
    let mut resp = no_store(Sse::new(events).into_response());
    // No buffering by a reverse proxy in front (nginx).
    resp.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bad(r: Result<impl std::fmt::Debug, Failure>) -> String {
        match r {
            Err(Failure::Bad(detail)) => detail,
            other => panic!("not a 400: {other:?}"),
        }
    }

    #[test]
    fn push_bodies() {
        let clock = "0001735689600000-000000-phone";
        let ok = json!({"records": [{"key": "a", "clock": clock, "data": "aGVsbG8_-w"}]}).to_string();
        let records = records_of(ok.as_bytes()).unwrap();
        assert_eq!(records[0].data, b"hello?\xfb");
        assert!(bad(records_of(b"{")).contains("the body must be"));
        assert!(bad(records_of(b"{\"records\": [{\"key\": \"a\"}]}")).contains("missing field `clock`"));
        let padded = json!({"records": [{"key": "a", "clock": clock, "data": "aGk="}]}).to_string();
        assert!(bad(records_of(padded.as_bytes())).contains("record 0: its data must be base64url"));
        let standard = json!({"records": [{"key": "a", "clock": clock, "data": "a+/b"}]}).to_string();
        assert!(bad(records_of(standard.as_bytes())).contains("base64url"));
        let big = URL_SAFE_NO_PAD.encode(vec![7u8; sync::MAX_DATA + 1]);
        let body =
            json!({"records": [{"key": "a", "clock": clock, "data": "AA"}, {"key": "b", "clock": clock, "data": big}]});
        assert!(bad(records_of(body.to_string().as_bytes())).contains("record 1: its data is 65537 bytes"));
        let many: Vec<Value> =
            (0..=MAX_BATCH).map(|i| json!({"key": format!("k{i}"), "clock": clock, "data": ""})).collect();
        assert!(bad(records_of(json!({ "records": many }).to_string().as_bytes())).contains("501 records"));
    }

    #[test]
    fn changes_queries() {
        assert_eq!(changes_query("").unwrap(), (0, DEFAULT_LIMIT));
        assert_eq!(changes_query("since=42&limit=10").unwrap(), (42, 10));
        assert_eq!(changes_query("limit=5000").unwrap().1, MAX_LIMIT);
        assert_eq!(changes_query("limit=0").unwrap().1, 1);
        assert!(bad(changes_query("since=-1")).contains("since"));
        assert!(bad(changes_query("since=x")).contains("since"));
        assert!(bad(changes_query("limit=ten")).contains("limit"));
    }

    #[test]
    fn sizes_in_mib() {
        assert_eq!(mib(200 * MIB), "200 MiB");
        assert_eq!(mib(MIB + MIB / 2), "1.5 MiB");
    }
}
