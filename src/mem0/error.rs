//! mem0 errors and what they mean to the user. Memory is never allowed to stop the chat:
//! these end up in the sidebar and on the reply's memory chip, not in the way of a reply.

use crate::service::{Service, StoredProblem};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

/// A mem0 problem. Serialisable: it is stored as a kind (not a sentence) with a reply's memory
/// lookup and with a waiting write, and worded by [`Mem0Error::user_message`] when shown.
#[derive(Clone, Debug, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[serde(from = "StoredProblem", into = "StoredProblem")]
pub enum Mem0Error {
    #[error("mem0 did not accept the API key ({code}). Check it in Settings.")]
    Unauthorized { code: u16 },
    /// The key our proxy holds was refused: the site's to fix, not the user's.
    #[error("{}", Service::Mem0.site_key_refused(*code))]
    ServerKeyRefused { code: u16 },
    #[error("mem0 could not find that ({detail}).")]
    NotFound { detail: String },
    #[error("mem0's rate limit was reached.")]
    RateLimited { retry_after: Option<Duration> },
    #[error("mem0 is having trouble right now ({code}).")]
    Server { code: u16 },
    #[error("mem0 refused the request ({code}): {message}")]
    Rejected { code: u16, message: String },
    /// No response at all. In the browser a CORS refusal looks exactly like this.
    #[error("Could not reach mem0.")]
    Unreachable { direct: bool },
    /// No response because the browser is offline (then network and CORS are not the question).
    #[error("You're offline: mem0 can't be reached until you're back online.")]
    Offline,
    #[error("mem0 took too long to answer.")]
    Timeout,
    #[error("mem0 sent an answer the app could not read.")]
    BadResponse,
    #[error("No mem0 API key is set. Add one in Settings, or run wellness0 behind its proxy.")]
    NoKey,
    #[error("No self-hosted mem0 server is set. Add its address in Settings.")]
    NoServer,
    /// mem0 accepted a write but its processing failed: nothing was saved.
    #[error("mem0 could not process this turn, so nothing was saved from it.")]
    NotProcessed,
    /// Refused before sending: an empty or wildcard user id (`*` on mem0 means every user).
    #[error("That user id cannot be used for memories (it is empty or has characters such as '*'). Set a plain one in Settings.")]
    BadUserId,
}

