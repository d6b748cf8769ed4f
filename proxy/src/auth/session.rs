//! Session cookies that need no session store: the cookie's value is a small JSON claim
//! (`name`, `uid`, issued and expiry times) encrypted and authenticated with AES-256-GCM by
//! the `cookie` crate's private jar, under a key derived from the shared session secret. Any
//! proxy instance holding the same secret accepts it, so several instances can sit behind a
//! load balancer; tampering or a different secret makes it unreadable.
//!
//! Attributes: `HttpOnly` (no script reads it), `Secure` (browsers treat `http://localhost`
//! and `127.0.0.1` as secure, so loopback set-ups still work), `SameSite=Strict` (never sent
//! with another site's requests), `Path=/`, and `Max-Age` = the session's lifetime. A session
//! older than half its lifetime is renewed on the next request, so an active person stays
//! signed in and an idle one is signed out.

use std::time::Duration;

use axum::http::{header, HeaderMap, HeaderValue};
use cookie::{Cookie, CookieJar, Key, SameSite};
use serde::{Deserialize, Serialize};

/// The cookie's name.
pub const COOKIE_NAME: &str = "wellness0_session";

/// What the cookie says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Format version (1).
    pub v: u8,
    /// The person's name.
    pub name: String,
    /// Their mem0 user id.
    pub uid: String,
    /// Issued at (Unix seconds).
    pub iat: u64,
    /// Expires at (Unix seconds).
    pub exp: u64,
}

/// Issues and reads session cookies.
pub struct Sessions {
    key: Key,
    ttl: Duration,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

impl Sessions {
    /// Sessions under a key derived from `secret` (at least 32 bytes), lasting `ttl`.
    pub fn new(secret: &[u8], ttl: Duration) -> Option<Self> {
        (secret.len() >= 32).then(|| Self { key: Key::derive_from(secret), ttl })
    }

    /// How long a session lasts.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The `Set-Cookie` value of a new session for `name` / `uid` issued at `now`.
    pub fn issue(&self, name: &str, uid: &str, now: u64) -> HeaderValue {
        let claims = Claims { v: 1, name: name.into(), uid: uid.into(), iat: now, exp: now + self.ttl.as_secs() };
        let mut jar = CookieJar::new();
        jar.private_mut(&self.key)
            .add(Cookie::new(COOKIE_NAME, serde_json::to_string(&claims).expect("claims serialise")));
        let sealed = jar.get(COOKIE_NAME).expect("just added").value().to_owned();
        let cookie = Cookie::build((COOKIE_NAME, sealed))
            .http_only(true)
            .secure(true)
            .same_site(SameSite::Strict)
            .path("/")
            .max_age(cookie::time::Duration::seconds(i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX)));
        HeaderValue::from_str(&cookie.to_string()).expect("a sealed cookie is a valid header")
    }

    /// The `Set-Cookie` value that removes the session cookie.
    pub fn clear() -> HeaderValue {
        let cookie = Cookie::build((COOKIE_NAME, ""))
            .http_only(true)
            .secure(true)
            .same_site(SameSite::Strict)
            .path("/")
            .max_age(cookie::time::Duration::ZERO);
        HeaderValue::from_str(&cookie.to_string()).expect("a valid header")
    }

    /// The valid, unexpired claims of the request's session cookie, if any.
    pub fn read(&self, headers: &HeaderMap, now: u64) -> Option<Claims> {
        let jar = CookieJar::new();
        let private = jar.private(&self.key);
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| Cookie::parse(pair.trim().to_owned()).ok())
            .filter(|c| c.name() == COOKIE_NAME)
            .filter_map(|c| private.decrypt(c))
            .filter_map(|c| serde_json::from_str::<Claims>(c.value()).ok())
            .find(|claims| claims.v == 1 && now < claims.exp && claims.iat <= now + 60)
    }

    /// Whether `claims` should be replaced by a fresh session (older than half the lifetime).
    pub fn needs_renewal(&self, claims: &Claims, now: u64) -> bool {
        now.saturating_sub(claims.iat) > self.ttl.as_secs() / 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookie_header(set_cookie: &HeaderValue) -> HeaderMap {
        let pair = set_cookie.to_str().unwrap().split(';').next().unwrap().to_owned();
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, format!("theme=dark; {pair}").parse().unwrap());
        h
    }

    #[test]
    fn a_session_survives_a_round_trip_and_nothing_else() {
        let s = Sessions::new(&[7u8; 64], Duration::from_secs(3600)).unwrap();
        let set = s.issue("alice", "w0-a", 1000);
        let text = set.to_str().unwrap();
        for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/", "Max-Age=3600"] {
            assert!(text.contains(attr), "{attr} missing: {text}");
        }
        assert!(!text.contains("alice") && !text.contains("w0-a"), "the claims are encrypted: {text}");
        let claims = s.read(&cookie_header(&set), 1001).unwrap();
        assert_eq!((claims.name.as_str(), claims.uid.as_str(), claims.exp), ("alice", "w0-a", 4600));
        // Another instance with the same secret accepts it; another secret does not.
        let twin = Sessions::new(&[7u8; 64], Duration::from_secs(3600)).unwrap();
        assert!(twin.read(&cookie_header(&set), 1001).is_some());
        let other = Sessions::new(&[8u8; 64], Duration::from_secs(3600)).unwrap();
        assert!(other.read(&cookie_header(&set), 1001).is_none());
        // Expired.
        assert!(s.read(&cookie_header(&set), 4600).is_none());
        // Tampered: flip one character of the sealed value.
        let mut bytes = set.to_str().unwrap().split(';').next().unwrap().to_owned().into_bytes();
        let i = bytes.len() - 5;
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_bytes(&bytes).unwrap());
        assert!(s.read(&h, 1001).is_none());
        // A plain (unsealed) cookie with made-up claims.
        let forged = format!("{COOKIE_NAME}={{\"v\":1,\"name\":\"bob\",\"uid\":\"w0-b\",\"iat\":1000,\"exp\":9999}}");
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, forged.parse().unwrap());
        assert!(s.read(&h, 1001).is_none());
        assert!(Sessions::new(&[1u8; 31], Duration::from_secs(1)).is_none(), "a short secret is refused");
    }

    #[test]
    fn renewal_after_half_the_lifetime_and_clearing() {
        let s = Sessions::new(&[7u8; 64], Duration::from_secs(100)).unwrap();
        let c = Claims { v: 1, name: "a".into(), uid: "u".into(), iat: 1000, exp: 1100 };
        assert!(!s.needs_renewal(&c, 1050));
        assert!(s.needs_renewal(&c, 1051));
        let clear = Sessions::clear();
        assert!(clear.to_str().unwrap().contains("Max-Age=0"));
    }
}
