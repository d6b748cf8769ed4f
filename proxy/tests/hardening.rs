//! Hardening, in process with real TCP: security headers and the CSP on every response, the
//! marked `index.html`, what the site never serves (dotfiles, symlinks out of `dist/`, absurd
//! names), what is never relayed from an upstream (`101`, HTML pages), and the limits on client
//! connections (slow-loris, idle keep-alive, stalled bodies, the connection cap).

mod common;

use std::time::{Duration, Instant};

use axum::http::StatusCode as AxStatus;
use axum::response::IntoResponse;
use axum::routing::any;
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use common::*;

const TRUNK_INDEX: &str = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
    <script type=\"module\">import init from '/w-1.js';await init('/w-1_bg.wasm');</script></head>\
    <body></body></html>";

fn assert_security_headers(resp: &reqwest::Response, what: &str) {
    let h = resp.headers();
    let csp = h.get("content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP")).to_str().unwrap();
    assert!(csp.starts_with("default-src 'none'; script-src 'self' 'wasm-unsafe-eval'"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("base-uri 'none'"), "{what}: {csp}");
    assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(h["referrer-policy"], "no-referrer", "{what}");
    assert_eq!(h["x-frame-options"], "DENY", "{what}");
    let pp = h["permissions-policy"].to_str().unwrap();
    assert!(pp.contains("camera=()") && pp.contains("microphone=()") && pp.contains("geolocation=()"), "{what}");
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let fakes = Fakes::start(0).await;
    let proxy = spawn_proxy(&fakes.config()).await;
    let c = client();
    let port = proxy.rsplit(':').next().unwrap().to_owned();
    let cases = [
        ("GET", "/".to_owned(), None, 200),
        ("GET", format!("/{WASM}"), None, 200),
        ("GET", "/missing.js".into(), None, 404),
        ("GET", "/api/health".into(), None, 200),
        ("GET", "/api/nope".into(), None, 404),
        ("GET", "/api/gemini/v1beta/models".into(), None, 200),
        ("GET", "/".into(), Some(("host", "evil.example".to_owned())), 421),
        ("GET", "/api/health".into(), Some(("origin", "http://evil.example".to_owned())), 403),
        ("POST", "/index.html".into(), None, 405),
        ("GET", "/".into(), Some(("host", format!("localhost:{port}"))), 200),
    ];
    for (method, path, extra, status) in cases {
        let mut req = c.request(method.parse().unwrap(), format!("{proxy}{path}"));
        if let Some((k, v)) = &extra {
            req = req.header(*k, v);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), status, "{method} {path} {extra:?}");
        assert_security_headers(&resp, &format!("{method} {path} {extra:?}"));
    }
}

