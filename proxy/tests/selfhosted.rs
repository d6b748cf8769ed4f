//! The self-hosted mem0 backend through the proxy, against the fake open-source server: the
//! exact paths (no trailing slashes), `X-API-Key`, the health answer, a full round trip, and
//! the personal-mode refusal of wildcard ids.

mod common;

use reqwest::StatusCode;
use serde_json::{json, Value};

use common::*;
use wellness0_proxy::{AppState, StartError};

#[tokio::test]
async fn a_memory_round_trip_on_the_self_hosted_server() {
    let fakes = Fakes::start(0).await;
    let sh = SelfHosted::start().await;
    let proxy = spawn_proxy(&sh.config(&fakes)).await;
    let c = client();
    let api = |p: &str| format!("{proxy}/api/mem0{p}");

    let health: Value = c.get(format!("{proxy}/api/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["mem0"], json!({"key": true, "backend": "self_hosted"}));

    let added: Value = c
        .post(api("/memories"))
        .json(&json!({"messages": [{"role": "user", "content": "I swim every morning"}], "user_id": "alice", "infer": false}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = added["results"][0]["id"].as_str().expect("the add answers its results").to_owned();
    let listed: Value = c.get(api("/memories?user_id=alice&top_k=100")).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed["results"].as_array().unwrap().len(), 1, "{listed}");
    let found: Value = c
        .post(api("/search"))
        .json(&json!({"query": "swim", "filters": {"user_id": "alice"}, "top_k": 5}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["results"][0]["id"], id.as_str(), "{found}");
    let one: Value = c.get(api(&format!("/memories/{id}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(one["user_id"], "alice");
    let resp = c.put(api(&format!("/memories/{id}"))).json(&json!({"text": "I swim on Mondays"})).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let history: Value = c.get(api(&format!("/memories/{id}/history"))).send().await.unwrap().json().await.unwrap();
    assert!(history.as_array().unwrap().len() >= 2, "{history}");
    let resp = c.delete(api(&format!("/memories/{id}"))).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = c.delete(api("/memories?user_id=alice")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);

    let seen: Vec<(String, String, Option<String>)> =
        sh.requests().into_iter().map(|r| (r.method, r.path, r.headers.get("x-api-key").cloned())).collect();
    let paths: Vec<&str> = seen.iter().map(|(_, p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/memories".to_owned(),
            "/memories".into(),
            "/search".into(),
            format!("/memories/{id}"),
            format!("/memories/{id}"),
            format!("/memories/{id}/history"),
            format!("/memories/{id}"),
            "/memories".into()
        ]
    );
    assert!(seen.iter().all(|(_, _, key)| key.as_deref() == Some(SELFHOSTED_KEY)), "{seen:?}");
    assert!(sh.requests().iter().all(|r| !r.headers.contains_key("authorization")));
    assert!(fakes.mem0_requests().is_empty(), "nothing went to the Platform fake");
}

#[tokio::test]
async fn only_the_self_hosted_calls_are_forwarded() {
    let fakes = Fakes::start(0).await;
    let sh = SelfHosted::start().await;
    let proxy = spawn_proxy(&sh.config(&fakes)).await;
    let c = client();
    let uuid = "3f2b6c1e-9a4d-4c7e-8b1a-0d2e4f6a8b9c";
    for (method, path) in [
        ("POST", "/memories/".to_owned()),
        ("GET", "/memories/".into()),
        ("POST", "/search/".into()),
        ("POST", "/reset".into()),
        ("POST", "/configure".into()),
        ("GET", "/configure".into()),
        ("GET", format!("/memories/{uuid}/")),
        ("GET", "/entities".into()),
        ("POST", "/v3/memories/add/".into()),
        ("GET", "/v1/ping/".into()),
        ("POST", "/v1/feedback/".into()),
        ("GET", format!("/v1/event/{uuid}/")),
    ] {
        let resp = c.request(method.parse().unwrap(), format!("{proxy}/api/mem0{path}")).json(&json!({})).send().await;
        assert_eq!(resp.unwrap().status(), StatusCode::NOT_FOUND, "{method} {path}");
    }
    assert!(sh.requests().is_empty(), "{:?}", sh.requests());
}

#[tokio::test]
async fn personal_mode_refuses_wildcard_and_missing_user_ids() {
    let fakes = Fakes::start(0).await;
    let sh = SelfHosted::start().await;
    let proxy = spawn_proxy(&sh.config(&fakes)).await;
    let c = client();
    for (method, path, body) in [
        ("GET", "/memories?user_id=*", None),
        ("GET", "/memories?user_id=", None),
        ("GET", "/memories", None),
        ("GET", "/memories?top_k=1000", None),
        ("DELETE", "/memories?user_id=%2A", None),
        ("DELETE", "/memories", None),
        ("POST", "/search", Some(json!({"query": "q", "filters": {"user_id": "*"}}))),
        ("POST", "/memories", Some(json!({"messages": [{"role": "user", "content": "x"}], "user_id": ""}))),
    ] {
        let mut req = c.request(method.parse().unwrap(), format!("{proxy}/api/mem0{path}"));
        if let Some(b) = &body {
            req = req.json(b);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{method} {path}");
        let v: Value = resp.json().await.unwrap();
        assert!(v["detail"].as_str().unwrap().contains("user_id"), "{v}");
    }
    assert!(sh.requests().is_empty(), "{:?}", sh.requests());
}

#[tokio::test]
async fn without_a_server_key_the_pages_x_api_key_is_forwarded() {
    let fakes = Fakes::start(0).await;
    let sh = SelfHosted::start().await;
    let mut cfg = sh.config(&fakes);
    cfg.mem0_api_key = None;
    let proxy = spawn_proxy(&cfg).await;
    let c = client();
    let resp =
        c.get(format!("{proxy}/api/mem0/memories?user_id=alice")).header("x-api-key", SELFHOSTED_KEY).send().await;
    assert_eq!(resp.unwrap().status(), StatusCode::OK);
    let resp = c.get(format!("{proxy}/api/mem0/memories?user_id=alice")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn self_hosted_needs_a_base_url() {
    let mut cfg = config();
    cfg.mem0_backend = wellness0_proxy::mem0::Backend::SelfHosted;
    cfg.mem0_base_url = None;
    let err = AppState::new(&cfg).await.unwrap_err();
    assert!(matches!(err, StartError::NoMem0BaseUrl), "{err}");
    assert!(err.to_string().contains("MEM0_BASE_URL"));
}
