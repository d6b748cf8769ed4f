//! The installable, offline-ready app: the service worker's registration and its "updated"
//! mark (`worker`), whether the browser is online (`Pwa::online`), and the two quiet notices
//! that come of them (`notices`). What the worker caches, and why: docs/pwa.md.

pub mod notices;
pub mod worker;

pub use notices::PwaNotices;

use leptos::prelude::*;

/// The page's view of the app's life outside one load: online or not, and whether a newer
/// version took over since the last page showed it.
#[derive(Clone, Copy)]
pub struct Pwa {
    /// `navigator.onLine`, kept current by the browser's `online`/`offline` events.
    pub online: RwSignal<bool>,
    /// A newer version of wellness0 replaced the one cached before (shown until dismissed).
    pub updated: RwSignal<bool>,
}

/// The page's handle (provided by the app shell).
pub fn use_pwa() -> Pwa {
    expect_context()
}

impl Pwa {
    /// Starts following the connection and registers the service worker. Call once per page,
    /// from a component (the listeners live as long as the page).
    pub fn start() -> Self {
        let pwa = Self { online: RwSignal::new(crate::web::is_online()), updated: RwSignal::new(false) };
        let online = pwa.online;
        let _ = window_event_listener(leptos::ev::online, move |_| online.set(true));
        let _ = window_event_listener(leptos::ev::offline, move |_| online.set(false));
        let updated = pwa.updated;
        worker::register(move || updated.set(true));
        pwa
    }
}
