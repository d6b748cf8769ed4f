//! Router tests driven in process with `tower::ServiceExt::oneshot`: the allow-list, health,
//! body limit, rate limit and CORS (the static site is in `site.rs`). Upstreams here are a
//! dead port, so an allowed call ends in 502 (it was forwarded) and a refused one in the
//! proxy's own 404.

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request, StatusCode};
use axum::response::Response;
use serde_json::Value;
use wellness0_proxy::AppState;

use common::oneshot::*;
use common::*;

const UUID: &str = "3f2b6c1e-9a4d-4c7e-8b1a-0d2e4f6a8b9c";

async fn body_json(resp: Response) -> Value {
    serde_json::from_slice(&body_bytes(resp).await).unwrap()
}

/// Every call the app makes (method, path under /api).
fn allowed_calls() -> Vec<(&'static str, String)> {
    vec![
        ("GET", "/api/gemini/v1beta/models".into()),
        ("GET", "/api/gemini/v1beta/models?pageSize=100".into()),
        ("GET", "/api/gemini/v1beta/models/gemini-2.5-flash".into()),
        ("POST", "/api/gemini/v1beta/models/gemini-2.5-flash:generateContent".into()),
        ("POST", "/api/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse".into()),
        ("POST", "/api/gemini/v1beta/models/gemini-2.5-flash:countTokens".into()),
        ("POST", "/api/gemini/v1beta/models/gemini-2.5-flash%3AgenerateContent".into()),
        ("GET", "/api/mem0/v1/ping/".into()),
        ("POST", "/api/mem0/v3/memories/add/".into()),
        ("POST", "/api/mem0/v3/memories/search/".into()),
        ("POST", "/api/mem0/v3/memories/".into()),
        ("POST", "/api/mem0/v3/memories/?page=1&page_size=50".into()),
        ("GET", format!("/api/mem0/v1/memories/{UUID}/")),
        ("PUT", format!("/api/mem0/v1/memories/{UUID}/")),
        ("DELETE", format!("/api/mem0/v1/memories/{UUID}/")),
        ("GET", format!("/api/mem0/v1/memories/{UUID}/history/")),
        ("DELETE", "/api/mem0/v1/memories/?user_id=alice".into()),
        ("POST", "/api/mem0/v1/feedback/".into()),
        ("GET", format!("/api/mem0/v1/event/{UUID}/")),
    ]
}

#[tokio::test]
async fn every_allowed_call_is_forwarded() {
    let r = router(&config()).await;
    for (method, uri) in allowed_calls() {
        let resp = send(&r, req(method, &uri)).await;
        assert_eq!(resp.status(), StatusCode::BAD_GATEWAY, "{method} {uri}");
        let v = body_json(resp).await;
        if uri.starts_with("/api/gemini/") {
            assert_eq!(v["error"]["code"], 502, "{v}");
            assert_eq!(v["error"]["status"], "UNAVAILABLE", "{v}");
            assert!(v["error"]["message"].as_str().unwrap().contains("Gemini"));
        } else {
            assert!(v["detail"].as_str().unwrap().contains("mem0"), "{v}");
        }
    }
}

