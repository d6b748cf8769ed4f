//! The user's settings and API keys as data, and where they are stored.
//!
//! Settings live in `localStorage`. Keys are stored apart from them: in `sessionStorage` by
//! default (gone when the tab closes), in `localStorage` only when the user ticks "remember on
//! this device". Keys are only ever sent as request headers.

use crate::prompt::DEFAULT_PERSONA;
use crate::vault::storage::{self, Private};
use crate::web::storage::Scope;
use serde::{Deserialize, Serialize};

pub const DEFAULT_GEMINI_BASE_URL: &str = "https://generativelanguage.googleapis.com";
pub const DEFAULT_MEM0_BASE_URL: &str = "https://api.mem0.ai";
pub const DEFAULT_MODEL: &str = "gemini-flash-latest";
/// Offered when the model list cannot be fetched (current ids and the `-latest` aliases).
pub const FALLBACK_MODELS: [&str; 6] = [
    "gemini-flash-latest",
    "gemini-3.5-flash",
    "gemini-3.1-pro-preview",
    "gemini-3.1-flash-lite",
    "gemini-flash-lite-latest",
    "gemini-2.5-flash-lite",
];

/// Where memories are kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemoryService {
    /// mem0's hosted service.
    #[default]
    Platform,
    /// The open-source mem0 server on a machine the person owns.
    SelfHosted,
}

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
    /// Which memory service to use in direct mode (behind the proxy, the proxy's own wins).
    pub memory_service: MemoryService,
    /// The mem0 Platform's base URL.
    pub mem0_base_url: String,
    /// The self-hosted mem0 server's base URL (empty until the person sets one).
    pub selfhosted_base_url: String,
    /// Off = incognito: no memory search and no memory writes for this chat.
    pub use_memory: bool,
    /// Memories saved from turns wait in "To review" until the person keeps or forgets them.
    pub review_memories: bool,
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
            memory_service: MemoryService::Platform,
            mem0_base_url: DEFAULT_MEM0_BASE_URL.into(),
            selfhosted_base_url: String::new(),
            use_memory: true,
            review_memories: false,
            memory_deadline_ms: 1_500,
        }
    }
}

/// API keys, held in memory and in the storage the user chose. `Debug` never prints them.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Keys {
    pub gemini: Option<String>,
    /// The mem0 Platform's key.
    pub mem0: Option<String>,
    /// The self-hosted server's key (it may run without one). Kept apart from the Platform's so
    /// that switching services never sends one service's key to the other.
    pub selfhosted: Option<String>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |key: &Option<String>| key.as_ref().map(|_| "<set>");
        f.debug_struct("Keys")
            .field("gemini", &redacted(&self.gemini))
            .field("mem0", &redacted(&self.mem0))
            .field("selfhosted", &redacted(&self.selfhosted))
            .finish()
    }
}

impl Settings {
    /// Loads settings, creating and saving a random user id on first use.
    pub fn load() -> Self {
        let mut settings: Settings = storage::get(Scope::Device, Private::Settings)
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        if settings.user_id.is_empty() {
            settings.user_id = format!("user-{:08x}", (js_sys::Math::random() * f64::from(u32::MAX)) as u32);
            settings.save();
        }
        settings
    }

    pub fn save(&self) -> bool {
        storage::set(Scope::Device, Private::Settings, &serde_json::to_string(self).unwrap_or_default())
    }
}

impl Keys {
    /// Keys remembered on this device win over keys of this tab.
    pub fn load() -> Self {
        [Scope::Device, Scope::Tab]
            .into_iter()
            .find_map(|scope| storage::get(scope, Private::Keys).and_then(|s| serde_json::from_str(&s).ok()))
            .unwrap_or_default()
    }

    /// Stores the keys where the user chose, and removes them from the other place.
    pub fn save(&self, remember: bool) {
        let (keep, drop) = if remember { (Scope::Device, Scope::Tab) } else { (Scope::Tab, Scope::Device) };
        storage::remove(drop, Private::Keys);
        if *self == Keys::default() {
            storage::remove(keep, Private::Keys);
        } else {
            storage::set(keep, Private::Keys, &serde_json::to_string(self).unwrap_or_default());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_never_show_in_debug_output() {
        let keys = Keys {
            gemini: Some("AIza-secret".into()),
            mem0: Some("m0-secret".into()),
            selfhosted: Some("sh-secret".into()),
        };
        let shown = format!("{keys:?}");
        assert!(!shown.contains("secret"), "{shown}");
        // Every key is there, redacted: a reader can tell which are set.
        assert_eq!(shown, r#"Keys { gemini: Some("<set>"), mem0: Some("<set>"), selfhosted: Some("<set>") }"#);
        let some = Keys { mem0: Some("m0-secret".into()), ..Keys::default() };
        assert_eq!(format!("{some:?}"), r#"Keys { gemini: None, mem0: Some("<set>"), selfhosted: None }"#);
    }

    #[test]
    fn old_stored_settings_get_new_defaults() {
        let s: Settings = serde_json::from_str(r#"{"model":"gemini-3.5-flash"}"#).unwrap();
        assert_eq!(s.model, "gemini-3.5-flash");
        assert_eq!(s.gemini_base_url, DEFAULT_GEMINI_BASE_URL);
        assert!(s.use_memory);
        assert_eq!(s.mem0_base_url, DEFAULT_MEM0_BASE_URL);
        assert_eq!(s.memory_service, MemoryService::Platform);
        let keys: Keys = serde_json::from_str(r#"{"gemini":"g","mem0":"m"}"#).unwrap();
        assert_eq!(keys.selfhosted, None);
    }
}
