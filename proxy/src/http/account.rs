//! `/api/account/…` (shared mode): the signed-in person's devices. `GET devices` lists every
//! live session of theirs (which one is this browser is marked), `DELETE devices/{id}` signs
//! that device out (refused at once on every instance), and `POST devices/sign-out-others`
//! signs out every device but this one. In personal mode there are no accounts (404).

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Serialize;

use super::{database_failed, no_store, signed_in};
use crate::accounts::sessions::{self, Device};
use crate::accounts::tokens::now_secs;
use crate::error::AppError;
use crate::AppState;

/// The routes, mounted under the API guards in shared mode.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/account/devices", get(list))
        .route("/api/account/devices/sign-out-others", post(sign_out_others))
        .route("/api/account/devices/{id}", delete(sign_out))
}

/// One device as listed.
#[derive(Debug, Serialize)]
struct Listed {
    #[serde(flatten)]
    device: Device,
    /// Whether it is the browser asking.
    current: bool,
}

/// The answer of `GET devices`.
#[derive(Debug, Serialize)]
struct Devices {
    devices: Vec<Listed>,
}

async fn list(State(state): State<Arc<AppState>>, req: Request) -> Result<Response, AppError> {
    let (shared, current) = signed_in(&state, &req)?;
    let devices =
        sessions::list(&shared.db, current.person.account, now_secs()).await.map_err(|e| database_failed(&e, None))?;
    let devices = devices.into_iter().map(|d| Listed { current: d.id == current.id, device: d }).collect();
    Ok(no_store(Json(Devices { devices }).into_response()))
}

async fn sign_out(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    let (shared, current) = signed_in(&state, &req)?;
    let ended = sessions::end(&shared.db, current.person.account, &id).await.map_err(|e| database_failed(&e, None))?;
    if !ended {
        return Err(AppError::NotYours { what: "device" });
    }
    tracing::info!(this_device = id == current.id, "signed a device out");
    Ok(no_store(StatusCode::NO_CONTENT.into_response()))
}

async fn sign_out_others(State(state): State<Arc<AppState>>, req: Request) -> Result<Response, AppError> {
    let (shared, current) = signed_in(&state, &req)?;
    let n = sessions::end_others(&shared.db, current.person.account, &current.id)
        .await
        .map_err(|e| database_failed(&e, None))?;
    tracing::info!(devices = n, "signed the other devices out");
    Ok(no_store(Json(serde_json::json!({ "signed_out": n })).into_response()))
}
