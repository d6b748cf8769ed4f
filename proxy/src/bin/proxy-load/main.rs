//! `proxy-load`: a bounded, loopback-only load generator for wellness0-proxy (not a test).
//!
//! 1. Added latency: the same non-streaming `generateContent` call sent N times at a fixed
//!    concurrency straight to the fake Gemini and through the proxy; p50/p90/p99 of each.
//! 2. What shared mode costs (with `--shared-proxy`): the same calls through the
//!    personal-mode proxy and through a shared-mode one with a signed-in session, interleaved
//!    in one run ([`shared`]).
//! 3. Concurrent streams: scripts the fake with long `hang` steps (one event, then silence),
//!    opens S `streamGenerateContent?alt=sse` streams through the proxy, checks that every one
//!    receives its first event and is still open after a hold period, and reads the proxy's
//!    resident memory from `/proc/<pid>/status` ([`streams`]).
//!
//! Prints markdown tables. Run it with `proxy/bench.sh`, which starts everything.

mod latency;
mod shared;
mod streams;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;

use latency::{latency_run, merge, Latency};
use streams::{fmt_kib, hwm_kib, rss_kib};

/// Load generator for wellness0-proxy (loopback only).
#[derive(Debug, Parser)]
pub struct Args {
    /// Proxy base URL, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    pub proxy: String,
    /// Fake Gemini base URL (direct baseline and control API).
    #[arg(long)]
    pub gemini: String,
    /// The key the fake Gemini accepts (sent only on direct calls).
    #[arg(long, default_value = "test-gemini-key")]
    pub gemini_key: String,
    /// Process id of the proxy, for memory readings.
    #[arg(long)]
    pub proxy_pid: Option<u32>,
    /// Requests per latency run.
    #[arg(long, default_value_t = 2000)]
    pub requests: usize,
    /// Concurrency of the latency runs.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Concurrent streams to hold (several values: comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "500")]
    pub streams: Vec<usize>,
    /// Seconds to keep the streams open once all have their first event.
    #[arg(long, default_value_t = 5)]
    pub hold_secs: u64,
    /// A proxy in shared mode (same upstreams) to compare with `--proxy`.
    #[arg(long)]
    pub shared_proxy: Option<String>,
    /// The name to sign in with on `--shared-proxy`.
    #[arg(long, default_value = "bench")]
    pub user: String,
    /// Its password.
    #[arg(long, env = "PROXY_LOAD_PASSWORD", hide_env_values = true, default_value = "")]
    pub password: String,
    /// Hard limit on the whole run, in seconds.
    #[arg(long, default_value_t = 300)]
    pub time_limit_secs: u64,
}

pub const MODEL: &str = "gemini-3.5-flash";

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0} is not a loopback URL; proxy-load only talks to this machine")]
    NotLoopback(String),
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
    #[error("{0}")]
    Failed(String),
    #[error("time limit reached")]
    TimeLimit,
}

/// Refuses anything but this machine.
pub fn ensure_loopback(url: &str) -> Result<(), LoadError> {
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

/// Prints one latency table row.
pub fn row(r: &Latency) {
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
    added_latency(&args, &client).await?;
    let rss_after_latency = rss_kib(args.proxy_pid);
    if args.shared_proxy.is_some() {
        shared::compare(&args, &client).await?;
        client.post(control("reset")).send().await?;
    }
    streams::section(&args, &client).await?;
    println!(
        "Proxy RSS: {} at start, {} after the latency runs, {} at the end (VmHWM peak {}).",
        fmt_kib(rss_start),
        fmt_kib(rss_after_latency),
        fmt_kib(rss_kib(args.proxy_pid)),
        fmt_kib(hwm_kib(args.proxy_pid))
    );
    Ok(())
}

/// Section 1: `generateContent` straight to the fake and through the proxy.
async fn added_latency(args: &Args, client: &reqwest::Client) -> Result<(), LoadError> {
    let body = serde_json::to_vec(&serde_json::json!({
        "contents": [{"role": "user", "parts": [{"text": "How do I keep calm before an exam?"}]}]
    }))
    .expect("static json");
    let direct_url = format!("{}/v1beta/models/{MODEL}:generateContent", args.gemini);
    let proxy_url = format!("{}/api/gemini/v1beta/models/{MODEL}:generateContent", args.proxy);
    let make = |url: String, key: Option<String>| -> latency::MakeRequest {
        let body = body.clone();
        Arc::new(move |c: &reqwest::Client| {
            let r = c.post(&url).header("content-type", "application/json").body(body.clone());
            match &key {
                Some(k) => r.header("x-goog-api-key", k),
                None => r,
            }
        })
    };
    let direct = make(direct_url, Some(args.gemini_key.clone()));
    let proxied = make(proxy_url, None);
    // Warm up both paths (connections, caches).
    for m in [&direct, &proxied] {
        latency_run("warm-up", client, m.clone(), 200, args.concurrency).await?;
    }
    let mut runs = Vec::new();
    // Alternate twice so drift (CPU frequency, the fake's growing request log) hits both.
    for _ in 0..2 {
        runs.push(latency_run("direct to fake", client, direct.clone(), args.requests / 2, args.concurrency).await?);
        runs.push(latency_run("through proxy", client, proxied.clone(), args.requests / 2, args.concurrency).await?);
    }
    let direct = merge("direct to fake", runs.iter().filter(|r| r.name == "direct to fake"));
    let proxied = merge("through proxy", runs.iter().filter(|r| r.name == "through proxy"));
    println!(
        "### Added latency: non-streaming generateContent, {} requests per path, concurrency {}\n",
        direct.ok + direct.errors,
        args.concurrency
    );
    println!("| path | ok | errors | req/s | mean ms | p50 ms | p90 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    row(&direct);
    row(&proxied);
    println!(
        "| **added by the proxy** | | | | {:+.2} | {:+.2} | {:+.2} | {:+.2} | |",
        proxied.mean() - direct.mean(),
        proxied.pct(50.0) - direct.pct(50.0),
        proxied.pct(90.0) - direct.pct(90.0),
        proxied.pct(99.0) - direct.pct(99.0)
    );
    println!();
    Ok(())
}
