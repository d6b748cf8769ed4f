//! Same-origin and content-type rules for `/api/…`. A foreign page can make a browser send
//! "simple" cross-site requests (a `text/plain` or form POST needs no CORS preflight); it
//! cannot read the answer, but the call still spends the quota or plants a memory. Browsers
//! name the page that caused a request in `Origin` and `Sec-Fetch-Site`, and a JSON body
//! needs a preflight, so the proxy accepts only calls from its own pages with JSON bodies.

use axum::http::{header, HeaderMap, HeaderValue, Method};

use super::host::split_authority;

/// Why a call was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// `Origin` names another site (or `null`).
    #[error("cross-origin call refused: Origin {0:?} is not this site")]
    Origin(String),
    /// `Sec-Fetch-Site` says another site caused the call.
    #[error("cross-site call refused (Sec-Fetch-Site: {0})")]
    FetchSite(String),
    /// A body that is not JSON.
    #[error("request bodies must be application/json (got {0:?})")]
    ContentType(String),
}

/// A host compared across `Origin` and `Host`: normalised name, and the port unless it is a
/// default one (browsers never write `:80`/`:443` in `Origin`; the scheme is not compared).
fn site_key(authority: &str) -> Option<(String, Option<u16>)> {
    let (name, port) = split_authority(authority)?;
    Some((name, port.filter(|p| !matches!(p, 80 | 443))))
}

/// The key of an `Origin` value (`https://a.example:8443`); `None` for `null` and anything
/// that is not a bare http(s) origin.
fn origin_key(origin: &str) -> Option<(String, Option<u16>)> {
    let rest = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://"))?;
    if rest.contains(['/', '@', '?', '#']) {
        return None;
    }
    site_key(rest)
}

/// Checks that a call comes from this site's own pages (or from an origin allowed for CORS).
/// `host` is the request's own `Host`. The scheme is not compared: TLS may end in front of
/// the proxy, so the page's `https://` origin meets a plain-http request here.
///
/// `Origin: null` passes only with `Sec-Fetch-Site: same-origin`: under our
/// `Referrer-Policy: no-referrer`, browsers send `null` as the origin of the site's own form
/// posts (the sign-in form), and `Sec-Fetch-Site` then vouches for them.
pub fn check_same_origin(headers: &HeaderMap, host: Option<&str>, cors: &[HeaderValue]) -> Result<(), Refusal> {
    let fetch_site = headers.get("sec-fetch-site").map(|v| v.to_str().unwrap_or("?"));
    if let Some(origin) = headers.get(header::ORIGIN) {
        if cors.iter().any(|allowed| allowed == origin) {
            // An explicitly allowed cross-origin page: CORS decides what it may read.
            return Ok(());
        }
        let text = origin.to_str().unwrap_or("?");
        let own_form = text == "null" && fetch_site == Some("same-origin");
        let same = origin_key(text).zip(host.and_then(site_key)).is_some_and(|(o, h)| o == h);
        if !same && !own_form {
            return Err(Refusal::Origin(text.chars().take(100).collect()));
        }
    }
    if let Some(site) = fetch_site {
        if !matches!(site, "same-origin" | "none") {
            return Err(Refusal::FetchSite(site.chars().take(40).collect()));
        }
    }
    Ok(())
}

/// Checks that a request carrying a body (or a content type) says `application/json`.
pub fn check_json_body(method: &Method, headers: &HeaderMap) -> Result<(), Refusal> {
    let content_type = headers.get(header::CONTENT_TYPE);
    let has_body = headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|n| n.trim().parse::<u64>().map_or(true, |n| n > 0));
    if content_type.is_none() && (!has_body || matches!(*method, Method::GET | Method::HEAD)) {
        return Ok(());
    }
    let text = content_type.and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = text.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(Refusal::ContentType(text.chars().take(80).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        h
    }

    #[test]
    fn same_origin_calls_pass() {
        let host = Some("127.0.0.1:8080");
        assert!(check_same_origin(&headers(&[]), host, &[]).is_ok());
        let h = headers(&[("origin", "http://127.0.0.1:8080"), ("sec-fetch-site", "same-origin")]);
        assert!(check_same_origin(&h, host, &[]).is_ok());
        assert!(check_same_origin(&headers(&[("sec-fetch-site", "none")]), host, &[]).is_ok());
        // TLS ended in front: the page is https, the proxy sees the public name.
        let h = headers(&[("origin", "https://wellness.example")]);
        assert!(check_same_origin(&h, Some("wellness.example"), &[]).is_ok());
        assert!(check_same_origin(&h, Some("Wellness.Example:443"), &[]).is_ok());
    }

    #[test]
    fn cross_origin_calls_are_refused() {
        let host = Some("127.0.0.1:8080");
        for origin in [
            "http://evil.example",
            "http://127.0.0.1:8081",
            "http://127.0.0.1",
            "null",
            "file://",
            "http://127.0.0.1:8080@evil.example",
        ] {
            let err = check_same_origin(&headers(&[("origin", origin)]), host, &[]).unwrap_err();
            assert!(matches!(err, Refusal::Origin(_)), "{origin}");
        }
        // `null` is the site's own form post only when Sec-Fetch-Site says so.
        let h = headers(&[("origin", "null"), ("sec-fetch-site", "same-origin")]);
        assert!(check_same_origin(&h, host, &[]).is_ok());
        for site in ["cross-site", "same-site", "none"] {
            let h = headers(&[("origin", "null"), ("sec-fetch-site", site)]);
            assert!(check_same_origin(&h, host, &[]).is_err(), "{site}");
        }
        // No Host to compare with: an Origin cannot be proven same-origin.
        assert!(check_same_origin(&headers(&[("origin", "http://127.0.0.1:8080")]), None, &[]).is_err());
        for site in ["cross-site", "same-site", "weird"] {
            let err = check_same_origin(&headers(&[("sec-fetch-site", site)]), host, &[]).unwrap_err();
            assert_eq!(err, Refusal::FetchSite(site.into()));
        }
    }

    #[test]
    fn allowed_cors_origins_pass() {
        let cors = [HeaderValue::from_static("https://app.example")];
        let h = headers(&[("origin", "https://app.example"), ("sec-fetch-site", "cross-site")]);
        assert!(check_same_origin(&h, Some("127.0.0.1:8080"), &cors).is_ok());
        let h = headers(&[("origin", "https://other.example")]);
        assert!(check_same_origin(&h, Some("127.0.0.1:8080"), &cors).is_err());
    }

    #[test]
    fn only_json_bodies() {
        let post = Method::POST;
        assert!(check_json_body(&post, &headers(&[("content-type", "application/json")])).is_ok());
        assert!(check_json_body(&post, &headers(&[("content-type", "Application/JSON; charset=utf-8")])).is_ok());
        assert!(check_json_body(&post, &headers(&[])).is_ok());
        assert!(check_json_body(&post, &headers(&[("content-length", "0")])).is_ok());
        assert!(check_json_body(&Method::GET, &headers(&[])).is_ok());
        for ct in [
            "text/plain",
            "text/plain;charset=UTF-8",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonx",
            "",
        ] {
            let err = check_json_body(&post, &headers(&[("content-type", ct)])).unwrap_err();
            assert!(matches!(err, Refusal::ContentType(_)), "{ct}");
        }
        // A body without any content type is not JSON either.
        assert!(check_json_body(&post, &headers(&[("content-length", "12")])).is_err());
        assert!(check_json_body(&Method::PUT, &headers(&[("transfer-encoding", "chunked")])).is_err());
    }
}
