//! `proxy-load`: a bounded, loopback-only load generator for wellness0-proxy (not a test).
//!
//! 1. Added latency: the same non-streaming `generateContent` call sent N times at a fixed
//!    concurrency straight to the fake Gemini and through the proxy; p50/p90/p99 of each.
//! 2. Concurrent streams: scripts the fake with long `hang` steps (one event, then silence),
//!    opens S `streamGenerateContent?alt=sse` streams through the proxy, checks that every one
//!    receives its first event and is still open after a hold period, and reads the proxy's
//!    resident memory from `/proc/<pid>/status`.
//!
//! Prints a markdown table. Run it with `proxy/bench.sh`, which starts everything.

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::StreamExt;

/// Load generator for wellness0-proxy (loopback only).
#[derive(Debug, Parser)]
struct Args {
    /// Proxy base URL, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    proxy: String,
    /// Fake Gemini base URL (direct baseline and control API).
    #[arg(long)]
    gemini: String,
    /// The key the fake Gemini accepts (sent only on direct calls).
    #[arg(long, default_value = "test-gemini-key")]
    gemini_key: String,
    /// Process id of the proxy, for memory readings.
    #[arg(long)]
    proxy_pid: Option<u32>,
    /// Requests per latency run.
    #[arg(long, default_value_t = 2000)]
    requests: usize,
    /// Concurrency of the latency runs.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Concurrent streams to hold (several values: comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "500")]
    streams: Vec<usize>,
    /// Seconds to keep the streams open once all have their first event.
    #[arg(long, default_value_t = 5)]
    hold_secs: u64,
    /// Hard limit on the whole run, in seconds.
    #[arg(long, default_value_t = 300)]
    time_limit_secs: u64,
}

const MODEL: &str = "gemini-3.5-flash";

#[derive(Debug, thiserror::Error)]
enum LoadError {
    #[error("{0} is not a loopback URL; proxy-load only talks to this machine")]
    NotLoopback(String),
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
    #[error("{0}")]
    Failed(String),
    #[error("time limit reached")]
    TimeLimit,
}

fn ensure_loopback(url: &str) -> Result<(), LoadError> {
    let parsed = reqwest::Url::parse(url).map_err(|_| LoadError::NotLoopback(url.into()))?;
    let ok = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    ok.then_some(()).ok_or_else(|| LoadError::NotLoopback(url.into()))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let limit = Duration::from_secs(args.time_limit_secs);
    match tokio::time::timeout(limit, run(args)).await {
        Ok(Ok(())) => std::process::ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("proxy-load: {e}");
            std::process::ExitCode::FAILURE
        }
        Err(_) => {
            eprintln!("proxy-load: {}", LoadError::TimeLimit);
            std::process::ExitCode::FAILURE
        }
    }
}

struct Latency {
    name: &'static str,
    ok: usize,
    errors: usize,
    wall: Duration,
    sorted_ms: Vec<f64>,
}

impl Latency {
    fn pct(&self, p: f64) -> f64 {
        if self.sorted_ms.is_empty() {
            return f64::NAN;
        }
        let i = ((p / 100.0) * (self.sorted_ms.len() - 1) as f64).round() as usize;
        self.sorted_ms[i]
    }
    fn mean(&self) -> f64 {
        self.sorted_ms.iter().sum::<f64>() / self.sorted_ms.len().max(1) as f64
    }
}

