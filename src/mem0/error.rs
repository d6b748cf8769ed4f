//! mem0 errors and what they mean to the user. Memory is never allowed to stop the chat:
//! these end up in the sidebar and on the reply's memory chip, not in the way of a reply.

use serde_json::Value;
use std::time::Duration;

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Mem0Error {
    #[error("mem0 did not accept the API key ({code}). Check it in Settings.")]
    Unauthorized { code: u16 },
    /// The key our proxy holds was refused: the site's to fix, not the user's.
    #[error("mem0 did not accept this site's key ({code}). Please tell whoever runs this wellness0.")]
    ServerKeyRefused { code: u16 },
    #[error("mem0 could not find that ({0}).")]
    NotFound(String),
    #[error("mem0's rate limit was reached.")]
    RateLimited { retry_after: Option<Duration> },
    #[error("mem0 is having trouble right now ({code}).")]
    Server { code: u16 },
    #[error("mem0 refused the request ({code}): {message}")]
    Rejected { code: u16, message: String },
    /// No response at all. In the browser a CORS refusal looks exactly like this.
    #[error("Could not reach mem0.")]
    Unreachable { direct: bool },
    #[error("mem0 took too long to answer.")]
    Timeout,
    #[error("mem0 sent an answer the app could not read.")]
    BadResponse,
    #[error("No mem0 API key is set. Add one in Settings, or run wellness0 behind its proxy.")]
    NoKey,
}

impl Mem0Error {
    /// Builds the error for a non-2xx answer.
    pub fn from_status(code: u16, retry_after: Option<&str>, body: &str) -> Self {
        match code {
            401 | 403 => Mem0Error::Unauthorized { code },
            404 => Mem0Error::NotFound(detail(body).unwrap_or_else(|| "404".into())),
            429 => Mem0Error::RateLimited {
                // Server-sent: never trust it to be sane (negative, NaN, 1e30 …); an hour is plenty.
                retry_after: retry_after
                    .and_then(|s| s.trim().parse::<f64>().ok())
                    .filter(|secs| secs.is_finite() && *secs >= 0.0)
                    .map(|secs| Duration::from_secs_f64(secs.min(3_600.0))),
            },
            500..=599 => Mem0Error::Server { code },
            _ => {
                Mem0Error::Rejected { code, message: detail(body).unwrap_or_else(|| body.chars().take(200).collect()) }
            }
        }
    }

    /// A sentence for the sidebar, with what to do about it.
    pub fn user_message(&self) -> String {
        match self {
            Mem0Error::RateLimited { retry_after: Some(wait) } => {
                format!("mem0's rate limit was reached; trying again in {} s.", wait.as_secs().max(1))
            }
            Mem0Error::Unreachable { direct: true } => "Could not reach mem0. If your network is fine, the mem0 API \
                 may be refusing calls from a browser (CORS): run wellness0 through its proxy (scripts/run.sh) \
                 so the server makes the calls."
                .into(),
            Mem0Error::Unreachable { direct: false } => "Could not reach mem0 through the proxy.".into(),
            other => other.to_string(),
        }
    }

    /// Whether a queued write should be tried again later (vs. needing the user to fix something).
    /// Bad keys are retried too, slowly: the user may fix the key, and the write must not be lost.
    /// A 404 or an unreadable answer usually means a wrong base URL or a portal in the way, which
    /// the user can fix, so only a request mem0 itself refused (4xx but 408/425) is given up on.
    pub fn is_transient(&self) -> bool {
        !matches!(self, Mem0Error::Rejected { code, .. } if *code != 408 && *code != 425)
    }
}

/// The `detail` (string or validation list) or `error` of an error body.
fn detail(body: &str) -> Option<String> {
    let value: Value = serde_json::from_str(body).ok()?;
    match value.get("detail").or_else(|| value.get("error"))? {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => Some(
            items
                .iter()
                .map(|i| i.get("msg").and_then(Value::as_str).map(str::to_owned).unwrap_or_else(|| i.to_string()))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_clear_errors() {
        assert_eq!(
            Mem0Error::from_status(401, None, r#"{"detail":"Invalid token"}"#),
            Mem0Error::Unauthorized { code: 401 }
        );
        assert_eq!(
            Mem0Error::from_status(429, Some("7"), ""),
            Mem0Error::RateLimited { retry_after: Some(Duration::from_secs(7)) }
        );
        assert_eq!(Mem0Error::from_status(503, None, ""), Mem0Error::Server { code: 503 });
        for hostile in ["-1", "NaN", "inf", "1e30"] {
            let Mem0Error::RateLimited { retry_after } = Mem0Error::from_status(429, Some(hostile), "") else {
                panic!()
            };
            assert!(retry_after.is_none_or(|d| d <= Duration::from_secs(3_600)), "{hostile}");
        }
        assert_eq!(
            Mem0Error::from_status(400, None, r#"{"detail":[{"msg":"field required"}]}"#),
            Mem0Error::Rejected { code: 400, message: "field required".into() }
        );
        assert_eq!(
            Mem0Error::from_status(404, None, r#"{"error":"Memory not found!"}"#),
            Mem0Error::NotFound("Memory not found!".into())
        );
    }

    #[test]
    fn unreachable_in_direct_mode_hints_at_the_proxy() {
        assert!(Mem0Error::Unreachable { direct: true }.user_message().contains("proxy"));
        assert!(Mem0Error::RateLimited { retry_after: Some(Duration::from_secs(3)) }.user_message().contains("3 s"));
    }

    #[test]
    fn what_is_worth_retrying() {
        assert!(Mem0Error::Server { code: 503 }.is_transient());
        assert!(Mem0Error::Unreachable { direct: true }.is_transient());
        assert!(Mem0Error::Unauthorized { code: 401 }.is_transient());
        assert!(!Mem0Error::Rejected { code: 400, message: String::new() }.is_transient());
        assert!(Mem0Error::Rejected { code: 408, message: String::new() }.is_transient());
        assert!(Mem0Error::NotFound("no such route".into()).is_transient());
        assert!(Mem0Error::BadResponse.is_transient());
    }
}
