//! Browser storage: `localStorage` for what should outlive the tab, `sessionStorage` for what
//! should not (keys, unless the user opts in). Failures (private mode, quota) are reported to
//! the caller, never panics.

use web_sys::Storage;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Survives closing the browser.
    Device,
    /// Cleared when the tab closes.
    Tab,
}

fn storage(scope: Scope) -> Option<Storage> {
    let window = web_sys::window()?;
    match scope {
        Scope::Device => window.local_storage().ok().flatten(),
        Scope::Tab => window.session_storage().ok().flatten(),
    }
}

pub fn get(scope: Scope, key: &str) -> Option<String> {
    storage(scope)?.get_item(key).ok().flatten()
}

/// Stores a value; `false` when the browser refused (quota exceeded, storage disabled).
pub fn set(scope: Scope, key: &str, value: &str) -> bool {
    storage(scope).is_some_and(|s| s.set_item(key, value).is_ok())
}

pub fn remove(scope: Scope, key: &str) {
    if let Some(s) = storage(scope) {
        let _ = s.remove_item(key);
    }
}

/// Where [`device_id`] keeps its id (the name is from when only sync used it).
const DEVICE_KEY: &str = "wellness0.sync-device";

thread_local! {
    /// [`device_id`] as read or made the first time this page asked (every memory row asks).
    static DEVICE: std::cell::OnceCell<String> = const { std::cell::OnceCell::new() };
}

/// This browser's device id: 12 random hex digits, made once and kept. It names the device in
/// sync's clocks and in the memories it saves, so another device can tell they came from here.
pub fn device_id() -> String {
    DEVICE.with(|id| id.get_or_init(kept_or_new_device_id).clone())
}

fn kept_or_new_device_id() -> String {
    // The rule of a device in a sync clock (`sync::clock::valid_device`, above this layer).
    let valid = |id: &String| {
        (1..=32).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if let Some(id) = get(Scope::Device, DEVICE_KEY).filter(valid) {
        return id;
    }
    let id: String =
        (0..12).map(|_| char::from_digit((js_sys::Math::random() * 16.0) as u32 % 16, 16).unwrap_or('0')).collect();
    set(Scope::Device, DEVICE_KEY, &id);
    id
}
