//! Shared mode binds every memory call to the signed-in person, on both backends, against
//! the fakes: adds carry their user id, searches and lists are filtered to it, delete-all is
//! scoped to it, other people's ids and wildcards are refused with nothing sent, and calls on
//! one memory or event are checked upstream first. Two people signed in at once each see only
//! their own memories.

mod common;

use reqwest::StatusCode;
use serde_json::{json, Value};
use wellness0_fakes::control::RecordedRequest;

use common::people::*;
use common::*;

const UUID: &str = "3f2b6c1e-9a4d-4c7e-8b1a-0d2e4f6a8b9c";

async fn call(c: &reqwest::Client, method: &str, url: String, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = c.request(method.parse().unwrap(), url);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn turn(text: &str) -> Value {
    json!({"messages": [{"role": "user", "content": text}], "infer": false})
}

/// Requests the fake got, minus any before `since`.
fn new_requests(all: Vec<RecordedRequest>, since: usize) -> Vec<RecordedRequest> {
    all.into_iter().skip(since).collect()
}

#[tokio::test]
async fn platform_calls_are_bound_to_the_signed_in_person() {
    let fakes = Fakes::start(0).await;
    let proxy = spawn_proxy(&shared(fakes.config()).await).await;
    let (alice, bob) = (signed_in(&proxy, ALICE).await, signed_in(&proxy, BOB).await);
    let api = |p: &str| format!("{proxy}/api/mem0{p}");

    // Adds: the person's id is set (or kept when it is theirs).
    let (s, a) = call(&alice, "POST", api("/v3/memories/add/"), Some(turn("I walk the dog at dawn"))).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let alice_mem = a["results"][0]["id"].as_str().unwrap().to_owned();
    let mut bob_turn = turn("My brother lives in Porto");
    bob_turn["user_id"] = json!(BOB_ID);
    let (s, b) = call(&bob, "POST", api("/v3/memories/add/"), Some(bob_turn)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let bob_mem = b["results"][0]["id"].as_str().unwrap().to_owned();
    let adds: Vec<Value> = fakes.mem0_requests().iter().map(|r| r.body["user_id"].clone()).collect();
    assert_eq!(adds, [json!(ALICE_ID), json!(BOB_ID)]);

    // Each sees only their own, whatever filter they send.
    for (who, c, mine, theirs) in [(ALICE, &alice, &alice_mem, &bob_mem), (BOB, &bob, &bob_mem, &alice_mem)] {
        let (s, found) = call(c, "POST", api("/v3/memories/?page=1&page_size=200"), Some(json!({}))).await;
        assert_eq!(s, StatusCode::OK, "{found}");
        let ids: Vec<&str> = found["results"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [mine.as_str()], "{who} lists");
        let (s, found) =
            call(c, "POST", api("/v3/memories/search/"), Some(json!({"query": "dog dawn brother porto"}))).await;
        assert_eq!(s, StatusCode::OK, "{found}");
        assert!(found["results"].as_array().unwrap().iter().all(|m| m["id"] != json!(theirs)), "{who}: {found}");
    }
    let last = fakes.mem0_requests().into_iter().last().unwrap();
    assert_eq!(last.body["filters"], json!({"AND": [{"user_id": BOB_ID}]}));

    // Attempts on the other person's memories: refused, nothing (but the ownership check) sent.
    let before = fakes.mem0_requests().len();
    let refused = [
        ("POST", "/v3/memories/search/", Some(json!({"query": "q", "filters": {"AND": [{"user_id": "*"}]}}))),
        ("POST", "/v3/memories/search/", Some(json!({"query": "q", "filters": {"AND": [{"user_id": BOB_ID}]}}))),
        ("POST", "/v3/memories/?page=1&page_size=50", Some(json!({"filters": {"OR": [{"user_id": BOB_ID}]}}))),
        ("POST", "/v3/memories/add/", Some(json!({"messages": [{"role": "user", "content": "x"}], "user_id": BOB_ID}))),
        ("POST", "/v3/memories/add/", Some(json!({"messages": [{"role": "user", "content": "x"}], "agent_id": "a"}))),
        ("DELETE", "/v1/memories/?user_id=*", None),
        ("DELETE", &*format!("/v1/memories/?user_id={BOB_ID}"), None),
    ];
    for (method, path, body) in refused {
        let (s, v) = call(&alice, method, api(path), body).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{method} {path}: {v}");
        assert!(v["detail"].as_str().unwrap().contains("bound to the signed-in person"), "{v}");
    }
    assert_eq!(fakes.mem0_requests().len(), before, "a refused call reached mem0");
    for (method, path, body) in [
        ("GET", format!("/v1/memories/{bob_mem}/"), None),
        ("PUT", format!("/v1/memories/{bob_mem}/"), Some(json!({"text": "overwritten"}))),
        ("DELETE", format!("/v1/memories/{bob_mem}/"), None),
        ("GET", format!("/v1/memories/{bob_mem}/history/"), None),
        ("POST", "/v1/feedback/".into(), Some(json!({"memory_id": bob_mem, "feedback": "NEGATIVE"}))),
        ("GET", format!("/v1/memories/{UUID}/"), None),
    ] {
        let (s, v) = call(&alice, method, api(&path), body).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{method} {path}: {v}");
    }
    let sent = new_requests(fakes.mem0_requests(), before);
    assert!(sent.iter().all(|r| r.method == "GET" && !r.path.ends_with("/history/")), "{sent:?}");
    assert_eq!(sent.len(), 6, "one ownership GET per attempt");
    let (s, kept) = call(&bob, "GET", api(&format!("/v1/memories/{bob_mem}/")), None).await;
    assert_eq!((s, kept["memory"].as_str()), (StatusCode::OK, Some("My brother lives in Porto")));

    // Their own memory: checked, then done.
    for (method, path, body) in [
        ("GET", format!("/v1/memories/{alice_mem}/"), None),
        ("PUT", format!("/v1/memories/{alice_mem}/"), Some(json!({"text": "I walk the dog at six"}))),
        ("GET", format!("/v1/memories/{alice_mem}/history/"), None),
        ("POST", "/v1/feedback/".into(), Some(json!({"memory_id": alice_mem, "feedback": "POSITIVE"}))),
        ("DELETE", format!("/v1/memories/{alice_mem}/"), None),
    ] {
        let (s, v) = call(&alice, method, api(&path), body).await;
        assert_eq!(s, StatusCode::OK, "{method} {path}: {v}");
    }

    // Delete-all: scoped to the person, whatever the page sends.
    let before = fakes.mem0_requests().len();
    let (s, _) = call(&alice, "DELETE", api(&format!("/v1/memories/?user_id={ALICE_ID}")), None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(&alice, "DELETE", api("/v1/memories/"), None).await;
    assert_eq!(s, StatusCode::OK);
    let sent = new_requests(fakes.mem0_requests(), before);
    assert!(sent.iter().all(|r| r.query.len() == 1 && r.query["user_id"] == ALICE_ID), "{sent:?}");
    let (_, left) = call(&bob, "POST", api("/v3/memories/"), Some(json!({}))).await;
    assert_eq!(left["results"].as_array().unwrap().len(), 1, "bob's memory survived alice's delete-all");
}

#[tokio::test]
async fn events_are_answered_only_to_their_owner() {
    let fakes = Fakes::start(0).await;
    let cfg = shared(fakes.config()).await;
    let proxy = spawn_proxy(&cfg).await;
    let (alice, bob) = (signed_in(&proxy, ALICE).await, signed_in(&proxy, BOB).await);
    let api = |p: &str| format!("{proxy}/api/mem0{p}");
    let (s, queued) = call(
        &bob,
        "POST",
        api("/v3/memories/add/"),
        Some(json!({"messages": [{"role": "user", "content": "I fear flying"}]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{queued}");
    let event = queued["event_id"].as_str().unwrap().to_owned();
    let (s, ev) = call(&bob, "GET", api(&format!("/v1/event/{event}/")), None).await;
    assert_eq!(s, StatusCode::OK, "{ev}");
    assert_eq!(ev["payload"]["user_id"], BOB_ID);
    // Alice asking for Bob's event, or for one the proxy never forwarded: a 404, and mem0 is
    // not even asked (whose it is comes from the proxy's own record, not from the event's body).
    let before = fakes.mem0_requests().len();
    let (s, ev) = call(&alice, "GET", api(&format!("/v1/event/{event}/")), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{ev}");
    assert!(!ev.to_string().contains("flying"), "{ev}");
    let (s, _) = call(&alice, "GET", api(&format!("/v1/event/{UUID}/")), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(fakes.mem0_requests().len(), before, "nothing reached mem0 for someone else's event");
    // Bob removed and re-added: his old events went with his account.
    let db = database(&cfg).await;
    wellness0_proxy::accounts::remove(&db, BOB).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM memory_events").fetch_one(db.pool()).await.unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn self_hosted_calls_are_bound_to_the_signed_in_person() {
    let fakes = Fakes::start(0).await;
    let sh = SelfHosted::start().await;
    let proxy = spawn_proxy(&shared(sh.config(&fakes)).await).await;
    let (alice, bob) = (signed_in(&proxy, ALICE).await, signed_in(&proxy, BOB).await);
    let api = |p: &str| format!("{proxy}/api/mem0{p}");
    let (s, a) = call(&alice, "POST", api("/memories"), Some(turn("I paint on Sundays"))).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let alice_mem = a["results"][0]["id"].as_str().unwrap().to_owned();
    let (s, b) = call(&bob, "POST", api("/memories"), Some(turn("I paint murals"))).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let bob_mem = b["results"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(sh.requests()[0].body["user_id"], ALICE_ID);

    for (c, mine) in [(&alice, &alice_mem), (&bob, &bob_mem)] {
        let (_, listed) = call(c, "GET", api("/memories?top_k=1000"), None).await;
        let ids: Vec<&str> = listed["results"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [mine.as_str()]);
        let (_, found) = call(c, "POST", api("/search"), Some(json!({"query": "paint", "top_k": 10}))).await;
        let ids: Vec<&str> = found["results"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [mine.as_str()], "{found}");
    }
    let searched = sh.requests().into_iter().rfind(|r| r.path == "/search").unwrap();
    assert_eq!(searched.body["filters"], json!({"user_id": BOB_ID}));
    let listed = sh.requests().into_iter().rfind(|r| r.method == "GET" && r.path == "/memories").unwrap();
    assert_eq!(listed.query["user_id"], BOB_ID);
    assert_eq!(listed.query["top_k"], "1000");

    let before = sh.requests().len();
    for (method, path, body) in [
        ("GET", format!("/memories?user_id={BOB_ID}"), None),
        ("GET", "/memories?user_id=*".into(), None),
        ("POST", "/search".into(), Some(json!({"query": "paint", "filters": {"user_id": BOB_ID}}))),
        ("POST", "/search".into(), Some(json!({"query": "paint", "user_id": BOB_ID}))),
        ("DELETE", format!("/memories?user_id={BOB_ID}"), None),
        ("POST", "/memories".into(), Some(json!({"messages": [{"role": "user", "content": "x"}], "run_id": "r"}))),
    ] {
        let (s, v) = call(&alice, method, api(&path), body).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{method} {path}: {v}");
    }
    assert_eq!(sh.requests().len(), before, "a refused call reached the server");
    for (method, path, body) in [
        ("GET", format!("/memories/{bob_mem}"), None),
        ("PUT", format!("/memories/{bob_mem}"), Some(json!({"text": "mine now"}))),
        ("DELETE", format!("/memories/{bob_mem}"), None),
        ("GET", format!("/memories/{bob_mem}/history"), None),
        // Unknown ids: the open-source server answers `null`, the proxy a 404.
        ("GET", format!("/memories/{UUID}"), None),
    ] {
        let (s, v) = call(&alice, method, api(&path), body).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{method} {path}: {v}");
    }
    let sent = new_requests(sh.requests(), before);
    assert!(sent.iter().all(|r| r.method == "GET" && !r.path.ends_with("/history")), "{sent:?}");
    let (s, _) =
        call(&alice, "PUT", api(&format!("/memories/{alice_mem}")), Some(json!({"text": "I paint at dawn"}))).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(&alice, "DELETE", api("/memories"), None).await;
    assert_eq!(s, StatusCode::OK);
    let deleted = sh.requests().into_iter().last().unwrap();
    assert_eq!((deleted.method.as_str(), deleted.query["user_id"].as_str()), ("DELETE", ALICE_ID));
    let (_, left) = call(&bob, "GET", api("/memories"), None).await;
    assert_eq!(left["results"].as_array().unwrap().len(), 1, "bob's memory survived");
}
