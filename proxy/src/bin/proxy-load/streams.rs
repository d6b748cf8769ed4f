//! Concurrent SSE streams through the proxy, and the proxy's memory while they are open.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;

use crate::latency::Latency;
use crate::{Args, LoadError, MODEL};

/// Section 3: holds `--streams` streams at a time; prints the table.
pub async fn section(args: &Args, client: &reqwest::Client) -> Result<(), LoadError> {
    let control = |p: &str| format!("{}/_fake/{p}", args.gemini);
    println!(
        "### Concurrent SSE streams through the proxy (one event, then the upstream stays silent; hold {} s)\n",
        args.hold_secs
    );
    println!("| streams | first event received | still open after hold | first event p50 ms | p99 ms | max ms | proxy RSS before | RSS with streams open | per stream |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for &n in &args.streams {
        client.post(control("reset")).send().await?;
        let hang_ms = (args.hold_secs + 60) * 1000;
        let steps: Vec<_> =
            (0..n).map(|_| serde_json::json!({"kind": "hang", "after_chunks": 1, "hang_ms": hang_ms})).collect();
        let r = client
            .post(control("script"))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&steps).expect("json"))
            .send()
            .await?;
        if !r.status().is_success() {
            return Err(LoadError::Failed(format!("scripting the fake: {}", r.status())));
        }
        // Let the allocator settle after the previous phase.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let rss_before = rss_kib(args.proxy_pid);
        let row = hold_streams(args, n).await?;
        let rss_open = row.rss_open;
        println!(
            "| {} | {} | {} | {:.1} | {:.1} | {:.1} | {} | {} | {} |",
            n,
            row.first,
            row.still_open,
            row.first_ms.pct(50.0),
            row.first_ms.pct(99.0),
            row.first_ms.sorted_ms.last().copied().unwrap_or(f64::NAN),
            fmt_kib(rss_before),
            fmt_kib(rss_open),
            match (rss_before, rss_open) {
                (Some(a), Some(b)) if n > 0 => format!("{:.1} KiB", (b as f64 - a as f64) / n as f64),
                _ => "n/a".into(),
            }
        );
        // Streams are dropped; give the proxy a moment to close them.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    println!();
    Ok(())
}

/// One row of the streams table.
pub struct StreamRow {
    pub first: usize,
    pub still_open: usize,
    pub first_ms: Latency,
    pub rss_open: Option<u64>,
}

/// Opens `n` streams, waits for their first events, holds them; reports the row.
pub async fn hold_streams(args: &Args, n: usize) -> Result<StreamRow, LoadError> {
    // One connection per stream (HTTP/1.1), as browsers do for distinct tabs.
    let client = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(0).build()?;
    let url = format!("{}/api/gemini/v1beta/models/{MODEL}:streamGenerateContent?alt=sse", args.proxy);
    let got_first = Arc::new(AtomicUsize::new(0));
    let ended = Arc::new(AtomicUsize::new(0));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<f64>();
    let mut tasks = Vec::with_capacity(n);
    let started = Instant::now();
    for i in 0..n {
        let (client, url, got_first, ended, tx) =
            (client.clone(), url.clone(), got_first.clone(), ended.clone(), tx.clone());
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let resp = client
                .post(&url)
                .header("content-type", "application/json")
                .body(format!(
                    r#"{{"contents":[{{"role":"user","parts":[{{"text":"stream {i} one two three four five six"}}]}}]}}"#
                ))
                .send()
                .await;
            let Ok(resp) = resp else {
                ended.fetch_add(1, Ordering::Relaxed);
                return;
            };
            if !resp.status().is_success() {
                ended.fetch_add(1, Ordering::Relaxed);
                return;
            }
            let mut body = resp.bytes_stream();
            let mut first = true;
            loop {
                match body.next().await {
                    Some(Ok(chunk)) if first && chunk.starts_with(b"data: ") => {
                        first = false;
                        got_first.fetch_add(1, Ordering::Relaxed);
                        let _ = tx.send(t.elapsed().as_secs_f64() * 1000.0);
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => {
                        ended.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                }
            }
        }));
        // Open them quickly but not in one SYN burst (a dropped SYN costs a 1 s retransmit,
        // which would measure the kernel's accept queue, not the proxy).
        if i % 50 == 49 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    drop(tx);
    // Wait (at most 60 s) for every first event.
    let deadline = started + Duration::from_secs(60);
    let mut first_ms = Vec::with_capacity(n);
    while first_ms.len() < n && Instant::now() < deadline {
        if ended.load(Ordering::Relaxed) + first_ms.len() >= n && first_ms.len() < n {
            // Some streams failed; collect what is left without waiting for them.
            while let Ok(ms) = rx.try_recv() {
                first_ms.push(ms);
            }
            break;
        }
        match tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
            Ok(Some(ms)) => first_ms.push(ms),
            Ok(None) => break,
            Err(_) => {}
        }
    }
    tokio::time::sleep(Duration::from_secs(args.hold_secs)).await;
    let rss_open = rss_kib(args.proxy_pid);
    let still_open = n - ended.load(Ordering::Relaxed);
    let first = got_first.load(Ordering::Relaxed);
    for t in &tasks {
        t.abort();
    }
    first_ms.sort_by(f64::total_cmp);
    Ok(StreamRow {
        first,
        still_open,
        first_ms: Latency {
            name: "first event".into(),
            ok: first_ms.len(),
            errors: 0,
            wall: Duration::ZERO,
            sorted_ms: first_ms,
        },
        rss_open,
    })
}

fn proc_status_kib(pid: Option<u32>, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    status.lines().find(|l| l.starts_with(field))?.split_whitespace().nth(1)?.parse().ok()
}

/// Resident memory of `pid`.
pub fn rss_kib(pid: Option<u32>) -> Option<u64> {
    proc_status_kib(pid, "VmRSS:")
}

/// Peak resident memory of `pid`.
pub fn hwm_kib(pid: Option<u32>) -> Option<u64> {
    proc_status_kib(pid, "VmHWM:")
}

/// `12.3 MiB`.
pub fn fmt_kib(k: Option<u64>) -> String {
    match k {
        Some(k) => format!("{:.1} MiB", k as f64 / 1024.0),
        None => "n/a".into(),
    }
}
