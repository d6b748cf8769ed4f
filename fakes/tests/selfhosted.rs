//! The self-hosted mem0 fake over real HTTP: routes, auth, FastAPI's error answers, the
//! synchronous add, list, search, edits, delete-all, CORS and the control API.

mod common;

use common::{send, Answer};
use serde_json::{json, Value};
use wellness0_fakes::selfhosted::{app, SelfHostedConfig, SelfHostedState};

const ADMIN: (&str, &str) = ("x-api-key", "test-selfhosted-key");
const MEMBER: (&str, &str) = ("x-api-key", "m0sk_member");

async fn start_with(cfg: SelfHostedConfig) -> String {
    format!("http://{}", wellness0_fakes::spawn(app(SelfHostedState::new(cfg))).await)
}

async fn start() -> String {
    start_with(SelfHostedConfig { member_key: Some(MEMBER.1.into()), ..SelfHostedConfig::default() }).await
}

async fn admin(method: &str, url: String, body: Option<Value>) -> Answer {
    send(method, &url, &[ADMIN], body.as_ref()).await
}

async fn add(base: &str, user: &str, texts: &[&str], infer: bool) -> Answer {
    let msgs: Vec<Value> = texts.iter().map(|t| json!({"role": "user", "content": t})).collect();
    admin("POST", format!("{base}/memories"), Some(json!({"messages": msgs, "user_id": user, "infer": infer}))).await
}

#[tokio::test]
async fn no_trailing_slashes_and_fastapis_404_and_405() {
    let base = start().await;
    for (method, path) in [
        ("POST", "/memories/"),
        ("GET", "/memories/"),
        ("POST", "/search/"),
        ("GET", "/v1/memories/"),
        ("GET", "/memories/x/history/"),
    ] {
        let r = send(method, &format!("{base}{path}"), &[], None).await;
        assert_eq!(
            (r.status, r.body),
            (404, json!({"detail": "Not Found"})),
            "{method} {path}: no key needed to get a 404"
        );
    }
    let r = admin("PATCH", format!("{base}/memories"), None).await;
    assert_eq!(
        (r.status, r.body.clone(), r.headers["allow"].to_str().unwrap()),
        (405, json!({"detail": "Method Not Allowed"}), "POST")
    );
    let r = admin("POST", format!("{base}/memories/{}", uuid::Uuid::new_v4()), None).await;
    assert_eq!((r.status, r.headers["allow"].to_str().unwrap()), (405, "GET"));
    assert_eq!(r.headers["x-request-id"].len(), 8, "every answer carries a request id");
}

#[tokio::test]
async fn x_api_key_auth_as_the_server_checks_it() {
    let base = start().await;
    let url = format!("{base}/memories?user_id=a");
    let none = send("GET", &url, &[], None).await;
    assert_eq!(
        (none.status, none.body["detail"].clone()),
        (401, json!("Authentication required. Provide a Bearer token or X-API-Key header."))
    );
    assert_eq!(none.headers["www-authenticate"], "Bearer");
    let wrong = send("GET", &url, &[("x-api-key", "nope")], None).await;
    assert_eq!((wrong.status, wrong.body), (401, json!({"detail": "Invalid API key."})));
    let token = send("GET", &url, &[("authorization", "Token test-selfhosted-key")], None).await;
    assert_eq!(token.status, 401, "the Platform's header is not a credential here");
    let bearer = send("GET", &url, &[("authorization", "Bearer abc"), ADMIN], None).await;
    assert_eq!(
        (bearer.status, bearer.body),
        (401, json!({"detail": "Invalid or expired token."})),
        "a Bearer token is checked first"
    );
    assert_eq!(send("GET", &url, &[ADMIN], None).await.status, 200);
    assert_eq!(send("GET", &url, &[MEMBER], None).await.status, 200);
    let member_delete = send("DELETE", &url, &[MEMBER], None).await;
    assert_eq!((member_delete.status, member_delete.body), (403, json!({"detail": "Admin role required."})));
    let member_all = send("GET", &format!("{base}/memories"), &[MEMBER], None).await;
    assert_eq!(
        (member_all.status, member_all.body),
        (403, json!({"detail": "Admin role required to list all memories."}))
    );

    let open = start_with(SelfHostedConfig { auth_disabled: true, ..SelfHostedConfig::default() }).await;
    assert_eq!(send("GET", &format!("{open}/memories?user_id=a"), &[], None).await.status, 200, "auth disabled");
    assert_eq!(
        send("GET", &format!("{open}/memories?user_id=a"), &[("x-api-key", "nope")], None).await.status,
        401,
        "a wrong key is still refused"
    );
}

