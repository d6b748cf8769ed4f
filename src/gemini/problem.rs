//! What went wrong with a reply, as it is stored with the reply: a kind (plus the API's own
//! detail text where there is one), never an English sentence. [`ReplyProblem::message`] words
//! it for the view, so the wording can change without touching stored conversations.

use super::error::GeminiError;
use crate::service::{Service, StoredProblem};
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "StoredProblem", into = "StoredProblem")]
pub enum ReplyProblem {
    KeyInvalid,
    KeyExpired,
    NoKey,
    /// The key the wellness0 proxy holds was refused.
    SiteKeyRefused {
        code: u16,
    },
    BadRequest {
        detail: String,
    },
    AccessDenied {
        detail: String,
    },
    ModelNotFound {
        detail: String,
    },
    DailyQuota,
    RateLimited {
        retry_in_ms: Option<u64>,
    },
    Overloaded,
    ServerError {
        code: u16,
    },
    Other {
        code: u16,
        detail: String,
    },
    Network,
    StreamCut,
    Stopped,
    /// `dangerous`: Gemini rated it dangerous content (`gemini::safety`).
    Blocked {
        reason: String,
        dangerous: bool,
    },
    BadResponse {
        detail: String,
    },
    /// The page was closed or reloaded while the reply was streaming.
    Interrupted,
    /// A sentence stored by an earlier version of wellness0 (read, never written).
    Legacy {
        text: String,
    },
}

impl GeminiError {
    /// The kind of problem, for storing with the reply. `key_held_by_site`: the request went
    /// through our proxy with its key, so a refused key is the site's to fix.
    pub fn problem(&self, key_held_by_site: bool) -> ReplyProblem {
        match self {
            GeminiError::Api(e) => {
                let key_problem = matches!(e.reason.as_deref(), Some("API_KEY_INVALID" | "API_KEY_EXPIRED"))
                    || matches!(e.code, 401 | 403);
                if key_held_by_site && key_problem {
                    return ReplyProblem::SiteKeyRefused { code: e.code };
                }
                match (e.code, e.reason.as_deref()) {
                    (400, Some("API_KEY_INVALID")) => ReplyProblem::KeyInvalid,
                    (400, Some("API_KEY_EXPIRED")) => ReplyProblem::KeyExpired,
                    (400, _) => ReplyProblem::BadRequest { detail: e.message.clone() },
                    (401 | 403, _) if e.message.contains("unregistered callers") => ReplyProblem::NoKey,
                    (401 | 403, _) => ReplyProblem::AccessDenied { detail: e.message.clone() },
                    (404, _) => ReplyProblem::ModelNotFound { detail: e.message.clone() },
                    (429, _) if self.is_daily_quota() => ReplyProblem::DailyQuota,
                    (429, _) => ReplyProblem::RateLimited { retry_in_ms: e.retry_delay.map(|d| d.as_millis() as u64) },
                    (503, _) => ReplyProblem::Overloaded,
                    (500..=599, _) => ReplyProblem::ServerError { code: e.code },
                    _ => ReplyProblem::Other { code: e.code, detail: e.message.clone() },
                }
            }
            GeminiError::Network(_) => ReplyProblem::Network,
            GeminiError::StreamCut => ReplyProblem::StreamCut,
            GeminiError::Aborted => ReplyProblem::Stopped,
            GeminiError::Blocked { reason, dangerous } => {
                ReplyProblem::Blocked { reason: reason.clone(), dangerous: *dangerous }
            }
            GeminiError::BadResponse(detail) => ReplyProblem::BadResponse { detail: detail.clone() },
        }
    }

    /// A short, plain sentence for the bubble (the user's own key).
    pub fn user_message(&self) -> String {
        self.problem(false).message()
    }

    /// Like [`GeminiError::user_message`], for a request whose key the proxy holds.
    pub fn user_message_for(&self, key_held_by_site: bool) -> String {
        self.problem(key_held_by_site).message()
    }
}

