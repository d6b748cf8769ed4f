//! The Trunk-built site (`--dist`): static files with the right MIME types (`.wasm` is
//! `application/wasm`), gzip/brotli when the client accepts it (precompressed `.br`/`.gz`
//! siblings are used when present, otherwise compressed on the fly), a year-long immutable
//! cache for content-hashed files, `no-cache` for `index.html` and other unhashed files, and
//! SPA fallback: an unknown extension-less path gets `index.html`.

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::ServiceExt;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::CompressionLevel;

use crate::error::{Api, AppError};

/// Cache header of content-hashed files.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache header of everything else (revalidate every time).
pub const NO_CACHE: &str = "no-cache";

struct Site {
    dir: ServeDir,
    index: PathBuf,
}

/// The router serving `dist` (used as the app's fallback).
pub fn router(dist: &Path) -> Router {
    let site = Arc::new(Site {
        dir: ServeDir::new(dist).precompressed_br().precompressed_gzip().append_index_html_on_directories(true),
        index: dist.join("index.html"),
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
    let (parts, _) = req.into_parts();
    let file_req = Request::from_parts(parts.clone(), Body::empty());
    let resp = match site.dir.clone().oneshot(file_req).await {
        Ok(r) => r.map(Body::new),
        Err(e) => match e {},
    };
    let (resp, hashed) = if resp.status() == StatusCode::NOT_FOUND && is_route_like(&path) {
        let index_req = Request::from_parts(parts, Body::empty());
        let r: Result<_, Infallible> = ServeFile::new(&site.index).oneshot(index_req).await;
        let r = match r {
            Ok(r) => r.map(Body::new),
            Err(e) => match e {},
        };
        (r, false)
    } else {
        (resp, is_hashed_path(&path))
    };
    with_cache_header(resp, hashed)
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
    fn route_like_paths_have_no_extension() {
        assert!(is_route_like("/"));
        assert!(is_route_like("/chat/42"));
        assert!(is_route_like("/settings/"));
        assert!(!is_route_like("/missing.js"));
        assert!(!is_route_like("/a/b.wasm"));
    }
}
