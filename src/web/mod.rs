//! Browser glue: `fetch`, storage, timers, downloads and modal drawers. No app logic lives here; everything
//! above it reaches the browser through these few functions.

pub mod download;
pub mod drawer;
pub mod fetch;
pub mod storage;
pub mod time;

/// Whether the browser believes it is online (`navigator.onLine`): `false` means surely
/// offline; `true` only that some network is there.
pub fn is_online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}