impl Mem0Error {
    /// Builds the error for a non-2xx answer.
    pub fn from_status(code: u16, retry_after: Option<&str>, body: &str) -> Self {
        match code {
            401 | 403 => Mem0Error::Unauthorized { code },
            404 => Mem0Error::NotFound { detail: detail(body).unwrap_or_else(|| "404".into()) },
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

    /// Memory is not set up (no key, or no server address): nothing to report per call.
    pub fn is_not_set_up(&self) -> bool {
        matches!(self, Mem0Error::NoKey | Mem0Error::NoServer)
    }

    /// Whether a queued write should be tried again later (vs. needing the user to fix something).
    /// Bad keys are retried too, slowly: the user may fix the key, and the write must not be lost.
    /// A 404 or an unreadable answer usually means a wrong base URL or a portal in the way, which
    /// the user can fix, so only a request mem0 itself refused (4xx but 408/425) is given up on.
    pub fn is_transient(&self) -> bool {
        match self {
            Mem0Error::Rejected { code, .. } => *code == 408 || *code == 425,
            Mem0Error::BadUserId | Mem0Error::NotProcessed => false,
            _ => true,
        }
    }
}

impl From<Mem0Error> for StoredProblem {
    fn from(e: Mem0Error) -> Self {
        let kind = StoredProblem::kind;
        match e {
            Mem0Error::Unauthorized { code } => kind("unauthorized").with_code(code),
            Mem0Error::ServerKeyRefused { code } => kind("site_key_refused").with_code(code),
            Mem0Error::NotFound { detail } => kind("not_found").with_detail(&detail),
            Mem0Error::RateLimited { retry_after } => {
                kind("rate_limited").with_ms(retry_after.map(|d| d.as_millis() as u64))
            }
            Mem0Error::Server { code } => kind("server").with_code(code),
            Mem0Error::Rejected { code, message } => kind("rejected").with_code(code).with_detail(&message),
            Mem0Error::Unreachable { direct: true } => kind("unreachable_direct"),
            Mem0Error::Unreachable { direct: false } => kind("unreachable"),
            Mem0Error::Offline => kind("offline"),
            Mem0Error::Timeout => kind("timeout"),
            Mem0Error::BadResponse => kind("bad_response"),
            Mem0Error::NoKey => kind("no_key"),
            Mem0Error::NoServer => kind("no_server"),
            Mem0Error::NotProcessed => kind("not_processed"),
            Mem0Error::BadUserId => kind("bad_user_id"),
        }
    }
}

impl From<StoredProblem> for Mem0Error {
    /// A kind this version does not know (written by a newer one) reads as an unreadable answer.
    fn from(s: StoredProblem) -> Self {
        let (code, detail) = (s.code_or_zero(), s.detail_or_empty());
        match s.kind.as_str() {
            "unauthorized" => Mem0Error::Unauthorized { code },
            "site_key_refused" => Mem0Error::ServerKeyRefused { code },
            "not_found" => Mem0Error::NotFound { detail },
            "rate_limited" => Mem0Error::RateLimited { retry_after: s.ms.map(Duration::from_millis) },
            "server" => Mem0Error::Server { code },
            "rejected" => Mem0Error::Rejected { code, message: detail },
            "unreachable_direct" => Mem0Error::Unreachable { direct: true },
            "unreachable" => Mem0Error::Unreachable { direct: false },
            "offline" => Mem0Error::Offline,
            "timeout" => Mem0Error::Timeout,
            "no_key" => Mem0Error::NoKey,
            "no_server" => Mem0Error::NoServer,
            "not_processed" => Mem0Error::NotProcessed,
            "bad_user_id" => Mem0Error::BadUserId,
            _ => Mem0Error::BadResponse,
        }
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
            Mem0Error::NotFound { detail: "Memory not found!".into() }
        );
    }

    #[test]
    fn stored_as_kinds() {
        let every = [
            Mem0Error::Unauthorized { code: 401 },
            Mem0Error::ServerKeyRefused { code: 403 },
            Mem0Error::NotFound { detail: "d".into() },
            Mem0Error::RateLimited { retry_after: Some(Duration::from_secs(7)) },
            Mem0Error::RateLimited { retry_after: None },
            Mem0Error::Server { code: 503 },
            Mem0Error::Rejected { code: 400, message: "m".into() },
            Mem0Error::Unreachable { direct: true },
            Mem0Error::Unreachable { direct: false },
            Mem0Error::Offline,
            Mem0Error::Timeout,
            Mem0Error::BadResponse,
            Mem0Error::NoKey,
            Mem0Error::NoServer,
            Mem0Error::NotProcessed,
            Mem0Error::BadUserId,
        ];
        for e in every {
            let json = serde_json::to_string(&e).unwrap();
            assert_eq!(serde_json::from_str::<Mem0Error>(&json).unwrap(), e, "{json}");
        }
        let json = serde_json::to_string(&Mem0Error::RateLimited { retry_after: Some(Duration::from_secs(7)) });
        assert_eq!(json.unwrap(), r#"{"kind":"rate_limited","ms":7000}"#);
        assert_eq!(
            Mem0Error::ServerKeyRefused { code: 401 }.user_message(),
            "This site's mem0 key was not accepted (401). Please tell whoever runs this wellness0."
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
        assert!(Mem0Error::NotFound { detail: "no such route".into() }.is_transient());
        assert!(!Mem0Error::BadUserId.is_transient());
        assert!(Mem0Error::BadResponse.is_transient());
    }
}
