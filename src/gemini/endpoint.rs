//! Where Gemini calls go (pure): a base URL (the public API, or our proxy) and, when the page
//! holds it, the user's key (sent only as the `x-goog-api-key` header, never in a URL).

#[derive(Clone, Debug, PartialEq)]
pub struct Endpoint {
    pub base_url: String,
    pub api_key: Option<String>,
    /// Calls go through the wellness0 proxy.
    pub via_proxy: bool,
}

impl Endpoint {
    /// The URL of a `v1beta` method, e.g. `models?pageSize=1000`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/v1beta/{path}", self.base_url.trim_end_matches('/'))
    }

    pub fn headers(&self) -> Vec<(&str, &str)> {
        self.api_key.as_deref().map(|k| vec![("x-goog-api-key", k.trim())]).unwrap_or_default()
    }

    /// Behind the proxy without a key of the user's: a refused key is the site's to fix.
    pub fn key_held_by_site(&self) -> bool {
        self.via_proxy && self.api_key.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_key_header() {
        let e = Endpoint { base_url: "https://g.example/".into(), api_key: Some(" k ".into()), via_proxy: false };
        assert_eq!(
            e.url("models/x:streamGenerateContent?alt=sse"),
            "https://g.example/v1beta/models/x:streamGenerateContent?alt=sse"
        );
        assert_eq!(e.headers(), vec![("x-goog-api-key", "k")]);
        assert!(!e.key_held_by_site());
        let site = Endpoint { base_url: "http://127.0.0.1:8080/api/gemini".into(), api_key: None, via_proxy: true };
        assert!(site.headers().is_empty());
        assert!(site.key_held_by_site());
    }
}
