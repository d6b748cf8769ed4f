//! The one error type of the Platform fake's handlers, rendered the way the Platform answers:
//! validation and lookup failures as `{"error": …}`, authentication, parsing, paging and
//! outages as `{"detail": …}` (the Django REST framework's key), and the add endpoint's
//! documented `{"error": "400 Bad Request", "details": {"message": …}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// The text of the add endpoint's documented 400.
const INVALID_ADD_INPUT: &str = "Invalid input data. Please refer to the memory creation documentation at \
     https://docs.mem0.ai/platform/quickstart#4-1-create-memories for correct formatting and required fields.";

/// Everything a Platform handler can refuse with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 `{"error": …}`: a request the API validates and refuses.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 400 with the add endpoint's documented envelope (bad or missing `messages`).
    #[error("invalid add input")]
    InvalidAddInput,
    /// 400 `{"detail": "JSON parse error - …"}`: the body is not JSON.
    #[error("JSON parse error - {0}")]
    Parse(String),
    /// 401: no `Authorization` header.
    #[error("no credentials")]
    NoCredentials,
    /// 401: an `Authorization` header with the wrong key or scheme.
    #[error("invalid API key")]
    InvalidKey,
    /// 404 `{"error": …}`: an unknown memory or event.
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// 404 `{"detail": "Invalid page."}`: a page number past the end or not a number.
    #[error("invalid page")]
    InvalidPage,
    /// 404 `{"detail": "Not found."}`: no such route.
    #[error("no such route")]
    RouteNotFound,
    /// 503 while the fake is switched "down".
    #[error("unavailable")]
    Unavailable,
}

impl ApiError {
    /// A 400 with `msg` under `error`.
    pub fn bad(msg: impl Into<String>) -> Self {
        Self::BadRequest(msg.into())
    }

    /// 404 for a memory id that is not stored.
    pub fn memory_not_found() -> Self {
        Self::NotFound("Memory not found!")
    }

    fn status_and_body(&self) -> (StatusCode, Value) {
        match self {
            Self::BadRequest(msg) => (StatusCode::BAD_REQUEST, json!({ "error": msg })),
            Self::InvalidAddInput => (
                StatusCode::BAD_REQUEST,
                json!({"error": "400 Bad Request", "details": {"message": INVALID_ADD_INPUT}}),
            ),
            Self::Parse(e) => (StatusCode::BAD_REQUEST, json!({ "detail": format!("JSON parse error - {e}") })),
            Self::NoCredentials => {
                (StatusCode::UNAUTHORIZED, json!({"detail": "Authentication credentials were not provided."}))
            }
            Self::InvalidKey => (
                StatusCode::UNAUTHORIZED,
                json!({"detail": "Invalid API key. You can find your API key on https://app.mem0.ai/dashboard/api-keys."}),
            ),
            Self::NotFound(msg) => (StatusCode::NOT_FOUND, json!({ "error": msg })),
            Self::InvalidPage => (StatusCode::NOT_FOUND, json!({"detail": "Invalid page."})),
            Self::RouteNotFound => (StatusCode::NOT_FOUND, json!({"detail": "Not found."})),
            Self::Unavailable => {
                (StatusCode::SERVICE_UNAVAILABLE, json!({"detail": "Service temporarily unavailable."}))
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = self.status_and_body();
        (status, Json(body)).into_response()
    }
}

/// Parses a JSON object body (an empty body is `{}`).
pub fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Ok(json!({}));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(ApiError::bad("JSON body must be an object.")),
        Err(e) => Err(ApiError::Parse(e.to_string())),
    }
}
