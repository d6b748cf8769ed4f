//! The optional passcode lock. With a passcode, everything wellness0 stores on the device is
//! sealed (AES-GCM, key from the passcode by PBKDF2-SHA256; `db/idb.js` does the sealing) and
//! the app opens on a lock screen. Locking reloads the page: nothing of the conversation stays
//! in the page's memory. Memories live in the memory service and are not affected.

pub mod idle;
pub mod lock_screen;
pub mod passcode;
pub mod section;
pub mod storage;

pub use lock_screen::LockScreen;
pub use section::PasscodeSection;

use crate::web::storage::{self as web_storage, Scope};
use leptos::prelude::*;

/// PBKDF2-SHA256 iterations: OWASP's password storage guidance asks for at least 600,000.
pub const ITERATIONS: u32 = 600_000;

/// Where the idle choice is kept: not personal, and needed before anything is unlocked.
const IDLE_KEY: &str = "wellness0.lock-after";

/// The lock as the page sees it (provided by the app shell).
#[derive(Clone, Copy)]
pub struct Vault {
    /// A passcode protects this device's data.
    pub protected: RwSignal<bool>,
    /// Minutes without use before it locks (0: never).
    pub idle_minutes: RwSignal<u32>,
    /// Locks now (stores what is unsaved first).
    pub lock: Callback<()>,
}

pub fn use_vault() -> Vault {
    expect_context()
}

impl Vault {
    pub fn new(protected: bool, lock: Callback<()>) -> Self {
        let minutes = idle::parse_minutes(web_storage::get(Scope::Device, IDLE_KEY).as_deref());
        Self { protected: RwSignal::new(protected), idle_minutes: RwSignal::new(minutes), lock }
    }

    /// Locks this tab and every other (the Lock buttons: on a shared computer no other window may
    /// stay open). Locking by itself after idle stays in its tab: another may be in use.
    pub fn lock_all(&self) {
        crate::db::announce(&crate::db::Change::Lock.to_string());
        self.lock.run(());
    }

    pub fn set_idle_minutes(&self, minutes: u32) {
        self.idle_minutes.set(minutes);
        web_storage::set(Scope::Device, IDLE_KEY, &minutes.to_string());
    }
}

/// Locks: the page starts again, on the lock screen, with nothing of before in memory.
pub fn reload() {
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}

/// Locks after the chosen time without a key, click or touch (checked every few seconds), while
/// a passcode is set; `reply_streaming` says whether a reply is arriving (not idle then).
pub fn lock_when_idle(vault: Vault, reply_streaming: impl Fn() -> bool + 'static) {
    use crate::web::time::now_ms;
    use std::time::Duration;
    let last_used = StoredValue::new(now_ms());
    // In an Rc so that `due` can be cloned into each listener.
    let reply_streaming = std::rc::Rc::new(reply_streaming);
    let due = move || {
        vault.protected.get_untracked()
            && idle::should_lock(now_ms(), last_used.get_value(), vault.idle_minutes.get_untracked(), reply_streaming())
    };
    // The key or click that ends a long absence locks rather than counts as use: timers may not
    // have run meanwhile (a sleeping computer, a frozen background tab).
    for event in ["keydown", "pointerdown", "wheel", "touchstart", "visibilitychange"] {
        let due = due.clone();
        let _ = window_event_listener_untyped(event, move |_| {
            if due() {
                vault.lock.run(());
            } else {
                last_used.set_value(now_ms());
            }
        });
    }
    let check = move || {
        if due() {
            vault.lock.run(());
        }
    };
    let _ = set_interval_with_handle(check, Duration::from_secs(5));
}
