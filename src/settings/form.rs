//! The settings form as typed, and its validation into [`Settings`] (pure).

use super::values::{MemoryService, Settings};
use crate::mem0::UserId;

/// What is wrong with a base URL.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("The base URL must start with http:// or https://")]
    BadUrl,
    #[error("Use https:// (plain http:// only for this computer: localhost or 127.0.0.1), so keys are not sent in the clear")]
    Cleartext,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    GeminiUrl(UrlError),
    #[error("mem0: {0}")]
    Mem0Url(UrlError),
    #[error("Your mem0 server: {0}")]
    SelfHostedUrl(UrlError),
    #[error("A model id uses only letters, digits, '.', '_' and '-', like gemini-3.5-flash")]
    BadModel,
    #[error("The user id may not be empty")]
    EmptyUserId,
    #[error("The user id may only use letters, digits, '.', '_', '-' and '@' (at most 64)")]
    BadUserId,
    #[error("The memory deadline must be between 100 and 30000 ms.")]
    BadDeadline,
}

/// Trims a base URL and checks its scheme; trailing slashes are dropped.
/// Keys travel in these requests' headers, so plain `http://` is only allowed to this computer.
pub fn normalize_base_url(url: &str) -> Result<String, UrlError> {
    let url = url.trim().trim_end_matches('/');
    let (rest, secure) = match (url.strip_prefix("https://"), url.strip_prefix("http://")) {
        (Some(rest), _) => (rest, true),
        (_, Some(rest)) => (rest, false),
        _ => return Err(UrlError::BadUrl),
    };
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        return Err(UrlError::BadUrl);
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let is_loopback =
        host == "localhost" || host.starts_with("localhost:") || host.starts_with("127.") || host.starts_with("[::1]");
    if !secure && !is_loopback {
        return Err(UrlError::Cleartext);
    }
    Ok(url.to_owned())
}

/// A bare model id such as `gemini-3.5-flash` (a `models/` prefix is dropped).
pub fn validate_model(model: &str) -> Result<String, SettingsError> {
    let id = model.trim();
    let id = id.strip_prefix("models/").unwrap_or(id);
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if id.is_empty() || id.len() > 128 || !id.chars().all(ok) || id.starts_with('.') {
        return Err(SettingsError::BadModel);
    }
    Ok(id.to_owned())
}

/// A user id mem0 can safely be asked about (see [`UserId`]): never empty, never a wildcard.
pub fn validate_user_id(id: &str) -> Result<String, SettingsError> {
    if id.trim().is_empty() {
        return Err(SettingsError::EmptyUserId);
    }
    UserId::parse(id).map(|id| id.as_str().to_owned()).map_err(|_| SettingsError::BadUserId)
}

/// The settings drawer's fields, as the user typed them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SettingsForm {
    pub gemini_base_url: String,
    pub model: String,
    pub persona: String,
    pub user_id: String,
    pub remember_keys: bool,
    pub memory_service: MemoryService,
    pub mem0_base_url: String,
    pub selfhosted_base_url: String,
    pub use_memory: bool,
    pub review_memories: bool,
    pub memory_deadline_ms: String,
}

impl SettingsForm {
    /// The form filled with the current settings.
    pub fn from_settings(s: &Settings) -> Self {
        Self {
            gemini_base_url: s.gemini_base_url.clone(),
            model: s.model.clone(),
            persona: s.persona.clone(),
            user_id: s.user_id.clone(),
            remember_keys: s.remember_keys,
            memory_service: s.memory_service,
            mem0_base_url: s.mem0_base_url.clone(),
            selfhosted_base_url: s.selfhosted_base_url.clone(),
            use_memory: s.use_memory,
            review_memories: s.review_memories,
            memory_deadline_ms: s.memory_deadline_ms.to_string(),
        }
    }

