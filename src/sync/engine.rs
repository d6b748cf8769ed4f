//! Sync on the device (shared mode): the data key, and rounds that send what changed here and
//! take in what changed elsewhere, with the server's change events to start one at once.
//!
//! - **Keys.** The data key is kept like the other secrets (`Private::SyncKey`, sealed under the
//!   passcode). A device without it takes the wrapping key the sign-in page handed over and
//!   unwraps the data key the server keeps, or — the first device — makes one, stores it wrapped
//!   (compare-and-swap) and shows the recovery code once.
//! - **Sending.** Every change this tab announces marks its session; a round compares each marked
//!   session with the ledger ([`super::ledger::changes_in`]), gives each change a clock, and keeps
//!   it in the ledger store until a push is answered (so a push cut off is sent again; the server
//!   ignores what it already holds).
//! - **Taking in.** A round reads the changes since the last sequence number, page by page, and
//!   writes each page's effect and the new number in one transaction ([`super::ledger::verdict`]).
//!
//! Rounds run one at a time across the tabs of the browser (a Web Lock).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Value};
use wasm_bindgen::JsValue;

use super::clock::{Clock, Hlc};
use super::keys::{self, Created};
use super::ledger::{self, Held, Stored, Verdict};
use super::merge::Key;
use crate::chat::conversation::{Message, MessageState};
use crate::chat::persist::message_record;
use crate::db::{self, data_of, field_of, Batch, Change, Db, Record, Storage, StorageError};
use crate::sessions::SessionsStore;
use crate::vault::storage::{self as private, Private};
use crate::web::fetch;
use crate::web::storage::{self as web_storage, Scope};
use crate::web::time::{now_ms, sleep_ms};

/// The ledger record holding the last sequence number taken in. Named for the record format
/// this build reads (v2: deflated records): a device that took changes in with a build that
/// could not read them all starts from 0 once (taking a record in twice changes nothing).
const SEQ_KEY: &str = "#seq v2";
/// Records in one push (the server's cap).
const PUSH_BATCH: usize = 500;
/// A change is sent this long after it was announced, so a burst of writes makes one round.
const SETTLE_MS: u32 = 250;
/// Waits after a failed round before the next try.
const RETRY_MS: [u32; 4] = [2_000, 10_000, 30_000, 60_000];

/// Where sync stands on this device.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// Not signed in to a wellness0 server: nothing to sync to.
    Unavailable,
    /// Finding the key.
    Starting,
    /// This device has no key and no way to make one: signing in again gives it one.
    NeedsSignIn,
    /// The password's key does not open the data key (it was changed elsewhere): the recovery
    /// code does.
    NeedsRecovery,
    /// Syncing.
    On,
}

/// The data key as kept on the device.
#[derive(serde::Serialize, serde::Deserialize)]
struct KeptKey {
    name: String,
    key: String,
}

/// What a round is to look at.
#[derive(Default)]
struct Marked {
    sessions: BTreeSet<u64>,
    /// Every session (the start, a deletion here).
    all: bool,
}

#[derive(Default)]
struct Inner {
    hlc: Option<Hlc>,
    marked: Marked,
    /// A round runs, or is about to.
    running: bool,
    /// Another round is wanted after the one running.
    again: bool,
    failures: usize,
    /// The wrapping key while the recovery code is asked for (to wrap the data key anew).
    wrap_key: Option<String>,
}

#[derive(Clone, Copy)]
pub struct SyncStore {
    storage: Storage,
    sessions: SessionsStore,
    pub status: RwSignal<Status>,
    /// The recovery code made on this device, shown until the person says they wrote it down.
    pub new_code: RwSignal<Option<String>>,
    /// When the last round finished without a problem.
    pub synced_at: RwSignal<Option<f64>>,
    /// What stopped the last round, said for a person.
    pub problem: RwSignal<Option<String>>,
    /// Changes made here and not yet accepted by the server.
    pub waiting: RwSignal<usize>,
    name: StoredValue<String>,
    /// The server's address (the page's directory).
    base: StoredValue<String>,
    inner: StoredValue<Inner, LocalStorage>,
}

