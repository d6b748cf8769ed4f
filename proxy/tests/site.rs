//! The static site, driven in process with `tower::ServiceExt::oneshot`: MIME types, cache
//! headers, SPA fallback, compression.

mod common;

use std::io::Read;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};

use common::oneshot::*;
use common::*;

#[tokio::test]
async fn static_files_have_the_right_type_and_cache_headers() {
    let cfg = config();
    let r = router(&cfg).await;

    let resp = send(&r, req("GET", &format!("/{WASM}"))).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header_str(&resp, header::CONTENT_TYPE), Some("application/wasm"));
    assert_eq!(header_str(&resp, header::CACHE_CONTROL), Some("public, max-age=31536000, immutable"));
    let wasm = body_bytes(resp).await;
    assert_eq!(wasm, std::fs::read(cfg.dist.join(WASM)).unwrap());

    for (path, mime) in [(JS, "text/javascript"), (SHORT_HASH_JS, "text/javascript"), (CSS, "text/css")] {
        let resp = send(&r, req("GET", &format!("/{path}"))).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        assert!(header_str(&resp, header::CONTENT_TYPE).unwrap().starts_with(mime), "{path}");
        assert_eq!(header_str(&resp, header::CACHE_CONTROL), Some("public, max-age=31536000, immutable"));
    }

    for path in ["/", "/index.html"] {
        let resp = send(&r, req("GET", path)).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        assert!(header_str(&resp, header::CONTENT_TYPE).unwrap().starts_with("text/html"));
        assert_eq!(header_str(&resp, header::CACHE_CONTROL), Some("no-cache"), "{path}");
        assert_eq!(body_bytes(resp).await, served_index().as_bytes());
    }

    // Unhashed files are revalidated too.
    let resp = send(&r, req("GET", "/robots.txt")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header_str(&resp, header::CACHE_CONTROL), Some("no-cache"));
}

#[tokio::test]
async fn spa_fallback_serves_index_for_routes_but_not_for_missing_files() {
    let r = router(&config()).await;
    for path in ["/chat", "/chat/42", "/settings/"] {
        let resp = send(&r, req("GET", path)).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        assert_eq!(header_str(&resp, header::CACHE_CONTROL), Some("no-cache"));
        assert_eq!(body_bytes(resp).await, served_index().as_bytes(), "{path}");
    }
    for path in ["/missing.js", "/wellness0-0000000000000000_bg.wasm", "/../Cargo.toml", "/%2e%2e/Cargo.toml"] {
        let resp = send(&r, req("GET", path)).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let resp = send(&r, req("POST", "/index.html")).await;
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    // HEAD works like GET without a body.
    let resp = send(&r, req("HEAD", &format!("/{WASM}"))).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header_str(&resp, header::CONTENT_TYPE), Some("application/wasm"));
}

#[tokio::test]
async fn static_files_are_compressed_when_accepted() {
    let cfg = config();
    let r = router(&cfg).await;
    let original = std::fs::read(cfg.dist.join(WASM)).unwrap();
    let with_ae =
        |ae: &str| Request::get(format!("/{WASM}")).header(header::ACCEPT_ENCODING, ae).body(Body::empty()).unwrap();

    let resp = send(&r, with_ae("gzip")).await;
    assert_eq!(header_str(&resp, header::CONTENT_ENCODING), Some("gzip"));
    assert_eq!(header_str(&resp, header::CONTENT_TYPE), Some("application/wasm"));
    assert_eq!(header_str(&resp, header::CACHE_CONTROL), Some("public, max-age=31536000, immutable"));
    assert!(header_str(&resp, header::VARY).unwrap().contains("accept-encoding"));
    let gz = body_bytes(resp).await;
    assert!(gz.len() < original.len() / 4, "{} vs {}", gz.len(), original.len());
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut plain).unwrap();
    assert_eq!(plain, original);

    let resp = send(&r, with_ae("gzip, deflate, br")).await;
    assert_eq!(header_str(&resp, header::CONTENT_ENCODING), Some("br"));
    let br = body_bytes(resp).await;
    let mut plain = Vec::new();
    brotli_decompressor::Decompressor::new(&br[..], 4096).read_to_end(&mut plain).unwrap();
    assert_eq!(plain, original);

    let resp = send(&r, with_ae("identity")).await;
    assert!(resp.headers().get(header::CONTENT_ENCODING).is_none());
    assert_eq!(body_bytes(resp).await, original);

    // A precompressed sibling is served as is when present.
    std::fs::write(cfg.dist.join(format!("{JS}.gz")), b"pretend-gzip").unwrap();
    let resp =
        send(&r, Request::get(format!("/{JS}")).header(header::ACCEPT_ENCODING, "gzip").body(Body::empty()).unwrap())
            .await;
    assert_eq!(header_str(&resp, header::CONTENT_ENCODING), Some("gzip"));
    assert_eq!(body_bytes(resp).await, b"pretend-gzip");
}
