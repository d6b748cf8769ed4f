//! User settings: endpoints, model, persona, user id, and API keys.
//!
//! Settings live in `localStorage`. Keys are stored apart from them: in `sessionStorage` by
//! default (gone when the tab closes), in `localStorage` only when the user ticks "remember on
//! this device". Keys are only ever sent as request headers.

use crate::prompt::DEFAULT_PERSONA;
use crate::storage::{self, Scope};
use serde::{Deserialize, Serialize};

pub const DEFAULT_GEMINI_BASE_URL: &str = "https://generativelanguage.googleapis.com";
pub const DEFAULT_MEM0_BASE_URL: &str = "https://api.mem0.ai";
pub const DEFAULT_MODEL: &str = "gemini-flash-latest";
/// Offered when the model list cannot be fetched; edit freely (see shared/api/gemini.md §6.2).
pub const FALLBACK_MODELS: [&str; 6] = [
    "gemini-flash-latest",
    "gemini-3.5-flash",
    "gemini-3.1-pro-preview",
    "gemini-3.1-flash-lite",
    "gemini-flash-lite-latest",
    "gemini-2.5-flash-lite",
];

const SETTINGS_KEY: &str = "wellness0.settings";
const KEYS_KEY: &str = "wellness0.keys";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub gemini_base_url: String,
    pub model: String,
    pub persona: String,
    pub user_id: String,
    /// Keep API keys in `localStorage` instead of `sessionStorage`.
    pub remember_keys: bool,
    /// How much earlier conversation (in characters) goes with each message.
    pub history_budget_chars: usize,
    pub mem0_base_url: String,
    /// Off = incognito: no memory search and no memory writes for this chat.
    pub use_memory: bool,
    /// How long a reply waits for the memory search before going ahead without it.
    pub memory_deadline_ms: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            gemini_base_url: DEFAULT_GEMINI_BASE_URL.into(),
            model: DEFAULT_MODEL.into(),
            persona: DEFAULT_PERSONA.into(),
            user_id: String::new(),
            remember_keys: false,
            history_budget_chars: 48_000,
            mem0_base_url: DEFAULT_MEM0_BASE_URL.into(),
            use_memory: true,
            memory_deadline_ms: 1_500,
        }
    }
}

/// API keys, held in memory and in the storage the user chose. `Debug` never prints them.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Keys {
    pub gemini: Option<String>,
    pub mem0: Option<String>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys").field("gemini", &self.gemini.as_ref().map(|_| "<set>")).finish()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("The base URL must start with http:// or https://")]
    BadUrl,
    #[error("Use https:// (plain http:// only for this computer: localhost or 127.0.0.1), so keys are not sent in the clear")]
    Cleartext,
    #[error("A model id uses only letters, digits, '.', '_' and '-', like gemini-3.5-flash")]
    BadModel,
    #[error("The user id may not be empty")]
    EmptyUserId,
    #[error("The user id may only use letters, digits, '.', '_', '-' and '@' (at most 64)")]
    BadUserId,
}

/// Trims a base URL and checks its scheme; trailing slashes are dropped.
/// Keys travel in these requests' headers, so plain `http://` is only allowed to this computer.
pub fn normalize_base_url(url: &str) -> Result<String, SettingsError> {
    let url = url.trim().trim_end_matches('/');
    let (rest, secure) = match (url.strip_prefix("https://"), url.strip_prefix("http://")) {
        (Some(rest), _) => (rest, true),
        (_, Some(rest)) => (rest, false),
        _ => return Err(SettingsError::BadUrl),
    };
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        return Err(SettingsError::BadUrl);
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let is_loopback =
        host == "localhost" || host.starts_with("localhost:") || host.starts_with("127.") || host.starts_with("[::1]");
    if !secure && !is_loopback {
        return Err(SettingsError::Cleartext);
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

pub fn validate_user_id(id: &str) -> Result<String, SettingsError> {
    let id = id.trim();
    if id.is_empty() {
        return Err(SettingsError::EmptyUserId);
    }
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@');
    if id.len() > 64 || !id.chars().all(ok_char) {
        return Err(SettingsError::BadUserId);
    }
    Ok(id.to_owned())
}

impl Settings {
    /// Loads settings, creating and saving a random user id on first use.
    pub fn load() -> Self {
        let mut settings: Settings =
            storage::get(Scope::Device, SETTINGS_KEY).and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default();
        if settings.user_id.is_empty() {
            settings.user_id = format!("user-{:08x}", (js_sys::Math::random() * f64::from(u32::MAX)) as u32);
            settings.save();
        }
        settings
    }

    pub fn save(&self) -> bool {
        storage::set(Scope::Device, SETTINGS_KEY, &serde_json::to_string(self).unwrap_or_default())
    }
}

impl Keys {
    /// Keys remembered on this device win over keys of this tab.
    pub fn load() -> Self {
        [Scope::Device, Scope::Tab]
            .into_iter()
            .find_map(|scope| storage::get(scope, KEYS_KEY).and_then(|s| serde_json::from_str(&s).ok()))
            .unwrap_or_default()
    }

    /// Stores the keys where the user chose, and removes them from the other place.
    pub fn save(&self, remember: bool) {
        let (keep, drop) = if remember { (Scope::Device, Scope::Tab) } else { (Scope::Tab, Scope::Device) };
        storage::remove(drop, KEYS_KEY);
        if *self == Keys::default() {
            storage::remove(keep, KEYS_KEY);
        } else {
            storage::set(keep, KEYS_KEY, &serde_json::to_string(self).unwrap_or_default());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(normalize_base_url(" https://x.example/ "), Ok("https://x.example".into()));
        assert_eq!(normalize_base_url("http://127.0.0.1:8787"), Ok("http://127.0.0.1:8787".into()));
        assert_eq!(normalize_base_url("ftp://x"), Err(SettingsError::BadUrl));
        assert_eq!(normalize_base_url("javascript:alert(1)"), Err(SettingsError::BadUrl));
        assert_eq!(normalize_base_url("https://"), Err(SettingsError::BadUrl));
        assert_eq!(normalize_base_url("http://localhost:8080/"), Ok("http://localhost:8080".into()));
        assert_eq!(normalize_base_url("http://[::1]:9"), Ok("http://[::1]:9".into()));
        assert_eq!(normalize_base_url("http://api.mem0.ai"), Err(SettingsError::Cleartext));
        assert_eq!(normalize_base_url("http://127.0.0.1@evil.example"), Err(SettingsError::Cleartext));
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
        assert_eq!(validate_user_id("a b"), Err(SettingsError::BadUserId));
        assert_eq!(validate_user_id(&"x".repeat(65)), Err(SettingsError::BadUserId));
    }

    #[test]
    fn keys_never_show_in_debug_output() {
        let keys = Keys { gemini: Some("AIza-secret".into()), mem0: Some("m0-secret".into()) };
        assert!(!format!("{keys:?}").contains("secret"));
    }

    #[test]
    fn old_stored_settings_get_new_defaults() {
        let s: Settings = serde_json::from_str(r#"{"model":"gemini-3.5-flash"}"#).unwrap();
        assert_eq!(s.model, "gemini-3.5-flash");
        assert_eq!(s.gemini_base_url, DEFAULT_GEMINI_BASE_URL);
        assert!(s.use_memory);
        assert_eq!(s.mem0_base_url, DEFAULT_MEM0_BASE_URL);
    }
}
