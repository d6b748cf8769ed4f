//! Who is calling, decided the way the server's `verify_auth` / `require_admin` do: a Bearer
//! token first (the fake issues none, so every token is refused), then `X-API-Key` (the admin
//! key, or a member's key), then — only when auth is switched off — nobody at all.

use axum::http::{header, HeaderMap, StatusCode};

use super::errors::ApiError;
use super::SelfHostedConfig;

/// An authenticated caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// The `ADMIN_API_KEY`.
    Admin,
    /// A user's own API key; that user is not an admin.
    Member,
    /// No credentials, and auth is disabled (`AUTH_DISABLED=true`): treated as an admin.
    Open,
}

impl Caller {
    /// `require_admin`: members are refused.
    pub fn require_admin(self) -> Result<Self, ApiError> {
        match self {
            Caller::Member => Err(ApiError::http(StatusCode::FORBIDDEN, "Admin role required.")),
            other => Ok(other),
        }
    }
}

/// A `Bearer` credential, as FastAPI's `HTTPBearer(auto_error=False)` reads it: anything but
/// `<scheme> <credentials>` with scheme `bearer` (any case) counts as no token.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, credentials) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !credentials.is_empty()).then_some(credentials)
}

/// `verify_auth`.
pub fn authenticate(cfg: &SelfHostedConfig, headers: &HeaderMap) -> Result<Caller, ApiError> {
    if bearer(headers).is_some() {
        return Err(ApiError::http(StatusCode::UNAUTHORIZED, "Invalid or expired token."));
    }
    let key = headers.get("x-api-key").and_then(|v| v.to_str().ok()).filter(|k| !k.is_empty());
    match key {
        Some(k) if k == cfg.api_key => Ok(Caller::Admin),
        Some(k) if cfg.member_key.as_deref() == Some(k) => Ok(Caller::Member),
        Some(_) => Err(ApiError::http(StatusCode::UNAUTHORIZED, "Invalid API key.")),
        None if cfg.auth_disabled => Ok(Caller::Open),
        None => Err(ApiError::AuthenticationRequired),
    }
}