/// The sync store of the page (provided by the app shell).
pub fn use_sync() -> SyncStore {
    expect_context()
}

/// A call's failure, said for a person.
fn unreachable() -> String {
    "The server could not be reached; your changes are kept here and sent when it can be.".into()
}

async fn call(method: &str, url: &str, body: Option<&str>) -> Result<(u16, String), String> {
    let resp =
        fetch::send(method, url, &[("accept", "application/json")], body, None).await.map_err(|_| unreachable())?;
    let text = fetch::text(&resp).await.map_err(|_| unreachable())?;
    Ok((resp.status(), text))
}

/// The `detail` of an error answer, or a general line.
fn refusal(status: u16, body: &str) -> String {
    let detail = serde_json::from_str::<Value>(body).ok().and_then(|v| v["detail"].as_str().map(str::to_owned));
    match (status, detail) {
        (429, _) => "The server asked to slow down; sync goes on in a minute.".into(),
        (_, Some(detail)) => format!("The server refused the sync: {detail}."),
        _ => format!("The server answered {status}; sync tries again shortly."),
    }
}

fn storage_problem(e: StorageError) -> String {
    format!("Sync could not use this browser's storage: {e}.")
}

/// A session's details as sync sends them: without what only this device needs (how many
/// messages it stores, which version it shows).
fn synced_details(data: &str) -> Option<String> {
    let mut value: Value = serde_json::from_str(data).ok()?;
    let object = value.as_object_mut()?;
    object.remove("count");
    object.remove("shown");
    Some(value.to_string())
}

/// What the ledger holds for `key`: as this page left it, else as stored.
async fn held_now(db: &Db, page: &Ledger, key: &Key) -> Result<Option<Held>, StorageError> {
    let name = key.to_string();
    match page.entries.get(&name) {
        Some(held) => Ok(held.clone()),
        // `held` reads a session's details, deletion and messages: a draft is asked for apart.
        None if page.whole.contains(key.session()) && !matches!(key, Key::Draft(_)) => Ok(None),
        None => Ok(db.get(db::SYNC, &name.into()).await?.and_then(|r| serde_json::from_str(&data_of(&r)?).ok())),
    }
}

/// The ledger as a pulled page leaves it (its writes land together at the end): entries by
/// record key (`None`: removed), and the sessions whose every entry is among them (read at
/// once, for a page with many of their records: one read instead of two per record).
#[derive(Default)]
struct Ledger {
    entries: HashMap<String, Option<Held>>,
    whole: BTreeSet<String>,
}

/// Records of one session in a page from which its whole ledger is read at once.
const READ_WHOLE_FROM: usize = 8;

fn ledger_record(key: &str, data: &str) -> Record {
    Record::new(data).field("key", key.into())
}

impl SyncStore {
    pub fn new(storage: Storage, sessions: SessionsStore) -> Self {
        Self {
            storage,
            sessions,
            status: RwSignal::new(Status::Unavailable),
            new_code: RwSignal::new(None),
            synced_at: RwSignal::new(None),
            problem: RwSignal::new(None),
            waiting: RwSignal::new(0),
            name: StoredValue::new(String::new()),
            base: StoredValue::new(String::new()),
            inner: StoredValue::new_local(Inner::default()),
        }
    }

    fn api(&self, path: &str) -> String {
        format!("{}/api/sync/{path}", self.base.get_value())
    }

