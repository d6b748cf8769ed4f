//! The self-hosted server's error answers, as FastAPI renders them: `{"detail": "…"}` for
//! refusals, `{"detail": [ … ]}` with status 422 for request validation, and the server's own
//! 502 `{"detail", "code", "request_id"}` when its memory backend fails.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// Header every answer of the server carries (and the 502 body repeats).
pub const REQUEST_ID: &str = "x-request-id";

/// A request id like the server's: 8 hex digits.
pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_string()
}

/// Everything a self-hosted handler can answer instead of a result.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Any status with `{"detail": "…"}` (FastAPI's `HTTPException`).
    #[error("{status}: {detail}")]
    Http {
        /// The status.
        status: StatusCode,
        /// The `detail` text.
        detail: String,
    },
    /// 401 without credentials: also asks for a Bearer token (`WWW-Authenticate: Bearer`).
    #[error("authentication required")]
    AuthenticationRequired,
    /// 405 with `Allow` listing the methods of the first route on that path (Starlette's way).
    #[error("method not allowed")]
    MethodNotAllowed(&'static str),
    /// 422 `{"detail": [errors]}`: pydantic's validation errors.
    #[error("validation failed: {0:?}")]
    Validation(Vec<Value>),
    /// 502: the memory backend failed (`code` as the server classifies it).
    #[error("upstream error {code}: {detail}")]
    Upstream {
        /// The server's classification (`unknown`, `datastore_unavailable`, …).
        code: &'static str,
        /// Its message for that class.
        detail: &'static str,
    },
}

impl ApiError {
    /// `status` with `{"detail": detail}`.
    pub fn http(status: StatusCode, detail: impl Into<String>) -> Self {
        Self::Http { status, detail: detail.into() }
    }

    /// 400 with `detail`.
    pub fn bad(detail: impl Into<String>) -> Self {
        Self::http(StatusCode::BAD_REQUEST, detail)
    }

    /// A core `ValueError` as the server maps it: 404 when the text says "not found", else 400.
    pub fn client(detail: impl Into<String>) -> Self {
        let detail = detail.into();
        let status =
            if detail.to_lowercase().contains("not found") { StatusCode::NOT_FOUND } else { StatusCode::BAD_REQUEST };
        Self::Http { status, detail }
    }

    /// A failure the server does not classify (e.g. the vector store refusing a malformed id).
    pub fn upstream_unknown() -> Self {
        Self::Upstream { code: "unknown", detail: "Upstream provider error." }
    }

    /// The server's answer while its database is unreachable.
    pub fn datastore_down() -> Self {
        Self::Upstream { code: "datastore_unavailable", detail: "The memory database is unreachable." }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Http { status, detail } => (status, Json(json!({ "detail": detail }))).into_response(),
            Self::AuthenticationRequired => {
                let body = json!({"detail": "Authentication required. Provide a Bearer token or X-API-Key header."});
                (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], Json(body)).into_response()
            }
            Self::MethodNotAllowed(allow) => {
                let body = json!({"detail": "Method Not Allowed"});
                (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, allow)], Json(body)).into_response()
            }
            Self::Validation(errors) => {
                (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "detail": errors }))).into_response()
            }
            Self::Upstream { code, detail } => {
                let rid = new_request_id();
                let body = json!({"detail": detail, "code": code, "request_id": rid});
                let mut resp = (StatusCode::BAD_GATEWAY, Json(body)).into_response();
                if let Ok(v) = HeaderValue::from_str(&rid) {
                    resp.headers_mut().insert(REQUEST_ID, v);
                }
                resp
            }
        }
    }
}