impl ReplyProblem {
    /// A short, plain sentence: what happened and what to do.
    pub fn message(&self) -> String {
        match self {
            ReplyProblem::KeyInvalid => {
                "Your Gemini API key was not accepted. Check it in Settings, then retry.".into()
            }
            ReplyProblem::KeyExpired => "Your Gemini API key has expired. Renew it in Settings.".into(),
            ReplyProblem::NoKey => "No Gemini API key is set. Add one in Settings.".into(),
            ReplyProblem::SiteKeyRefused { code } => Service::Gemini.site_key_refused(*code),
            ReplyProblem::BadRequest { detail } => format!("Gemini could not use this request: {detail}"),
            ReplyProblem::AccessDenied { detail } => format!("Gemini refused access: {detail}"),
            ReplyProblem::ModelNotFound { detail } => {
                format!("The model was not found or is retired. Pick another model in Settings. ({detail})")
            }
            ReplyProblem::DailyQuota => {
                "You have used up today's Gemini quota for this model. Try another model or enable billing.".into()
            }
            ReplyProblem::RateLimited { retry_in_ms: Some(ms) } => {
                format!("Gemini's rate limit was reached. Retry in {}.", human_secs(Duration::from_millis(*ms)))
            }
            ReplyProblem::RateLimited { retry_in_ms: None } => {
                "Gemini's rate limit was reached. Wait a moment, then retry.".into()
            }
            ReplyProblem::Overloaded => {
                "Gemini is overloaded right now. Retry in a little while, or pick another model.".into()
            }
            ReplyProblem::ServerError { code } => {
                format!("Gemini had a server error ({code}). Retry in a little while.")
            }
            ReplyProblem::Other { code, detail } => format!("Gemini answered {code}: {detail}"),
            ReplyProblem::Network => {
                "Could not reach Gemini. Check your connection (and the base URL in Settings), then retry.".into()
            }
            ReplyProblem::StreamCut => "The reply was cut off before it finished.".into(),
            ReplyProblem::Stopped => "Stopped.".into(),
            ReplyProblem::Blocked { reason, .. } => format!("Gemini declined to answer this message ({reason})."),
            ReplyProblem::BadResponse { detail } => format!("Gemini sent an answer the app could not read ({detail})."),
            ReplyProblem::Interrupted => "The page was closed or reloaded before this reply finished.".into(),
            ReplyProblem::Legacy { text } => text.clone(),
        }
    }

    /// What the bubble says while waiting `wait` before retrying by itself.
    pub fn waiting_message(&self, wait: Duration) -> String {
        format!("{} Trying again in {}…", self.message(), human_secs(wait))
    }
}

impl From<ReplyProblem> for StoredProblem {
    fn from(p: ReplyProblem) -> Self {
        let kind = StoredProblem::kind;
        match p {
            ReplyProblem::KeyInvalid => kind("key_invalid"),
            ReplyProblem::KeyExpired => kind("key_expired"),
            ReplyProblem::NoKey => kind("no_key"),
            ReplyProblem::SiteKeyRefused { code } => kind("site_key_refused").with_code(code),
            ReplyProblem::BadRequest { detail } => kind("bad_request").with_detail(&detail),
            ReplyProblem::AccessDenied { detail } => kind("access_denied").with_detail(&detail),
            ReplyProblem::ModelNotFound { detail } => kind("model_not_found").with_detail(&detail),
            ReplyProblem::DailyQuota => kind("daily_quota"),
            ReplyProblem::RateLimited { retry_in_ms } => kind("rate_limited").with_ms(retry_in_ms),
            ReplyProblem::Overloaded => kind("overloaded"),
            ReplyProblem::ServerError { code } => kind("server_error").with_code(code),
            ReplyProblem::Other { code, detail } => kind("other").with_code(code).with_detail(&detail),
            ReplyProblem::Network => kind("network"),
            ReplyProblem::StreamCut => kind("stream_cut"),
            ReplyProblem::Stopped => kind("stopped"),
            ReplyProblem::Blocked { reason, dangerous: false } => kind("blocked").with_detail(&reason),
            ReplyProblem::Blocked { reason, dangerous: true } => kind("blocked_dangerous").with_detail(&reason),
            ReplyProblem::BadResponse { detail } => kind("bad_response").with_detail(&detail),
            ReplyProblem::Interrupted => kind("interrupted"),
            ReplyProblem::Legacy { text } => kind("legacy").with_detail(&text),
        }
    }
}