async fn run(args: Args) -> Result<(), LoadError> {
    ensure_loopback(&args.proxy)?;
    ensure_loopback(&args.gemini)?;
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(args.concurrency.max(64))
        .tcp_nodelay(true)
        .build()?;
    let control = |p: &str| format!("{}/_fake/{p}", args.gemini);
    client.post(control("reset")).send().await?;
    let rss_start = rss_kib(args.proxy_pid);

    // ---- 1. added latency
    let body = serde_json::to_vec(&serde_json::json!({
        "contents": [{"role": "user", "parts": [{"text": "How do I keep calm before an exam?"}]}]
    }))
    .expect("static json");
    let direct_url = format!("{}/v1beta/models/{MODEL}:generateContent", args.gemini);
    let proxy_url = format!("{}/api/gemini/v1beta/models/{MODEL}:generateContent", args.proxy);
    // Warm up both paths (connections, caches).
    for (url, key) in [(&direct_url, true), (&proxy_url, false)] {
        latency_run("warm-up", &client, url, key.then_some(&*args.gemini_key), &body, 200, args.concurrency).await?;
    }
    let mut runs = Vec::new();
    // Alternate twice so drift (CPU frequency, the fake's growing request log) hits both.
    for _ in 0..2 {
        runs.push(
            latency_run(
                "direct to fake",
                &client,
                &direct_url,
                Some(&args.gemini_key),
                &body,
                args.requests / 2,
                args.concurrency,
            )
            .await?,
        );
        runs.push(
            latency_run("through proxy", &client, &proxy_url, None, &body, args.requests / 2, args.concurrency).await?,
        );
    }
    let direct = merge("direct to fake", runs.iter().filter(|r| r.name == "direct to fake"));
    let proxied = merge("through proxy", runs.iter().filter(|r| r.name == "through proxy"));
    let rss_after_latency = rss_kib(args.proxy_pid);

    println!(
        "### Added latency: non-streaming generateContent, {} requests per path, concurrency {}\n",
        direct.ok + direct.errors,
        args.concurrency
    );
    println!("| path | ok | errors | req/s | mean ms | p50 ms | p90 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in [&direct, &proxied] {
        println!(
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            r.name,
            r.ok,
            r.errors,
            r.ok as f64 / r.wall.as_secs_f64(),
            r.mean(),
            r.pct(50.0),
            r.pct(90.0),
            r.pct(99.0),
            r.sorted_ms.last().copied().unwrap_or(f64::NAN)
        );
    }
    println!(
        "| **added by the proxy** | | | | {:+.2} | {:+.2} | {:+.2} | {:+.2} | |",
        proxied.mean() - direct.mean(),
        proxied.pct(50.0) - direct.pct(50.0),
        proxied.pct(90.0) - direct.pct(90.0),
        proxied.pct(99.0) - direct.pct(99.0)
    );
    println!();

    // ---- 2. concurrent SSE streams
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
        let row = hold_streams(&args, n).await?;
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
    println!(
        "Proxy RSS: {} at start, {} after the latency runs, {} at the end (VmHWM peak {}).",
        fmt_kib(rss_start),
        fmt_kib(rss_after_latency),
        fmt_kib(rss_kib(args.proxy_pid)),
        fmt_kib(hwm_kib(args.proxy_pid))
    );
    Ok(())
}

fn merge<'a>(name: &'static str, runs: impl Iterator<Item = &'a Latency>) -> Latency {
    let mut out = Latency { name, ok: 0, errors: 0, wall: Duration::ZERO, sorted_ms: Vec::new() };
    for r in runs {
        out.ok += r.ok;
        out.errors += r.errors;
        out.wall += r.wall;
        out.sorted_ms.extend_from_slice(&r.sorted_ms);
    }
    out.sorted_ms.sort_by(f64::total_cmp);
    out
}

async fn latency_run(
    name: &'static str,
    client: &reqwest::Client,
    url: &str,
    key: Option<&str>,
    body: &[u8],
    requests: usize,
    concurrency: usize,
) -> Result<Latency, LoadError> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (client, url, next) = (client.clone(), url.to_owned(), next.clone());
        let key = key.map(str::to_owned);
        let body = body.to_vec();
        workers.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut errors = 0;
            while next.fetch_add(1, Ordering::Relaxed) < requests {
                let t = Instant::now();
                let mut req = client.post(&url).header("content-type", "application/json").body(body.clone());
                if let Some(k) = &key {
                    req = req.header("x-goog-api-key", k);
                }
                match req.send().await {
                    Ok(r) if r.status().is_success() => match r.bytes().await {
                        Ok(_) => samples.push(t.elapsed().as_secs_f64() * 1000.0),
                        Err(_) => errors += 1,
                    },
                    _ => errors += 1,
                }
            }
            (samples, errors)
        }));
    }
    let mut sorted_ms = Vec::new();
    let mut errors = 0;
    for w in workers {
        let (s, e) = w.await.map_err(|e| LoadError::Failed(e.to_string()))?;
        sorted_ms.extend(s);
        errors += e;
    }
    let wall = started.elapsed();
    sorted_ms.sort_by(f64::total_cmp);
    Ok(Latency { name, ok: sorted_ms.len(), errors, wall, sorted_ms })
}

struct StreamRow {
    first: usize,
    still_open: usize,
    first_ms: Latency,
    rss_open: Option<u64>,
}

async fn hold_streams(args: &Args, n: usize) -> Result<StreamRow, LoadError> {
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
            name: "first event",
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

fn rss_kib(pid: Option<u32>) -> Option<u64> {
    proc_status_kib(pid, "VmRSS:")
}

fn hwm_kib(pid: Option<u32>) -> Option<u64> {
    proc_status_kib(pid, "VmHWM:")
}

fn fmt_kib(k: Option<u64>) -> String {
    match k {
        Some(k) => format!("{:.1} MiB", k as f64 / 1024.0),
        None => "n/a".into(),
    }
}