    /// The settings this form asks for, on top of `current` (fields the form does not show are
    /// kept), or the first problem found, in the order the fields appear.
    pub fn validate(&self, current: &Settings) -> Result<Settings, SettingsError> {
        Ok(Settings {
            gemini_base_url: normalize_base_url(&self.gemini_base_url).map_err(SettingsError::GeminiUrl)?,
            user_id: validate_user_id(&self.user_id)?,
            model: validate_model(&self.model)?,
            persona: self.persona.clone(),
            remember_keys: self.remember_keys,
            memory_service: self.memory_service,
            mem0_base_url: normalize_base_url(&self.mem0_base_url).map_err(SettingsError::Mem0Url)?,
            selfhosted_base_url: self.selfhosted_url()?,
            use_memory: self.use_memory,
            review_memories: self.review_memories,
            memory_deadline_ms: self
                .memory_deadline_ms
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|ms| (100..=30_000).contains(ms))
                .ok_or(SettingsError::BadDeadline)?,
            ..current.clone()
        })
    }

    /// The self-hosted server's address: needed when that service is chosen, optional otherwise.
    fn selfhosted_url(&self) -> Result<String, SettingsError> {
        let chosen = self.memory_service == MemoryService::SelfHosted;
        if !chosen && self.selfhosted_base_url.trim().is_empty() {
            return Ok(String::new());
        }
        normalize_base_url(&self.selfhosted_base_url).map_err(SettingsError::SelfHostedUrl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(normalize_base_url(" https://x.example/ "), Ok("https://x.example".into()));
        assert_eq!(normalize_base_url("http://127.0.0.1:8787"), Ok("http://127.0.0.1:8787".into()));
        assert_eq!(normalize_base_url("ftp://x"), Err(UrlError::BadUrl));
        assert_eq!(normalize_base_url("javascript:alert(1)"), Err(UrlError::BadUrl));
        assert_eq!(normalize_base_url("https://"), Err(UrlError::BadUrl));
        assert_eq!(normalize_base_url("http://localhost:8080/"), Ok("http://localhost:8080".into()));
        assert_eq!(normalize_base_url("http://[::1]:9"), Ok("http://[::1]:9".into()));
        assert_eq!(normalize_base_url("http://api.mem0.ai"), Err(UrlError::Cleartext));
        assert_eq!(normalize_base_url("http://127.0.0.1@evil.example"), Err(UrlError::Cleartext));
    }

    #[test]
    fn model_ids() {
        assert_eq!(validate_model(" models/gemini-3.5-flash "), Ok("gemini-3.5-flash".into()));
        assert_eq!(validate_model("../../v1/x"), Err(SettingsError::BadModel));
        assert_eq!(validate_model(""), Err(SettingsError::BadModel));
    }

    #[test]
    fn user_ids() {
        assert_eq!(validate_user_id(" alice-1 "), Ok("alice-1".into()));
        assert_eq!(validate_user_id(""), Err(SettingsError::EmptyUserId));
        assert_eq!(validate_user_id("  "), Err(SettingsError::EmptyUserId));
        assert_eq!(validate_user_id("*"), Err(SettingsError::BadUserId));
        assert_eq!(validate_user_id("ann*"), Err(SettingsError::BadUserId));
        assert_eq!(validate_user_id("a b"), Err(SettingsError::BadUserId));
        assert_eq!(validate_user_id(&"x".repeat(65)), Err(SettingsError::BadUserId));
    }

    fn form() -> SettingsForm {
        SettingsForm::from_settings(&Settings { user_id: "ann".into(), ..Settings::default() })
    }

    #[test]
    fn an_unchanged_form_gives_the_same_settings() {
        let current = Settings { user_id: "ann".into(), history_budget_chars: 1_234, ..Settings::default() };
        assert_eq!(SettingsForm::from_settings(&current).validate(&current), Ok(current));
    }

    #[test]
    fn fields_are_normalised() {
        let f = SettingsForm {
            gemini_base_url: " http://127.0.0.1:9/ ".into(),
            model: "models/gemini-x".into(),
            user_id: " bob ".into(),
            memory_deadline_ms: " 2500 ".into(),
            use_memory: false,
            remember_keys: true,
            ..form()
        };
        let s = f.validate(&Settings::default()).unwrap();
        assert_eq!(
            (s.gemini_base_url.as_str(), s.model.as_str(), s.user_id.as_str()),
            ("http://127.0.0.1:9", "gemini-x", "bob")
        );
        assert_eq!((s.memory_deadline_ms, s.use_memory, s.remember_keys), (2_500, false, true));
    }

    #[test]
    fn each_bad_field_is_named() {
        let current = Settings::default();
        let check = |f: SettingsForm| f.validate(&current).unwrap_err();
        assert_eq!(
            check(SettingsForm { gemini_base_url: "ftp://x".into(), ..form() }),
            SettingsError::GeminiUrl(UrlError::BadUrl)
        );
        assert_eq!(
            check(SettingsForm { mem0_base_url: "http://api.mem0.ai".into(), ..form() }),
            SettingsError::Mem0Url(UrlError::Cleartext)
        );
        assert!(check(SettingsForm { mem0_base_url: "x".into(), ..form() }).to_string().starts_with("mem0: "));
        assert_eq!(check(SettingsForm { model: "a/b".into(), ..form() }), SettingsError::BadModel);
        assert_eq!(check(SettingsForm { user_id: "*".into(), ..form() }), SettingsError::BadUserId);
        assert_eq!(check(SettingsForm { user_id: "".into(), ..form() }), SettingsError::EmptyUserId);
        let hosted = SettingsForm { memory_service: MemoryService::SelfHosted, ..form() };
        assert_eq!(check(hosted.clone()), SettingsError::SelfHostedUrl(UrlError::BadUrl), "an address is needed");
        let insecure = SettingsForm { selfhosted_base_url: "http://mem.example".into(), ..hosted.clone() };
        assert_eq!(check(insecure), SettingsError::SelfHostedUrl(UrlError::Cleartext));
        let local = SettingsForm { selfhosted_base_url: " http://127.0.0.1:8888/ ".into(), ..hosted };
        assert_eq!(local.validate(&current).unwrap().selfhosted_base_url, "http://127.0.0.1:8888");
        for deadline in ["99", "30001", "soon", ""] {
            assert_eq!(
                check(SettingsForm { memory_deadline_ms: deadline.into(), ..form() }),
                SettingsError::BadDeadline
            );
        }
        assert_eq!(SettingsError::BadDeadline.to_string(), "The memory deadline must be between 100 and 30000 ms.");
    }
}
