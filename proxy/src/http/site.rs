//! The Trunk-built site (`--dist`): static files with the right MIME types (`.wasm` is
//! `application/wasm`), gzip/brotli when the client accepts it (precompressed `.br`/`.gz`
//! siblings are used when present, otherwise compressed on the fly), a year-long immutable
//! cache for content-hashed files, `no-cache` for `index.html` and other unhashed files, and
//! SPA fallback: an unknown extension-less path gets `index.html` (served from memory with the
//! proxy marker, see [`crate::site::index`]).
//!
//! Never served: dotfiles (`.env`, `.git/…`), names longer than a file name can be, and
//! anything a symlink leads to outside `--dist`; all are plain 404s.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::ServiceExt;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::CompressionLevel;

use crate::error::{Api, AppError};
use crate::AppState;

/// Cache header of content-hashed files.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache header of everything else (revalidate every time).
pub const NO_CACHE: &str = "no-cache";
/// Longest path segment served (a longer one cannot be a file name).
pub const MAX_SEGMENT_BYTES: usize = 255;

struct Site {
    dir: ServeDir,
    /// `--dist`, canonical (`None` when it does not exist).
    root: Option<PathBuf>,
    app: Arc<AppState>,
}

/// The router serving `dist` (used as the app's fallback).
pub fn router(app: Arc<AppState>) -> Router {
    let dist = app.dist.clone();
    let site = Arc::new(Site {
        dir: ServeDir::new(&dist).precompressed_br().precompressed_gzip().append_index_html_on_directories(true),
        root: std::fs::canonicalize(&dist).ok(),
        app,
    });
    Router::new().fallback(serve).with_state(site).layer(
        // Level 5: quick enough on the fly for a multi-megabyte wasm file, still small.
        CompressionLayer::new().quality(CompressionLevel::Precise(5)),
    )
}

async fn serve(State(site): State<Arc<Site>>, req: Request) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let path = req.uri().path().to_owned();
    if path == "/api" || path.starts_with("/api/") {
        // API paths no route matched (e.g. `/api/`, `/api/gemini/`): never the SPA.
        return AppError::NotFound(Api::of_path(&path)).into_response();
    }
    let Some(segments) = safe_segments(&path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if path == "/" || path == "/index.html" {
        return serve_index(&site.app, req.method(), req.headers()).await;
    }
    if !site.stays_inside(&segments).await {
        tracing::warn!(path = %super::log_path(&path), "refused a path that leads outside the site directory");
        return StatusCode::NOT_FOUND.into_response();
    }
    let (parts, _) = req.into_parts();
    let file_req = Request::from_parts(parts.clone(), Body::empty());
    let resp = match site.dir.clone().oneshot(file_req).await {
        Ok(r) => r.map(Body::new),
        Err(e) => match e {},
    };
    if resp.status() == StatusCode::NOT_FOUND && is_route_like(&path) {
        return serve_index(&site.app, &parts.method, &parts.headers).await;
    }
    with_cache_header(resp, is_hashed_path(&path))
}

/// The decoded segments of a site path, or `None` when one is a dotfile (`.x`, `..`), too
/// long, or not UTF-8.
pub fn safe_segments(path: &str) -> Option<Vec<String>> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|raw| {
            let seg = percent_encoding::percent_decode_str(raw).decode_utf8().ok()?;
            let ok = seg.len() <= MAX_SEGMENT_BYTES && !seg.starts_with('.') && !seg.contains(['/', '\\', '\0']);
            ok.then(|| seg.into_owned())
        })
        .collect()
}

impl Site {
    /// Whether the file for `segments` (and its precompressed siblings, and the `index.html`
    /// of a directory) resolves inside the site directory. Missing files pass: they are 404s.
    async fn stays_inside(&self, segments: &[String]) -> bool {
        let Some(root) = &self.root else {
            return true;
        };
        let file: PathBuf = segments.iter().fold(root.clone(), |p, s| p.join(s));
        let mut candidates =
            vec![file.clone(), file.with_extension(ext_plus(&file, "br")), file.with_extension(ext_plus(&file, "gz"))];
        candidates.push(file.join("index.html"));
        for c in candidates {
            match tokio::fs::canonicalize(&c).await {
                Ok(real) if !real.starts_with(root) => return false,
                _ => {}
            }
        }
        true
    }
}

/// `x.js` + `br` → `js.br` (the extension of the precompressed sibling `x.js.br`).
fn ext_plus(file: &Path, more: &str) -> String {
    match file.extension() {
        Some(e) => format!("{}.{more}", e.to_string_lossy()),
        None => more.to_owned(),
    }
}

