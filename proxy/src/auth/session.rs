//! The sign-in cookie: a random secret naming a session kept in the database
//! ([`crate::accounts::sessions`]), so signing out anywhere takes effect at once everywhere.
//!
//! Attributes: the `__Host-` prefix (the browser keeps it only when it is `Secure`, has
//! `Path=/` and no `Domain`, so no other host of the domain can set or shadow it), `HttpOnly`
//! (no script reads it), `Secure` (browsers treat `http://localhost` and `127.0.0.1` as secure,
//! so loopback set-ups still work), `SameSite=Strict` (never sent with another site's
//! requests), and `Max-Age` = the longest a session may last. The cookie is set only when
//! signing in and cleared when signing out: the session's idle end is kept by the server, so no
//! other response ever carries `Set-Cookie` (none rides on a cacheable file).

use axum::http::{header, HeaderMap, HeaderValue};
use cookie::{Cookie, SameSite};

use crate::accounts::sessions::MAX_AGE_SECS;

/// The cookie's name.
pub const COOKIE_NAME: &str = "__Host-wellness0_session";

fn build(value: &str, max_age: i64) -> HeaderValue {
    let cookie = Cookie::build((COOKIE_NAME, value))
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .path("/")
        .max_age(cookie::time::Duration::seconds(max_age));
    HeaderValue::from_str(&cookie.to_string()).expect("a token is a valid header")
}

/// The `Set-Cookie` value that carries a new session's secret.
pub fn set(secret: &str) -> HeaderValue {
    build(secret, MAX_AGE_SECS)
}

/// The `Set-Cookie` value that removes the cookie.
pub fn clear() -> HeaderValue {
    build("", 0)
}

/// The session secret the request's cookie carries, if any.
pub fn read(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| Cookie::parse(pair.trim()).ok())
        .find(|c| c.name() == COOKIE_NAME && !c.value().is_empty())
        .map(|c| c.value().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_host_only_secure_and_strict() {
        let set = set("s3cret");
        let text = set.to_str().unwrap();
        assert!(text.starts_with("__Host-wellness0_session=s3cret"), "{text}");
        for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/", &format!("Max-Age={MAX_AGE_SECS}")] {
            assert!(text.contains(attr), "{attr} missing: {text}");
        }
        assert!(!text.contains("Domain"), "a __Host- cookie has no Domain: {text}");
        assert!(clear().to_str().unwrap().contains("Max-Age=0"));
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "theme=dark; __Host-wellness0_session=abc; x=1".parse().unwrap());
        assert_eq!(read(&h).as_deref(), Some("abc"));
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "wellness0_session=abc; __Host-wellness0_session=".parse().unwrap());
        assert_eq!(read(&h), None, "neither the old unprefixed cookie nor an empty one counts");
    }
}
