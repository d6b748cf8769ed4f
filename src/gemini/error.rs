//! Gemini errors: the `google.rpc.Status` envelope, and what each case means to the user
//! (retry or fix, and how long to wait). The envelope and its details are described in
//! `docs/gemini-api.md`.

use crate::backoff::backoff;
use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;
use thiserror::Error;

/// An error the API reported, before or in the middle of a stream.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    /// HTTP status (or the envelope's `code` for an error written into a stream).
    pub code: u16,
    /// `INVALID_ARGUMENT`, `RESOURCE_EXHAUSTED`, …
    pub status: String,
    pub message: String,
    /// `ErrorInfo.reason`, e.g. `API_KEY_INVALID`.
    pub reason: Option<String>,
    /// `RetryInfo.retryDelay`, or the "Please retry in Xs." text.
    pub retry_delay: Option<Duration>,
    /// `QuotaFailure` quota ids (a `PerDay` quota is not worth waiting for).
    pub quota_ids: Vec<String>,
}

#[derive(Deserialize)]
struct Envelope {
    error: EnvelopeBody,
}

#[derive(Deserialize)]
struct EnvelopeBody {
    #[serde(default)]
    code: Option<u16>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    details: Vec<Value>,
}

impl ApiError {
    /// Parses an error body (the envelope, the array-wrapped envelope, or anything else: then
    /// the text itself is the message). `http_status` is the response's status.
    pub fn from_body(http_status: u16, body: &str) -> Self {
        // Derived structs also accept a JSON array, so unwrap `[{…}]` by hand before parsing.
        let value = serde_json::from_str::<Value>(body).ok().map(|v| match v {
            Value::Array(mut items) if items.len() == 1 => items.remove(0),
            other => other,
        });
        let parsed = value.filter(Value::is_object).and_then(|v| serde_json::from_value::<Envelope>(v).ok());
        match parsed {
            Some(env) => Self::from_envelope(http_status, env.error),
            None => {
                let text = body.trim();
                let message = if text.is_empty() { format!("HTTP {http_status}") } else { truncate(text, 300) };
                Self::plain(http_status, message)
            }
        }
    }

    /// Parses a JSON value that may be an error envelope (as found inside a stream).
    pub fn from_stream_value(value: &Value) -> Option<Self> {
        if !value.get("error").is_some_and(Value::is_object) {
            return None;
        }
        let env: Envelope = serde_json::from_value(value.clone()).ok()?;
        let code = env.error.code.unwrap_or(500);
        Some(Self::from_envelope(code, env.error))
    }

    pub fn plain(code: u16, message: impl Into<String>) -> Self {
        Self {
            code,
            status: String::new(),
            message: message.into(),
            reason: None,
            retry_delay: None,
            quota_ids: Vec::new(),
        }
    }

    fn from_envelope(http_status: u16, body: EnvelopeBody) -> Self {
        let mut err = Self::plain(body.code.unwrap_or(http_status), body.message.unwrap_or_default());
        err.status = body.status.unwrap_or_default();
        for detail in &body.details {
            let kind = detail.get("@type").and_then(Value::as_str).unwrap_or_default();
            if kind.ends_with("google.rpc.ErrorInfo") {
                err.reason = detail.get("reason").and_then(Value::as_str).map(str::to_owned);
            } else if kind.ends_with("google.rpc.RetryInfo") {
                err.retry_delay = detail.get("retryDelay").and_then(Value::as_str).and_then(parse_duration);
            } else if kind.ends_with("google.rpc.QuotaFailure") {
                let violations = detail.get("violations").and_then(Value::as_array);
                err.quota_ids.extend(
                    violations
                        .into_iter()
                        .flatten()
                        .filter_map(|v| v.get("quotaId").and_then(Value::as_str).map(str::to_owned)),
                );
            }
        }
        if err.retry_delay.is_none() {
            err.retry_delay = retry_in_from_message(&err.message);
        }
        err
    }
}

