//! End-to-end tests of the mem0 fake over real HTTP (port 0).

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wellness0_fakes::mem0::{app, Mem0Config, Mem0State};

const AUTH: &str = "Token test-mem0-key";

async fn start() -> String {
    let addr = wellness0_fakes::spawn(app(Mem0State::new(Mem0Config::default()))).await;
    format!("http://{addr}")
}

fn c() -> reqwest::Client {
    reqwest::Client::new()
}

async fn call(method: &str, url: String, body: Option<Value>) -> (u16, Value) {
    let mut req = c().request(method.parse().unwrap(), url).header("authorization", AUTH);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn add_sync(base: &str, user: &str, text: &str) -> String {
    let (s, v) = call(
        "POST",
        format!("{base}/v1/memories/"),
        Some(json!({"messages": [{"role": "user", "content": text}], "user_id": user,
                    "async_mode": false, "version": "v2", "output_format": "v1.1"})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    v["results"][0]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn auth_and_ping() {
    let base = start().await;
    let r = c().get(format!("{base}/v1/ping/")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["detail"], "Authentication credentials were not provided.");
    let r = c().get(format!("{base}/v1/ping/")).header("authorization", "Token nope").send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.json::<Value>().await.unwrap()["detail"].as_str().unwrap().starts_with("Invalid API key."));
    let (s, v) = call("GET", format!("{base}/v1/ping/"), None).await;
    assert_eq!(s, 200);
    for k in ["org_id", "project_id", "user_email"] {
        assert!(v[k].is_string(), "{k}");
    }
}

#[tokio::test]
async fn add_v1_async_then_memories_appear() {
    let base = start().await;
    let (s, v) = call(
        "POST",
        format!("{base}/v1/memories/"),
        Some(json!({
            "messages": [{"role": "user", "content": "I was deployed twice and now see a therapist"},
                         {"role": "assistant", "content": "Thanks for sharing."}],
            "user_id": "u1", "metadata": {"src": "chat"}, "version": "v2", "output_format": "v1.1", "async_mode": true
        })),
    )
    .await;
    assert_eq!(s, 200);
    let ev = &v["results"][0];
    assert_eq!(ev["status"], "PENDING");
    let event_id = ev["event_id"].as_str().unwrap();
    let (_, list) =
        call("POST", format!("{base}/v2/memories/"), Some(json!({"filters": {"AND": [{"user_id": "u1"}]}}))).await;
    assert_eq!(list, json!([]), "not there yet");
    tokio::time::sleep(Duration::from_millis(150)).await;
    let (_, list) =
        call("POST", format!("{base}/v2/memories/"), Some(json!({"filters": {"AND": [{"user_id": "u1"}]}}))).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "only the user message is stored");
    let m = &list[0];
    assert_eq!(m["memory"], "I was deployed twice and now see a therapist");
    assert_eq!(m["categories"], json!(["health", "personal_details"]));
    assert_eq!(m["metadata"], json!({"src": "chat"}));
    assert_eq!(m["hash"].as_str().unwrap().len(), 32);
    assert!(m["created_at"].as_str().unwrap().ends_with("+00:00"));
    let (_, e) = call("GET", format!("{base}/v1/event/{event_id}/"), None).await;
    assert_eq!(e["status"], "SUCCEEDED");
    assert_eq!(e["results"][0]["event"], "ADD");

    // The plain v1 form answers a bare list.
    let (_, v) = call(
        "POST",
        format!("{base}/v1/memories/"),
        Some(json!({"messages": [{"role": "user", "content": "x"}], "user_id": "u1"})),
    )
    .await;
    assert!(v.is_array());
}

#[tokio::test]
async fn infer_dedups_and_infer_false_keeps_everything() {
    let base = start().await;
    add_sync(&base, "u", "I like tea").await;
    let (_, v) = call(
        "POST",
        format!("{base}/v1/memories/"),
        Some(json!({"messages": [{"role": "user", "content": "I like tea"}], "user_id": "u",
                    "async_mode": false, "version": "v2", "output_format": "v1.1"})),
    )
    .await;
    assert_eq!(v["results"][0]["event"], "NONE");
    let (_, v) = call(
        "POST",
        format!("{base}/v3/memories/add/"),
        Some(json!({"messages": [{"role": "user", "content": "I like tea"}, {"role": "assistant", "content": "ok"}],
                    "user_id": "u", "infer": false})),
    )
    .await;
    assert_eq!(v["status"], "SUCCEEDED");
    assert_eq!(v["results"].as_array().unwrap().len(), 2);
    let (_, page) = call("POST", format!("{base}/v3/memories/"), Some(json!({"filters": {"user_id": "u"}}))).await;
    assert_eq!(page["count"], 3);
    let (s, _) =
        call("POST", format!("{base}/v3/memories/add/"), Some(json!({"messages": [{"role": "user", "content": "x"}]})))
            .await;
    assert_eq!(s, 400, "an entity id is required");
}

#[tokio::test]
async fn search_scores_filters_and_thresholds() {
    let base = start().await;
    add_sync(&base, "a", "My dog is called Rex").await;
    add_sync(&base, "a", "I sleep badly after night shifts").await;
    add_sync(&base, "b", "Rex is my dog too").await;
    let (s, v) = call(
        "POST",
        format!("{base}/v2/memories/search/"),
        Some(json!({"query": "what is my dog called", "filters": {"AND": [{"user_id": "a"}]}, "top_k": 10, "threshold": 0.3})),
    )
    .await;
    assert_eq!(s, 200);
    let hits = v.as_array().unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["memory"], "My dog is called Rex");
    assert_eq!(hits[0]["score"], 1.0);
    let (_, v) = call(
        "POST",
        format!("{base}/v2/memories/search/"),
        Some(json!({"query": "dog sleep", "filters": {"user_id": "a"}, "output_format": "v1.1"})),
    )
    .await;
    assert_eq!(v["results"].as_array().unwrap().len(), 2);
    let (_, v) =
        call("POST", format!("{base}/v1/memories/search/"), Some(json!({"query": "Rex", "user_id": "b", "top_k": 1})))
            .await;
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["memory"], "Rex is my dog too");
    let (_, v) = call(
        "POST",
        format!("{base}/v3/memories/search/"),
        Some(json!({"query": "Rex", "filters": {"OR": [{"user_id": "a"}, {"user_id": "b"}]}})),
    )
    .await;
    assert_eq!(v["results"].as_array().unwrap().len(), 2);
    let (s, _) =
        call("POST", format!("{base}/v3/memories/search/"), Some(json!({"query": "Rex", "user_id": "a"}))).await;
    assert_eq!(s, 400, "v3 rejects top-level entity ids");
    let (s, _) = call("POST", format!("{base}/v2/memories/search/"), Some(json!({"query": "Rex"}))).await;
    assert_eq!(s, 400, "v2 needs filters");
}

