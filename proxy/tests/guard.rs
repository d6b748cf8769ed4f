//! Personal mode's guards against other web pages, with the fakes as upstreams: a
//! DNS-rebinding page (foreign `Host`), cross-site `Origin` / `Sec-Fetch-Site`, and "simple"
//! cross-site bodies (`text/plain`, forms) are refused before anything is forwarded, while the
//! page's own calls and explicitly allowed CORS origins keep working.

mod common;

use reqwest::StatusCode;
use serde_json::{json, Value};

use common::*;

const GENERATE: &str = "/api/gemini/v1beta/models/gemini-3.5-flash:generateContent";
const MEM0_ADD: &str = "/api/mem0/v3/memories/add/";
const MEM0_SEARCH: &str = "/api/mem0/v3/memories/search/";

fn port_of(base: &str) -> u16 {
    base.rsplit(':').next().unwrap().parse().unwrap()
}

fn add_body() -> Value {
    json!({"messages": [{"role": "user", "content": "I sleep badly before exams"}], "user_id": "alice"})
}

#[tokio::test]
async fn dns_rebinding_host_is_refused_for_the_site_and_the_api() {
    let fakes = Fakes::start(0).await;
    let proxy = spawn_proxy(&fakes.config()).await;
    let port = port_of(&proxy);
    let c = client();
    // What a rebinding page's browser sends: the attacker's name with our port.
    for host in [format!("evil.example:{port}"), "evil.example".into(), format!("127.0.0.1:{}", port + 1)] {
        for (method, path) in [("GET", "/"), ("GET", "/api/health"), ("POST", MEM0_SEARCH), ("GET", "/index.html")] {
            let resp = c
                .request(method.parse().unwrap(), format!("{proxy}{path}"))
                .header("host", &host)
                .json(&json!({"query": "exam", "filters": {"AND": [{"user_id": "alice"}]}}))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::MISDIRECTED_REQUEST, "{host} {method} {path}");
            assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
            let v: Value = resp.json().await.unwrap();
            assert!(v["detail"].as_str().unwrap().contains("--allowed-hosts"), "{v}");
        }
    }
    // An absolute-form target naming another host is refused even with a good Host header.
    let text = raw_http(
        &proxy,
        &format!(
            "GET http://evil.example:{port}/api/gemini/v1beta/models HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
             Connection: close\r\n\r\n"
        ),
    )
    .await;
    assert!(text.starts_with("HTTP/1.1 421"), "{text}");
    assert_nothing_reached(&fakes, "foreign Host");

    // The names the proxy serves work.
    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}"), format!("[::1]:{port}")] {
        let resp = c.get(format!("{proxy}/api/gemini/v1beta/models")).header("host", &host).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{host}");
    }
    assert_eq!(fakes.gemini_requests().len(), 3);
}

#[tokio::test]
async fn configured_host_names_are_served() {
    let fakes = Fakes::start(0).await;
    let mut cfg = fakes.config();
    cfg.allowed_hosts = vec!["wellness.example".into(), "clinic.example:8443".into()];
    let proxy = spawn_proxy(&cfg).await;
    let c = client();
    let get = |host: &'static str| c.get(format!("{proxy}/api/gemini/v1beta/models")).header("host", host).send();
    assert_eq!(get("wellness.example").await.unwrap().status(), StatusCode::OK);
    assert_eq!(get("clinic.example:8443").await.unwrap().status(), StatusCode::OK);
    assert_eq!(get("clinic.example:9999").await.unwrap().status(), StatusCode::MISDIRECTED_REQUEST);
    assert_eq!(get("evil.example").await.unwrap().status(), StatusCode::MISDIRECTED_REQUEST);
    assert_eq!(fakes.gemini_requests().len(), 2);
}

#[tokio::test]
async fn cross_site_calls_are_refused_before_forwarding() {
    let fakes = Fakes::start(0).await;
    let proxy = spawn_proxy(&fakes.config()).await;
    let c = client();
    for path in [GENERATE, MEM0_ADD] {
        let body = if path == GENERATE { generate_body("spend their quota") } else { add_body() };
        // A foreign Origin.
        let resp = c.post(format!("{proxy}{path}")).header("origin", "http://evil.example").json(&body).send().await;
        let resp = resp.unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{path}");
        let v: Value = resp.json().await.unwrap();
        let message = if path == GENERATE { &v["error"]["message"] } else { &v["detail"] };
        assert!(message.as_str().unwrap().contains("evil.example"), "{v}");
        // `null` (sandboxed frames, file: pages).
        let resp = c.post(format!("{proxy}{path}")).header("origin", "null").json(&body).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{path}");
        // No Origin, but the browser says another site caused it.
        for site in ["cross-site", "same-site"] {
            let resp = c.post(format!("{proxy}{path}")).header("sec-fetch-site", site).json(&body).send().await;
            assert_eq!(resp.unwrap().status(), StatusCode::FORBIDDEN, "{path} {site}");
        }
    }
    // Reads too: a foreign page cannot read the health answer or the memory list.
    let resp = c.get(format!("{proxy}/api/health")).header("origin", "http://evil.example").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_nothing_reached(&fakes, "cross-site calls");
}

