//! Integration tests with the fake Gemini and mem0 servers as upstreams (in process, real
//! TCP): keys added and replaced, `key` query dropped, headers filtered, upstream statuses and
//! error bodies passed through byte for byte (streams and timeouts are in `streams.rs`).

mod common;

use reqwest::StatusCode;
use serde_json::{json, Value};

use common::*;

const MODEL: &str = "gemini-3.5-flash";

fn gen_url(proxy: &str, method: &str) -> String {
    format!("{proxy}/api/gemini/v1beta/models/{MODEL}:{method}")
}

#[tokio::test]
async fn proxy_keys_replace_client_keys_and_the_key_query_is_dropped() {
    let fakes = Fakes::start(0).await;
    let proxy = spawn_proxy(&fakes.config()).await;
    let c = client();

    let resp = c
        .post(format!("{}?alt=sse&key=client-query-key", gen_url(&proxy, "streamGenerateContent")))
        .header("x-goog-api-key", "client-header-key")
        .header("authorization", "Bearer client-bearer")
        .header("cookie", "session=abc")
        .header("x-custom", "1")
        .header("accept", "text/event-stream")
        .json(&generate_body("hello there"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let text = resp.text().await.unwrap();
    assert!(text.starts_with("data: "), "{text}");

    let seen = fakes.gemini_requests();
    assert_eq!(seen.len(), 1);
    let r = &seen[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, format!("/v1beta/models/{MODEL}:streamGenerateContent"));
    assert_eq!(r.headers["x-goog-api-key"], GEMINI_KEY);
    assert_eq!(r.query.get("alt").map(String::as_str), Some("sse"));
    assert!(!r.query.contains_key("key"), "{:?}", r.query);
    for h in ["authorization", "cookie", "x-custom", "origin", "referer"] {
        assert!(!r.headers.contains_key(h), "{h} must not be forwarded");
    }
    assert_eq!(r.headers["accept"], "text/event-stream");
    assert!(r.headers["content-type"].starts_with("application/json"));
    assert_eq!(r.body, generate_body("hello there"));

    // mem0: the client's Authorization is replaced by the proxy's token.
    let resp = c
        .get(format!("{proxy}/api/mem0/v1/ping/"))
        .header("authorization", "Token client-mem0-key")
        .header("cookie", "session=abc")
        .header("mem0-user-id", "abc")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let seen = fakes.mem0_requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].headers["authorization"], format!("Token {MEM0_KEY}"));
    assert!(!seen[0].headers.contains_key("cookie"));
    assert!(!seen[0].headers.contains_key("mem0-user-id"));
}