/// Serves the in-memory `index.html` (`no-cache`, with an `ETag`; 304 when it matches).
async fn serve_index(app: &AppState, method: &Method, headers: &HeaderMap) -> Response {
    let page = app.index.page().await;
    if !page.exists() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let fresh = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.split(',').any(|t| t.trim() == page.etag || t.trim() == "*")));
    let mut resp = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else if method == Method::HEAD {
        Response::new(Body::empty())
    } else {
        Response::new(Body::from(page.html.clone()))
    };
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_CACHE));
    h.insert(header::ETAG, page.etag.clone());
    resp
}

fn with_cache_header(mut resp: Response, hashed: bool) -> Response {
    let s = resp.status();
    if s.is_success() || s == StatusCode::NOT_MODIFIED {
        let value = if hashed { IMMUTABLE } else { NO_CACHE };
        resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    resp
}

/// A path the SPA may route itself: its last segment has no file extension.
pub fn is_route_like(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or("");
    !last.contains('.')
}

/// Whether any segment of `path` carries a Trunk content hash: `-` then 10 to 16 lowercase hex
/// digits, then the end, `_` or `.` (e.g. `wellness0-a73f03ec1421f5b3_bg.wasm`,
/// `main-90ec1d33041cc199.css`, `snippets/wellness0-a73f03ec1421f5b3/inline0.js`). Trunk
/// prints a 64-bit hash without leading zeros, so it is sometimes shorter than 16 digits
/// (`wellness0-9fb7b68917aa50e.js`); fewer than 10 happens once in ~270 million builds.
pub fn is_hashed_path(path: &str) -> bool {
    path.split('/').any(is_hashed_name)
}

fn is_hashed_name(name: &str) -> bool {
    let b = name.as_bytes();
    b.iter().enumerate().any(|(i, &c)| {
        if c != b'-' {
            return false;
        }
        let hex = b[i + 1..].iter().take_while(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c)).count();
        (10..=16).contains(&hex) && matches!(b.get(i + 1 + hex), None | Some(b'_' | b'.'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunk_hashed_names_are_recognised() {
        for p in [
            "/wellness0-a73f03ec1421f5b3_bg.wasm",
            "/wellness0-a73f03ec1421f5b3.js",
            "/main-90ec1d33041cc199.css",
            "/snippets/wellness0-a73f03ec1421f5b3/inline0.js",
            "/wellness0-9fb7b68917aa50e_bg.wasm",
            "/wellness0-9fb7b68917aa50e.js",
        ] {
            assert!(is_hashed_path(p), "{p}");
        }
        for p in [
            "/",
            "/index.html",
            "/favicon.ico",
            "/main.css",
            "/wellness0-a73f03ec.js",
            "/wellness0-a73f03ec1421f5b3x.js",
            "/wellness0-a73f03ec1421f5b3a.js",
            "/x-A73F03EC1421F5B3.js",
        ] {
            assert!(!is_hashed_path(p), "{p}");
        }
    }

    #[test]
    fn dotfiles_long_names_and_odd_bytes_are_refused() {
        assert_eq!(safe_segments("/a/b.js").unwrap(), vec!["a", "b.js"]);
        assert_eq!(safe_segments("/snippets/x%20y/").unwrap(), vec!["snippets", "x y"]);
        assert_eq!(safe_segments("/").unwrap(), Vec::<String>::new());
        let long = "a".repeat(MAX_SEGMENT_BYTES + 1);
        for bad in [
            "/.env".to_string(),
            "/.git/config".into(),
            "/x/.hidden".into(),
            "/%2eenv".into(),
            "/../Cargo.toml".into(),
            "/a%2Fb".into(),
            "/a%5Cb".into(),
            "/a%00b".into(),
            "/%ff".into(),
            format!("/{long}"),
            format!("/ok/{long}.js"),
        ] {
            assert!(safe_segments(&bad).is_none(), "{bad}");
        }
        assert!(safe_segments(&format!("/{}", "a".repeat(MAX_SEGMENT_BYTES))).is_some());
    }

    #[test]
    fn route_like_paths_have_no_extension() {
        assert!(is_route_like("/"));
        assert!(is_route_like("/chat/42"));
        assert!(is_route_like("/settings/"));
        assert!(!is_route_like("/missing.js"));
        assert!(!is_route_like("/a/b.wasm"));
    }
}
