//! Latency runs: the same request sent N times at a fixed concurrency; percentiles.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::LoadError;

/// Builds one request of a run.
pub type MakeRequest = Arc<dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync>;

/// The results of one run (or several merged).
pub struct Latency {
    pub name: String,
    pub ok: usize,
    pub errors: usize,
    pub wall: Duration,
    pub sorted_ms: Vec<f64>,
}

impl Latency {
    pub fn pct(&self, p: f64) -> f64 {
        if self.sorted_ms.is_empty() {
            return f64::NAN;
        }
        let i = ((p / 100.0) * (self.sorted_ms.len() - 1) as f64).round() as usize;
        self.sorted_ms[i]
    }
    pub fn mean(&self) -> f64 {
        self.sorted_ms.iter().sum::<f64>() / self.sorted_ms.len().max(1) as f64
    }
}

/// Merges runs of the same name.
pub fn merge<'a>(name: &str, runs: impl Iterator<Item = &'a Latency>) -> Latency {
    let mut out = Latency { name: name.to_owned(), ok: 0, errors: 0, wall: Duration::ZERO, sorted_ms: Vec::new() };
    for r in runs {
        out.ok += r.ok;
        out.errors += r.errors;
        out.wall += r.wall;
        out.sorted_ms.extend_from_slice(&r.sorted_ms);
    }
    out.sorted_ms.sort_by(f64::total_cmp);
    out
}

/// Sends `requests` requests made by `make`, `concurrency` at a time; a request counts when
/// it answers 2xx and its body is read.
pub async fn latency_run(
    name: &str,
    client: &reqwest::Client,
    make: MakeRequest,
    requests: usize,
    concurrency: usize,
) -> Result<Latency, LoadError> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (client, make, next) = (client.clone(), make.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut errors = 0;
            while next.fetch_add(1, Ordering::Relaxed) < requests {
                let t = Instant::now();
                match make(&client).send().await {
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
    Ok(Latency { name: name.to_owned(), ok: sorted_ms.len(), errors, wall, sorted_ms })
}
