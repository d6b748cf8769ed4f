//! Rate limiting of the `/api/` routes as middleware ([`limit`]): per signed-in person in shared
//! mode, per IP otherwise, with the limiter of [`crate::ratelimit`]; a request without a token is
//! answered 429 with `Retry-After`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::accounts::Person;
use crate::error::{Api, AppError};
use crate::ratelimit::{request_ip, ClientKey};
use crate::AppState;

/// Middleware for the `/api/` routes.
pub async fn limit(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if let Some(limiter) = &state.limiter {
        let key = match req.extensions().get::<Person>() {
            Some(person) => ClientKey::Person(person.user_id.clone()),
            None => ClientKey::Ip(request_ip(&req, state.trust_forwarded_for)),
        };
        if let Err(wait) = limiter.check(key, Instant::now()) {
            let path = req.uri().path();
            let api = Api::of_path(path);
            let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
            tracing::warn!(path, retry_after = secs, "rate limited");
            return AppError::RateLimited { api, retry_after: Duration::from_secs(secs) }.into_response();
        }
    }
    next.run(req).await
}