#[tokio::test]
async fn index_is_marked_hashed_in_the_csp_and_reloaded_when_it_changes() {
    let mut cfg = config();
    std::fs::write(cfg.dist.join("index.html"), TRUNK_INDEX).unwrap();
    cfg.port = 0;
    let proxy = spawn_proxy(&cfg).await;
    let c = client();
    let resp = c.get(format!("{proxy}/chat/42")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["cache-control"], "no-cache");
    let csp = resp.headers()["content-security-policy"].to_str().unwrap().to_owned();
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    let html = resp.text().await.unwrap();
    assert!(html.contains("<head><meta name=\"wellness0-proxy\" content=\"1\"><meta charset"), "{html}");
    // The hash of the inline script, as a browser computes it (checked with `openssl dgst`).
    let script = "import init from '/w-1.js';await init('/w-1_bg.wasm');";
    let want = wellness0_proxy::site::index::inline_script_hashes(&format!("<script>{script}</script>"));
    assert_eq!(want.len(), 1);
    assert!(csp.contains(&format!("'wasm-unsafe-eval' {}; style-src", want[0])), "{csp}");
    // Conditional requests.
    let resp = c.get(format!("{proxy}/")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
    let resp = c.head(format!("{proxy}/index.html")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.bytes().await.unwrap().is_empty());

    // A rebuilt site: new script, new hash, new ETag, and the old hash is gone.
    std::thread::sleep(Duration::from_millis(20));
    let rebuilt = TRUNK_INDEX.replace("w-1", "w-2").replace("</head>", "<script>console.log(1)</script></head>");
    std::fs::write(cfg.dist.join("index.html"), &rebuilt).unwrap();
    let resp = c.get(format!("{proxy}/")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let csp2 = resp.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(!csp2.contains(&want[0]), "{csp2}");
    assert_eq!(csp2.matches("'sha256-").count(), 2, "{csp2}");
    assert!(resp.text().await.unwrap().contains("w-2"));
    // Other responses carry the new policy too.
    let resp = c.get(format!("{proxy}/api/health")).send().await.unwrap();
    assert_eq!(resp.headers()["content-security-policy"].to_str().unwrap(), csp2);
}

#[tokio::test]
async fn dotfiles_symlinks_out_of_dist_and_absurd_names_are_not_served() {
    let cfg = config();
    let dist = &cfg.dist;
    let outside = temp_dir("outside");
    std::fs::write(outside.join("secret.txt"), "the server's private file").unwrap();
    std::fs::write(dist.join(".env"), "GEMINI_API_KEY=leak").unwrap();
    std::fs::create_dir_all(dist.join(".git")).unwrap();
    std::fs::write(dist.join(".git/config"), "[core]").unwrap();
    std::fs::create_dir_all(dist.join("assets")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret.txt"), dist.join("assets/leak.txt")).unwrap();
    std::os::unix::fs::symlink(&outside, dist.join("outdir")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret.txt"), dist.join(format!("{JS}.gz"))).unwrap();
    // A symlink that stays inside dist is fine.
    std::os::unix::fs::symlink(dist.join("robots.txt"), dist.join("assets/robots-link.txt")).unwrap();
    let proxy = spawn_proxy(&cfg).await;
    let c = client();
    let long = "a".repeat(300);
    for path in [
        "/.env".to_owned(),
        "/.git/config".into(),
        "/%2eenv".into(),
        "/assets/leak.txt".into(),
        "/outdir/secret.txt".into(),
        "/outdir/".into(),
        format!("/{long}"),
        format!("/{long}.js"),
        format!("/assets/{long}/x"),
    ] {
        let resp = c.get(format!("{proxy}{path}")).header("accept-encoding", "gzip").send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
        let body = resp.text().await.unwrap();
        assert!(!body.contains("private") && !body.contains("leak"), "{path}: {body}");
    }
    // The precompressed sibling that points outside makes its file unavailable.
    let resp = c.get(format!("{proxy}/{JS}")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = c.get(format!("{proxy}/assets/robots-link.txt")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // A long segment under /api is an ordinary 404 too, never a 500.
    let resp = c.get(format!("{proxy}/api/gemini/v1beta/models/{long}")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

/// An upstream that answers every request with `status`, `content_type` and `body`.
async fn stub_upstream(status: u16, content_type: Option<&'static str>, body: &'static str) -> String {
    let app = axum::Router::new().fallback(any(move || async move {
        let mut resp = (AxStatus::from_u16(status).unwrap(), body).into_response();
        match content_type {
            Some(ct) => resp.headers_mut().insert("content-type", ct.parse().unwrap()),
            None => resp.headers_mut().remove("content-type"),
        };
        resp
    }));
    format!("http://{}", wellness0_fakes::spawn(app).await)
}

#[tokio::test]
async fn upstream_html_pages_and_upgrades_are_never_relayed() {
    let c = client();
    let html = stub_upstream(404, Some("text/html; charset=UTF-8"), "<script>alert(document.cookie)</script>").await;
    let mut cfg = config();
    cfg.gemini_upstream = html.clone();
    cfg.mem0_base_url = Some(html);
    let proxy = spawn_proxy(&cfg).await;
    let resp = c.get(format!("{proxy}/api/gemini/v1beta/models")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_GATEWAY);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["code"], 502);
    assert!(v["error"]["message"].as_str().unwrap().contains("status 404"), "{v}");
    let resp = c.get(format!("{proxy}/api/mem0/v1/ping/")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_GATEWAY);
    assert!(resp.text().await.unwrap().contains("\"detail\""));

    // No content type: shown as text, never sniffed.
    let bare = stub_upstream(200, None, "<b>hi</b>").await;
    let mut cfg = config();
    cfg.gemini_upstream = bare;
    let proxy = spawn_proxy(&cfg).await;
    let resp = c.get(format!("{proxy}/api/gemini/v1beta/models")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");

    // An upstream that answers 101 Switching Protocols (by hand: a framework would not).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let _ = sock
                    .write_all(b"HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n")
                    .await;
                tokio::time::sleep(Duration::from_secs(2)).await;
            });
        }
    });
    let mut cfg = config();
    cfg.gemini_upstream = upstream;
    let proxy = spawn_proxy(&cfg).await;
    let resp = c.get(format!("{proxy}/api/gemini/v1beta/models")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_GATEWAY);
    let v: Value = resp.json().await.unwrap();
    assert!(v["error"]["message"].as_str().unwrap().contains("101"), "{v}");
}

/// A client that gives up after 10 s (a locked-out proxy fails the test quickly).
fn quick_client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build().unwrap()
}

/// Opens `n` connections that send `prefix` (maybe nothing) and then stay silent.
async fn silent_connections(proxy: &str, n: usize, prefix: &[u8]) -> Vec<TcpStream> {
    let addr = proxy.trim_start_matches("http://");
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let mut s = TcpStream::connect(addr).await.unwrap();
        if !prefix.is_empty() {
            s.write_all(prefix).await.unwrap();
        }
        out.push(s);
    }
    out
}

/// Whether the server closed `s` (EOF or reset) within `within`.
async fn closed_by_server(s: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(within, s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            // A 408 or similar before closing is fine; keep reading until closed.
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn slow_loris_connections_do_not_stop_health_and_are_closed() {
    let mut cfg = config();
    cfg.client_header_timeout_secs = 2;
    let proxy = spawn_proxy(&cfg).await;
    let mut silent = silent_connections(&proxy, 300, b"").await;
    let mut partial = silent_connections(&proxy, 20, b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ").await;
    let started = Instant::now();
    let resp = quick_client().get(format!("{proxy}/api/health")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(started.elapsed() < Duration::from_secs(1), "health took {:?}", started.elapsed());
    // The header timeout closes both kinds.
    assert!(closed_by_server(&mut silent[0], Duration::from_secs(4)).await, "a silent connection stayed open");
    assert!(closed_by_server(&mut silent[299], Duration::from_secs(2)).await);
    assert!(closed_by_server(&mut partial[0], Duration::from_secs(2)).await, "a half-sent head stayed open");
}

#[tokio::test]
async fn at_the_connection_cap_idle_connections_make_room_and_streams_survive() {
    let fakes = Fakes::start(0).await;
    let mut cfg = fakes.config();
    cfg.max_connections = 20;
    cfg.client_header_timeout_secs = 60;
    let proxy = spawn_proxy(&cfg).await;
    // Three streams that stay open (one event, then silence).
    for _ in 0..3 {
        fakes.script_gemini(json!({"kind": "hang", "after_chunks": 1, "hang_ms": 20000}));
    }
    let mut streams = Vec::new();
    for _ in 0..3 {
        let resp = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .post(format!("{proxy}/api/gemini/v1beta/models/gemini-3.5-flash:streamGenerateContent?alt=sse"))
            .json(&generate_body("one two three four"))
            .send()
            .await
            .unwrap();
        let mut body = resp.bytes_stream();
        assert!(body.next().await.unwrap().unwrap().starts_with(b"data: "));
        streams.push(body);
    }
    // Far more silent connections than the cap allows, with a header timeout of a minute: the
    // oldest half-way through a request head (they are dropped, not waited for), then empty ones.
    let _partial = silent_connections(&proxy, 50, b"GET /api/health HTTP/1.1\r\nX-Slow: ").await;
    let _silent = silent_connections(&proxy, 50, b"").await;
    for _ in 0..5 {
        let started = Instant::now();
        let resp = quick_client().get(format!("{proxy}/api/health")).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(started.elapsed() < Duration::from_secs(2), "health took {:?}", started.elapsed());
    }
    // The streams were never closed to make room.
    for body in &mut streams {
        let next = tokio::time::timeout(Duration::from_millis(300), body.next()).await;
        assert!(next.is_err(), "a busy stream was closed: {next:?}");
    }
}

#[tokio::test]
async fn on_a_network_address_one_client_address_holds_at_most_its_share() {
    // Configured for a network address (so the per-address cap applies); the test listener
    // itself is on loopback, and every connection comes from 127.0.0.1.
    let mut cfg = common::people::shared(config()).await;
    cfg.host = "0.0.0.0".parse().unwrap();
    cfg.max_connections = 100;
    cfg.max_connections_per_address = 5;
    cfg.client_header_timeout_secs = 60;
    let proxy = spawn_proxy(&cfg).await;
    let mut silent = silent_connections(&proxy, 12, b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n").await;
    // The address's oldest idle connections were closed to make room: at most 5 stay open.
    let mut closed = 0;
    for s in &mut silent {
        closed += usize::from(closed_by_server(s, Duration::from_millis(300)).await);
    }
    assert!(closed >= 7, "only {closed} of 12 closed");
    // A real request from the same address is still served at once.
    let started = Instant::now();
    let resp = quick_client().get(format!("{proxy}/api/health")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(started.elapsed() < Duration::from_secs(2), "health took {:?}", started.elapsed());
}

#[tokio::test]
async fn idle_keep_alive_connections_and_stalled_bodies_are_cut() {
    let mut cfg = config();
    cfg.client_header_timeout_secs = 1;
    cfg.client_body_timeout_secs = 1;
    let proxy = spawn_proxy(&cfg).await;
    let addr = proxy.trim_start_matches("http://").to_owned();
    // One request, then the connection idles: closed after the timeout.
    let mut s = TcpStream::connect(&addr).await.unwrap();
    s.write_all(format!("GET /api/health HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes()).await.unwrap();
    let mut buf = [0u8; 4096];
    let n = s.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let started = Instant::now();
    assert!(closed_by_server(&mut s, Duration::from_secs(3)).await);
    assert!(started.elapsed() >= Duration::from_millis(800), "{:?}", started.elapsed());

    // A body announced but trickled: 408 after a second of silence, nothing forwarded.
    let mut s = TcpStream::connect(&addr).await.unwrap();
    s.write_all(
        format!(
            "POST /api/gemini/v1beta/models/m:generateContent HTTP/1.1\r\nHost: {addr}\r\n\
             content-type: application/json\r\ncontent-length: 1000\r\n\r\n{{\"contents\""
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(3));
}