#[tokio::test]
async fn everything_else_is_404() {
    let r = router(&config()).await;
    let refused = [
        ("GET", "/api"),
        ("GET", "/api/"),
        ("GET", "/api/gemini"),
        ("GET", "/api/gemini/"),
        ("GET", "/api/mem0/"),
        ("GET", "/api/unknown"),
        ("POST", "/api/gemini/v1beta/models"),
        ("GET", "/api/gemini/v1beta/files"),
        ("GET", "/api/gemini/v1/models"),
        ("GET", "/api/gemini/v1beta/cachedContents"),
        ("POST", "/api/gemini/v1beta/models/gemini-2.5-flash:embedContent"),
        ("POST", "/api/gemini/v1beta/models/gemini-2.5-flash"),
        ("DELETE", "/api/gemini/v1beta/models/gemini-2.5-flash"),
        ("OPTIONS", "/api/gemini/v1beta/models"),
        // Path traversal, raw and encoded.
        ("GET", "/api/gemini/v1beta/models/.."),
        ("GET", "/api/gemini/v1beta/models/../../v1beta/files"),
        ("GET", "/api/gemini/../api/gemini/v1beta/models"),
        ("GET", "/api/gemini/v1beta/models/%2e%2e"),
        ("GET", "/api/gemini/v1beta/models/%2E%2E%2Ffiles"),
        ("GET", "/api/mem0/v1/memories/../../v1/ping/"),
        ("GET", "/api/mem0/v1/ping/../../"),
        ("GET", "/api/mem0/v1/memories/%2e%2e/"),
        // Encoded slashes and backslashes.
        ("GET", "/api/gemini/v1beta/models/a%2Fb"),
        ("GET", "/api/gemini/v1beta%2Fmodels"),
        ("GET", "/api/mem0/v1%2Fping/"),
        ("GET", "/api/gemini/v1beta/models/a%5C..%5Cfiles"),
        // Absolute-URL and authority tricks inside the path.
        ("GET", "/api/gemini/http://evil.example/v1beta/models"),
        ("GET", "/api/gemini//evil.example/v1beta/models"),
        ("GET", "/api/gemini/v1beta/models/@evil.example"),
        ("POST", "/api/gemini/v1beta/models/x@evil.example:generateContent"),
        ("GET", "/api/mem0//evil.example/v1/ping/"),
        ("GET", "/api/mem0/v1/ping/@evil.example/"),
        // mem0 calls the app does not make.
        ("GET", "/api/mem0/v1/memories/"),
        // Deprecated or unused Platform calls the app no longer makes.
        ("POST", "/api/mem0/v1/memories/"),
        ("POST", "/api/mem0/v2/memories/search/"),
        ("POST", "/api/mem0/v2/memories/"),
        ("PUT", "/api/mem0/v1/batch/"),
        ("DELETE", "/api/mem0/v1/batch/"),
        ("GET", "/api/mem0/v1/entities/"),
        // Self-hosted paths on the Platform backend.
        ("POST", "/api/mem0/memories"),
        ("POST", "/api/mem0/search"),
        ("GET", "/api/mem0/v1/entities/"),
        ("POST", "/api/mem0/v1/exports/"),
        ("POST", "/api/mem0/v1/memories/search/"),
        ("GET", "/api/mem0/v1/memories/not-a-uuid/"),
        ("POST", "/api/mem0/_fake/reset"),
        ("GET", "/api/mem0/v1/ping"),
    ];
    for (method, uri) in refused {
        let resp = send(&r, req(method, uri)).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{method} {uri}");
        let v = body_json(resp).await;
        if uri.starts_with("/api/gemini") {
            assert_eq!(v["error"]["status"], "NOT_FOUND", "{uri}: {v}");
        } else {
            assert!(v["detail"].is_string(), "{uri}: {v}");
        }
    }
}

#[tokio::test]
async fn absolute_form_request_target_naming_another_host_is_refused() {
    // `GET http://evil.example/api/...`: the target names a host the proxy does not serve.
    let r = router(&config()).await;
    let resp = send(&r, req("GET", "http://evil.example/api/gemini/v1beta/models")).await;
    assert_eq!(resp.status(), StatusCode::MISDIRECTED_REQUEST);
    let v = body_json(resp).await;
    assert_eq!(v["error"]["status"], "FAILED_PRECONDITION", "{v}");
}

#[tokio::test]
async fn health_reports_keys_without_revealing_them() {
    let mut cfg = config();
    cfg.gemini_api_key = Some("AIza-secret-gemini".into());
    cfg.mem0_api_key = None;
    let r = router(&cfg).await;
    let resp = send(&r, req("GET", "/api/health")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header_str(&resp, header::CACHE_CONTROL), Some("no-store"));
    let text = String::from_utf8(body_bytes(resp).await).unwrap();
    assert!(!text.contains("AIza-secret-gemini"), "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "proxy": true,
            "version": env!("CARGO_PKG_VERSION"),
            "gemini": {"key": true},
            "mem0": {"key": false, "backend": "platform"},
            "auth": {"mode": "personal", "user": null},
        })
    );

    // A blank key counts as none.
    let mut cfg = config();
    cfg.mem0_api_key = Some("   ".into());
    let v = body_json(send(&router(&cfg).await, req("GET", "/api/health")).await).await;
    assert_eq!(v["mem0"]["key"], false);
    assert_eq!(v["gemini"]["key"], false);
}