#[tokio::test]
async fn without_server_keys_the_clients_key_header_is_forwarded() {
    let fakes = Fakes::start(0).await;
    let mut cfg = fakes.config();
    cfg.gemini_api_key = None;
    cfg.mem0_api_key = None;
    let proxy = spawn_proxy(&cfg).await;
    let c = client();

    let health: Value = c.get(format!("{proxy}/api/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["gemini"]["key"], false);
    assert_eq!(health["mem0"]["key"], false);

    let ok =
        c.get(format!("{proxy}/api/gemini/v1beta/models")).header("x-goog-api-key", GEMINI_KEY).send().await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    // No key at all: the upstream's own 403 comes back.
    let none = c.get(format!("{proxy}/api/gemini/v1beta/models")).send().await.unwrap();
    assert_eq!(none.status(), StatusCode::FORBIDDEN);
    // A key in the query string is still never forwarded.
    let query = c.get(format!("{proxy}/api/gemini/v1beta/models?key={GEMINI_KEY}")).send().await.unwrap();
    assert_eq!(query.status(), StatusCode::FORBIDDEN);

    let ok = c
        .get(format!("{proxy}/api/mem0/v1/ping/"))
        .header("authorization", format!("Token {MEM0_KEY}"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let none = c.get(format!("{proxy}/api/mem0/v1/ping/")).send().await.unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
}

/// Sends the same request to the fake directly and through the proxy; returns both
/// (status, content-type, retry-after, body).
async fn both_ways(
    fakes: &Fakes,
    proxy: &str,
    path: &str,
    key: &str,
) -> [(StatusCode, String, Option<String>, Vec<u8>); 2] {
    let c = client();
    let mut out = Vec::new();
    for base in [format!("{}/", fakes.gemini_url()), format!("{proxy}/api/gemini/")] {
        let resp = c
            .post(format!("{base}{path}"))
            .header("x-goog-api-key", key)
            .json(&generate_body("hi"))
            .send()
            .await
            .unwrap();
        let h = |n: &str| resp.headers().get(n).map(|v| v.to_str().unwrap().to_owned());
        let ct = h("content-type").unwrap_or_default();
        let ra = h("retry-after");
        out.push((resp.status(), ct, ra, resp.bytes().await.unwrap().to_vec()));
    }
    out.try_into().unwrap()
}

#[tokio::test]
async fn upstream_errors_pass_through_unchanged() {
    let fakes = Fakes::start(0).await;
    let path = format!("v1beta/models/{MODEL}:generateContent");

    // 400 bad key: the proxy holds a wrong key.
    let mut cfg = fakes.config();
    cfg.gemini_api_key = Some("wrong-server-key".into());
    let proxy = spawn_proxy(&cfg).await;
    let [direct, proxied] = both_ways(&fakes, &proxy, &path, "wrong-server-key").await;
    assert_eq!(proxied.0, StatusCode::BAD_REQUEST);
    assert_eq!(proxied, direct);
    let v: Value = serde_json::from_slice(&proxied.3).unwrap();
    assert_eq!(v["error"]["details"][0]["reason"], "API_KEY_INVALID");

    // 429 with quota and retry details.
    let proxy = spawn_proxy(&fakes.config()).await;
    fakes.script_gemini(json!([
        {"kind": "error", "status": 429, "retry_delay": "7s"},
        {"kind": "error", "status": 429, "retry_delay": "7s"}
    ]));
    let [direct, proxied] = both_ways(&fakes, &proxy, &path, GEMINI_KEY).await;
    assert_eq!(proxied.0, StatusCode::TOO_MANY_REQUESTS);
    assert!(proxied.1.starts_with("application/json"));
    assert_eq!(proxied, direct);
    let v: Value = serde_json::from_slice(&proxied.3).unwrap();
    assert_eq!(v["error"]["status"], "RESOURCE_EXHAUSTED");
    assert_eq!(v["error"]["details"][2]["retryDelay"], "7s");

    // 404 unknown model and 503 from upstream, also unchanged.
    let [direct, proxied] = both_ways(&fakes, &proxy, "v1beta/models/gemini-nope:generateContent", GEMINI_KEY).await;
    assert_eq!(proxied.0, StatusCode::NOT_FOUND);
    assert_eq!(proxied, direct);
    fakes.script_gemini(json!([{"kind": "error", "status": 503}, {"kind": "error", "status": 503}]));
    let [direct, proxied] = both_ways(&fakes, &proxy, &path, GEMINI_KEY).await;
    assert_eq!(proxied.0, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(proxied, direct);

    // mem0 429 with a Retry-After header, and a mem0 401 body.
    fakes.script_mem0(json!({
        "path_prefix": "/v3/memories/search/", "status": 429, "retry_after": 12,
        "body": {"detail": "Request was throttled. Expected available in 12 seconds."}
    }));
    let c = client();
    let resp = c
        .post(format!("{proxy}/api/mem0/v3/memories/search/"))
        .json(&json!({"query": "tea", "filters": {"AND": [{"user_id": "alice"}]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "12");
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["detail"], "Request was throttled. Expected available in 12 seconds.");
    let mut cfg = fakes.config();
    cfg.mem0_api_key = Some("m0-wrong".into());
    let bad = spawn_proxy(&cfg).await;
    let resp = c.get(format!("{bad}/api/mem0/v1/ping/")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let v: Value = resp.json().await.unwrap();
    assert!(v["detail"].as_str().unwrap().starts_with("Invalid API key"));
}

#[tokio::test]
async fn every_allowed_call_reaches_the_upstream_at_the_mapped_path() {
    let fakes = Fakes::start(0).await;
    let proxy = spawn_proxy(&fakes.config()).await;
    let c = client();
    let uuid = "3f2b6c1e-9a4d-4c7e-8b1a-0d2e4f6a8b9c";
    let gemini = [
        ("GET", "v1beta/models?pageSize=5".to_owned()),
        ("GET", format!("v1beta/models/{MODEL}")),
        ("POST", format!("v1beta/models/{MODEL}:generateContent")),
        ("POST", format!("v1beta/models/{MODEL}:streamGenerateContent?alt=sse")),
        ("POST", format!("v1beta/models/{MODEL}:countTokens")),
    ];
    for (m, p) in &gemini {
        let resp = c
            .request(m.parse().unwrap(), format!("{proxy}/api/gemini/{p}"))
            .json(&generate_body("hi"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{m} {p}");
    }
    let seen: Vec<(String, String)> = fakes.gemini_requests().into_iter().map(|r| (r.method, r.path)).collect();
    let want: Vec<(String, String)> =
        gemini.iter().map(|(m, p)| (m.to_string(), format!("/{}", p.split('?').next().unwrap()))).collect();
    assert_eq!(seen, want);

    let mem0 = [
        ("GET", "v1/ping/".to_owned()),
        ("POST", "v3/memories/add/".to_owned()),
        ("POST", "v3/memories/search/".to_owned()),
        ("POST", "v3/memories/".to_owned()),
        ("POST", "v3/memories/?page=1&page_size=10".to_owned()),
        ("GET", format!("v1/memories/{uuid}/")),
        ("PUT", format!("v1/memories/{uuid}/")),
        ("DELETE", format!("v1/memories/{uuid}/")),
        ("GET", format!("v1/memories/{uuid}/history/")),
        ("DELETE", "v1/memories/?user_id=alice".to_owned()),
        ("POST", "v1/feedback/".to_owned()),
        ("GET", format!("v1/event/{uuid}/")),
    ];
    for (m, p) in &mem0 {
        let resp = c
            .request(m.parse().unwrap(), format!("{proxy}/api/mem0/{p}"))
            .json(&json!({"user_id": "alice", "query": "tea", "messages": [{"role": "user", "content": "I like tea"}]}))
            .send()
            .await
            .unwrap();
        // The fake answers each with its own status (404 for the unknown uuid, 400 for
        // odd bodies...): what matters is that it came from the fake, not the proxy.
        assert_ne!(resp.status(), StatusCode::BAD_GATEWAY, "{m} {p}");
    }
    let recorded = fakes.mem0_requests();
    let seen: Vec<(String, String)> = recorded.iter().map(|r| (r.method.clone(), r.path.clone())).collect();
    let want: Vec<(String, String)> =
        mem0.iter().map(|(m, p)| (m.to_string(), format!("/{}", p.split('?').next().unwrap()))).collect();
    assert_eq!(seen, want);
    // Query strings are kept for mem0.
    assert_eq!(recorded[4].query["page_size"], "10");
    assert_eq!(recorded[9].query["user_id"], "alice");
}

#[tokio::test]
async fn absolute_form_request_target_cannot_pick_the_host() {
    let fakes = Fakes::start(0).await;
    let proxy = spawn_proxy(&fakes.config()).await;
    let authority = proxy.trim_start_matches("http://");
    // A target naming our own address: only its path is used.
    let text = raw_http(
        &proxy,
        &format!(
            "GET http://{authority}/api/gemini/v1beta/models HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("\"models\""));
    assert_eq!(fakes.gemini_requests().len(), 1);
    // Naming another host: refused, nothing forwarded.
    let text = raw_http(
        &proxy,
        "GET http://evil.invalid/api/gemini/v1beta/models HTTP/1.1\r\nHost: evil.invalid\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(text.starts_with("HTTP/1.1 421"), "{text}");
    assert_eq!(fakes.gemini_requests().len(), 1);
}

#[tokio::test]
async fn upstream_down_gives_502_in_each_apis_format() {
    let proxy = spawn_proxy(&config()).await;
    let c = client();
    let resp = c.post(gen_url(&proxy, "generateContent")).json(&generate_body("hi")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_GATEWAY);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["code"], 502);
    assert_eq!(v["error"]["status"], "UNAVAILABLE");
    assert!(!v["error"]["message"].as_str().unwrap().contains("127.0.0.1"));
    let resp = c.get(format!("{proxy}/api/mem0/v1/ping/")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_GATEWAY);
    let v: Value = resp.json().await.unwrap();
    assert!(v["detail"].is_string());
}
