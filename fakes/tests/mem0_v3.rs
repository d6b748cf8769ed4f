//! The mem0 Platform fake's v3 calls over real HTTP: add and its event, search, the paginated
//! list, delete-all with a wildcard, and the request log's byte counts.

mod common;

use std::time::Duration;

use common::{send, Answer};
use serde_json::{json, Value};
use wellness0_fakes::mem0::{app, Mem0Config, Mem0State};

const AUTH: (&str, &str) = ("authorization", "Token test-mem0-key");

async fn start(async_delay_ms: u64) -> String {
    let cfg = Mem0Config { async_delay_ms, ..Mem0Config::default() };
    format!("http://{}", wellness0_fakes::spawn(app(Mem0State::new(cfg))).await)
}

async fn call(method: &str, url: String, body: Option<Value>) -> Answer {
    send(method, &url, &[AUTH], body.as_ref()).await
}

fn turn(user: &str, text: &str) -> Value {
    json!({"messages": [{"role": "user", "content": text}, {"role": "assistant", "content": "I hear you."}],
           "user_id": user, "metadata": {"src": "chat"}})
}

async fn add_direct(base: &str, user: &str, texts: &[&str]) -> Vec<String> {
    let msgs: Vec<Value> = texts.iter().map(|t| json!({"role": "user", "content": t})).collect();
    let a = call(
        "POST",
        format!("{base}/v3/memories/add/"),
        Some(json!({"messages": msgs, "user_id": user, "infer": false})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body["results"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn inferring_add_is_queued_and_its_event_runs_to_success() {
    let base = start(400).await;
    let a =
        call("POST", format!("{base}/v3/memories/add/"), Some(turn("alice", "I was deployed in Afghanistan"))).await;
    assert_eq!(a.body, json!({"event_id": a.body["event_id"], "status": "PENDING"}));
    let event_url = format!("{base}/v1/event/{}/", a.body["event_id"].as_str().unwrap());
    let ev = call("GET", event_url.clone(), None).await.body;
    assert_eq!(
        (ev["status"].clone(), ev["results"].clone(), ev["started_at"].clone()),
        (json!("PENDING"), json!([]), Value::Null)
    );
    assert_eq!(ev["event_type"], "ADD");
    assert_eq!(ev["payload"]["user_id"], "alice");
    tokio::time::sleep(Duration::from_millis(280)).await;
    let ev = call("GET", event_url.clone(), None).await.body;
    assert_eq!(ev["status"], "RUNNING");
    assert!(ev["started_at"].is_string() && ev["completed_at"].is_null());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ev = call("GET", event_url, None).await.body;
    assert_eq!(ev["status"], "SUCCEEDED");
    assert!(ev["latency"].as_f64().unwrap() >= 300.0);
    let results = ev["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "only the user's message is extracted: {results:?}");
    let r = &results[0];
    assert_eq!(r["event"], "ADD");
    assert_eq!(r["user_id"], "alice");
    assert_eq!(r["data"], json!({"memory": "I was deployed in Afghanistan"}));
    let got = call("GET", format!("{base}/v1/memories/{}/", r["id"].as_str().unwrap()), None).await.body;
    assert_eq!(got["memory"], "I was deployed in Afghanistan");
    assert_eq!(got["metadata"], json!({"src": "chat"}));
}

#[tokio::test]
async fn v3_extraction_only_adds_what_is_new() {
    let base = start(0).await;
    for _ in 0..2 {
        let a = call("POST", format!("{base}/v3/memories/add/"), Some(turn("bob", "I like green tea"))).await;
        tokio::time::sleep(Duration::from_millis(30)).await;
        let ev = call("GET", format!("{base}/v1/event/{}/", a.body["event_id"].as_str().unwrap()), None).await.body;
        assert_eq!(ev["status"], "SUCCEEDED");
    }
    let page = call("POST", format!("{base}/v3/memories/"), Some(json!({"filters": {"user_id": "bob"}}))).await.body;
    assert_eq!(page["count"], 1, "the repeat added nothing");
}

#[tokio::test]
async fn direct_import_answers_at_once_and_skips_repeats() {
    let base = start(10_000).await;
    let body = json!({"messages": [
        {"role": "system", "content": "be kind"},
        {"role": "user", "content": "Alice loves badminton"},
        {"role": "assistant", "content": "Alice is a fitness fan"}
    ], "user_id": "alice", "infer": false});
    let a = call("POST", format!("{base}/v3/memories/add/"), Some(body.clone())).await;
    assert_eq!(a.status, 200);
    let keys: Vec<&String> = a.body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["message", "status", "event_id", "results"]);
    assert_eq!(a.body["message"], "Memories stored successfully");
    assert_eq!(a.body["status"], "SUCCEEDED");
    let results = a.body["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "system messages are dropped");
    assert_eq!(results[1].as_object().unwrap().keys().collect::<Vec<_>>(), ["id", "data", "event"]);
    assert_eq!(results[1]["data"]["memory"], "Alice is a fitness fan");
    let ev = call("GET", format!("{base}/v1/event/{}/", a.body["event_id"].as_str().unwrap()), None).await.body;
    assert_eq!(ev["status"], "SUCCEEDED");
    let again = call("POST", format!("{base}/v3/memories/add/"), Some(body)).await;
    assert_eq!(again.body["results"], json!([]), "exact repeats are not stored twice");
    let bad = call("POST", format!("{base}/v3/memories/add/"), Some(json!({"messages": [], "user_id": "a"}))).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["error"], "400 Bad Request");
    assert!(bad.body["details"]["message"].as_str().unwrap().starts_with("Invalid input data."));
    let no_id = call("POST", format!("{base}/v3/memories/add/"), Some(json!({"messages": "hi", "user_id": ""}))).await;
    assert_eq!(no_id.status, 400, "an empty user id is no user id");
}

#[tokio::test]
async fn a_scripted_event_failure_stores_nothing() {
    let base = start(0).await;
    let r =
        send("POST", &format!("{base}/_fake/script"), &[], Some(&json!([{"fail_event": "LLM quota exceeded"}]))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let a = call("POST", format!("{base}/v3/memories/add/"), Some(turn("carol", "I sleep badly"))).await;
    assert_eq!(a.status, 200, "the add itself is accepted");
    tokio::time::sleep(Duration::from_millis(30)).await;
    let ev = call("GET", format!("{base}/v1/event/{}/", a.body["event_id"].as_str().unwrap()), None).await.body;
    assert_eq!(
        (ev["status"].clone(), ev["error"].clone(), ev["results"].clone()),
        (json!("FAILED"), json!("LLM quota exceeded"), json!([]))
    );
    let page = call("POST", format!("{base}/v3/memories/"), Some(json!({"filters": {"user_id": "carol"}}))).await.body;
    assert_eq!(page["count"], 0);
    let missing = call("GET", format!("{base}/v1/event/{}/", uuid::Uuid::nil()), None).await;
    assert_eq!(
        (missing.status, missing.body["error"].clone()),
        (404, json!("Event not found or you don't have permission to access it."))
    );
}

#[tokio::test]
async fn v3_search_scores_and_refusals() {
    let base = start(0).await;
    add_direct(&base, "dan", &["My dog is called Rex", "I sleep badly after night shifts"]).await;
    add_direct(&base, "erin", &["My dog is called Bo"]).await;
    let url = format!("{base}/v3/memories/search/");
    let found = call(
        "POST",
        url.clone(),
        Some(json!({"query": "what is the dog called", "filters": {"AND": [{"user_id": "dan"}]}})),
    )
    .await;
    let hits = found.body["results"].as_array().unwrap();
    assert_eq!(hits.len(), 1, "the 0.1 default threshold drops the unrelated memory: {hits:?}");
    let h = &hits[0];
    assert_eq!(h["memory"], "My dog is called Rex");
    let score = h["score"].as_f64().unwrap();
    assert!(score > 0.0 && score <= 1.0);
    let b = &h["score_breakdown"];
    assert!(b["semantic"].as_f64().unwrap() > 0.0 && b["bm25"].is_number() && b["entity"].is_number());
    assert!(h.get("run_id").is_some() && h.get("session_id").is_none(), "search names the session run_id");
    let all =
        call("POST", url.clone(), Some(json!({"query": "dog", "filters": {"user_id": "dan"}, "threshold": 0.0}))).await;
    assert_eq!(all.body["results"].as_array().unwrap().len(), 2, "threshold 0 keeps everything in scope");
    for (body, want) in [
        (json!({"query": "dog", "user_id": "dan"}), "Top-level entity parameter 'user_id' is not supported. Use filters={'user_id': '...'} instead."),
        (json!({"query": "dog"}), "Filters are required and cannot be empty. Please refer to https://docs.mem0.ai/api-reference/memory/search-memories"),
        (json!({"query": "dog", "filters": {"categories": {"in": ["food"]}}}), "Filters are required and cannot be empty. Please refer to https://docs.mem0.ai/api-reference/memory/search-memories"),
        (json!({"query": " ", "filters": {"user_id": "dan"}}), "query is required and cannot be empty."),
        (json!({"query": "dog", "filters": {"user_id": "dan"}, "top_k": 0}), "top_k must be an integer between 1 and 1000."),
        (json!({"query": "dog", "filters": {"user_id": "dan"}, "threshold": 1.5}), "threshold must be a number between 0 and 1."),
    ] {
        let r = call("POST", url.clone(), Some(body)).await;
        assert_eq!((r.status, r.body), (400, json!({ "error": want })));
    }
}

#[tokio::test]
async fn v3_search_returns_ten_by_default() {
    let base = start(0).await;
    let texts: Vec<String> = (0..12).map(|i| format!("walk number {i} in the park")).collect();
    add_direct(&base, "fay", &texts.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let r = call(
        "POST",
        format!("{base}/v3/memories/search/"),
        Some(json!({"query": "park walk", "filters": {"user_id": "fay"}})),
    )
    .await;
    assert_eq!(r.body["results"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn v3_list_pages_of_at_most_200() {
    let base = start(0).await;
    let texts: Vec<String> = (0..5).map(|i| format!("fact {i}")).collect();
    add_direct(&base, "gus", &texts.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let list = |q: &str, body: Value| call("POST", format!("{base}/v3/memories/{q}"), Some(body));
    let p = list("?page=2&page_size=2", json!({"filters": {"AND": [{"user_id": "gus"}]}})).await.body;
    assert_eq!(p["count"], 5);
    assert_eq!(p["results"].as_array().unwrap().len(), 2);
    assert!(p["next"].as_str().unwrap().ends_with("/v3/memories/?page=3&page_size=2"));
    assert!(p["previous"].as_str().unwrap().ends_with("/v3/memories/?page=1&page_size=2"));
    let item = &p["results"][0];
    assert!(item.get("session_id").is_some() && item.get("run_id").is_none(), "the list names the session session_id");
    assert_eq!(item["memory"], "fact 2");
    let first = list("", json!({"filters": {"user_id": "gus"}})).await.body;
    assert_eq!(
        (first["count"].clone(), first["next"].clone(), first["previous"].clone()),
        (json!(5), Value::Null, Value::Null)
    );
    let past = list("?page=4&page_size=2", json!({"filters": {"user_id": "gus"}})).await;
    assert_eq!((past.status, past.body), (404, json!({"detail": "Invalid page."})));
    let big = list("?page_size=201", json!({"filters": {"user_id": "gus"}})).await;
    assert_eq!((big.status, big.body), (400, json!({"error": "page_size must be an integer between 1 and 200."})));
    assert_eq!(list("?page_size=200", json!({"filters": {"user_id": "gus"}})).await.status, 200);
    assert_eq!(list("", json!({"filters": {}, "user_id": "gus"})).await.status, 400, "ids only inside filters");
    let empty = list("", json!({"filters": {"user_id": "nobody"}})).await.body;
    assert_eq!(empty, json!({"count": 0, "next": null, "previous": null, "results": []}));
}

#[tokio::test]
async fn a_wildcard_delete_all_deletes_every_users_memories() {
    let base = start(0).await;
    add_direct(&base, "hal", &["one"]).await;
    add_direct(&base, "ivy", &["two"]).await;
    let empty = call("DELETE", format!("{base}/v1/memories/?user_id="), None).await;
    assert_eq!(empty.status, 400, "an empty user id is no filter");
    let d = call("DELETE", format!("{base}/v1/memories/?user_id=hal"), None).await;
    assert_eq!(d.body["message"], "Delete in progress. This may take some time.");
    let ev = call("GET", format!("{base}/v1/event/{}/", d.body["event_id"].as_str().unwrap()), None).await.body;
    assert_eq!((ev["event_type"].clone(), ev["status"].clone()), (json!("DELETE"), json!("SUCCEEDED")));
    let ivy = call("POST", format!("{base}/v3/memories/"), Some(json!({"filters": {"user_id": "ivy"}}))).await.body;
    assert_eq!(ivy["count"], 1, "other users keep theirs");
    add_direct(&base, "hal", &["three"]).await;
    assert_eq!(call("DELETE", format!("{base}/v1/memories/?user_id=*"), None).await.status, 200);
    for user in ["hal", "ivy"] {
        let page = call("POST", format!("{base}/v3/memories/"), Some(json!({"filters": {"user_id": user}}))).await.body;
        assert_eq!(page["count"], 0, "{user}'s memories are gone too");
    }
}

#[tokio::test]
async fn the_request_log_counts_bytes_both_ways() {
    let base = start(0).await;
    let body = json!({"messages": "I like tea", "user_id": "jo", "infer": false});
    let a = call("POST", format!("{base}/v3/memories/add/"), Some(body.clone())).await;
    let log = send("GET", &format!("{base}/_fake/requests"), &[], None).await.body;
    let r = &log[0];
    assert_eq!(r["path"], "/v3/memories/add/");
    assert_eq!(r["status"], 200);
    assert_eq!(r["request_bytes"], serde_json::to_vec(&body).unwrap().len());
    assert_eq!(r["response_bytes"], a.text.len());
    assert_eq!(a.headers["content-length"], a.text.len().to_string().as_str(), "the length is still sent");
}

#[tokio::test]
async fn a_reset_drops_adds_still_queued() {
    let base = start(150).await;
    call("POST", format!("{base}/v3/memories/add/"), Some(turn("kim", "I run marathons"))).await;
    assert_eq!(send("POST", &format!("{base}/_fake/reset"), &[], None).await.status, 200);
    tokio::time::sleep(Duration::from_millis(250)).await;
    let page = call("POST", format!("{base}/v3/memories/"), Some(json!({"filters": {"user_id": "kim"}}))).await.body;
    assert_eq!(page["count"], 0);
}
