//! Two quiet status lines under the top bar: "you are offline" while the browser is, and
//! "wellness0 was updated" once after a new version took over (dismissible). Both are polite
//! live regions: announced when a screen reader is free, never interrupting.

use super::use_pwa;
use leptos::prelude::*;

/// The offline and updated notices.
#[component]
pub fn PwaNotices() -> impl IntoView {
    let pwa = use_pwa();
    view! {
        <div class="pwa-notices" role="status" aria-live="polite">
            <Show when=move || !pwa.online.get()>
                <p class="pwa-note offline" data-testid="offline-note">
                    "You're offline. Your sessions are here, and memories as last listed; sending waits until you're back online."
                </p>
            </Show>
            <Show when=move || pwa.updated.get()>
                <p class="pwa-note" data-testid="updated-note">
                    "wellness0 was updated to a new version."
                    <button type="button" class="link" data-testid="updated-dismiss" on:click=move |_| pwa.updated.set(false)>
                        "Dismiss"
                    </button>
                </p>
            </Show>
        </div>
    }
}
