//! End-to-end encrypted sync (`/api/sync/…`, shared mode), in process with real TCP, on SQLite
//! (or PostgreSQL with `W0_TEST_DB=postgres`): pushes and changes, replays, last writer wins
//! whatever the arrival order, all-or-nothing batches, the quota, one person's records hidden from
//! another, the key's compare-and-swap, paging, and the change events (across two instances on
//! PostgreSQL).

mod common;

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{json, Value};
use wellness0_proxy::accounts::{self, sync};

use common::people::*;
use common::*;

/// A clock at wall milliseconds `ms`, counter `n`, device `device`.
fn clock(ms: u64, n: u32, device: &str) -> String {
    format!("{ms:016}-{n:06}-{device}")
}

/// A pushed record.
fn record(key: &str, clock: &str, data: &[u8]) -> Value {
    json!({"key": key, "clock": clock, "data": URL_SAFE_NO_PAD.encode(data)})
}

async fn push(c: &reqwest::Client, proxy: &str, records: Vec<Value>) -> reqwest::Response {
    c.post(format!("{proxy}/api/sync/push")).json(&json!({ "records": records })).send().await.unwrap()
}

/// A push that must succeed: its answer.
async fn pushed(c: &reqwest::Client, proxy: &str, records: Vec<Value>) -> Value {
    let resp = push(c, proxy, records).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    resp.json().await.unwrap()
}

/// A push that must be refused with `status`: its `detail`.
async fn refused(c: &reqwest::Client, proxy: &str, records: Vec<Value>, status: StatusCode) -> String {
    let resp = push(c, proxy, records).await;
    assert_eq!(resp.status(), status);
    let v: Value = resp.json().await.unwrap();
    v["detail"].as_str().unwrap().to_owned()
}

