//! Forwarding one allow-listed call to its upstream. [`Upstream`] builds the upstream URL
//! from the configured base (never from the request) and holds the key header;
//! [`request_body`] reads the client's body within limits; [`relay`] sends the call and
//! streams the answer back.

pub mod relay;
pub mod request_body;

use std::time::Duration;

use axum::http::{header, HeaderName, HeaderValue};
use reqwest::Url;

use crate::error::Api;

pub use relay::forward;
pub use request_body::read_body;

/// One configured upstream.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// Which API this is.
    pub api: Api,
    /// Base URL without a trailing slash, e.g. `https://api.mem0.ai`.
    pub base: String,
    /// The header the key goes in (`x-goog-api-key`, `authorization` or `x-api-key`).
    pub key_header: HeaderName,
    /// The ready-made, sensitive key header value, when a key is configured.
    pub key_value: Option<HeaderValue>,
}

/// Why an upstream base URL was refused.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// Not a URL.
    #[error("upstream URL {url:?} is not valid: {source}")]
    Invalid {
        /// The configured text.
        url: String,
        /// Parser error.
        source: url::ParseError,
    },
    /// Not http(s), or carries a query, fragment or credentials.
    #[error("upstream URL {0:?} must be a plain http:// or https:// base URL")]
    Unsupported(String),
    /// The key contains characters not allowed in a header.
    #[error("the {0} key contains characters that cannot be sent in a header")]
    BadKey(&'static str),
}

/// How an upstream takes its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStyle {
    /// Gemini: `x-goog-api-key: <key>`.
    GoogApiKey,
    /// mem0 Platform: `Authorization: Token <key>`.
    Token,
    /// mem0's open-source server: `X-API-Key: <key>`.
    XApiKey,
}

impl KeyStyle {
    /// The header name and value for `key`.
    fn header(self, key: &str) -> (HeaderName, String) {
        match self {
            KeyStyle::GoogApiKey => (HeaderName::from_static("x-goog-api-key"), key.to_owned()),
            KeyStyle::Token => (header::AUTHORIZATION, format!("Token {key}")),
            KeyStyle::XApiKey => (HeaderName::from_static("x-api-key"), key.to_owned()),
        }
    }
}

impl Upstream {
    /// Validates a base URL and prepares the key header.
    pub fn new(api: Api, base: &str, key: Option<&str>, style: KeyStyle) -> Result<Self, UpstreamError> {
        let url = Url::parse(base).map_err(|source| UpstreamError::Invalid { url: base.to_owned(), source })?;
        if !matches!(url.scheme(), "http" | "https")
            || url.host_str().is_none()
            || url.query().is_some()
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(UpstreamError::Unsupported(base.to_owned()));
        }
        let (key_header, _) = style.header("");
        let key_value = key
            .map(|k| {
                let (_, k) = style.header(k);
                let mut v = HeaderValue::from_str(&k).map_err(|_| UpstreamError::BadKey(api.name()))?;
                v.set_sensitive(true);
                Ok(v)
            })
            .transpose()?;
        Ok(Self { api, base: url.as_str().trim_end_matches('/').to_owned(), key_header, key_value })
    }

    /// Whether a key is configured.
    pub fn has_key(&self) -> bool {
        self.key_value.is_some()
    }

    /// The full upstream URL for an allow-listed path (starting with `/`) and query.
    pub fn url(&self, path: &str, query: Option<&str>) -> Option<Url> {
        let mut s = format!("{}{}", self.base, path);
        if let Some(q) = query {
            s.push('?');
            s.push_str(q);
        }
        let url = Url::parse(&s).ok()?;
        // Defence in depth: the result must stay on the configured origin and under its path.
        let base = Url::parse(&self.base).ok()?;
        (url.origin() == base.origin() && url.path().starts_with(base.path().trim_end_matches('/'))).then_some(url)
    }
}

/// Timeouts applied to upstream calls.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Until the upstream's response headers arrive.
    pub response: Duration,
    /// Longest silence inside a response body.
    pub idle: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_urls_stay_on_the_configured_origin() {
        let u = Upstream::new(Api::Gemini, "https://generativelanguage.googleapis.com/", None, KeyStyle::GoogApiKey)
            .unwrap();
        assert_eq!(u.base, "https://generativelanguage.googleapis.com");
        assert_eq!(
            u.url("/v1beta/models", Some("pageSize=50")).unwrap().as_str(),
            "https://generativelanguage.googleapis.com/v1beta/models?pageSize=50"
        );
        // Even if a bad path slipped through, it could not leave the origin.
        assert!(u.url("@evil.example/x", None).is_none());
        let m = Upstream::new(Api::Mem0, "http://127.0.0.1:9/mem0", Some("k"), KeyStyle::Token).unwrap();
        assert_eq!(m.url("/v1/ping/", None).unwrap().as_str(), "http://127.0.0.1:9/mem0/v1/ping/");
        assert!(m.url("/../v1/ping/", None).is_none());
        assert_eq!(m.key_value.as_ref().unwrap(), "Token k");
        assert!(m.key_value.as_ref().unwrap().is_sensitive());
        let s = Upstream::new(Api::Mem0, "http://127.0.0.1:9", Some("k2"), KeyStyle::XApiKey).unwrap();
        assert_eq!(
            (s.key_header.as_str(), s.key_value.as_ref().unwrap()),
            ("x-api-key", &HeaderValue::from_static("k2"))
        );
    }

    #[test]
    fn odd_upstreams_are_refused() {
        for bad in [
            "ftp://x.example",
            "not a url",
            "https://user:pw@x.example",
            "https://x.example/?a=1",
            "https://x.example/#f",
        ] {
            assert!(Upstream::new(Api::Mem0, bad, None, KeyStyle::Token).is_err(), "{bad}");
        }
        assert!(Upstream::new(Api::Gemini, "https://x.example", Some("bad\nkey"), KeyStyle::GoogApiKey).is_err());
    }
}
