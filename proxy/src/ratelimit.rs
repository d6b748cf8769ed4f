//! The token-bucket rate limiter ([`RateLimiter`]) and whom a bucket belongs to ([`ClientKey`],
//! [`client_ip`]): `/api/` calls are limited per client, per signed-in person in shared mode, per
//! IP otherwise. Each client gets a bucket of `burst` tokens refilled at `per_minute / 60` tokens
//! a second; the middleware that answers a request without a token 429 with `Retry-After` is
//! [`crate::http::ratelimit`]. The same limiter (keyed by name and by IP) paces sign-in attempts.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderMap;

/// Buckets kept before idle (full) ones are swept.
const SWEEP_AT: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Whom an `/api/` bucket belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ClientKey {
    /// A client IP (personal mode, or nobody signed in).
    Ip(IpAddr),
    /// A signed-in person's mem0 user id.
    Person(String),
}

/// A keyed token-bucket limiter.
#[derive(Debug)]
pub struct RateLimiter<K = ClientKey> {
    per_sec: f64,
    burst: f64,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Eq + Hash> RateLimiter<K> {
    /// `per_minute` sustained requests and bursts of `burst` (at least 1) per key; `None` when
    /// `per_minute` is 0 (no limit).
    pub fn new(per_minute: u32, burst: u32) -> Option<Self> {
        (per_minute > 0).then(|| Self {
            per_sec: f64::from(per_minute) / 60.0,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        })
    }

    /// Takes a token for `key` at `now`, or says how long until one is available.
    pub fn check(&self, key: K, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= SWEEP_AT {
            let (per_sec, burst) = (self.per_sec, self.burst);
            buckets.retain(|_, b| refilled(b, now, per_sec, burst) < burst);
        }
        let bucket = buckets.entry(key).or_insert(Bucket { tokens: self.burst, last: now });
        bucket.tokens = refilled(bucket, now, self.per_sec, self.burst);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / self.per_sec))
        }
    }

    /// Number of tracked clients (for tests).
    pub fn tracked(&self) -> usize {
        self.buckets.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

fn refilled(b: &Bucket, now: Instant, per_sec: f64, burst: f64) -> f64 {
    let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
    (b.tokens + elapsed * per_sec).min(burst)
}

/// The client IP of a request: the right-most `X-Forwarded-For` entry when trusted, else the
/// peer address, else (in-process tests without connection info) `0.0.0.0`.
pub fn client_ip(headers: &HeaderMap, peer: Option<SocketAddr>, trust_forwarded: bool) -> IpAddr {
    if trust_forwarded {
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .and_then(|s| s.trim().parse::<IpAddr>().ok());
        if let Some(ip) = forwarded {
            return ip;
        }
    }
    peer.map(|p| p.ip()).unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

/// The client IP of a request (see [`client_ip`]).
pub fn request_ip(req: &Request, trust_forwarded: bool) -> IpAddr {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    client_ip(req.headers(), peer, trust_forwarded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_burst_then_refills() {
        let rl = RateLimiter::new(60, 3).unwrap();
        let ip = ClientKey::Ip("10.0.0.1".parse().unwrap());
        let t0 = Instant::now();
        assert!(rl.check(ip.clone(), t0).is_ok());
        assert!(rl.check(ip.clone(), t0).is_ok());
        assert!(rl.check(ip.clone(), t0).is_ok());
        let wait = rl.check(ip.clone(), t0).unwrap_err();
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1));
        // One token a second at 60/min.
        assert!(rl.check(ip.clone(), t0 + Duration::from_millis(1000)).is_ok());
        assert!(rl.check(ip.clone(), t0 + Duration::from_millis(1000)).is_err());
        // Other clients have their own bucket, and a person's is not their IP's.
        assert!(rl.check(ClientKey::Ip("10.0.0.2".parse().unwrap()), t0).is_ok());
        assert!(rl.check(ClientKey::Person("w0-a".into()), t0).is_ok());
        // Never above the burst after a long pause.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert!(rl.check(ip.clone(), later).is_ok());
        }
        assert!(rl.check(ip, later).is_err());
    }

    #[test]
    fn zero_per_minute_disables() {
        assert!(RateLimiter::<String>::new(0, 10).is_none());
    }

    #[test]
    fn idle_buckets_are_swept() {
        let rl = RateLimiter::new(600, 1).unwrap();
        let t0 = Instant::now();
        for i in 0..SWEEP_AT as u32 {
            rl.check(IpAddr::from(i.to_be_bytes()), t0).unwrap();
        }
        assert_eq!(rl.tracked(), SWEEP_AT);
        rl.check("10.9.9.9".parse().unwrap(), t0 + Duration::from_secs(60)).unwrap();
        assert_eq!(rl.tracked(), 1);
    }

    #[test]
    fn forwarded_for_is_used_only_when_trusted() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "1.2.3.4, 5.6.7.8".parse().unwrap());
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        assert_eq!(client_ip(&h, Some(peer), false), peer.ip());
        assert_eq!(client_ip(&h, Some(peer), true), "5.6.7.8".parse::<IpAddr>().unwrap());
        assert_eq!(client_ip(&HeaderMap::new(), Some(peer), true), peer.ip());
    }
}