/// A protobuf Duration string such as `"47s"` or `"0.5s"`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let secs: f64 = text.trim().strip_suffix('s')?.parse().ok()?;
    // Server-sent: never trust it to be sane (negative, NaN, 1e30 …); a day is plenty.
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)))
}

/// The "Please retry in 46.15s." hint in a 429 message (seconds only; longer forms such as
/// `10h17m5.7s` are per-day quotas, reported as a long wait).
fn retry_in_from_message(message: &str) -> Option<Duration> {
    let tail = &message[message.find("retry in ")? + "retry in ".len()..];
    let token = tail.split_whitespace().next()?.trim_end_matches('.');
    parse_duration(token).or_else(|| token.contains('h').then(|| Duration::from_secs(3600)))
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Everything that can go wrong while asking Gemini for a reply.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum GeminiError {
    #[error("Gemini answered {}: {}", .0.code, .0.message)]
    Api(ApiError),
    #[error("network error: {0}")]
    Network(String),
    #[error("the reply stream was cut before it finished")]
    StreamCut,
    #[error("the request was stopped")]
    Aborted,
    /// The prompt was blocked, or the reply refused with no text. `dangerous`: Gemini rated it
    /// dangerous content (see `safety`), which the app reads as possibly self-harm related.
    #[error("Gemini declined to answer ({reason})")]
    Blocked { reason: String, dangerous: bool },
    #[error("unexpected answer from Gemini: {0}")]
    BadResponse(String),
}

/// What the app should do about an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// Wait this long and try again by itself (transient failure, no text received yet).
    RetryAfter(Duration),
    /// The user has to change something (key, model, message) and retry by hand.
    Fix,
}

/// Longest wait we retry by ourselves; longer quotas are reported, not waited for.
pub const MAX_AUTO_WAIT: Duration = Duration::from_secs(60);

impl GeminiError {
    pub(super) fn is_daily_quota(&self) -> bool {
        match self {
            GeminiError::Api(e) => {
                e.quota_ids.iter().any(|q| q.contains("PerDay"))
                    || e.message.contains("limit: 0,")
                    || e.retry_delay.is_some_and(|d| d > MAX_AUTO_WAIT)
            }
            _ => false,
        }
    }

    /// Whether (and when) to retry on our own. Only sensible when no reply text has arrived.
    /// `attempt` counts from 1 (the attempt that just failed); `jitter` is in `0.0..1.0`.
    pub fn recovery(&self, attempt: u32, jitter: f64) -> Recovery {
        const MAX_ATTEMPTS: u32 = 3;
        if attempt >= MAX_ATTEMPTS {
            return Recovery::Fix;
        }
        let backoff = || Recovery::RetryAfter(backoff(attempt, Duration::from_secs(30), jitter));
        match self {
            GeminiError::Api(e) if e.code == 429 => match e.retry_delay {
                _ if self.is_daily_quota() => Recovery::Fix,
                Some(wait) => Recovery::RetryAfter(wait + Duration::from_millis((jitter * 500.0) as u64)),
                None => backoff(),
            },
            GeminiError::Api(e) if matches!(e.code, 408 | 500 | 502 | 503 | 504) => backoff(),
            GeminiError::Network(_) => backoff(),
            _ => Recovery::Fix,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BAD_KEY: &str = r#"{
  "error": {
    "code": 400,
    "message": "API key not valid. Please pass a valid API key.",
    "status": "INVALID_ARGUMENT",
    "details": [
      {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com"},
      {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US", "message": "x"}
    ]
  }
}"#;

    const RATE: &str = r#"{"error": {"code": 429,
  "message": "You exceeded your current quota.\n* Quota exceeded for metric: m, limit: 5, model: gemini-3.5-flash\nPlease retry in 46.153412518s.",
  "status": "RESOURCE_EXHAUSTED",
  "details": [
    {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]},
    {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "46s"}
  ]}}"#;

