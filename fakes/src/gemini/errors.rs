//! Google API errors: the `google.rpc.Status` envelope, the canonical status names, the
//! messages the real API uses, scripted faults with their details, and the key check.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use super::render::pretty;
use super::{GeminiConfig, JSON_CT};
use crate::control::json_response;

/// A Google API error (`google.rpc.Status` envelope).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code} {message}")]
pub struct ApiError {
    /// HTTP status and `error.code`.
    pub code: u16,
    /// `error.message`.
    pub message: String,
    /// `error.details` (omitted when empty).
    pub details: Vec<Value>,
    /// Wrap the envelope in a one-element array (JSON-array stream mode).
    pub in_array: bool,
}

impl ApiError {
    /// An error without details.
    pub fn new(code: u16, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), details: Vec::new(), in_array: false }
    }

    pub(super) fn with_details(mut self, details: Vec<Value>) -> Self {
        self.details = details;
        self
    }

    /// The `{"error": {...}}` object.
    pub fn envelope(&self) -> Value {
        let mut err = Map::new();
        err.insert("code".into(), json!(self.code));
        err.insert("message".into(), json!(self.message));
        err.insert("status".into(), json!(status_name(self.code)));
        if !self.details.is_empty() {
            err.insert("details".into(), Value::Array(self.details.clone()));
        }
        json!({ "error": Value::Object(err) })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let env = if self.in_array { json!([self.envelope()]) } else { self.envelope() };
        let status = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        json_response(status, JSON_CT, pretty(&env))
    }
}

/// The canonical `google.rpc.Code` name for an HTTP status.
pub fn status_name(code: u16) -> &'static str {
    match code {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        500 => "INTERNAL",
        501 => "NOT_IMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        c if (400..500).contains(&c) => "FAILED_PRECONDITION",
        _ => "UNKNOWN",
    }
}

fn default_message(code: u16, model: &str) -> String {
    match code {
        400 => "Request contains an invalid argument.".into(),
        401 => "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.".into(),
        403 => "The caller does not have permission".into(),
        404 => not_found_message(model, "generateContent"),
        500 => "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting".into(),
        503 => "The model is overloaded. Please try again later.".into(),
        504 => "Deadline expired.".into(),
        _ => format!("Error {code}"),
    }
}

pub(super) fn not_found_message(model: &str, method: &str) -> String {
    format!(
        "models/{model} is not found for API version v1beta, or is not supported for {method}. \
         Call ModelService.ListModels to see the list of available models and their supported methods."
    )
}

/// Builds the error a script step asks for, with realistic details.
pub(super) fn scripted_error(
    code: u16,
    message: Option<String>,
    retry_delay: Option<String>,
    quota_id: Option<String>,
    model: &str,
) -> ApiError {
    if code == 429 {
        let delay = retry_delay.unwrap_or_else(|| "3s".into());
        let base = message.unwrap_or_else(|| {
            format!(
                "You exceeded your current quota, please check your plan and billing details. \
                 For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. \
                 To monitor your current usage, head to: https://ai.dev/rate-limit. \n\
                 * Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, \
                 limit: 20, model: {model}"
            )
        });
        let msg = if base.contains("Please retry in") { base } else { format!("{base}\nPlease retry in {delay}.") };
        let quota_id = quota_id.unwrap_or_else(|| "GenerateRequestsPerMinutePerProjectPerModel-FreeTier".into());
        return ApiError::new(429, msg).with_details(vec![
            json!({
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [{
                    "description": "Learn more about Gemini API quotas",
                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits"
                }]
            }),
            json!({
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [{
                    "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                    "quotaId": quota_id,
                    "quotaDimensions": {"location": "global", "model": model},
                    "quotaValue": "20"
                }]
            }),
            json!({
                "@type": "type.googleapis.com/google.rpc.RetryInfo",
                "retryDelay": delay
            }),
        ]);
    }
    ApiError::new(code, message.unwrap_or_else(|| default_message(code, model)))
}

fn invalid_key() -> ApiError {
    let msg = "API key not valid. Please pass a valid API key.";
    ApiError::new(400, msg).with_details(vec![
        json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
            "metadata": {"service": "generativelanguage.googleapis.com"}
        }),
        json!({
            "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
            "locale": "en-US",
            "message": msg
        }),
    ])
}

pub(super) fn unknown_field(name: &str) -> ApiError {
    let msg = format!("Invalid JSON payload received. Unknown name \"{name}\": Cannot find field.");
    ApiError::new(400, msg.clone()).with_details(vec![json!({
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        "fieldViolations": [{"description": msg}]
    })])
}

/// Checks `x-goog-api-key` (or `?key=`).
pub(super) fn check_key(
    cfg: &GeminiConfig,
    headers: &HeaderMap,
    query: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    let key = headers
        .get("x-goog-api-key")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .or_else(|| query.get("key").cloned());
    match key {
        None => Err(ApiError::new(
            403,
            "Method doesn't allow unregistered callers (callers without established identity). \
             Please use API Key or other form of API consumer identity to call this API.",
        )),
        Some(k) if k == cfg.api_key => Ok(()),
        Some(_) => Err(invalid_key()),
    }
}
