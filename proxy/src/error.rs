//! The proxy's own errors ([`AppError`]) and how they are rendered: a Gemini-style
//! `google.rpc.Status` envelope under `/api/gemini`, mem0's `{"detail": ...}` under
//! `/api/mem0` and elsewhere, so the app's existing error handling shows them as it would
//! the real services' errors.

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::guard::origin::Refusal;
use crate::mem0::bind::BindError;

/// Which upstream API a request belongs to; decides the error format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// Google Gemini (`/api/gemini/...`).
    Gemini,
    /// mem0 (`/api/mem0/...`).
    Mem0,
}

impl Api {
    /// The API a request path belongs to, by prefix (`/api/gemini...`, `/api/mem0...`).
    pub fn of_path(path: &str) -> Option<Api> {
        if path.starts_with("/api/gemini") {
            Some(Api::Gemini)
        } else if path.starts_with("/api/mem0") {
            Some(Api::Mem0)
        } else {
            None
        }
    }

    /// Human name used in messages.
    pub fn name(self) -> &'static str {
        match self {
            Api::Gemini => "Gemini API",
            Api::Mem0 => "mem0 API",
        }
    }
}

/// Everything the proxy itself can answer with instead of an upstream response.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The path/method is not one the app uses (not an open proxy).
    #[error("not found: wellness0-proxy does not forward this call")]
    NotFound(Option<Api>),
    /// The request body is larger than the configured limit.
    #[error("request body larger than {limit} bytes")]
    BodyTooLarge {
        /// The API the request was for, if any.
        api: Option<Api>,
        /// The limit in bytes.
        limit: usize,
    },
    /// The request body stalled longer than the client body timeout.
    #[error("the request body stalled for more than {}s", .after.as_secs())]
    BodyTimeout {
        /// The API the request was for, if any.
        api: Option<Api>,
        /// The configured stall timeout.
        after: Duration,
    },
    /// The upstream answered with something that must not reach the browser.
    #[error("the {} answered with {what} (status {status}); wellness0-proxy does not pass it on", .api.name())]
    UpstreamAnswer {
        /// The upstream.
        api: Api,
        /// The upstream's status.
        status: u16,
        /// What was wrong with it.
        what: &'static str,
    },
    /// The request body could not be read (client went away).
    #[error("could not read the request body")]
    BodyRead(Option<Api>),
    /// The client exceeded its rate limit.
    #[error("too many requests to wellness0-proxy; retry in {}s", retry_after.as_secs())]
    RateLimited {
        /// The API the request was for, if any.
        api: Option<Api>,
        /// How long until a request would be accepted (whole seconds, at least 1).
        retry_after: Duration,
    },
    /// The upstream could not be reached (DNS, connect, TLS, reset before headers).
    #[error("wellness0-proxy could not reach the {}", .api.name())]
    Unreachable {
        /// The upstream.
        api: Api,
        /// The cause (logged without its URL, never sent to the client).
        #[source]
        source: reqwest::Error,
    },
    /// The request names a host this proxy does not serve (DNS rebinding, a stray name).
    #[error(
        "wellness0-proxy does not answer to the host name {host:?}; open it as http://localhost:PORT \
         or add the name to --allowed-hosts"
    )]
    UnknownHost {
        /// The API the request was for, if any.
        api: Option<Api>,
        /// The refused host (cut to 100 characters).
        host: String,
    },
    /// A cross-site call or a body that is not JSON.
    #[error("{refusal}")]
    Refused {
        /// The API the request was for, if any.
        api: Option<Api>,
        /// What was wrong.
        refusal: Refusal,
    },
    /// Shared mode and nobody signed in.
    #[error("sign in first: this wellness0 is shared, and the proxy needs to know who you are")]
    Unauthenticated {
        /// The API the request was for, if any.
        api: Option<Api>,
    },
    /// A mem0 call that would touch someone else's memories, or an empty / wildcard id.
    #[error("{0}")]
    Bind(BindError),
    /// A memory or event that is not the signed-in person's (or does not exist).
    #[error("{what} not found")]
    NotYours {
        /// `memory` or `event`.
        what: &'static str,
    },
    /// The account database failed (shared mode); the cause is logged, never sent.
    #[error("wellness0-proxy cannot reach its account database; try again in a minute")]
    Database {
        /// The API the request was for, if any.
        api: Option<Api>,
    },
    /// The upstream did not send response headers in time.
    #[error("the {} did not answer within {}s", .api.name(), .after.as_secs())]
    Timeout {
        /// The upstream.
        api: Api,
        /// The configured response timeout.
        after: Duration,
    },
}

