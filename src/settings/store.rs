//! The settings as shared reactive state: settings, keys and how the APIs are reached. Every
//! routing decision is delegated to the pure functions of [`super::routing`].

use super::proxy_detect::page_base;
use super::routing::{self, Mode, ProxyInfo};
use super::values::{Keys, Settings};
use crate::gemini::Endpoint;
use crate::mem0::{Mem0Error, MemoryClient};
use leptos::prelude::*;

/// Settings, keys and mode (all `Copy` handles).
#[derive(Clone, Copy)]
pub struct SettingsStore {
    pub settings: RwSignal<Settings>,
    pub keys: RwSignal<Keys>,
    pub mode: RwSignal<Mode>,
}

/// The settings store of the page (provided by the app shell).
pub fn use_settings() -> SettingsStore {
    expect_context()
}

impl SettingsStore {
    /// Reads settings and keys from browser storage; the mode is found out later.
    pub fn load() -> Self {
        Self {
            settings: RwSignal::new(Settings::load()),
            keys: RwSignal::new(Keys::load()),
            mode: RwSignal::new(Mode::Detecting),
        }
    }

    pub fn proxy(&self) -> Option<ProxyInfo> {
        match self.mode.get() {
            Mode::Proxy(info) => Some(info),
            _ => None,
        }
    }

    /// Where Gemini calls go now (untracked).
    pub fn gemini_endpoint(&self) -> Endpoint {
        self.with_all(|s, k, m| routing::gemini_endpoint(s, k, m, &page_base()))
    }

    /// The memory client, or `NoKey` when memory is not set up (untracked).
    pub fn memory_client(&self) -> Result<MemoryClient, Mem0Error> {
        self.with_all(|s, k, m| routing::memory_client(s, k, m, &page_base()))
    }

    /// Why memory is not set up, if it is not (tracked).
    pub fn memory_setup_problem(&self) -> Option<Mem0Error> {
        self.settings.track();
        self.keys.track();
        self.mode.track();
        self.memory_client().err()
    }

    /// Forgets every key this page stored, for the tab and on the device (the proxy's are not the
    /// page's to forget).
    pub fn forget_keys(&self) {
        let none = Keys::default();
        none.save(false);
        self.keys.set(none);
    }

    /// Whether the user has to paste a Gemini key (tracked).
    pub fn needs_gemini_key(&self) -> bool {
        self.keys.with(|k| self.mode.with(|m| routing::needs_gemini_key(k, m)))
    }

    fn with_all<R>(&self, f: impl FnOnce(&Settings, &Keys, &Mode) -> R) -> R {
        self.settings.with_untracked(|s| self.keys.with_untracked(|k| self.mode.with_untracked(|m| f(s, k, m))))
    }
}