#[tokio::test]
async fn simple_text_plain_and_form_posts_are_refused() {
    let fakes = Fakes::start(0).await;
    let proxy = spawn_proxy(&fakes.config()).await;
    let c = client();
    let gen_text = serde_json::to_string(&generate_body("plant this")).unwrap();
    let add_text = serde_json::to_string(&add_body()).unwrap();
    for (path, body) in [(GENERATE, &gen_text), (MEM0_ADD, &add_text)] {
        for ct in [
            "text/plain",
            "text/plain;charset=UTF-8",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=----x",
        ] {
            // As a foreign page's fetch(…, {mode: "no-cors"}) or <form> sends it, and also
            // without any Origin (the content type alone is refused).
            for origin in [Some("http://evil.example"), None] {
                let mut req = c.post(format!("{proxy}{path}")).header("content-type", ct).body(body.clone());
                if let Some(o) = origin {
                    req = req.header("origin", o);
                }
                let resp = req.send().await.unwrap();
                let want = if origin.is_some() { StatusCode::FORBIDDEN } else { StatusCode::UNSUPPORTED_MEDIA_TYPE };
                assert_eq!(resp.status(), want, "{path} {ct} {origin:?}");
            }
        }
        // A body with no content type at all is not JSON either.
        let resp = c.post(format!("{proxy}{path}")).body(body.clone()).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{path}");
    }
    assert_nothing_reached(&fakes, "simple POSTs");
}

#[tokio::test]
async fn the_pages_own_calls_still_work() {
    let fakes = Fakes::start(0).await;
    let proxy = spawn_proxy(&fakes.config()).await;
    let c = client();
    // What Chromium sends for the page's own fetch: Origin (on POST) and same-origin.
    let resp = c
        .post(format!("{proxy}{GENERATE}"))
        .header("origin", &proxy)
        .header("sec-fetch-site", "same-origin")
        .json(&generate_body("hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = c
        .post(format!("{proxy}{MEM0_ADD}"))
        .header("origin", proxy.replace("127.0.0.1", "localhost"))
        .header("host", proxy.trim_start_matches("http://").replace("127.0.0.1", "localhost"))
        .header("content-type", "application/json; charset=utf-8")
        .body(serde_json::to_vec(&add_body()).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // A typed URL (Sec-Fetch-Site: none) and a body-less DELETE.
    let resp = c.get(format!("{proxy}/api/health")).header("sec-fetch-site", "none").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = c.delete(format!("{proxy}/api/mem0/v1/memories/?user_id=alice")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(fakes.gemini_requests().len(), 1);
    assert_eq!(fakes.mem0_requests().len(), 2);
}

#[tokio::test]
async fn explicitly_allowed_cors_origins_keep_working() {
    let fakes = Fakes::start(0).await;
    let mut cfg = fakes.config();
    cfg.allowed_origins = vec!["http://localhost:8081".into()];
    let proxy = spawn_proxy(&cfg).await;
    let c = client();
    let resp = c
        .post(format!("{proxy}{GENERATE}"))
        .header("origin", "http://localhost:8081")
        .header("sec-fetch-site", "cross-site")
        .json(&generate_body("hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["access-control-allow-origin"], "http://localhost:8081");
    // Its preflight is answered.
    let resp = c
        .request(reqwest::Method::OPTIONS, format!("{proxy}{GENERATE}"))
        .header("origin", "http://localhost:8081")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    assert_eq!(resp.headers()["access-control-allow-origin"], "http://localhost:8081");
    // Other origins are still refused, and an allowed origin still needs a JSON body.
    let resp = c
        .post(format!("{proxy}{GENERATE}"))
        .header("origin", "http://localhost:8082")
        .json(&generate_body("hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = c
        .post(format!("{proxy}{GENERATE}"))
        .header("origin", "http://localhost:8081")
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(fakes.gemini_requests().len(), 1);
}