    /// Signed in as `name` to the server at `base`: finds the data key and, once it is here,
    /// keeps sessions in step.
    pub async fn start(&self, base: &str, name: &str) {
        self.base.set_value(base.to_owned());
        self.name.set_value(name.to_owned());
        self.status.set(Status::Starting);
        // Taken whatever happens: it must not outstay this moment in the tab's storage.
        let handoff = keys::take_handoff().filter(|h| h.name == name);
        let kept = private::get(Scope::Device, Private::SyncKey)
            .and_then(|json| serde_json::from_str::<KeptKey>(&json).ok())
            .filter(|k| k.name == name);
        let data_key = match (kept, handoff) {
            (Some(kept), Some(handoff)) => {
                // Just signed in: a key set up under another password (the operator set a new
                // one) is wrapped for this one, so the next device needs no recovery code.
                self.wrap_for_password(&kept.key, &handoff.key).await;
                Some(kept.key)
            }
            (Some(kept), None) => Some(kept.key),
            (None, Some(handoff)) => self.key_from_server(&handoff.key).await,
            (None, None) => {
                self.status.set(Status::NeedsSignIn);
                None
            }
        };
        if let Some(key) = data_key {
            self.turn_on(&key).await;
        }
    }

    /// The data key from the server, unwrapped with the wrapping key — or made, the first time.
    async fn key_from_server(&self, wrap_key: &str) -> Option<String> {
        for _ in 0..3 {
            match call("GET", &self.api("key"), None).await {
                Ok((200, body)) => {
                    let body = serde_json::from_str::<Value>(&body).ok()?["body"].to_string();
                    return match keys::unwrap_data_key(wrap_key, &body).await {
                        Ok(key) => Some(key),
                        Err(_) => {
                            self.inner.update_value(|i| i.wrap_key = Some(wrap_key.to_owned()));
                            self.status.set(Status::NeedsRecovery);
                            None
                        }
                    };
                }
                Ok((404, _)) => {
                    let Ok(Created { data_key, code, body }) = keys::create_data_key(wrap_key).await else {
                        self.problem.set(Some("This browser could not make a sync key.".into()));
                        return None;
                    };
                    let put = json!({ "body": body, "expected_version": 0 }).to_string();
                    match call("PUT", &self.api("key"), Some(&put)).await {
                        Ok((200, _)) => {
                            self.new_code.set(Some(keys::show_code(&code)));
                            return Some(data_key);
                        }
                        // Another device made one first: use that one.
                        Ok((409, _)) => continue,
                        Ok((status, body)) => self.problem.set(Some(refusal(status, &body))),
                        Err(problem) => self.problem.set(Some(problem)),
                    }
                    return None;
                }
                Ok((status, body)) => {
                    self.problem.set(Some(refusal(status, &body)));
                    return None;
                }
                Err(problem) => {
                    self.problem.set(Some(problem));
                    return None;
                }
            }
        }
        None
    }

    /// The recovery code typed: unwraps the data key with it and, when the password's key is
    /// here, wraps it anew for the password. Says what went wrong, or `None`.
    pub async fn recover(&self, typed: &str) -> Option<String> {
        let Some(code) = keys::read_code(typed) else {
            return Some("A recovery code is 32 letters and digits (0–9, a–f), in groups of four.".into());
        };
        let (status, answer) = match call("GET", &self.api("key"), None).await {
            Ok(answer) => answer,
            Err(problem) => return Some(problem),
        };
        if status != 200 {
            return Some(refusal(status, &answer));
        }
        let answer: Value = serde_json::from_str(&answer).unwrap_or_default();
        let body = answer["body"].to_string();
        let Ok(data_key) = keys::recover_data_key(&code, &body).await else {
            return Some("That recovery code does not open your synced sessions. Check it and try again.".into());
        };
        if let Some(wrap_key) = self.inner.with_value(|i| i.wrap_key.clone()) {
            // Not fatal: this device has the key either way; the next sign-in tries again.
            self.rewrap_stored(&data_key, &wrap_key, &answer).await;
        }
        self.inner.update_value(|i| i.wrap_key = None);
        self.turn_on(&data_key).await;
        None
    }