impl From<StoredProblem> for ReplyProblem {
    /// A kind this version does not know (written by a newer one) reads as its own name.
    fn from(s: StoredProblem) -> Self {
        let (code, detail) = (s.code_or_zero(), s.detail_or_empty());
        match s.kind.as_str() {
            "key_invalid" => ReplyProblem::KeyInvalid,
            "key_expired" => ReplyProblem::KeyExpired,
            "no_key" => ReplyProblem::NoKey,
            "site_key_refused" => ReplyProblem::SiteKeyRefused { code },
            "bad_request" => ReplyProblem::BadRequest { detail },
            "access_denied" => ReplyProblem::AccessDenied { detail },
            "model_not_found" => ReplyProblem::ModelNotFound { detail },
            "daily_quota" => ReplyProblem::DailyQuota,
            "rate_limited" => ReplyProblem::RateLimited { retry_in_ms: s.ms },
            "overloaded" => ReplyProblem::Overloaded,
            "server_error" => ReplyProblem::ServerError { code },
            "other" => ReplyProblem::Other { code, detail },
            "network" => ReplyProblem::Network,
            "stream_cut" => ReplyProblem::StreamCut,
            "stopped" => ReplyProblem::Stopped,
            "blocked" => ReplyProblem::Blocked { reason: detail, dangerous: false },
            "blocked_dangerous" => ReplyProblem::Blocked { reason: detail, dangerous: true },
            "bad_response" => ReplyProblem::BadResponse { detail },
            "interrupted" => ReplyProblem::Interrupted,
            "legacy" => ReplyProblem::Legacy { text: detail },
            other => ReplyProblem::Legacy { text: other.to_owned() },
        }
    }
}

/// "3 s", "1 min 5 s".
pub fn human_secs(d: Duration) -> String {
    let secs = d.as_secs_f64().ceil() as u64;
    if secs < 60 {
        format!("{secs} s")
    } else {
        format!("{} min {} s", secs / 60, secs % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemini::error::ApiError;

    #[test]
    fn kinds_survive_storage_and_read_the_same() {
        let every = [
            ReplyProblem::KeyInvalid,
            ReplyProblem::KeyExpired,
            ReplyProblem::NoKey,
            ReplyProblem::SiteKeyRefused { code: 403 },
            ReplyProblem::BadRequest { detail: "d".into() },
            ReplyProblem::AccessDenied { detail: "d".into() },
            ReplyProblem::ModelNotFound { detail: "d".into() },
            ReplyProblem::DailyQuota,
            ReplyProblem::RateLimited { retry_in_ms: Some(46_000) },
            ReplyProblem::RateLimited { retry_in_ms: None },
            ReplyProblem::Overloaded,
            ReplyProblem::ServerError { code: 500 },
            ReplyProblem::Other { code: 418, detail: "d".into() },
            ReplyProblem::Network,
            ReplyProblem::StreamCut,
            ReplyProblem::Stopped,
            ReplyProblem::Blocked { reason: "SAFETY".into(), dangerous: false },
            ReplyProblem::Blocked { reason: "SAFETY".into(), dangerous: true },
            ReplyProblem::BadResponse { detail: "d".into() },
            ReplyProblem::Interrupted,
            ReplyProblem::Legacy { text: "An old sentence.".into() },
        ];
        for problem in every {
            let json = serde_json::to_string(&problem).unwrap();
            let back: ReplyProblem = serde_json::from_str(&json).unwrap();
            assert_eq!(back, problem, "{json}");
        }
        let stored = serde_json::to_string(&ReplyProblem::SiteKeyRefused { code: 403 }).unwrap();
        assert_eq!(stored, r#"{"kind":"site_key_refused","code":403}"#, "a kind, not a sentence");
        let newer: ReplyProblem = serde_json::from_str(r#"{"kind":"from_the_future"}"#).unwrap();
        assert_eq!(newer, ReplyProblem::Legacy { text: "from_the_future".into() });
        assert_eq!(
            ReplyProblem::RateLimited { retry_in_ms: Some(46_000) }.message(),
            "Gemini's rate limit was reached. Retry in 46 s."
        );
    }

    #[test]
    fn waiting_says_how_long() {
        let p = GeminiError::Api(ApiError::plain(503, "overloaded")).problem(false);
        assert_eq!(
            p.waiting_message(Duration::from_millis(1_500)),
            "Gemini is overloaded right now. Retry in a little while, or pick another model. Trying again in 2 s…"
        );
        assert_eq!(human_secs(Duration::from_secs(65)), "1 min 5 s");
    }

    #[test]
    fn only_key_problems_become_the_sites() {
        let denied = GeminiError::Api(ApiError::plain(403, "nope"));
        assert_eq!(denied.problem(true), ReplyProblem::SiteKeyRefused { code: 403 });
        assert_eq!(denied.problem(false), ReplyProblem::AccessDenied { detail: "nope".into() });
        assert_eq!(GeminiError::StreamCut.problem(true), ReplyProblem::StreamCut);
    }
}
