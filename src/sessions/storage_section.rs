//! The "On this device" part of Settings: how much the browser stores for wellness0, whether it
//! agreed to keep it (persistent storage), and one click to export every session.

use super::store::use_sessions;
use crate::db::{self, use_storage};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// `3.2 MB`, `640 KB`.
pub fn human_bytes(bytes: f64) -> String {
    match bytes {
        b if b >= 1e9 => format!("{}.{} GB", (b / 1e9) as u64, (b / 1e8) as u64 % 10),
        b if b >= 1e6 => format!("{}.{} MB", (b / 1e6) as u64, (b / 1e5) as u64 % 10),
        b => format!("{} KB", (b / 1e3).ceil() as u64),
    }
}

/// Storage use and "export everything".
#[component]
pub fn StorageSection(
    /// Whether Settings is open (the figures are read each time it opens).
    open: RwSignal<bool>,
) -> impl IntoView {
    let sessions = use_sessions();
    let storage = use_storage();
    let usage = RwSignal::new(None::<(f64, f64)>);
    let persisted = RwSignal::new(None::<bool>);
    Effect::new(move |_| {
        if open.get() {
            spawn_local(async move {
                usage.set(db::estimate().await);
                persisted.set(Some(db::persist().await));
            });
        }
    });
    let export_all = move |_| spawn_local(async move { sessions.download_all().await });
    view! {
        <fieldset data-testid="storage-section">
            <legend>"On this device"</legend>
            <p class="hint" data-testid="storage-usage">
                {move || match usage.get() {
                    Some((used, quota)) if quota > 0.0 => format!("Sessions and settings use {} of the {} this browser allows.", human_bytes(used), human_bytes(quota)),
                    _ => "The browser does not say how much it stores.".to_owned(),
                }}
            </p>
            <p class="hint" data-testid="storage-persisted">
                {move || match (persisted.get(), storage.db().is_some()) {
                    (_, false) => "This browser does not let wellness0 store anything: your sessions live in this tab only.",
                    (Some(true), _) => "The browser keeps your sessions even when it runs short of space.",
                    _ => "The browser may clear your sessions when it runs short of space: export them to keep a copy.",
                }}
            </p>
            <button type="button" data-testid="export-everything" on:click=export_all>"Export all sessions"</button>
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn sizes_read_plainly() {
        assert_eq!(human_bytes(640.0), "1 KB");
        assert_eq!(human_bytes(3_250_000.0), "3.2 MB");
        assert_eq!(human_bytes(1_200_000_000.0), "1.2 GB");
    }
}