impl AppError {
    /// HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::BodyRead(_) => StatusCode::BAD_REQUEST,
            AppError::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            AppError::UpstreamAnswer { .. } => StatusCode::BAD_GATEWAY,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unreachable { .. } => StatusCode::BAD_GATEWAY,
            AppError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            AppError::UnknownHost { .. } => StatusCode::MISDIRECTED_REQUEST,
            AppError::Refused { refusal: Refusal::ContentType(_), .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Refused { .. } => StatusCode::FORBIDDEN,
            AppError::Bind(e) if e.is_forbidden() => StatusCode::FORBIDDEN,
            AppError::Bind(_) => StatusCode::BAD_REQUEST,
            AppError::NotYours { .. } => StatusCode::NOT_FOUND,
            AppError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            AppError::Database { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn api(&self) -> Option<Api> {
        match self {
            AppError::Bind(_) | AppError::NotYours { .. } => Some(Api::Mem0),
            AppError::NotFound(api)
            | AppError::RateLimited { api, .. }
            | AppError::UnknownHost { api, .. }
            | AppError::Refused { api, .. }
            | AppError::Unauthenticated { api }
            | AppError::Database { api }
            | AppError::BodyTooLarge { api, .. }
            | AppError::BodyRead(api)
            | AppError::BodyTimeout { api, .. } => *api,
            AppError::Unreachable { api, .. }
            | AppError::UpstreamAnswer { api, .. }
            | AppError::Timeout { api, .. } => Some(*api),
        }
    }

    fn retry_after_secs(&self) -> Option<u64> {
        match self {
            AppError::RateLimited { retry_after, .. } => Some(retry_after.as_secs().max(1)),
            AppError::Database { .. } => Some(30),
            _ => None,
        }
    }
}

/// The `google.rpc.Code` name Google pairs with an HTTP status.
fn google_status(code: StatusCode) -> &'static str {
    match code.as_u16() {
        400 | 413 | 415 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        421 => "FAILED_PRECONDITION",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        502 | 503 => "UNAVAILABLE",
        408 | 504 => "DEADLINE_EXCEEDED",
        _ => "UNKNOWN",
    }
}

/// The `WWW-Authenticate` challenge of the proxy's own 401s (nobody signed in).
pub const SIGN_IN_CHALLENGE: &str = "wellness0-sign-in realm=\"wellness0\"";

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = self.to_string();
        let retry = self.retry_after_secs();
        let body = match self.api() {
            Some(Api::Gemini) => {
                let mut error = json!({
                    "code": status.as_u16(),
                    "message": message,
                    "status": google_status(status),
                });
                if let Some(secs) = retry {
                    // The app already honours RetryInfo on Gemini 429s.
                    error["details"] = json!([{
                        "@type": "type.googleapis.com/google.rpc.RetryInfo",
                        "retryDelay": format!("{secs}s"),
                    }]);
                }
                json!({ "error": error })
            }
            Some(Api::Mem0) | None => json!({ "detail": message }),
        };
        let signed_out = matches!(self, AppError::Unauthenticated { .. });
        let mut resp = (status, axum::Json(body)).into_response();
        let headers = resp.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if signed_out {
            // Tells the app this 401 is the sign-in's, not an upstream's refusal of the server's
            // key (relayed as it came): only this one sends it to the sign-in page.
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(SIGN_IN_CHALLENGE));
        }
        if let Some(secs) = retry {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}