    /// Wraps `data_key` anew for the password's `wrap_key` when the stored body's wrapping is not
    /// opened by it.
    async fn wrap_for_password(&self, data_key: &str, wrap_key: &str) {
        let Ok((200, answer)) = call("GET", &self.api("key"), None).await else { return };
        let answer: Value = serde_json::from_str(&answer).unwrap_or_default();
        if keys::unwrap_data_key(wrap_key, &answer["body"].to_string()).await.is_err() {
            self.rewrap_stored(data_key, wrap_key, &answer).await;
        }
    }

    /// Stores the key body of `answer` (a `GET key` answer) with `data_key` wrapped by
    /// `wrap_key`, if it is still the version read.
    async fn rewrap_stored(&self, data_key: &str, wrap_key: &str, answer: &Value) {
        if let Ok(body) = keys::rewrap(data_key, wrap_key, &answer["body"].to_string()).await {
            let put = format!(r#"{{"body": {body}, "expected_version": {}}}"#, answer["version"].as_i64().unwrap_or(0));
            let _ = call("PUT", &self.api("key"), Some(&put)).await;
        }
    }

    async fn turn_on(&self, data_key: &str) {
        if keys::use_data_key(data_key).await.is_err() {
            self.problem.set(Some("This browser could not use the sync key.".into()));
            return;
        }
        let kept = KeptKey { name: self.name.get_value(), key: data_key.to_owned() };
        private::set(Scope::Device, Private::SyncKey, &serde_json::to_string(&kept).unwrap_or_default());
        self.inner.update_value(|i| {
            i.hlc = Some(Hlc::new(&web_storage::device_id()));
            i.marked.all = true;
        });
        self.status.set(Status::On);
        let store = *self;
        db::announced_here(move |message| store.heard(message));
        keys::listen_changes(&self.api("events"), move |_seq| store.kick(), move || store.kick());
        self.kick();
    }

    /// This tab announced a change: its session is looked at in the next round.
    fn heard(&self, message: &str) {
        match message.parse::<Change>() {
            Ok(Change::Session(id)) => self.inner.update_value(|i| {
                i.marked.sessions.insert(id);
            }),
            Ok(Change::Deleted) => self.inner.update_value(|i| i.marked.all = true),
            _ => return,
        }
        self.kick();
    }

    /// Asks for a round (one runs at a time; one asked for meanwhile runs after it).
    pub fn kick(&self) {
        if self.status.get_untracked() != Status::On {
            return;
        }
        let busy = self.inner.try_update_value(|i| {
            let busy = i.running;
            i.running = true;
            i.again |= busy;
            busy
        });
        if busy != Some(false) {
            return;
        }
        let store = *self;
        spawn_local(async move {
            loop {
                sleep_ms(SETTLE_MS).await;
                store.inner.update_value(|i| i.again = false);
                let result = store.round_across_tabs().await;
                let wait = match result {
                    Ok(()) => {
                        store.problem.set(None);
                        store.synced_at.set(Some(now_ms()));
                        store.inner.update_value(|i| i.failures = 0);
                        None
                    }
                    Err(problem) => {
                        store.problem.set(Some(problem));
                        let failures = store.inner.try_update_value(|i| {
                            i.failures += 1;
                            i.failures
                        });
                        Some(RETRY_MS[failures.unwrap_or(1).min(RETRY_MS.len()) - 1])
                    }
                };
                if let Some(ms) = wait {
                    sleep_ms(ms).await;
                    continue;
                }
                let again = store.inner.try_update_value(|i| {
                    let again = i.again;
                    i.running = again;
                    again
                });
                if again != Some(true) {
                    break;
                }
            }
        });
    }

    async fn round_across_tabs(&self) -> Result<(), String> {
        let Some(db) = self.storage.db() else { return Err(storage_problem(StorageError::Unavailable)) };
        let outcome = std::rc::Rc::new(std::cell::RefCell::new(Ok(())));
        let (store, slot) = (*self, outcome.clone());
        db::with_lock("wellness0-sync", false, move || async move {
            *slot.borrow_mut() = store.round(&db).await;
        })
        .await;
        let result = outcome.borrow().clone();
        result
    }

    /// One round: what changed here becomes records, they are sent, what changed elsewhere is
    /// taken in.
    async fn round(&self, db: &Db) -> Result<(), String> {
        let marked = self.inner.try_update_value(|i| std::mem::take(&mut i.marked)).unwrap_or_default();
        let sessions: BTreeSet<u64> = if marked.all {
            let mut all: BTreeSet<u64> = self.stored_sessions(db).await?;
            all.extend(self.ledger_sessions(db).await?);
            all
        } else {
            marked.sessions
        };
        for id in sessions {
            if let Err(e) = self.record_changes(db, id).await {
                // Looked at again next time.
                self.inner.update_value(|i| {
                    i.marked.sessions.insert(id);
                });
                return Err(storage_problem(e));
            }
        }
        self.push(db).await?;
        self.pull(db).await
    }

    async fn stored_sessions(&self, db: &Db) -> Result<BTreeSet<u64>, String> {
        let records = db.get_all(db::SESSIONS, None).await.map_err(storage_problem)?;
        Ok(records.iter().filter_map(|r| field_of(&r, "id").as_f64()).map(|id| id as u64).collect())
    }

    /// Sessions the ledger holds details of (one deleted here since is among them).
    async fn ledger_sessions(&self, db: &Db) -> Result<BTreeSet<u64>, String> {
        let range = (JsValue::from("s/"), JsValue::from("s/\u{ffff}"));
        let records = db.get_all(db::SYNC, Some(range)).await.map_err(storage_problem)?;
        Ok(records
            .iter()
            .filter_map(|r| field_of(&r, "key").as_string())
            .filter_map(|k| k.strip_prefix("s/").and_then(|id| id.parse().ok()))
            .collect())
    }

    /// The ledger's entries for one session.
    async fn held(&self, db: &Db, session: &str) -> Result<BTreeMap<Key, Held>, StorageError> {
        let (low, high) = ledger::message_range(session);
        let mut records: Vec<JsValue> = db.get_all(db::SYNC, Some((low.into(), high.into()))).await?.iter().collect();
        for single in [format!("s/{session}"), format!("x/{session}")] {
            records.extend(db.get(db::SYNC, &single.into()).await?);
        }
        Ok(records
            .iter()
            .filter_map(|r| {
                let key = Key::parse(&field_of(r, "key").as_string()?)?;
                Some((key, serde_json::from_str(&data_of(r)?).ok()?))
            })
            .collect())
    }

    /// The session as stored here, as sync values.
    async fn stored(&self, db: &Db, id: u64) -> Result<Stored, StorageError> {
        let details = db.get(db::SESSIONS, &(id as f64).into()).await?.and_then(|r| synced_details(&data_of(&r)?));
        let mut stored = Stored { details, ..Stored::default() };
        for record in db.get_all(db::MESSAGES, Some(db::session_messages(id))).await?.iter() {
            let Some(data) = data_of(&record) else { continue };
            let Ok(message) = serde_json::from_str::<Message>(&data) else { continue };
            if matches!(message.state, MessageState::Streaming) {
                stored.unsettled.insert(message.id.to_string());
            } else {
                stored.messages.insert(message.id.to_string(), data);
            }
        }
        Ok(stored)
    }

    /// Turns what changed in one session since the ledger into records waiting to be sent.
    async fn record_changes(&self, db: &Db, id: u64) -> Result<(), StorageError> {
        let session = id.to_string();
        let held = self.held(db, &session).await?;
        let changes = ledger::changes_in(&session, &self.stored(db, id).await?, &held);
        if changes.is_empty() {
            return Ok(());
        }
        let now = now_ms() as u64;
        // After everything held for the session, so a deletion comes after what it hides.
        self.inner.update_value(|i| {
            let hlc = i.hlc.get_or_insert_with(|| Hlc::new(&web_storage::device_id()));
            held.values().filter_map(|h| Clock::parse(&h.clock)).for_each(|c| hlc.observe(&c, now));
        });
        let mut batch = Batch::default();
        for (key, value) in changes {
            let clock = self.inner.try_update_value(|i| i.hlc.as_mut().map(|hlc| hlc.tick(now))).flatten();
            let Some(clock) = clock else { continue };
            if matches!(key, Key::Deletion(_)) {
                // The deletion hides every earlier record of the session: the ledger keeps only it.
                for gone in held.keys().filter(|k| !matches!(k, Key::Deletion(_))) {
                    batch = batch.delete(db::SYNC, gone.to_string().into());
                }
            }
            let held_now = Held::of(&clock, value.as_deref());
            batch = batch
                .put(db::SYNC, ledger_record(&key.to_string(), &serde_json::to_string(&held_now).unwrap_or_default()));
            let waiting = json!({ "k": key.to_string(), "c": clock.to_string(), "v": value });
            batch = batch.put(db::SYNC, ledger_record(&ledger::outgoing_key(&clock, &key), &waiting.to_string()));
        }
        db.write(batch).await
    }

    /// Sends what waits, a batch at a time.
    async fn push(&self, db: &Db) -> Result<(), String> {
        loop {
            let range = (JsValue::from("~"), JsValue::from("~\u{ffff}"));
            let waiting = db.get_all(db::SYNC, Some(range)).await.map_err(storage_problem)?;
            self.waiting.set(waiting.length() as usize);
            if waiting.length() == 0 {
                return Ok(());
            }
            let mut keys = Vec::new();
            let mut triples = Vec::new();
            for record in waiting.iter().take(PUSH_BATCH) {
                let (Some(key), Some(data)) = (field_of(&record, "key").as_string(), data_of(&record)) else {
                    continue;
                };
                let Ok(value) = serde_json::from_str::<Value>(&data) else { continue };
                triples.push(json!([value["k"], value["c"], value["v"]]));
                keys.push(key);
            }
            let sealed = keys::seal_records(&Value::Array(triples).to_string())
                .await
                .map_err(|_| "This browser could not encrypt the changes to send.".to_owned())?;
            let body = format!(r#"{{"records": {sealed}}}"#);
            match call("POST", &self.api("push"), Some(&body)).await? {
                (200, _) => {}
                (status, body) => return Err(refusal(status, &body)),
            }
            let done = keys.into_iter().fold(Batch::default(), |b, k| b.delete(db::SYNC, k.into()));
            db.write(done).await.map_err(storage_problem)?;
        }
    }

    /// Takes in what changed since the last sequence number, a page at a time.
    async fn pull(&self, db: &Db) -> Result<(), String> {
        let mut since: i64 = match db.get(db::SYNC, &SEQ_KEY.into()).await.map_err(storage_problem)? {
            Some(record) => data_of(&record).and_then(|d| d.parse().ok()).unwrap_or(0),
            None => 0,
        };
        let mut touched = BTreeSet::new();
        let mut deleted = false;
        loop {
            let page = match call("GET", &self.api(&format!("changes?since={since}")), None).await? {
                (200, body) => serde_json::from_str::<Value>(&body).map_err(|_| refusal(200, ""))?,
                (status, body) => return Err(refusal(status, &body)),
            };
            let records = page["records"].as_array().cloned().unwrap_or_default();
            let more = page["more"].as_bool().unwrap_or(false);
            let next = if more {
                records.last().and_then(|r| r["seq"].as_i64()).unwrap_or(since)
            } else {
                page["seq"].as_i64().unwrap_or(since)
            };
            if records.is_empty() && next == since {
                break;
            }
            let opened = keys::open_records(&Value::Array(records).to_string())
                .await
                .map_err(|_| "This browser could not decrypt the synced changes.".to_owned())?;
            let opened: Value = serde_json::from_str(&opened).unwrap_or_default();
            let changes: Vec<(Key, Clock, Option<String>)> = opened["records"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| {
                    let key = Key::parse(r[0].as_str()?)?;
                    let clock = Clock::parse(r[1].as_str()?)?;
                    Some((key, clock, r[2].as_str().map(str::to_owned)))
                })
                .collect();
            let batch = self.take_in(db, &changes, &mut touched, &mut deleted).await.map_err(storage_problem)?;
            let batch = batch.put(db::SYNC, ledger_record(SEQ_KEY, &next.to_string()));
            db.write(batch).await.map_err(storage_problem)?;
            since = next;
            if !more {
                break;
            }
        }
        if !touched.is_empty() || deleted {
            self.settle_counts(db, &touched).await.map_err(storage_problem)?;
            self.show(touched, deleted).await;
        }
        Ok(())
    }

    /// The writes that take in one page of changes (with the ledger's new entries).
    async fn take_in(
        &self,
        db: &Db,
        changes: &[(Key, Clock, Option<String>)],
        touched: &mut BTreeSet<u64>,
        deleted: &mut bool,
    ) -> Result<Batch, StorageError> {
        let mut batch = Batch::default();
        let mut ledger = Ledger::default();
        let mut per_session: HashMap<&str, usize> = HashMap::new();
        for (key, _, _) in changes {
            *per_session.entry(key.session()).or_default() += 1;
        }
        for (session, _) in per_session.into_iter().filter(|(_, n)| *n >= READ_WHOLE_FROM) {
            for (key, held) in self.held(db, session).await? {
                ledger.entries.insert(key.to_string(), Some(held));
            }
            ledger.whole.insert(session.to_owned());
        }
        let now = now_ms() as u64;
        for (key, clock, value) in changes {
            let Ok(session) = key.session().parse::<u64>() else { continue };
            let name = key.to_string();
            let held = held_now(db, &ledger, key).await?;
            let deletion = held_now(db, &ledger, &Key::Deletion(key.session().to_owned())).await?;
            let deleted_at = deletion.filter(|h: &Held| h.digest.is_some()).and_then(|h| Clock::parse(&h.clock));
            let verdict = ledger::verdict(key, clock, value.is_some(), held.as_ref(), deleted_at.as_ref());
            if verdict == Verdict::Ignore {
                continue;
            }
            self.inner.update_value(|i| {
                i.hlc.get_or_insert_with(|| Hlc::new(&web_storage::device_id())).observe(clock, now);
            });
            let keep = Held::of(clock, value.as_deref());
            match (verdict, key) {
                (Verdict::Take, Key::Session(_)) => {
                    if let Some(value) = value {
                        batch = batch.put(db::SESSIONS, self.details_record(db, session, value).await?);
                        touched.insert(session);
                    }
                }
                (Verdict::Take, Key::Message { id, .. }) => {
                    let Ok(id) = id.parse::<u64>() else { continue };
                    match value.as_deref().map(serde_json::from_str::<Message>) {
                        Some(Ok(message)) => batch = batch.put(db::MESSAGES, message_record(session, &message)),
                        Some(Err(_)) => continue,
                        None => batch = batch.delete(db::MESSAGES, db::message_key(session, id)),
                    }
                    touched.insert(session);
                }
                (Verdict::DeleteSession, _) => {
                    let mut held_here = self.held(db, key.session()).await?;
                    for (k, h) in &ledger.entries {
                        if let (Some(k), Some(h)) = (Key::parse(k), h) {
                            if k.session() == key.session() {
                                held_here.insert(k, h.clone());
                            }
                        }
                    }
                    let gone = ledger::before_deletion(&held_here, clock);
                    let kept_messages = held_here.keys().filter(|k| matches!(k, Key::Message { .. })).count()
                        - gone.iter().filter(|k| matches!(k, Key::Message { .. })).count();
                    for k in &gone {
                        if let Key::Message { id, .. } = k {
                            if let Ok(id) = id.parse::<u64>() {
                                batch = batch.delete(db::MESSAGES, db::message_key(session, id));
                            }
                        }
                        batch = batch.delete(db::SYNC, k.to_string().into());
                        ledger.entries.insert(k.to_string(), None);
                    }
                    if kept_messages == 0 {
                        batch = batch
                            .delete(db::SESSIONS, (session as f64).into())
                            .delete(db::DRAFTS, (session as f64).into());
                    }
                    touched.remove(&session);
                    *deleted = true;
                }
                // A restored session, or a record hidden by its session's deletion: noted only.
                _ => {}
            }
            batch = batch.put(db::SYNC, ledger_record(&name, &serde_json::to_string(&keep).unwrap_or_default()));
            ledger.entries.insert(name, Some(keep));
        }
        Ok(batch)
    }

    /// A session record with pulled details, keeping what only this device knows.
    async fn details_record(&self, db: &Db, session: u64, details: &str) -> Result<Record, StorageError> {
        let mut value: Value = serde_json::from_str(details).unwrap_or_else(|_| json!({}));
        let local = db.get(db::SESSIONS, &(session as f64).into()).await?.and_then(|r| data_of(&r));
        let local: Value = local.and_then(|d| serde_json::from_str(&d).ok()).unwrap_or_else(|| json!({}));
        value["id"] = json!(session);
        value["count"] = local.get("count").cloned().unwrap_or(json!(0));
        if let Some(shown) = local.get("shown") {
            value["shown"] = shown.clone();
        }
        Ok(Record::new(&value.to_string()).field("id", (session as f64).into()))
    }

    /// Sets each touched session's message count from what is stored now (a session that got
    /// messages before its details gets plain details meanwhile).
    async fn settle_counts(&self, db: &Db, touched: &BTreeSet<u64>) -> Result<(), StorageError> {
        let mut batch = Batch::default();
        for &session in touched {
            let messages = db.get_all(db::MESSAGES, Some(db::session_messages(session))).await?;
            let local = db.get(db::SESSIONS, &(session as f64).into()).await?.and_then(|r| data_of(&r));
            let mut value: Value = match local.and_then(|d| serde_json::from_str(&d).ok()) {
                Some(value) => value,
                None => {
                    let first = messages.iter().find_map(|r| serde_json::from_str::<Message>(&data_of(&r)?).ok());
                    let created = first.map_or(now_ms(), |m| m.created_ms);
                    serde_json::to_value(crate::chat::session::SessionMeta::new(session, created)).unwrap_or_default()
                }
            };
            if value["count"].as_u64() != Some(u64::from(messages.length())) {
                value["count"] = json!(messages.length());
                batch = batch.put(db::SESSIONS, Record::new(&value.to_string()).field("id", (session as f64).into()));
            }
        }
        db.write(batch).await
    }

    /// Shows what was taken in: on this tab as if another tab had changed it, and tells the
    /// other tabs.
    async fn show(&self, touched: BTreeSet<u64>, deleted: bool) {
        for id in touched {
            db::announce(&Change::Session(id).to_string());
            self.sessions.changed_elsewhere(id).await;
        }
        if deleted {
            db::announce(&Change::Deleted.to_string());
            self.sessions.deleted_elsewhere().await;
        }
    }

    /// The person wrote the recovery code down.
    pub fn code_noted(&self) {
        self.new_code.set(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_leave_out_what_only_this_device_needs() {
        let data = r#"{"id":5,"title":"Monday","renamed":false,"created_ms":1.0,"updated_ms":2.0,"count":4,"shown":9}"#;
        let synced: Value = serde_json::from_str(&synced_details(data).unwrap()).unwrap();
        assert_eq!(synced, json!({"id": 5, "title": "Monday", "renamed": false, "created_ms": 1.0, "updated_ms": 2.0}));
        assert_eq!(synced_details("not json"), None);
    }

    #[test]
    fn refusals_say_what_the_server_said() {
        assert!(refusal(507, r#"{"detail": "sync storage is full"}"#).contains("sync storage is full"));
        assert!(refusal(429, "").contains("slow down"));
        assert!(refusal(502, "<html>").contains("502"));
    }
}
