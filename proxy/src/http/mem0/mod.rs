//! `/api/mem0/...`: the mem0 calls the app makes on the configured backend
//! ([`crate::mem0::routes`]), bound to the signed-in person ([`crate::mem0::bind`]), checked
//! upstream when they name one memory or event ([`owner`]), then forwarded to
//! `{mem0 base}/...` with the server's key.

pub mod owner;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::Response;

use crate::auth::Person;
use crate::error::{Api, AppError};
use crate::forward::{forward, read_body};
use crate::mem0::bind::{bind, OwnerCheck};
use crate::mem0::routes::route;
use crate::mem0::Call;
use crate::AppState;
use owner::{check_memory, forward_noting_event, relay_event, Verdict};

/// Handles every request under `/api/mem0/`.
pub async fn proxy(State(state): State<Arc<AppState>>, req: Request) -> Result<Response, AppError> {
    let not_found = || AppError::NotFound(Some(Api::Mem0));
    let rest = req.uri().path().strip_prefix("/api/mem0").ok_or_else(not_found)?;
    let (call, path) = route(state.mem0_backend, req.method(), rest).ok_or_else(not_found)?;
    let signed_in = req.extensions().get::<Person>().cloned();
    let person = signed_in.as_ref().map(|p| p.user_id.clone());
    if state.auth.is_shared() && person.is_none() {
        // The sign-in layer lets no such request through; never forward one unbound.
        return Err(AppError::Unauthenticated { api: Some(Api::Mem0) });
    }
    let query = req.uri().query().map(str::to_owned);
    let method = req.method().clone();
    let headers = req.headers().clone();
    let body = read_body(req, Api::Mem0, state.max_body_bytes, state.limits.body_timeout).await?;
    let bound = bind(state.mem0_backend, &call, person.as_deref(), query.as_deref(), &body).map_err(AppError::Bind)?;
    let url = state.mem0.url(&path, bound.query.as_deref()).ok_or_else(not_found)?;
    match (&bound.check, person.as_deref()) {
        (OwnerCheck::Memory(id), Some(person)) => {
            if let Verdict::Answer(resp) = check_memory(&state, state.mem0_backend, id, person, &headers).await? {
                return Ok(resp);
            }
        }
        (OwnerCheck::Event, Some(_)) => {
            let (Call::Event(id), Some(person)) = (&call, &signed_in) else { return Err(not_found()) };
            return relay_event(&state, url, id, person, &headers).await;
        }
        _ => {}
    }
    if let (Call::Add | Call::DeleteAll, Some(person)) = (&call, &signed_in) {
        return forward_noting_event(&state, person, method, url, &headers, bound.body).await;
    }
    forward(&state.client, &state.mem0, state.timeouts, method, url, &headers, bound.body).await
}