    #[test]
    fn bad_key_envelope() {
        let e = ApiError::from_body(400, BAD_KEY);
        assert_eq!(e.reason.as_deref(), Some("API_KEY_INVALID"));
        assert_eq!(e.status, "INVALID_ARGUMENT");
        let err = GeminiError::Api(e);
        assert!(err.user_message().contains("key was not accepted"));
        assert_eq!(err.recovery(1, 0.0), Recovery::Fix);
    }

    #[test]
    fn rate_limit_uses_retry_info() {
        let e = ApiError::from_body(429, RATE);
        assert_eq!(e.retry_delay, Some(Duration::from_secs(46)));
        let err = GeminiError::Api(e);
        assert_eq!(err.recovery(1, 0.0), Recovery::RetryAfter(Duration::from_secs(46)));
        assert!(err.user_message().contains("Retry in 46 s"));
    }

    #[test]
    fn rate_limit_falls_back_to_message_text_and_refuses_daily_quotas() {
        let e = ApiError::from_body(
            429,
            r#"{"error":{"code":429,"message":"Please retry in 2.5s.","status":"RESOURCE_EXHAUSTED"}}"#,
        );
        assert_eq!(e.retry_delay, Some(Duration::from_millis(2500)));
        let daily = ApiError::from_body(
            429,
            r#"{"error":{"code":429,"message":"Quota exceeded. Please retry in 10h17m5.7s.","status":"RESOURCE_EXHAUSTED",
              "details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]}]}}"#,
        );
        let err = GeminiError::Api(daily);
        assert_eq!(err.recovery(1, 0.0), Recovery::Fix);
        assert!(err.user_message().contains("today's Gemini quota"));
    }

    #[test]
    fn absurd_retry_delays_are_bounded_not_fatal() {
        assert_eq!(parse_duration("1e20s"), Some(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("-3s"), None);
        assert_eq!(parse_duration("NaNs"), None);
    }

    #[test]
    fn array_wrapped_and_non_json_bodies() {
        let wrapped = format!("[{BAD_KEY}]");
        assert_eq!(ApiError::from_body(400, &wrapped).reason.as_deref(), Some("API_KEY_INVALID"));
        let e = ApiError::from_body(502, "<html>Bad Gateway</html>");
        assert_eq!(e.code, 502);
        assert_eq!(e.message, "<html>Bad Gateway</html>");
    }

    #[test]
    fn server_errors_back_off_then_give_up() {
        let err = GeminiError::Api(ApiError::plain(503, "The model is overloaded."));
        let Recovery::RetryAfter(first) = err.recovery(1, 0.0) else { panic!() };
        let Recovery::RetryAfter(second) = err.recovery(2, 0.0) else { panic!() };
        assert!(second > first);
        assert_eq!(err.recovery(3, 0.0), Recovery::Fix);
        assert!(err.user_message().contains("overloaded"));
        assert_eq!(GeminiError::Api(ApiError::plain(404, "gone")).recovery(1, 0.0), Recovery::Fix);
    }

    #[test]
    fn key_problems_behind_the_proxy_are_the_sites() {
        let err = GeminiError::Api(ApiError::from_body(400, BAD_KEY));
        assert!(err.user_message_for(true).contains("This site's Gemini key"));
        assert!(err.user_message_for(false).contains("Check it in Settings"));
        let busy = GeminiError::Api(ApiError::plain(503, "overloaded"));
        assert_eq!(busy.user_message_for(true), busy.user_message());
    }

    #[test]
    fn missing_key_message() {
        let e = ApiError::from_body(
            403,
            r#"{"error":{"code":403,"message":"Method doesn't allow unregistered callers (callers without established identity).","status":"PERMISSION_DENIED"}}"#,
        );
        assert!(GeminiError::Api(e).user_message().contains("No Gemini API key"));
    }

    #[test]
    fn stream_value_envelope() {
        let v: Value =
            serde_json::from_str(r#"{"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}"#).unwrap();
        assert_eq!(ApiError::from_stream_value(&v).unwrap().code, 503);
        assert!(ApiError::from_stream_value(&serde_json::json!({"candidates": []})).is_none());
    }
}