#[tokio::test]
async fn list_pagination_and_v1_list() {
    let base = start().await;
    for i in 0..5 {
        add_sync(&base, "p", &format!("fact number {i}")).await;
    }
    let (_, v) = call(
        "POST",
        format!("{base}/v2/memories/?page=2&page_size=2"),
        Some(json!({"filters": {"AND": [{"user_id": "p"}]}})),
    )
    .await;
    assert_eq!(v["count"], 5);
    assert_eq!(v["results"].as_array().unwrap().len(), 2);
    assert!(v["next"].as_str().unwrap().ends_with("/v2/memories/?page=3&page_size=2"));
    assert!(v["previous"].as_str().unwrap().ends_with("page=1&page_size=2"));
    let (_, v) = call("GET", format!("{base}/v1/memories/?user_id=p"), None).await;
    assert_eq!(v.as_array().unwrap().len(), 5);
    let (_, v) = call("GET", format!("{base}/v1/memories/?user_id=other"), None).await;
    assert_eq!(v, json!([]));
}

#[tokio::test]
async fn get_update_history_delete() {
    let base = start().await;
    let id = add_sync(&base, "h", "Likes coffee").await;
    let (s, v) = call("GET", format!("{base}/v1/memories/{id}/"), None).await;
    assert_eq!((s, v["memory"].clone()), (200, json!("Likes coffee")));
    let (s, v) = call("PUT", format!("{base}/v1/memories/{id}/"), Some(json!({"text": "Likes green tea"}))).await;
    assert_eq!(s, 200);
    assert_eq!(v["memory"], "Likes green tea");
    assert_eq!(v["categories"], json!(["food"]));
    let (_, h) = call("GET", format!("{base}/v1/memories/{id}/history/"), None).await;
    let h = h.as_array().unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[1]["event"], "UPDATE");
    assert_eq!(h[1]["old_memory"], "Likes coffee");
    assert_eq!(h[1]["new_memory"], "Likes green tea");
    let (s, v) = call("DELETE", format!("{base}/v1/memories/{id}/"), None).await;
    assert_eq!((s, v["message"].clone()), (200, json!("Memory deleted successfully!")));
    let (s, _) = call("GET", format!("{base}/v1/memories/{id}/"), None).await;
    assert_eq!(s, 404);
    let (s, _) = call("GET", format!("{base}/v1/memories/not-a-uuid/"), None).await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn delete_all_batch_and_feedback() {
    let base = start().await;
    let a = add_sync(&base, "x", "one thing").await;
    let b = add_sync(&base, "x", "another thing").await;
    add_sync(&base, "y", "keep me").await;
    let (s, v) =
        call("PUT", format!("{base}/v1/batch/"), Some(json!({"memories": [{"memory_id": a, "text": "1st thing"}]})))
            .await;
    assert_eq!((s, v["message"].clone()), (200, json!("Successfully updated 1 memories")));
    let (s, v) = call("DELETE", format!("{base}/v1/batch/"), Some(json!({"memories": [{"memory_id": b}]}))).await;
    assert_eq!((s, v["message"].clone()), (200, json!("Successfully deleted 1 memories")));
    let (s, v) =
        call("POST", format!("{base}/v1/feedback/"), Some(json!({"memory_id": a, "feedback": "NEGATIVE"}))).await;
    assert_eq!((s, v["feedback"].clone()), (200, json!("NEGATIVE")));
    let (s, _) = call("DELETE", format!("{base}/v1/memories/"), None).await;
    assert_eq!(s, 400, "a filter is required");
    let (s, _) = call("DELETE", format!("{base}/v1/memories/?user_id=x"), None).await;
    assert_eq!(s, 200);
    let (_, v) = call("GET", format!("{base}/v1/memories/?user_id=x"), None).await;
    assert_eq!(v, json!([]));
    let (_, v) = call("GET", format!("{base}/v1/memories/?user_id=y"), None).await;
    assert_eq!(v.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn scripted_failures_delays_and_down() {
    let base = start().await;
    let r = c()
        .post(format!("{base}/_fake/script"))
        .json(&json!([
            {"method": "POST", "path_prefix": "/v1/memories/", "status": 503, "times": 2, "retry_after": 2,
             "body": {"detail": "busy"}},
            {"path_prefix": "/v1/ping/", "delay_ms": 200}
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let add = json!({"messages": [{"role": "user", "content": "hi"}], "user_id": "s"});
    for _ in 0..2 {
        let r = c()
            .post(format!("{base}/v1/memories/"))
            .header("authorization", AUTH)
            .header("origin", "http://localhost:8080")
            .json(&add)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()["retry-after"], "2");
        assert_eq!(r.headers()["access-control-allow-origin"], "http://localhost:8080");
        assert_eq!(r.json::<Value>().await.unwrap(), json!({"detail": "busy"}));
    }
    let (s, _) = call("POST", format!("{base}/v1/memories/"), Some(add.clone())).await;
    assert_eq!(s, 200, "times is honoured");
    let t = Instant::now();
    let (s, _) = call("GET", format!("{base}/v1/ping/"), None).await;
    assert_eq!(s, 200);
    assert!(t.elapsed() >= Duration::from_millis(200));

    c().post(format!("{base}/_fake/down")).json(&json!({"down": true})).send().await.unwrap();
    let (s, _) = call("GET", format!("{base}/v1/ping/"), None).await;
    assert_eq!(s, 503);
    c().post(format!("{base}/_fake/down")).json(&json!({"down": false})).send().await.unwrap();
    let (s, _) = call("GET", format!("{base}/v1/ping/"), None).await;
    assert_eq!(s, 200);

    let rec: Value = c().get(format!("{base}/_fake/requests")).send().await.unwrap().json().await.unwrap();
    assert_eq!(rec.as_array().unwrap().len(), 6);
    assert_eq!(rec[0]["body"], add);
    assert_eq!(rec[0]["headers"]["authorization"], AUTH);

    c().post(format!("{base}/_fake/reset")).send().await.unwrap();
    let (_, v) = call("GET", format!("{base}/v1/memories/?user_id=s"), None).await;
    assert_eq!(v, json!([]), "reset clears the store");
}