#[tokio::test]
async fn validation_errors_in_fastapis_422_shape() {
    let base = start().await;
    let url = format!("{base}/memories");
    let r = send("POST", &url, &[ADMIN, ("content-type", "application/json")], None).await;
    assert_eq!(
        (r.status, r.body),
        (422, json!({"detail": [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": null}]}))
    );
    let r = admin("POST", url.clone(), Some(json!({"messages": "hi", "user_id": 5, "infer": "maybe"}))).await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.body["detail"],
        json!([
            {"type": "list_type", "loc": ["body", "messages"], "msg": "Input should be a valid list", "input": "hi"},
            {"type": "string_type", "loc": ["body", "user_id"], "msg": "Input should be a valid string", "input": 5},
            {"type": "bool_parsing", "loc": ["body", "infer"], "msg": "Input should be a valid boolean, unable to interpret input", "input": "maybe"}
        ])
    );
    let bad_json = send("POST", &url, &[("content-type", "application/json")], None).await;
    assert_eq!(bad_json.status, 401, "an empty body is no JSON error: auth comes first");
    let r = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"a\" 1}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "a body that is not JSON fails before auth");
    assert_eq!(r.json::<Value>().await.unwrap()["detail"][0]["type"], "json_invalid");
    let r = admin("GET", format!("{base}/memories?user_id=a&top_k=1001"), None).await;
    assert_eq!(
        r.body["detail"][0],
        json!({"type": "less_than_equal", "loc": ["query", "top_k"], "msg": "Input should be less than or equal to 1000", "input": "1001", "ctx": {"le": 1000}})
    );
    let r = admin("POST", url, Some(json!({"messages": [{"role": "user", "content": "x"}], "user_id": ""}))).await;
    assert_eq!(
        (r.status, r.body),
        (400, json!({"detail": "At least one identifier (user_id, agent_id, run_id) is required."}))
    );
}

#[tokio::test]
async fn add_is_synchronous_and_answers_its_results() {
    let base = start().await;
    let r = admin("POST", format!("{base}/memories"), Some(json!({
        "messages": [{"role": "user", "content": "I served in Afghanistan"}, {"role": "assistant", "content": "Thank you"}],
        "user_id": "alice", "metadata": {"src": "chat", "user_id": "mallory"}
    }))).await;
    assert_eq!(r.status, 200);
    let results = r.body["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].as_object().unwrap().keys().collect::<Vec<_>>(), ["id", "memory", "event"]);
    assert_eq!(results[0]["event"], "ADD");
    let again = add(&base, "alice", &["I served in Afghanistan"], true).await;
    assert_eq!(again.body, json!({"results": []}), "the same fact is not stored twice");
    let verbatim = admin("POST", format!("{base}/memories"), Some(json!({
        "messages": [{"role": "system", "content": "s"}, {"role": "assistant", "content": "Noted"}], "user_id": "alice", "infer": false
    }))).await;
    let v = &verbatim.body["results"][0];
    assert_eq!(
        (v["memory"].clone(), v["role"].clone(), v["actor_id"].clone()),
        (json!("Noted"), json!("assistant"), Value::Null)
    );
    let id = results[0]["id"].as_str().unwrap();
    let got = admin("GET", format!("{base}/memories/{id}"), None).await.body;
    assert_eq!(got["metadata"], json!({"src": "chat"}), "identity keys in metadata are ignored");
    assert_eq!((got["user_id"].clone(), got["score"].clone()), (json!("alice"), Value::Null));
    assert_eq!(got["hash"].as_str().unwrap().len(), 32);
    assert!(got["created_at"].as_str().unwrap().ends_with("+00:00"));
    let spaced = add(&base, "a b", &["x"], true).await;
    assert_eq!(
        (spaced.status, spaced.body),
        (
            400,
            json!({"detail": "Invalid user_id: cannot contain whitespace. Provide a valid identifier without spaces."})
        )
    );
}

#[tokio::test]
async fn the_list_is_unpaginated_and_capped_by_top_k() {
    let base = start().await;
    let texts: Vec<String> = (0..25).map(|i| format!("fact {i}")).collect();
    add(&base, "bob", &texts.iter().map(String::as_str).collect::<Vec<_>>(), false).await;
    add(&base, "carl", &["not bob's"], false).await;
    let default = admin("GET", format!("{base}/memories?user_id=bob"), None).await.body;
    let items = default["results"].as_array().unwrap();
    assert_eq!(items.len(), 20, "without top_k the server lists 20");
    assert!(items[0].get("score").is_none());
    assert_eq!(items[0]["role"], "user");
    let all = admin("GET", format!("{base}/memories?user_id=bob&top_k=1000"), None).await.body;
    assert_eq!(all["results"].as_array().unwrap().len(), 25);
    let everyone = admin("GET", format!("{base}/memories"), None).await.body;
    assert_eq!(everyone["results"].as_array().unwrap().len(), 26, "no ids: the admin lists everything");
    let spaced = admin("GET", format!("{base}/memories?user_id=a%20b"), None).await;
    assert_eq!(
        (spaced.status, spaced.body["code"].clone()),
        (502, json!("unknown")),
        "this route turns the library's refusal into a 502"
    );
}

#[tokio::test]
async fn search_ranks_with_the_combined_score() {
    let base = start().await;
    add(&base, "dan", &["My dog is called Rex", "I sleep badly after night shifts"], true).await;
    let url = format!("{base}/search");
    let r = admin(
        "POST",
        url.clone(),
        Some(json!({"query": "what is the dog called", "filters": {"user_id": "dan"}, "explain": true})),
    )
    .await;
    let hits = r.body["results"].as_array().unwrap();
    assert_eq!(hits.len(), 1);
    assert!(hits[0]["score"].as_f64().unwrap() > 0.0);
    let d = &hits[0]["score_details"];
    assert_eq!((d["max_possible_score"].clone(), d["threshold"].clone()), (json!(2.0), json!(0.1)));
    let legacy = admin("POST", url.clone(), Some(json!({"query": "dog", "user_id": "dan"}))).await;
    assert_eq!(legacy.body["results"].as_array().unwrap().len(), 1, "top-level ids still work (deprecated)");
    for (body, want) in [
        (
            json!({"query": "dog"}),
            "filters must contain at least one of: user_id, agent_id, run_id. Example: filters={'user_id': 'u1'}",
        ),
        (json!({"query": "  ", "filters": {"user_id": "dan"}}), "Invalid query: cannot be empty or whitespace-only."),
        (
            json!({"query": "dog", "filters": {"user_id": "dan"}, "threshold": 2}),
            "Invalid threshold: 2.0. Must be between 0 and 1 (inclusive).",
        ),
        (
            json!({"query": "dog", "filters": {"user_id": "dan"}, "top_k": -1}),
            "Invalid top_k: -1. Must be a non-negative integer.",
        ),
        (
            json!({"query": "dog", "filters": {"user_id": " "}}),
            "Invalid user_id: cannot be empty or whitespace-only. Provide a valid identifier.",
        ),
    ] {
        let r = admin("POST", url.clone(), Some(body)).await;
        assert_eq!((r.status, r.body), (400, json!({ "detail": want })));
    }
}

#[tokio::test]
async fn edit_history_delete_and_their_errors() {
    let base = start().await;
    let id = add(&base, "eve", &["Likes coffee"], true).await.body["results"][0]["id"].as_str().unwrap().to_string();
    let one = format!("{base}/memories/{id}");
    let r = admin("PUT", one.clone(), Some(json!({"text": "Likes green tea", "metadata": {"mood": "calm"}}))).await;
    assert_eq!(r.body, json!({"message": "Memory updated successfully!"}));
    let got = admin("GET", one.clone(), None).await.body;
    assert_eq!((got["memory"].clone(), got["metadata"].clone()), (json!("Likes green tea"), json!({"mood": "calm"})));
    let empty = admin("PUT", one.clone(), Some(json!({}))).await;
    assert_eq!(
        (empty.status, empty.body["detail"].clone()),
        (400, json!("At least one of text, metadata, or expiration_date must be provided."))
    );
    let hist = admin("GET", format!("{one}/history"), None).await.body;
    let events: Vec<&str> = hist.as_array().unwrap().iter().map(|h| h["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["ADD", "UPDATE"]);
    assert_eq!((hist[1]["old_memory"].clone(), hist[1]["is_deleted"].clone()), (json!("Likes coffee"), json!(false)));
    assert_eq!(admin("DELETE", one.clone(), None).await.body, json!({"message": "Memory deleted successfully"}));
    assert_eq!(admin("GET", one.clone(), None).await.text, "null", "a missing memory is a 200 null");
    let gone = admin("DELETE", one.clone(), None).await;
    assert_eq!((gone.status, gone.body), (404, json!({"detail": format!("Memory with id {id} not found")})));
    let put_gone = admin("PUT", one.clone(), Some(json!({"text": "x"}))).await;
    assert_eq!(put_gone.body["detail"], format!("Memory with id {id} not found. Please provide a valid 'memory_id'"));
    assert_eq!(admin("GET", format!("{one}/history"), None).await.body.as_array().unwrap().len(), 3);
    let odd = admin("GET", format!("{base}/memories/not-a-uuid"), None).await;
    assert_eq!(odd.status, 502);
    assert_eq!(odd.body["detail"], "Upstream provider error.");
    assert_eq!(odd.body["request_id"], odd.headers["x-request-id"].to_str().unwrap());
}

#[tokio::test]
async fn delete_all_is_for_admins_and_honours_the_wildcard() {
    let base = start().await;
    add(&base, "fay", &["one"], true).await;
    add(&base, "gil", &["two"], true).await;
    let none = admin("DELETE", format!("{base}/memories?user_id="), None).await;
    assert_eq!((none.status, none.body), (400, json!({"detail": "At least one identifier is required."})));
    let r = admin("DELETE", format!("{base}/memories?user_id=fay"), None).await;
    assert_eq!(r.body, json!({"message": "All relevant memories deleted"}));
    assert_eq!(
        admin("GET", format!("{base}/memories?user_id=gil"), None).await.body["results"].as_array().unwrap().len(),
        1
    );
    admin("DELETE", format!("{base}/memories?user_id=*"), None).await;
    assert_eq!(
        admin("GET", format!("{base}/memories"), None).await.body,
        json!({"results": []}),
        "* deleted every user's memories"
    );
}

#[tokio::test]
async fn cors_allows_one_origin() {
    let base = start().await;
    let preflight = |origin: &'static str| {
        let url = format!("{base}/memories");
        async move {
            send(
                "OPTIONS",
                &url,
                &[
                    ("origin", origin),
                    ("access-control-request-method", "POST"),
                    ("access-control-request-headers", "x-api-key,content-type"),
                ],
                None,
            )
            .await
        }
    };
    let ok = preflight("http://localhost:3000").await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.headers["access-control-allow-origin"], "http://localhost:3000");
    assert_eq!(ok.headers["access-control-allow-credentials"], "true");
    let foreign = preflight("http://127.0.0.1:8080").await;
    assert_eq!((foreign.status, foreign.text.as_str()), (400, "Disallowed CORS origin"));
    let set = send("POST", &format!("{base}/_fake/cors"), &[], Some(&json!({"origin": "http://127.0.0.1:8080"}))).await;
    assert_eq!(set.status, 200);
    assert_eq!(
        preflight("http://127.0.0.1:8080").await.headers["access-control-allow-origin"],
        "http://127.0.0.1:8080"
    );
    let actual =
        send("GET", &format!("{base}/memories?user_id=a"), &[ADMIN, ("origin", "http://127.0.0.1:8080")], None).await;
    assert_eq!(actual.headers["access-control-allow-origin"], "http://127.0.0.1:8080");
}

#[tokio::test]
async fn control_api_faults_down_and_reset() {
    let base = start().await;
    add(&base, "hu", &["a fact"], true).await;
    let script = json!([{"method": "POST", "path_prefix": "/search", "status": 500, "body": {"detail": "boom"}}, {"path_prefix": "/memories", "delay_ms": 150}]);
    assert_eq!(send("POST", &format!("{base}/_fake/script"), &[], Some(&script)).await.status, 200);
    let r = admin("POST", format!("{base}/search"), Some(json!({"query": "fact", "filters": {"user_id": "hu"}}))).await;
    assert_eq!((r.status, r.body), (500, json!({"detail": "boom"})));
    let t = std::time::Instant::now();
    assert_eq!(admin("GET", format!("{base}/memories?user_id=hu"), None).await.status, 200);
    assert!(t.elapsed() >= std::time::Duration::from_millis(150));
    send("POST", &format!("{base}/_fake/down"), &[], Some(&json!({"down": true}))).await;
    let down = admin("GET", format!("{base}/memories?user_id=hu"), None).await;
    assert_eq!((down.status, down.body["code"].clone()), (502, json!("datastore_unavailable")));
    send("POST", &format!("{base}/_fake/reset"), &[], None).await;
    let log = send("GET", &format!("{base}/_fake/requests"), &[], None).await.body;
    assert_eq!(log, json!([]));
    assert_eq!(
        admin("GET", format!("{base}/memories?user_id=hu"), None).await.body,
        json!({"results": []}),
        "reset empties the store"
    );
    let log = send("GET", &format!("{base}/_fake/requests"), &[], None).await.body;
    assert_eq!((log[0]["path"].clone(), log[0]["headers"]["x-api-key"].clone()), (json!("/memories"), json!(ADMIN.1)));
}