async fn changes(c: &reqwest::Client, proxy: &str, query: &str) -> Value {
    let resp = c.get(format!("{proxy}/api/sync/changes?{query}")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

/// `(key, clock, data)` of every record `changes` answers, in order.
fn listed(v: &Value) -> Vec<(String, String, Vec<u8>)> {
    v["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let data = URL_SAFE_NO_PAD.decode(r["data"].as_str().unwrap()).unwrap();
            (r["key"].as_str().unwrap().to_owned(), r["clock"].as_str().unwrap().to_owned(), data)
        })
        .collect()
}

/// The account id of `name`.
async fn account_of(cfg: &wellness0_proxy::Config, name: &str) -> i64 {
    let db = database(cfg).await;
    let id = accounts::find(&db, name).await.unwrap().unwrap().id;
    db.close().await;
    id
}

#[tokio::test]
async fn pushed_records_come_back_as_they_were_pushed() {
    let cfg = shared(config()).await;
    let proxy = spawn_proxy(&cfg).await;
    let alice = signed_in(&proxy, ALICE).await;
    let every_byte: Vec<u8> = (0..=255).collect();
    let records = vec![
        record("note-1", &clock(1_735_689_600_000, 0, "phone"), &every_byte),
        record("note-2", &clock(1_735_689_600_000, 1, "phone"), b""),
        record("Z_-9", &clock(1_735_689_600_001, 0, "laptop"), &[0, 0, 0, 1]),
    ];
    let v = pushed(&alice, &proxy, records).await;
    assert_eq!(v, json!({"seq": 3, "stored": 3, "ignored": 0}));
    let v = changes(&alice, &proxy, "since=0").await;
    assert_eq!(v["seq"], 3);
    assert_eq!(v["more"], false);
    let seqs: Vec<i64> = v["records"].as_array().unwrap().iter().map(|r| r["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [1, 2, 3], "in the order they were stored");
    let got = listed(&v);
    assert_eq!(got[0], ("note-1".into(), clock(1_735_689_600_000, 0, "phone"), every_byte.clone()));
    assert_eq!(got[1].2, b"");
    assert_eq!(got[2].0, "Z_-9");
    // Stored as the very bytes pushed: nothing added, nothing re-encoded.
    let db = database(&cfg).await;
    let (stored, latest) = sync::changes(&db, account_of(&cfg, ALICE).await, 0, 10).await.unwrap();
    assert_eq!(latest, 3);
    assert_eq!(stored[0].data, every_byte);
    assert_eq!(stored[2].data, [0, 0, 0, 1]);
    db.close().await;
    // Nothing newer.
    let v = changes(&alice, &proxy, "since=3").await;
    assert_eq!(v, json!({"records": [], "seq": 3, "more": false}));
}

#[tokio::test]
async fn a_replayed_batch_stores_nothing_new() {
    let proxy = spawn_proxy(&shared(config()).await).await;
    let alice = signed_in(&proxy, ALICE).await;
    let batch = || (0..3).map(|i| record(&format!("k{i}"), &clock(1000, i, "phone"), b"sealed")).collect::<Vec<_>>();
    assert_eq!(pushed(&alice, &proxy, batch()).await, json!({"seq": 3, "stored": 3, "ignored": 0}));
    assert_eq!(pushed(&alice, &proxy, batch()).await, json!({"seq": 3, "stored": 0, "ignored": 3}));
    let v = changes(&alice, &proxy, "").await;
    assert_eq!(v["records"].as_array().unwrap().len(), 3);
    assert_eq!(v["seq"], 3);
}

#[tokio::test]
async fn the_newest_clock_wins_whatever_the_arrival_order() {
    let proxy = spawn_proxy(&shared(config()).await).await;
    let old = record("k", &clock(1000, 5, "phone"), b"old");
    let new = record("k", &clock(1000, 6, "laptop"), b"new");
    // Alice's devices deliver new then old; Bob's old then new.
    let alice = signed_in(&proxy, ALICE).await;
    assert_eq!(pushed(&alice, &proxy, vec![new.clone()]).await["stored"], 1);
    assert_eq!(pushed(&alice, &proxy, vec![old.clone()]).await, json!({"seq": 1, "stored": 0, "ignored": 1}));
    let bob = signed_in(&proxy, BOB).await;
    assert_eq!(pushed(&bob, &proxy, vec![old.clone()]).await["stored"], 1);
    assert_eq!(pushed(&bob, &proxy, vec![new.clone()]).await, json!({"seq": 2, "stored": 1, "ignored": 0}));
    let a = listed(&changes(&alice, &proxy, "").await);
    let b = listed(&changes(&bob, &proxy, "").await);
    assert_eq!(a, b, "the same final state");
    assert_eq!(a, [("k".into(), clock(1000, 6, "laptop"), b"new".to_vec())]);
    // An equal clock is the same write: it changes nothing.
    let same_clock = record("k", &clock(1000, 6, "laptop"), b"other bytes");
    assert_eq!(pushed(&alice, &proxy, vec![same_clock]).await["ignored"], 1);
    // Within one batch, too.
    let batch = vec![record("j", &clock(2000, 1, "a"), b"2"), record("j", &clock(2000, 0, "a"), b"1")];
    assert_eq!(pushed(&alice, &proxy, batch).await, json!({"seq": 2, "stored": 1, "ignored": 1}));
    let a = listed(&changes(&alice, &proxy, "since=1").await);
    assert_eq!(a, [("j".into(), clock(2000, 1, "a"), b"2".to_vec())]);
}

#[tokio::test]
async fn concurrent_pushes_of_one_record_keep_the_newest() {
    let proxy = spawn_proxy(&shared(config()).await).await;
    let alice = signed_in(&proxy, ALICE).await;
    let tasks: Vec<_> = (0..8u32)
        .map(|i| {
            let (alice, proxy) = (alice.clone(), proxy.clone());
            let rec = record("k", &clock(5000, (i * 5) % 8, "d"), format!("v{}", (i * 5) % 8).as_bytes());
            tokio::spawn(async move { pushed(&alice, &proxy, vec![rec]).await })
        })
        .collect();
    let mut stored = 0;
    for t in tasks {
        stored += t.await.unwrap()["stored"].as_i64().unwrap();
    }
    let v = changes(&alice, &proxy, "").await;
    assert_eq!(listed(&v), [("k".into(), clock(5000, 7, "d"), b"v7".to_vec())]);
    assert_eq!(v["seq"], stored, "one sequence number per stored version, none lost");
}

#[tokio::test]
async fn a_batch_with_one_bad_record_stores_none_of_it() {
    let mut cfg = shared(config()).await;
    cfg.max_body_bytes = 4 * 1024 * 1024;
    let proxy = spawn_proxy(&cfg).await;
    let alice = signed_in(&proxy, ALICE).await;
    let good = record("good", &clock(1000, 0, "phone"), b"sealed");
    let bad = StatusCode::BAD_REQUEST;
    let cases: Vec<(Value, &str)> = vec![
        (record("bad key!", &clock(1000, 0, "phone"), b"x"), "record 1: the key must be"),
        (record("k", "2025-01-01T00:00:00Z", b"x"), "record 1: the clock must be"),
        (record("k", &clock(1000, 0, "a.b"), b"x"), "record 1: the clock must be"),
        (json!({"key": "k", "clock": clock(1000, 0, "phone"), "data": "aGk="}), "record 1: its data must be base64url"),
        (json!({"key": "k", "clock": clock(1000, 0, "phone"), "data": "a+b/"}), "record 1: its data must be base64url"),
        (record("k", &clock(1000, 0, "phone"), &vec![1; 64 * 1024 + 1]), "record 1: its data is 65537 bytes"),
        (json!({"key": "k", "clock": clock(1000, 0, "phone")}), "missing field `data`"),
    ];
    for (second, expected) in cases {
        let detail = refused(&alice, &proxy, vec![good.clone(), second], bad).await;
        assert!(detail.contains(expected), "{expected:?} in {detail:?}");
    }
    let many: Vec<Value> = (0..501).map(|i| record(&format!("k{i}"), &clock(1000, 0, "p"), b"")).collect();
    assert!(refused(&alice, &proxy, many, bad).await.contains("at most 500"));
    let resp = alice
        .post(format!("{proxy}/api/sync/push"))
        .header("content-type", "application/json")
        .body("{\"records\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), bad);
    assert!(resp.json::<Value>().await.unwrap()["detail"].as_str().unwrap().contains("the body must be"));
    // Exactly 64 KiB is fine.
    let full = record("full", &clock(1000, 0, "phone"), &vec![1; 64 * 1024]);
    assert_eq!(changes(&alice, &proxy, "").await, json!({"records": [], "seq": 0, "more": false}), "nothing stored");
    assert_eq!(pushed(&alice, &proxy, vec![good, full]).await["stored"], 2);
}

#[tokio::test]
async fn the_quota_refuses_a_batch_whole_with_507() {
    let mut cfg = shared(config()).await;
    cfg.sync_quota_mb = 1;
    cfg.max_body_bytes = 4 * 1024 * 1024;
    let proxy = spawn_proxy(&cfg).await;
    let alice = signed_in(&proxy, ALICE).await;
    let chunk = vec![9u8; 64 * 1024];
    let batch =
        |from: u32, n: u32| (from..from + n).map(|i| record(&format!("k{i}"), &clock(1000, i, "p"), &chunk)).collect();
    assert_eq!(pushed(&alice, &proxy, batch(0, 15)).await["stored"], 15, "960 KiB of 1 MiB");
    let resp = push(&alice, &proxy, batch(15, 2)).await;
    assert_eq!(resp.status(), StatusCode::INSUFFICIENT_STORAGE);
    let v: Value = resp.json().await.unwrap();
    let detail = v["detail"].as_str().unwrap();
    assert!(detail.contains("1.1 MiB") && detail.contains("1 MiB are allowed"), "{detail}");
    // Each record counts its data, key and clock and a row's own cost.
    let used: i64 = (0..17).map(|i| 64 * 1024 + format!("k{i}").len() as i64 + 25 + 64).sum();
    assert_eq!((v["used"].as_i64(), v["limit"].as_i64()), (Some(used), Some(1024 * 1024)));
    let v = changes(&alice, &proxy, "").await;
    assert_eq!((v["records"].as_array().unwrap().len(), v["seq"].as_i64()), (15, Some(15)), "none of the batch");
    // Even one more does not fit now; replacing a record with a smaller one always does, and
    // then there is room for one more.
    assert_eq!(push(&alice, &proxy, batch(15, 1)).await.status(), StatusCode::INSUFFICIENT_STORAGE);
    let smaller = record("k0", &clock(2000, 0, "p"), b"tombstone");
    assert_eq!(pushed(&alice, &proxy, vec![smaller]).await["stored"], 1);
    assert_eq!(pushed(&alice, &proxy, batch(15, 1)).await["stored"], 1);
    // Bob's quota is his own.
    let bob = signed_in(&proxy, BOB).await;
    assert_eq!(pushed(&bob, &proxy, batch(0, 15)).await["stored"], 15);
}

#[tokio::test]
async fn records_without_data_still_count_against_the_quota() {
    let mut cfg = shared(config()).await;
    cfg.sync_quota_mb = 1;
    let proxy = spawn_proxy(&cfg).await;
    let alice = signed_in(&proxy, ALICE).await;
    let mut refused = None;
    for round in 0..40u32 {
        let batch = (0..500).map(|i| record(&format!("e{round}x{i}"), &clock(1000, i, "p"), b"")).collect();
        let resp = push(&alice, &proxy, batch).await;
        if resp.status() == StatusCode::INSUFFICIENT_STORAGE {
            refused = Some(round);
            break;
        }
        assert_eq!(resp.status(), StatusCode::OK);
    }
    let round = refused.expect("20,000 empty records never reached a 1 MiB quota");
    assert!((18..=25).contains(&round), "refused at round {round}: about 100 bytes a row");
}

#[tokio::test]
async fn a_clock_far_in_the_future_is_refused() {
    let proxy = spawn_proxy(&shared(config()).await).await;
    let alice = signed_in(&proxy, ALICE).await;
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    let soon = record("soon", &clock(now_ms + 3_600_000, 0, "p"), b"x");
    assert_eq!(pushed(&alice, &proxy, vec![soon]).await["stored"], 1, "an hour ahead is a clock a little off");
    let resp = push(&alice, &proxy, vec![record("far", &clock(now_ms + 3 * 86_400_000, 0, "p"), b"x")]).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let detail = resp.json::<Value>().await.unwrap()["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("ahead of the server"), "{detail}");
}

#[tokio::test]
async fn nobody_sees_anyone_elses_records_and_strangers_get_401() {
    let cfg = shared(config()).await;
    let proxy = spawn_proxy(&cfg).await;
    let alice = signed_in(&proxy, ALICE).await;
    let bob = signed_in(&proxy, BOB).await;
    pushed(&alice, &proxy, vec![record("k", &clock(1000, 0, "a"), b"alice's")]).await;
    assert_eq!(changes(&bob, &proxy, "").await, json!({"records": [], "seq": 0, "more": false}));
    // The same key is another record for Bob, even with an older clock.
    assert_eq!(pushed(&bob, &proxy, vec![record("k", &clock(1, 0, "b"), b"bob's")]).await["stored"], 1);
    assert_eq!(listed(&changes(&alice, &proxy, "").await)[0].2, b"alice's");
    assert_eq!(listed(&changes(&bob, &proxy, "").await)[0].2, b"bob's");
    let resp = alice
        .put(format!("{proxy}/api/sync/key"))
        .json(&json!({"body": {"wrapped": "a"}, "expected_version": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(bob.get(format!("{proxy}/api/sync/key")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    // Nobody signed in.
    let stranger = no_redirects();
    let calls = [
        stranger.post(format!("{proxy}/api/sync/push")).json(&json!({"records": []})),
        stranger.get(format!("{proxy}/api/sync/changes")),
        stranger.get(format!("{proxy}/api/sync/key")),
        stranger.put(format!("{proxy}/api/sync/key")).json(&json!({"body": {}, "expected_version": 0})),
        stranger.get(format!("{proxy}/api/sync/events")),
    ];
    for call in calls {
        let resp = call.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        assert!(resp.json::<Value>().await.unwrap()["detail"].as_str().unwrap().contains("sign in"));
    }
    // A cross-site page cannot push for a signed-in person either.
    let resp = alice
        .post(format!("{proxy}/api/sync/push"))
        .header("origin", "https://evil.example")
        .json(&json!({"records": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // Removing someone removes their records and key with them.
    let db = database(&cfg).await;
    let bobs_id = account_of(&cfg, BOB).await;
    accounts::remove(&db, BOB).await.unwrap();
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sync_records WHERE account_id = $1")
        .bind(bobs_id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(left, 0);
    assert_eq!(listed(&changes(&alice, &proxy, "").await)[0].2, b"alice's");
    db.close().await;
    // Personal mode has no sync.
    let personal = spawn_proxy(&config()).await;
    let resp = client().get(format!("{personal}/api/sync/changes")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_key_is_replaced_only_from_the_version_read() {
    let proxy = spawn_proxy(&shared(config()).await).await;
    let alice = signed_in(&proxy, ALICE).await;
    let url = format!("{proxy}/api/sync/key");
    let put =
        |body: Value, expected: i64| alice.put(&url).json(&json!({"body": body, "expected_version": expected})).send();
    let resp = alice.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert!(resp.json::<Value>().await.unwrap()["detail"].as_str().unwrap().contains("no sync key"));
    let first = json!({"wrapped": "AAAA", "kdf": {"name": "argon2id", "m": 65536, "t": 3, "salt": "c2FsdA"}});
    let resp = put(first.clone(), 0).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.json::<Value>().await.unwrap(), json!({"version": 1}));
    // A second device that also thinks there is none yet.
    let resp = put(json!({"wrapped": "BBBB"}), 0).await.unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["version"], 1);
    assert!(v["detail"].as_str().unwrap().contains("read it again"));
    let v: Value = alice.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(v, json!({"body": first, "version": 1}), "the first one kept");
    let rewrapped = json!({"wrapped": "CCCC"});
    assert_eq!(put(rewrapped.clone(), 1).await.unwrap().json::<Value>().await.unwrap(), json!({"version": 2}));
    let resp = put(json!({"wrapped": "DDDD"}), 1).await.unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(resp.json::<Value>().await.unwrap()["version"], 2);
    assert_eq!(put(json!({}), 7).await.unwrap().status(), StatusCode::CONFLICT);
    let v: Value = alice.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(v, json!({"body": rewrapped, "version": 2}));
    // Malformed.
    for (body, expected) in [
        (json!({"body": "not an object", "expected_version": 2}), "must be a JSON object"),
        (json!({"body": {}, "expected_version": -1}), "expected_version"),
        (json!({"body": {}}), "missing field `expected_version`"),
        (json!({"body": {"big": "x".repeat(16 * 1024)}, "expected_version": 2}), "at most 16384"),
    ] {
        let resp = alice.put(&url).json(&body).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        let detail = resp.json::<Value>().await.unwrap()["detail"].as_str().unwrap().to_owned();
        assert!(detail.contains(expected), "{expected:?} in {detail:?}");
    }
    assert_eq!(alice.get(&url).send().await.unwrap().json::<Value>().await.unwrap()["version"], 2);
}

#[tokio::test]
async fn changes_come_in_pages() {
    let proxy = spawn_proxy(&shared(config()).await).await;
    let alice = signed_in(&proxy, ALICE).await;
    let batch = (0..7).map(|i| record(&format!("k{i}"), &clock(1000, i, "p"), &[i as u8])).collect();
    pushed(&alice, &proxy, batch).await;
    let mut since = 0;
    let mut pages = Vec::new();
    loop {
        let v = changes(&alice, &proxy, &format!("since={since}&limit=3")).await;
        assert_eq!(v["seq"], 7);
        let keys: Vec<String> = listed(&v).into_iter().map(|(k, _, _)| k).collect();
        pages.push(keys);
        if v["more"] == false {
            break;
        }
        since = v["records"].as_array().unwrap().last().unwrap()["seq"].as_i64().unwrap();
    }
    assert_eq!(pages, [vec!["k0", "k1", "k2"], vec!["k3", "k4", "k5"], vec!["k6"]]);
    // A record stored again moves to the end.
    pushed(&alice, &proxy, vec![record("k1", &clock(2000, 0, "p"), b"again")]).await;
    let v = changes(&alice, &proxy, "since=7").await;
    assert_eq!(listed(&v), [("k1".into(), clock(2000, 0, "p"), b"again".to_vec())]);
    assert_eq!(v["records"][0]["seq"], 8);
    let v = changes(&alice, &proxy, "since=0&limit=1000").await;
    let keys: Vec<String> = listed(&v).into_iter().map(|(k, _, _)| k).collect();
    assert_eq!(keys, ["k0", "k2", "k3", "k4", "k5", "k6", "k1"]);
    let resp = alice.get(format!("{proxy}/api/sync/changes?since=soon")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

/// An open `GET /api/sync/events`, read as a browser's EventSource would.
struct Events {
    resp: reqwest::Response,
    buf: String,
}

impl Events {
    async fn open(c: &reqwest::Client, proxy: &str) -> Self {
        let resp =
            c.get(format!("{proxy}/api/sync/events")).header("accept", "text/event-stream").send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["content-type"], "text/event-stream");
        assert_eq!(resp.headers()["cache-control"], "no-store");
        Self { resp, buf: String::new() }
    }

    /// The `seq` of the next `changed` event within `within`, if one comes.
    async fn next_changed(&mut self, within: Duration) -> Option<i64> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let event: String = self.buf.drain(..end + 2).collect();
                if event.lines().any(|l| l == "event: changed") {
                    let data = event.lines().find_map(|l| l.strip_prefix("data: ")).expect("data");
                    return serde_json::from_str::<Value>(data).unwrap()["seq"].as_i64();
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.resp.chunk()).await.ok()?.unwrap()?;
            self.buf.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    /// Everything the stream sends within `within`, and whether it ended.
    async fn rest(mut self, within: Duration, until: &str) -> (String, bool) {
        let deadline = tokio::time::Instant::now() + within;
        while !self.buf.contains(until) {
            match tokio::time::timeout_at(deadline, self.resp.chunk()).await {
                Err(_) => return (self.buf, false),
                Ok(chunk) => match chunk.unwrap() {
                    Some(chunk) => self.buf.push_str(std::str::from_utf8(&chunk).unwrap()),
                    None => return (self.buf, true),
                },
            }
        }
        (self.buf, false)
    }
}

#[tokio::test]
async fn a_push_is_announced_to_the_persons_open_event_streams() {
    let proxy = spawn_proxy(&shared(config()).await).await;
    let alice = signed_in(&proxy, ALICE).await;
    pushed(&alice, &proxy, vec![record("k", &clock(1000, 0, "a"), b"1")]).await;
    let mut laptop = Events::open(&alice, &proxy).await;
    assert_eq!(laptop.next_changed(Duration::from_secs(2)).await, Some(1), "the current seq at once");
    let bob = signed_in(&proxy, BOB).await;
    let mut bobs = Events::open(&bob, &proxy).await;
    assert_eq!(bobs.next_changed(Duration::from_secs(2)).await, Some(0));
    pushed(&alice, &proxy, vec![record("k", &clock(1000, 1, "a"), b"2"), record("j", &clock(1000, 2, "a"), b"3")])
        .await;
    assert_eq!(laptop.next_changed(Duration::from_secs(2)).await, Some(3));
    // A replay changes nothing: no event.
    pushed(&alice, &proxy, vec![record("j", &clock(1000, 2, "a"), b"3")]).await;
    assert_eq!(laptop.next_changed(Duration::from_millis(300)).await, None);
    assert_eq!(bobs.next_changed(Duration::from_millis(300)).await, None, "not Bob's");
    pushed(&bob, &proxy, vec![record("k", &clock(1000, 0, "b"), b"b")]).await;
    assert_eq!(bobs.next_changed(Duration::from_secs(2)).await, Some(1));
}

#[tokio::test]
async fn event_streams_keep_alive_and_end_with_their_session() {
    let proxy = spawn_proxy(&shared(config()).await).await;
    let phone = signed_in(&proxy, ALICE).await;
    let laptop = signed_in(&proxy, ALICE).await;
    let mut on_phone = Events::open(&phone, &proxy).await;
    let mut on_laptop = Events::open(&laptop, &proxy).await;
    assert_eq!(on_phone.next_changed(Duration::from_secs(2)).await, Some(0));
    assert_eq!(on_laptop.next_changed(Duration::from_secs(2)).await, Some(0));
    let resp = phone.post(format!("{proxy}/auth/signout")).header("origin", &proxy).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    // Both 15 s keep-alives at once: the laptop's is a comment, the phone's ends its stream.
    let within = Duration::from_secs(18);
    let (phone_rest, laptop_rest) =
        tokio::join!(on_phone.rest(within, "\u{0}"), on_laptop.rest(within, ": keep-alive\n\n"));
    assert_eq!(phone_rest, (String::new(), true), "signed out: the stream ends, without a keep-alive");
    assert_eq!(laptop_rest, (": keep-alive\n\n".to_owned(), false));
}

#[tokio::test]
async fn a_push_through_one_instance_reaches_a_browser_connected_to_another() {
    // Instances tell each other through PostgreSQL's LISTEN/NOTIFY. On SQLite there is one
    // instance per database (two in one test process would each have their own hub, and real
    // deployments never share a SQLite file between machines), so this runs on PostgreSQL only.
    if !on_postgres() {
        return;
    }
    let cfg = shared(config()).await;
    let a = spawn_proxy(&cfg).await;
    let b = spawn_proxy(&cfg).await;
    let alice = signed_in(&a, ALICE).await;
    let mut on_b = Events::open(&alice, &b).await;
    assert_eq!(on_b.next_changed(Duration::from_secs(2)).await, Some(0));
    pushed(&alice, &a, vec![record("k", &clock(1000, 0, "phone"), b"sealed")]).await;
    assert_eq!(on_b.next_changed(Duration::from_secs(2)).await, Some(1), "within 2 s, through the database");
    pushed(&alice, &a, vec![record("k", &clock(1000, 1, "phone"), b"sealed")]).await;
    assert_eq!(on_b.next_changed(Duration::from_secs(2)).await, Some(2));
    // The instances' listening connections are cut, and a push comes while they are away: B
    // reconnects (after a second) and reads what it missed.
    let db = database(&cfg).await;
    let listeners = || {
        sqlx::query_scalar::<_, i32>(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        )
        .fetch_all(db.pool())
    };
    let pids = listeners().await.unwrap();
    assert_eq!(pids.len(), 2, "one listener per instance");
    for pid in &pids {
        sqlx::query("SELECT pg_terminate_backend($1)").bind(pid).execute(db.pool()).await.unwrap();
    }
    // Gone (they come back a second later).
    while listeners().await.unwrap().iter().any(|p| pids.contains(p)) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    pushed(&alice, &a, vec![record("k", &clock(1000, 2, "phone"), b"sealed")]).await;
    assert_eq!(on_b.next_changed(Duration::from_secs(5)).await, Some(3), "caught up after reconnecting");
    pushed(&alice, &a, vec![record("k", &clock(1000, 3, "phone"), b"sealed")]).await;
    assert_eq!(on_b.next_changed(Duration::from_secs(2)).await, Some(4), "listening again");
    db.close().await;
}

/// The `value` of the hidden field `name` in a page.
fn hidden_field(page: &str, name: &str) -> String {
    let at = page.find(&format!("name=\"{name}\" value=\"")).unwrap_or_else(|| panic!("no {name} field in {page}"));
    let rest = &page[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn a_password_change_rewraps_the_key_in_the_same_step_and_signs_every_other_device_out() {
    use wellness0_proxy::kdf::{self, Kdf};
    let proxy = spawn_proxy(&shared(config()).await).await;
    let (laptop, phone) = (signed_in(&proxy, ALICE).await, signed_in(&proxy, ALICE).await);
    let key_url = format!("{proxy}/api/sync/key");
    let old_body = json!({"v": 1, "wrapped": "old-wrapping", "recovery": "by-the-code"});
    let put = json!({"body": old_body, "expected_version": 0});
    assert_eq!(laptop.put(&key_url).json(&put).send().await.unwrap().status(), StatusCode::OK);

    // The page carries a fresh salt for the new password, made by the server.
    let page = laptop.get(format!("{proxy}/auth/password")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains("Change your password") && page.contains("data-derive=\"change\""), "{page}");
    let salt = hidden_field(&page, "salt");
    assert!(kdf::well_formed_salt(&salt), "{salt}");
    let (old_kdf, _) = kdf::ask_params(&no_redirects(), &proxy, ALICE).await.unwrap();
    let new_password = "a new and longer password";
    let (old, new) = tokio::task::spawn_blocking(move || {
        let new_kdf = Kdf { salt, iterations: kdf::ITERATIONS };
        (kdf::derive(PASSWORD, &old_kdf).unwrap(), (kdf::derive(new_password, &new_kdf).unwrap(), new_kdf))
    })
    .await
    .unwrap();
    let (new, new_kdf) = new;
    let change = |current: &str, version: &str, key: Option<&str>| {
        let mut form = vec![
            ("name", ALICE.to_owned()),
            ("salt", new_kdf.salt.clone()),
            ("current", current.to_owned()),
            ("secret", new.auth_secret.clone()),
            ("key_version", version.to_owned()),
            ("iterations", kdf::ITERATIONS.to_string()),
        ];
        if let Some(key) = key {
            form.push(("key", key.to_owned()));
        }
        laptop.post(format!("{proxy}/auth/password")).header("origin", &proxy).form(&form).send()
    };
    let new_body = json!({"v": 1, "wrapped": "new-wrapping", "recovery": "by-the-code"}).to_string();

    // A wrong current password, or a key read before another device replaced it: nothing changes.
    let resp = change(&new.auth_secret, "1", Some(&new_body)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.text().await.unwrap().contains("not your current password"));
    let resp = change(&old.auth_secret, "0", None).await.unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(resp.text().await.unwrap().contains("changed on another device"));
    let resp = change(&old.auth_secret, "7", Some(&new_body)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT, "a body re-wrapped from a version no longer stored");
    let resp = change(&old.auth_secret, "1", Some("not json")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let v: Value = phone.get(&key_url).send().await.unwrap().json().await.unwrap();
    assert_eq!(v, json!({"body": old_body, "version": 1}), "the key as it was, the phone still signed in");

    let resp = change(&old.auth_secret, "1", Some(&new_body)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let cookie = session_pair(&resp).expect("this browser signed in anew");
    assert!(resp.text().await.unwrap().contains("Your password is changed"));
    let laptop = with_cookie(&cookie);
    let v: Value = laptop.get(&key_url).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["body"], serde_json::from_str::<Value>(&new_body).unwrap());
    assert_eq!(v["version"], 2);
    assert_eq!(phone.get(&key_url).send().await.unwrap().status(), StatusCode::UNAUTHORIZED, "signed out");
    assert_eq!(sign_in_raw(&proxy, ALICE, PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(sign_in_raw(&proxy, ALICE, new_password).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_password_page_is_for_the_signed_in_only() {
    let proxy = spawn_proxy(&shared(config()).await).await;
    let resp = no_redirects().get(format!("{proxy}/auth/password")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let form = [("current", "x".repeat(43)), ("secret", "y".repeat(43)), ("key_version", "0".into())];
    let resp = no_redirects()
        .post(format!("{proxy}/auth/password"))
        .header("origin", &proxy)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(resp.headers()["location"].to_str().unwrap().ends_with("signin"));
}