#[tokio::test]
async fn bodies_over_the_limit_get_413() {
    let mut cfg = config();
    cfg.max_body_bytes = 1024;
    let r = router(&cfg).await;
    let uri = "/api/gemini/v1beta/models/gemini-2.5-flash:generateContent";

    // Declared length over the limit.
    let big = vec![b'a'; 2048];
    let resp = send(
        &r,
        Request::post(uri)
            .header(header::CONTENT_LENGTH, big.len())
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(big.clone()))
            .unwrap(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let v = body_json(resp).await;
    assert_eq!(v["error"]["code"], 413);

    // Chunked (no length) over the limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..8).map(|_| Ok(vec![b'b'; 300])).collect();
    let resp = send(
        &r,
        Request::post("/api/mem0/v3/memories/add/")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from_stream(futures_util::stream::iter(chunks)))
            .unwrap(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body_json(resp).await["detail"].is_string());

    // Exactly at the limit: accepted and forwarded (dead upstream: 502).
    let resp = send(
        &r,
        Request::post(uri).header(header::CONTENT_TYPE, "application/json").body(Body::from(vec![b'c'; 1024])).unwrap(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_GATEWAY);
}

fn from_ip(mut r: Request<Body>, ip: &str) -> Request<Body> {
    let addr: SocketAddr = format!("{ip}:40000").parse().unwrap();
    r.extensions_mut().insert(ConnectInfo(addr));
    r
}

#[tokio::test]
async fn rate_limit_gives_429_with_retry_after() {
    let mut cfg = config();
    cfg.rate_limit_per_minute = 6; // one token every 10 s
    cfg.rate_limit_burst = 2;
    let r = router(&cfg).await;
    for _ in 0..2 {
        let resp = send(&r, from_ip(req("GET", "/api/health"), "10.0.0.1")).await;
        assert_eq!(resp.status(), StatusCode::OK);
    }
    let resp = send(&r, from_ip(req("GET", "/api/gemini/v1beta/models"), "10.0.0.1")).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = header_str(&resp, header::RETRY_AFTER).unwrap().parse().unwrap();
    assert!((9..=10).contains(&retry), "retry-after {retry}");
    let v = body_json(resp).await;
    assert_eq!(v["error"]["status"], "RESOURCE_EXHAUSTED");
    assert_eq!(v["error"]["details"][0]["retryDelay"], format!("{retry}s"));

    let resp = send(&r, from_ip(req("GET", "/api/mem0/v1/ping/"), "10.0.0.1")).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(body_json(resp).await["detail"].is_string());

    // Another client is not affected; static files are never limited.
    let resp = send(&r, from_ip(req("GET", "/api/health"), "10.0.0.2")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    for _ in 0..5 {
        let resp = send(&r, from_ip(req("GET", "/index.html"), "10.0.0.1")).await;
        assert_eq!(resp.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn trusted_forwarded_for_separates_clients_behind_a_reverse_proxy() {
    let mut cfg = config();
    cfg.rate_limit_per_minute = 6;
    cfg.rate_limit_burst = 1;
    cfg.trust_forwarded_for = true;
    let r = router(&cfg).await;
    let with_xff = |xff: &str| {
        let mut q = from_ip(req("GET", "/api/health"), "127.0.0.1");
        q.headers_mut().insert("x-forwarded-for", xff.parse().unwrap());
        q
    };
    assert_eq!(send(&r, with_xff("1.1.1.1")).await.status(), StatusCode::OK);
    assert_eq!(send(&r, with_xff("2.2.2.2")).await.status(), StatusCode::OK);
    assert_eq!(send(&r, with_xff("9.9.9.9, 1.1.1.1")).await.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn cors_preflight_only_for_allowed_origins() {
    let preflight = |origin: &str| {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/api/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
            .body(Body::empty())
            .unwrap()
    };
    // Default: same-origin only; a cross-origin preflight is refused.
    let r = router(&config()).await;
    let resp = send(&r, preflight("https://app.example")).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(resp.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());

    let mut cfg = config();
    cfg.allowed_origins = vec!["https://app.example/".into(), "http://localhost:8081".into()];
    let r = router(&cfg).await;
    let resp = send(&r, preflight("https://app.example")).await;
    assert!(resp.status().is_success(), "{}", resp.status());
    assert_eq!(header_str(&resp, header::ACCESS_CONTROL_ALLOW_ORIGIN), Some("https://app.example"));
    let methods = header_str(&resp, header::ACCESS_CONTROL_ALLOW_METHODS).unwrap();
    assert!(methods.contains("POST"), "{methods}");
    let resp = send(&r, preflight("https://evil.example")).await;
    assert!(resp.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());

    // Actual requests from an allowed origin get the header and can read Retry-After.
    let resp = send(
        &r,
        Request::get("/api/health").header(header::ORIGIN, "http://localhost:8081").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(header_str(&resp, header::ACCESS_CONTROL_ALLOW_ORIGIN), Some("http://localhost:8081"));
    let exposed = header_str(&resp, header::ACCESS_CONTROL_EXPOSE_HEADERS).unwrap();
    assert!(exposed.contains("retry-after"), "{exposed}");
}

#[tokio::test]
async fn wildcard_and_malformed_origins_are_refused() {
    for bad in ["*", "app.example", "https://*.example"] {
        let mut cfg = config();
        cfg.allowed_origins = vec![bad.into()];
        assert!(AppState::new(&cfg).await.is_err(), "{bad}");
    }
}

#[tokio::test]
async fn api_responses_are_never_compressed_or_cached() {
    let r = router(&config()).await;
    let resp =
        send(&r, Request::get("/api/health").header(header::ACCEPT_ENCODING, "gzip, br").body(Body::empty()).unwrap())
            .await;
    assert!(resp.headers().get(header::CONTENT_ENCODING).is_none());
    assert_eq!(header_str(&resp, header::CACHE_CONTROL), Some("no-store"));
}
