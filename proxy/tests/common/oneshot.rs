//! Driving the proxy's router in process, one request at a time (`tower::ServiceExt::oneshot`).

use axum::body::Body;
use axum::http::{header, Request};
use axum::response::Response;
use axum::Router;
use http_body_util::BodyExt;
use tower::ServiceExt;
use wellness0_proxy::{app, AppState, Config};

pub async fn router(cfg: &Config) -> Router {
    app(AppState::new(cfg).await.unwrap())
}

pub async fn send(router: &Router, req: Request<Body>) -> Response {
    router.clone().oneshot(req).await.unwrap()
}

pub fn req(method: &str, uri: &str) -> Request<Body> {
    Request::builder().method(method).uri(uri).body(Body::empty()).unwrap()
}

pub async fn body_bytes(resp: Response) -> Vec<u8> {
    resp.into_body().collect().await.unwrap().to_bytes().to_vec()
}

pub fn header_str(resp: &Response, name: header::HeaderName) -> Option<&str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}
