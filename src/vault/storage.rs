//! The few private values kept in `localStorage` / `sessionStorage` (settings, API keys, a reply
//! and a draft saved on the way out), read and written like plain storage — but with a passcode they are
//! stored sealed. Sealing is asynchronous (WebCrypto) while these reads are not, so after
//! unlocking, every private value is opened once into memory ([`open_all`]); reads come from
//! there, and a write updates it at once and stores the sealed value a moment later.

use crate::db::{is_sealing, open_text, seal_text};
use crate::web::storage::{self as raw, Scope};
use leptos::task::spawn_local;
use std::cell::RefCell;
use std::collections::HashMap;

/// Every private value, by what it holds. Anything not here is stored in the clear on purpose
/// (the open session's id, the help region for the lock screen, whether the notice was read).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Private {
    /// Settings: user id, persona, model, memory service.
    Settings,
    /// API keys (on the device if remembered, else for the tab).
    Keys,
    /// A streaming reply stored as the page went away.
    UnsavedReply,
    /// The draft being typed as the page went away.
    UnsavedDraft,
    /// The sync data key, with whose it is (`crate::sync::engine`).
    SyncKey,
}

impl Private {
    fn name(self) -> &'static str {
        match self {
            Private::Settings => "wellness0.settings",
            Private::Keys => "wellness0.keys",
            Private::UnsavedReply => "wellness0.unsaved",
            Private::UnsavedDraft => "wellness0.unsaved-draft",
            Private::SyncKey => "wellness0.sync-key",
        }
    }
}

/// Where each private value can be.
const ALL: [(Scope, Private); 6] = [
    (Scope::Device, Private::Settings),
    (Scope::Device, Private::Keys),
    (Scope::Tab, Private::Keys),
    (Scope::Device, Private::UnsavedReply),
    (Scope::Device, Private::UnsavedDraft),
    (Scope::Device, Private::SyncKey),
];

#[derive(Default)]
struct Opened {
    values: HashMap<(Scope, Private), String>,
    /// Bumped at each write, so a slower seal of an older value never lands after a newer one.
    versions: HashMap<(Scope, Private), u64>,
}

thread_local! {
    /// The private values, opened (`None` while nothing is sealed: reads go to storage).
    static OPENED: RefCell<Option<Opened>> = const { RefCell::new(None) };
}

pub fn get(scope: Scope, value: Private) -> Option<String> {
    OPENED
        .with_borrow(|opened| opened.as_ref().map(|o| o.values.get(&(scope, value)).cloned()))
        .unwrap_or_else(|| raw::get(scope, value.name()))
}

/// Stores a value; `false` when the browser refused. Sealed, the refusal cannot be known yet
/// (the value is kept in memory and stored sealed in the background).
pub fn set(scope: Scope, value: Private, text: &str) -> bool {
    let version = OPENED.with_borrow_mut(|opened| {
        opened.as_mut().map(|o| {
            o.values.insert((scope, value), text.to_owned());
            let v = o.versions.entry((scope, value)).or_default();
            *v += 1;
            *v
        })
    });
    let Some(version) = version else { return raw::set(scope, value.name(), text) };
    let text = text.to_owned();
    spawn_local(async move {
        let Ok(sealed) = seal_text(&text).await else { return };
        let current = OPENED.with_borrow(|opened| {
            opened.as_ref().and_then(|o| o.versions.get(&(scope, value)).copied()) == Some(version)
        });
        if current {
            raw::set(scope, value.name(), &sealed);
        }
    });
    true
}

pub fn remove(scope: Scope, value: Private) {
    OPENED.with_borrow_mut(|opened| {
        if let Some(o) = opened.as_mut() {
            o.values.remove(&(scope, value));
            *o.versions.entry((scope, value)).or_default() += 1;
        }
    });
    raw::remove(scope, value.name());
}

/// After unlocking: opens every private value into memory, and seals any still in the clear
/// (written by a tab that had not heard of the passcode yet). One that cannot be opened (sealed
/// under an earlier passcode) is dropped rather than shown as garbage.
pub async fn open_all() {
    if !is_sealing() {
        return;
    }
    let mut opened = Opened::default();
    for (scope, value) in ALL {
        let Some(stored) = raw::get(scope, value.name()) else { continue };
        match open_text(&stored).await {
            Ok(text) => {
                if !stored.starts_with(SEALED_PREFIX) {
                    if let Ok(sealed) = seal_text(&text).await {
                        raw::set(scope, value.name(), &sealed);
                    }
                }
                opened.values.insert((scope, value), text);
            }
            Err(_) => raw::remove(scope, value.name()),
        }
    }
    OPENED.set(Some(opened));
}

/// After the passcode was set, changed or removed (the database already rekeyed): stores every
/// private value again, sealed with the new key or in the clear.
pub async fn reseal_all() {
    let current: Vec<((Scope, Private), String)> =
        ALL.iter().filter_map(|&(scope, value)| Some(((scope, value), get(scope, value)?))).collect();
    for &((scope, value), ref text) in &current {
        if let Ok(stored) = seal_text(text).await {
            raw::set(scope, value.name(), &stored);
        }
    }
    OPENED.set(is_sealing().then(|| Opened { values: current.into_iter().collect(), versions: HashMap::new() }));
}

/// Every private value, gone from this device (a forgotten passcode).
pub fn erase_all() {
    OPENED.set(None);
    for (scope, value) in ALL {
        raw::remove(scope, value.name());
    }
}

/// What `seal_text` puts before a sealed value.
const SEALED_PREFIX: &str = "w0sealed:";
