//! Streaming through the proxy with the fakes as upstreams (in process, real TCP): SSE
//! passes incrementally, mid-stream errors pass, timeouts give 504 or cut idle streams, and a
//! client leaving closes the upstream stream.

mod common;

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use common::*;

const MODEL: &str = "gemini-3.5-flash";

fn gen_url(proxy: &str, method: &str) -> String {
    format!("{proxy}/api/gemini/v1beta/models/{MODEL}:{method}")
}

#[tokio::test]
async fn sse_arrives_incrementally() {
    // 10 chunks of 3 words, 200 ms apart: the stream lasts about 1.8 s.
    let fakes = Fakes::start(200).await;
    let proxy = spawn_proxy(&fakes.config()).await;
    let text = (1..=30).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
    fakes.script_gemini(json!({"kind": "reply", "text": text}));
    let started = Instant::now();
    let resp = client()
        .post(format!("{}?alt=sse", gen_url(&proxy, "streamGenerateContent")))
        .json(&generate_body("hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["x-accel-buffering"], "no");
    let mut body = resp.bytes_stream();
    let mut arrivals = Vec::new();
    let mut all = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.unwrap();
        arrivals.push(started.elapsed());
        all.extend_from_slice(&chunk);
    }
    let first = arrivals[0];
    let last = *arrivals.last().unwrap();
    let all = String::from_utf8(all).unwrap();
    assert_eq!(all.matches("data: ").count(), 10, "{all}");
    assert!(all.contains("w30") && all.contains("\"finishReason\": \"STOP\""));
    assert!(first < Duration::from_millis(500), "first event after {first:?}");
    assert!(last >= Duration::from_millis(1500), "stream ended after {last:?}");
    assert!(last - first >= Duration::from_millis(1200), "first {first:?}, last {last:?}: the body was buffered");
    assert!(arrivals.len() >= 5, "only {} reads", arrivals.len());
}

#[tokio::test]
async fn mid_stream_errors_are_passed_through() {
    let fakes = Fakes::start(0).await;
    let proxy = spawn_proxy(&fakes.config()).await;
    fakes.script_gemini(json!({"kind": "error_mid_stream", "after_chunks": 2, "status": 503}));
    let resp = client()
        .post(format!("{}?alt=sse", gen_url(&proxy, "streamGenerateContent")))
        .json(&generate_body("one two three four five six seven eight"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let text = resp.text().await.unwrap();
    assert_eq!(text.matches("data: ").count(), 2);
    assert!(text.contains("\"code\": 503"), "{text}");
}

#[tokio::test]
async fn timeouts_give_504_before_headers_and_cut_idle_streams() {
    let fakes = Fakes::start(0).await;
    let mut cfg = fakes.config();
    cfg.response_timeout_secs = 1;
    cfg.idle_timeout_secs = 1;
    let proxy = spawn_proxy(&cfg).await;
    let c = client();

    // Non-streaming call that never answers: 504 in Gemini format.
    fakes.script_gemini(json!({"kind": "hang", "hang_ms": 5000}));
    let started = Instant::now();
    let resp = c.post(gen_url(&proxy, "generateContent")).json(&generate_body("hi")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::GATEWAY_TIMEOUT);
    assert!(started.elapsed() < Duration::from_secs(3));
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["status"], "DEADLINE_EXCEEDED");

    // A stream that goes silent after one event is cut after the idle timeout.
    fakes.script_gemini(json!({"kind": "hang", "after_chunks": 1, "hang_ms": 5000}));
    let started = Instant::now();
    let resp = c
        .post(format!("{}?alt=sse", gen_url(&proxy, "streamGenerateContent")))
        .json(&generate_body("one two three four five six"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut body = resp.bytes_stream();
    let first = body.next().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).starts_with("data: "));
    let end = body.next().await;
    assert!(matches!(end, Some(Err(_))), "the cut must be visible as an error, got {end:?}");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(900) && took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test]
async fn client_disconnect_closes_the_upstream_stream() {
    // A hand-written upstream: one SSE event, then it waits to see its connection closed.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = format!("http://{}", listener.local_addr().unwrap());
    let (closed_tx, closed_rx) = tokio::sync::oneshot::channel::<Duration>();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut req = Vec::new();
        let mut buf = [0u8; 4096];
        while !req.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = sock.read(&mut buf).await.unwrap();
            req.extend_from_slice(&buf[..n]);
        }
        sock.write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n\
              c\r\ndata: {}\r\n\r\n\r\n",
        )
        .await
        .unwrap();
        let sent = Instant::now();
        // Drain until EOF (the proxy closed the connection).
        loop {
            match sock.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        let _ = closed_tx.send(sent.elapsed());
    });
    let mut cfg = config();
    cfg.gemini_upstream = upstream;
    cfg.gemini_api_key = Some(GEMINI_KEY.into());
    let proxy = spawn_proxy(&cfg).await;
    let resp = client()
        .post(format!("{}?alt=sse", gen_url(&proxy, "streamGenerateContent")))
        .json(&generate_body("hi"))
        .send()
        .await
        .unwrap();
    let mut body = resp.bytes_stream();
    let first = body.next().await.unwrap().unwrap();
    assert_eq!(&first[..], b"data: {}\r\n\r\n");
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(body);
    let open_for = tokio::time::timeout(Duration::from_secs(3), closed_rx)
        .await
        .expect("the proxy kept the upstream stream open after the client left")
        .unwrap();
    assert!(open_for >= Duration::from_millis(200));
}
