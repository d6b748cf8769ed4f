//! The site's `index.html` as the proxy serves it: read from `--dist` at start and again
//! whenever the file changes, marked with `<meta name="wellness0-proxy" content="1">` in its
//! `<head>` (so the page knows it runs behind the proxy without probing), and the source of
//! the CSP's script hashes (the hashes of its inline scripts, e.g. Trunk's start-up module; the
//! policy is [`super::csp`]). Served by [`crate::http::site`].

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use axum::body::Bytes;
use axum::http::HeaderValue;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::csp::content_security_policy;

/// The marker injected into the served page.
pub const PROXY_MARKER: &str = r#"<meta name="wellness0-proxy" content="1">"#;

/// One loaded version of `index.html`.
#[derive(Debug)]
pub struct IndexPage {
    /// The page as served (marker injected); empty when the file is missing.
    pub html: Bytes,
    /// Strong validator of `html`.
    pub etag: HeaderValue,
    /// The CSP that allows exactly this page's inline scripts.
    pub csp: HeaderValue,
    stamp: Option<(SystemTime, u64)>,
}

impl IndexPage {
    fn from_file(html: &str, stamp: Option<(SystemTime, u64)>) -> Self {
        let served = inject_marker(html);
        let digest = Sha256::digest(served.as_bytes());
        let etag = format!("\"{}\"", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16]));
        let csp = content_security_policy(&inline_script_hashes(html));
        Self {
            html: Bytes::from(served),
            etag: HeaderValue::from_str(&etag).expect("base64 is a valid header value"),
            csp: HeaderValue::from_str(&csp).expect("the policy is ASCII"),
            stamp,
        }
    }

    fn missing() -> Self {
        Self {
            html: Bytes::new(),
            etag: HeaderValue::from_static("\"none\""),
            csp: HeaderValue::from_str(&content_security_policy(&[])).expect("the policy is ASCII"),
            stamp: None,
        }
    }

    /// Whether the file was found.
    pub fn exists(&self) -> bool {
        self.stamp.is_some()
    }
}

/// The current `index.html`, reloaded when its modification time or size changes.
#[derive(Debug)]
pub struct SiteIndex {
    path: PathBuf,
    current: RwLock<Arc<IndexPage>>,
}

impl SiteIndex {
    /// Loads `path` now (a missing file gives an empty page and a CSP without hashes).
    pub fn load(path: PathBuf) -> Self {
        let page = read_page(&path);
        Self { path, current: RwLock::new(Arc::new(page)) }
    }

    /// The page, reloaded first if the file changed.
    pub async fn page(&self) -> Arc<IndexPage> {
        let stamp = tokio::fs::metadata(&self.path)
            .await
            .ok()
            .map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()));
        let current = self.snapshot();
        if stamp == current.stamp {
            return current;
        }
        let path = self.path.clone();
        let page = tokio::task::spawn_blocking(move || read_page(&path)).await.unwrap_or_else(|_| IndexPage::missing());
        let page = Arc::new(page);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = page.clone();
        tracing::info!(exists = page.exists(), "loaded index.html");
        page
    }

    /// The CSP of the page loaded last.
    pub fn csp(&self) -> HeaderValue {
        self.snapshot().csp.clone()
    }

    fn snapshot(&self) -> Arc<IndexPage> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

fn read_page(path: &std::path::Path) -> IndexPage {
    let Ok(meta) = std::fs::metadata(path) else {
        return IndexPage::missing();
    };
    let stamp = Some((meta.modified().unwrap_or(SystemTime::UNIX_EPOCH), meta.len()));
    match std::fs::read(path) {
        Ok(bytes) => IndexPage::from_file(&String::from_utf8_lossy(&bytes), stamp),
        Err(_) => IndexPage::missing(),
    }
}

/// Inserts [`PROXY_MARKER`] right after the `<head …>` tag (or at the very start when the
/// page has none).
pub fn inject_marker(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let at = find_tag(&lower, "<head").and_then(|start| lower[start..].find('>').map(|gt| start + gt + 1)).unwrap_or(0);
    let mut out = String::with_capacity(html.len() + PROXY_MARKER.len() + 1);
    out.push_str(&html[..at]);
    out.push_str(PROXY_MARKER);
    out.push_str(&html[at..]);
    out
}

/// Position of the first `<name` that starts a tag (followed by whitespace, `>` or `/`).
fn find_tag(lower: &str, open: &str) -> Option<usize> {
    let mut pos = 0;
    while let Some(i) = lower[pos..].find(open) {
        let start = pos + i;
        let next = lower.as_bytes().get(start + open.len());
        if next.is_some_and(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/') {
            return Some(start);
        }
        pos = start + open.len();
    }
    None
}

/// CSP sources (`'sha256-…'`) for every inline `<script>` (one without `src`) in `html`. The
/// scan is for the pages Trunk writes: attribute values must not contain `>`.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(start) = find_tag(&lower[pos..], "<script").map(|i| pos + i) {
        let Some(gt) = lower[start..].find('>') else { break };
        let attrs = &lower[start + "<script".len()..start + gt];
        let body_start = start + gt + 1;
        let Some(len) = lower[body_start..].find("</script") else { break };
        let has_src = attrs.split(|c: char| c.is_ascii_whitespace()).any(|a| a == "src" || a.starts_with("src="));
        if !has_src {
            let digest = Sha256::digest(&html.as_bytes()[body_start..body_start + len]);
            out.push(format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest)));
        }
        pos = body_start + len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Trunk writes (shortened).
    const TRUNK: &str = "<!DOCTYPE html><html lang=\"en\"><HEAD>\n<meta charset=\"utf-8\">\
        <link rel=\"modulepreload\" href=\"/w-1.js\">\
        <script type=\"module\">import init from '/w-1.js';\nawait init();</script>\
        <script src=\"/other.js\"></script></HEAD><body></body></html>";

    #[test]
    fn marker_goes_right_after_head() {
        let out = inject_marker(TRUNK);
        assert!(out.contains(&format!("<HEAD>{PROXY_MARKER}\n<meta charset")), "{out}");
        assert_eq!(out.matches(PROXY_MARKER).count(), 1);
        let out = inject_marker("<html><header></header><head data-x=1>x</head></html>");
        assert!(out.contains(&format!("<head data-x=1>{PROXY_MARKER}x")), "{out}");
        assert!(inject_marker("<p>no head</p>").starts_with(PROXY_MARKER));
    }

    #[test]
    fn inline_scripts_are_hashed_external_ones_are_not() {
        let hashes = inline_script_hashes(TRUNK);
        let body = "import init from '/w-1.js';\nawait init();";
        let want = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body.as_bytes()));
        assert_eq!(hashes, vec![format!("'sha256-{want}'")]);
        // A known vector: sha256("") in base64.
        assert_eq!(
            inline_script_hashes("<script></script><scripts></scripts>"),
            vec!["'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='".to_string()]
        );
        assert!(inline_script_hashes("<script src=x.js></script><noscript>x</noscript>").is_empty());
    }
}
