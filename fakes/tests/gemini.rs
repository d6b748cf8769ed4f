//! End-to-end tests of the Gemini fake over real HTTP (port 0).

use serde_json::{json, Value};
use wellness0_fakes::gemini::{app, GeminiConfig, GeminiState};

const KEY: &str = "test-gemini-key";

async fn start() -> String {
    let addr = wellness0_fakes::spawn(app(GeminiState::new(GeminiConfig::default()))).await;
    format!("http://{addr}")
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

fn hello() -> Value {
    json!({"contents": [{"role": "user", "parts": [{"text": "hello there"}]}]})
}

async fn post(base: &str, path: &str, body: &Value) -> reqwest::Response {
    client().post(format!("{base}{path}")).header("x-goog-api-key", KEY).json(body).send().await.unwrap()
}

async fn script(base: &str, steps: Value) {
    let r = client().post(format!("{base}/_fake/script")).json(&steps).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

fn sse_events(raw: &str) -> Vec<Value> {
    raw.split("\r\n\r\n")
        .filter(|e| !e.is_empty())
        .map(|e| serde_json::from_str(e.strip_prefix("data: ").expect("data: prefix")).unwrap())
        .collect()
}

#[tokio::test]
async fn generate_returns_pretty_json_with_echo_reply() {
    let base = start().await;
    let r = post(&base, "/v1beta/models/gemini-3.5-flash:generateContent", &hello()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json; charset=UTF-8");
    let text = r.text().await.unwrap();
    assert!(text.starts_with("{\n  \"candidates\": ["), "{text}");
    assert!(text.ends_with("}\n"));
    let v: Value = serde_json::from_str(&text).unwrap();
    let c = &v["candidates"][0];
    assert_eq!(c["content"]["role"], "model");
    assert_eq!(c["index"], 0);
    assert_eq!(c["finishReason"], "STOP");
    assert_eq!(c["content"]["parts"][0]["text"], "I hear you. You said: \"hello there\"\n\n**Turns so far:** 1");
    assert_eq!(v["modelVersion"], "gemini-3.5-flash");
    assert_eq!(v["responseId"].as_str().unwrap().len(), 20);
    assert_eq!(v["usageMetadata"]["promptTokenCount"], 2);
}

#[tokio::test]
async fn sse_framing_is_exact() {
    let base = start().await;
    script(&base, json!([{"kind": "reply", "text": "one two three four five", "chunk_words": 2}])).await;
    let r = post(&base, "/v1beta/models/gemini-flash-latest:streamGenerateContent?alt=sse", &hello()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let raw = r.text().await.unwrap();
    assert!(raw.starts_with("data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"one two \"}],\"role\": \"model\"},\"index\": 0}]"), "{raw}");
    assert!(raw.ends_with("}\r\n\r\n"));
    assert!(!raw.contains("[DONE]"));
    assert_eq!(raw.matches("\r\n\r\n").count(), 3);
    let events = sse_events(&raw);
    let texts: Vec<&str> =
        events.iter().map(|e| e["candidates"][0]["content"]["parts"][0]["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["one two ", "three four ", "five"]);
    assert!(events[..2].iter().all(|e| e["candidates"][0].get("finishReason").is_none()));
    assert_eq!(events[2]["candidates"][0]["finishReason"], "STOP");
    assert_eq!(events[2]["usageMetadata"]["candidatesTokenCount"], 5);
    assert_eq!(events[0]["modelVersion"], "gemini-3.8-flash");
    assert_eq!(events[0]["responseId"], events[2]["responseId"]);
}

#[tokio::test]
async fn json_array_mode_without_alt_sse() {
    let base = start().await;
    script(&base, json!([{"kind": "reply", "text": "a b c d", "chunk_words": 2}])).await;
    let r = post(&base, "/v1beta/models/gemini-3.5-flash:streamGenerateContent", &hello()).await;
    let raw = r.text().await.unwrap();
    assert!(raw.starts_with("[{\n"));
    assert!(raw.contains("},\r\n{"));
    let v: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn auth_errors() {
    let base = start().await;
    let r = client()
        .post(format!("{base}/v1beta/models/gemini-3.5-flash:generateContent"))
        .json(&hello())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["status"], "PERMISSION_DENIED");
    assert!(v["error"]["message"].as_str().unwrap().starts_with("Method doesn't allow unregistered callers"));

    let r = client()
        .post(format!("{base}/v1beta/models/gemini-3.5-flash:generateContent?key=nope"))
        .header("origin", "http://localhost:8080")
        .json(&hello())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["access-control-allow-origin"], "http://localhost:8080");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["details"][0]["reason"], "API_KEY_INVALID");
    assert_eq!(v["error"]["details"][1]["@type"], "type.googleapis.com/google.rpc.LocalizedMessage");

    let r = client()
        .post(format!("{base}/v1beta/models/gemini-3.5-flash:generateContent?key={KEY}"))
        .json(&hello())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn cors_preflight_needs_no_key() {
    let base = start().await;
    let r = client()
        .request(reqwest::Method::OPTIONS, format!("{base}/v1beta/models/x:streamGenerateContent"))
        .header("origin", "http://127.0.0.1:8080")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type,x-goog-api-key")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let h = r.headers();
    assert_eq!(h["access-control-allow-origin"], "http://127.0.0.1:8080");
    assert_eq!(h["access-control-allow-headers"], "content-type,x-goog-api-key");
    assert!(h["access-control-allow-methods"].to_str().unwrap().contains("DELETE"));
}

#[tokio::test]
async fn unknown_model_and_encoded_colon() {
    let base = start().await;
    let r = post(&base, "/v1beta/models/gemini-9:generateContent", &hello()).await;
    assert_eq!(r.status(), 404);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["status"], "NOT_FOUND");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("models/gemini-9 is not found for API version v1beta, or is not supported for generateContent."));
    let r = post(&base, "/v1beta/models/gemini-3.5-flash%3AgenerateContent", &hello()).await;
    assert_eq!(r.status(), 200);
    let r = post(&base, "/v1beta/models/gemini-2.5-flash:generateContent", &hello()).await;
    assert_eq!(r.status(), 404);
    let v: Value = r.json().await.unwrap();
    assert!(v["error"]["message"].as_str().unwrap().contains("no longer available to new users"));
}

#[tokio::test]
async fn request_validation() {
    let base = start().await;
    let path = "/v1beta/models/gemini-3.5-flash:generateContent";
    let cases = [
        (json!({"contents": [], }), "contents is not specified"),
        (json!({}), "contents is not specified"),
        (json!({"contents": [{"role": "assistant", "parts": [{"text": "x"}]}]}), "valid role"),
        (json!({"contents": [{"role": "user", "parts": []}]}), "parts must not be empty"),
        (
            json!({"contents": [{"role": "user", "parts": [{"text": "x"}]}], "temperature": 1}),
            "Unknown name \"temperature\": Cannot find field.",
        ),
    ];
    for (body, want) in cases {
        let r = post(&base, path, &body).await;
        assert_eq!(r.status(), 400, "{body}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["status"], "INVALID_ARGUMENT");
        assert!(v["error"]["message"].as_str().unwrap().contains(want), "{v}");
    }
    let ok = json!({
        "contents": [{"role": "user", "parts": [{"text": "x"}]}],
        "system_instruction": {"parts": [{"text": "s"}]},
        "generationConfig": {"temperature": 0.5},
        "safetySettings": []
    });
    assert_eq!(post(&base, path, &ok).await.status(), 200);
}

#[tokio::test]
async fn scripted_429_has_quota_details() {
    let base = start().await;
    script(&base, json!([{"kind": "error", "status": 429, "retry_delay": "12s"}])).await;
    let r = post(&base, "/v1beta/models/gemini-3.5-flash:streamGenerateContent?alt=sse", &hello()).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["content-type"], "application/json; charset=UTF-8");
    let v: Value = r.json().await.unwrap();
    let e = &v["error"];
    assert_eq!(e["status"], "RESOURCE_EXHAUSTED");
    assert!(e["message"].as_str().unwrap().ends_with("Please retry in 12s."));
    let types: Vec<&str> = e["details"].as_array().unwrap().iter().map(|d| d["@type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "type.googleapis.com/google.rpc.Help",
            "type.googleapis.com/google.rpc.QuotaFailure",
            "type.googleapis.com/google.rpc.RetryInfo"
        ]
    );
    assert_eq!(e["details"][2]["retryDelay"], "12s");
    // The queue is FIFO and one step per call: the next call is a normal reply.
    let r = post(&base, "/v1beta/models/gemini-3.5-flash:generateContent", &hello()).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn scripted_503_and_blocked() {
    let base = start().await;
    script(&base, json!([{"kind": "error", "status": 503}, {"kind": "blocked"}])).await;
    let path = "/v1beta/models/gemini-3.5-flash:generateContent";
    let v: Value = post(&base, path, &hello()).await.json().await.unwrap();
    assert_eq!(v["error"]["code"], 503);
    assert_eq!(v["error"]["status"], "UNAVAILABLE");
    assert_eq!(v["error"]["message"], "The model is overloaded. Please try again later.");
    let r = post(&base, path, &hello()).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["promptFeedback"]["blockReason"], "SAFETY");
    assert!(v.get("candidates").is_none());
}

#[tokio::test]
async fn safety_blocks_and_stops_carry_their_ratings() {
    let base = start().await;
    let dangerous = json!([{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": true}]);
    script(&base, json!([{"kind": "blocked", "safety_ratings": dangerous}])).await;
    let v: Value = post(&base, "/v1beta/models/gemini-3.5-flash:generateContent", &hello()).await.json().await.unwrap();
    assert_eq!(v["promptFeedback"]["safetyRatings"], dangerous);

    script(&base, json!([{"kind": "safety_stop", "text": "a b c d e f", "after_chunks": 1}])).await;
    let r = post(&base, "/v1beta/models/gemini-3.5-flash:streamGenerateContent?alt=sse", &hello()).await;
    let events = sse_events(&r.text().await.unwrap());
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["candidates"][0]["content"]["parts"][0]["text"], "a b c ");
    let stop = &events[1]["candidates"][0];
    assert_eq!(stop["finishReason"], "SAFETY");
    assert!(stop.get("content").is_none());
    assert_eq!(stop["safetyRatings"], dangerous);
}

#[tokio::test]
async fn cut_stream_ends_without_finish_reason() {
    let base = start().await;
    script(&base, json!([{"kind": "cut", "text": "a b c d e f g h i", "after_chunks": 2}])).await;
    let r = post(&base, "/v1beta/models/gemini-3.5-flash:streamGenerateContent?alt=sse", &hello()).await;
    let raw = r.text().await.unwrap();
    let events = sse_events(&raw);
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e["candidates"][0].get("finishReason").is_none()));

    script(&base, json!([{"kind": "cut", "after_chunks": 1, "abort": true}])).await;
    let r = post(&base, "/v1beta/models/gemini-3.5-flash:streamGenerateContent?alt=sse", &hello()).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.is_err(), "an aborted body is an error for the client");
}

#[tokio::test]
async fn error_mid_stream_is_raw_pretty_json() {
    let base = start().await;
    script(&base, json!([{"kind": "error_mid_stream", "text": "a b c d e f", "after_chunks": 1, "status": 503}])).await;
    let r = post(&base, "/v1beta/models/gemini-3.5-flash:streamGenerateContent?alt=sse", &hello()).await;
    assert_eq!(r.status(), 200);
    let raw = r.text().await.unwrap();
    let (first, rest) = raw.split_once("\r\n\r\n").unwrap();
    assert!(first.starts_with("data: {"));
    assert_eq!(
        rest,
        "{\n  \"error\": {\n    \"code\": 503,\n    \"message\": \"The model is overloaded. Please try again later.\",\n    \"status\": \"UNAVAILABLE\"\n  }\n}\n"
    );
}

#[tokio::test]
async fn hang_holds_the_connection_open() {
    use futures_util::StreamExt;
    let base = start().await;
    script(&base, json!([{"kind": "hang", "text": "a b c d e f", "after_chunks": 1, "hang_ms": 300}])).await;
    let r = post(&base, "/v1beta/models/gemini-3.5-flash:streamGenerateContent?alt=sse", &hello()).await;
    let mut body = r.bytes_stream();
    let first = body.next().await.unwrap().unwrap();
    assert!(first.starts_with(b"data: "));
    let waited = tokio::time::timeout(std::time::Duration::from_millis(150), body.next()).await;
    assert!(waited.is_err(), "no data while hanging");
    let end = tokio::time::timeout(std::time::Duration::from_secs(2), body.next()).await.unwrap();
    assert!(end.is_none(), "body ends after the hang");
}

#[tokio::test]
async fn default_stream_uses_first_token_delay() {
    let state = GeminiState::new(GeminiConfig { first_token_ms: 200, ..GeminiConfig::default() });
    let base = format!("http://{}", wellness0_fakes::spawn(app(state)).await);
    let t = std::time::Instant::now();
    let raw = post(&base, "/v1beta/models/gemini-3.5-flash:streamGenerateContent?alt=sse", &hello())
        .await
        .text()
        .await
        .unwrap();
    assert!(t.elapsed() >= std::time::Duration::from_millis(200));
    let joined: String = sse_events(&raw)
        .iter()
        .map(|e| e["candidates"][0]["content"]["parts"][0]["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(joined, "I hear you. You said: \"hello there\"\n\n**Turns so far:** 1");
}

#[tokio::test]
async fn count_tokens_embeddings_and_models() {
    let base = start().await;
    let v: Value = post(&base, "/v1beta/models/gemini-3.5-flash:countTokens", &hello()).await.json().await.unwrap();
    assert_eq!(v["totalTokens"], 2);
    let v: Value = post(
        &base,
        "/v1beta/models/gemini-embedding-001:batchEmbedContents",
        &json!({"requests": [
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "hi"}]}, "outputDimensionality": 4},
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "yo"}]}, "outputDimensionality": 4}
        ]}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(v["embeddings"].as_array().unwrap().len(), 2);
    assert_eq!(v["embeddings"][0]["values"].as_array().unwrap().len(), 4);
    let r =
        post(&base, "/v1beta/models/gemini-3.5-flash:embedContent", &json!({"content": {"parts": [{"text": "x"}]}}))
            .await;
    assert_eq!(r.status(), 404, "chat models cannot embed");

    let mut names = Vec::new();
    let mut token = String::new();
    loop {
        let v: Value = client()
            .get(format!("{base}/v1beta/models?pageSize=4&pageToken={token}"))
            .header("x-goog-api-key", KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(v["models"].as_array().unwrap().len() <= 4);
        names.extend(v["models"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap().to_string()));
        match v["nextPageToken"].as_str() {
            Some(t) => token = t.to_string(),
            None => break,
        }
    }
    for want in [
        "models/gemini-flash-latest",
        "models/gemini-3.8-flash",
        "models/gemini-embedding-001",
        "models/gemini-2.5-flash-preview-tts",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
    let v: Value = client()
        .get(format!("{base}/v1beta/models/gemini-3.1-pro-preview"))
        .header("x-goog-api-key", KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["name"], "models/gemini-3.1-pro-preview");
    assert_eq!(v["thinking"], true);
}

#[tokio::test]
async fn requests_are_recorded_and_reset() {
    let base = start().await;
    client()
        .request(reqwest::Method::OPTIONS, format!("{base}/v1beta/models"))
        .header("origin", "http://a")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    post(&base, "/v1beta/models/gemini-3.5-flash:generateContent?foo=b%20r", &hello()).await;
    let rec: Value = client().get(format!("{base}/_fake/requests")).send().await.unwrap().json().await.unwrap();
    let rec = rec.as_array().unwrap();
    assert_eq!(rec.len(), 1, "OPTIONS and control calls are not recorded");
    assert_eq!(rec[0]["method"], "POST");
    assert_eq!(rec[0]["path"], "/v1beta/models/gemini-3.5-flash:generateContent");
    assert_eq!(rec[0]["query"]["foo"], "b r");
    assert_eq!(rec[0]["headers"]["x-goog-api-key"], KEY);
    assert_eq!(rec[0]["body"], hello());
    assert!(rec[0]["ts_ms"].as_u64().unwrap() > 0);

    script(&base, json!([{"kind": "error", "status": 500}])).await;
    client().post(format!("{base}/_fake/reset")).send().await.unwrap();
    let rec: Value = client().get(format!("{base}/_fake/requests")).send().await.unwrap().json().await.unwrap();
    assert_eq!(rec, json!([]));
    let r = post(&base, "/v1beta/models/gemini-3.5-flash:generateContent", &hello()).await;
    assert_eq!(r.status(), 200, "reset clears the script");

    let r = client().post(format!("{base}/_fake/script")).json(&json!([{"kind": "nope"}])).send().await.unwrap();
    assert_eq!(r.status(), 400);
}
