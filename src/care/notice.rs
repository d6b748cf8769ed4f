//! Saying plainly what wellness0 is: a short notice shown on the first visit, until the person
//! says they have read it, and again whenever they ask, from Settings ("About & privacy").
//!
//! The first-run notice is a card above the conversation, not a modal: someone arriving in a
//! bad moment can start writing (or press Get help now) without dismissing anything first.

use super::dialog::Modal;
use super::help_panel::SHORTCUT;
use super::help_state::{local_storage, open_help};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Set once the person has dismissed the first-run notice.
pub const NOTICE_SEEN_KEY: &str = "wellness0.notice-seen";

/// What wellness0 is and is not, where words go, what stays on the device.
#[component]
pub fn NoticeText() -> impl IntoView {
    view! {
        <div class="notice-text">
            <p>
                <strong>"What it is. "</strong>
                "A chat that listens and remembers what you tell it. It is not a therapist and not an emergency \
                 service. If you are in danger or thinking of ending your life, "
                <button type="button" class="link" data-testid="notice-get-help" on:click=move |_| open_help()>
                    "get help now"
                </button>
                {format!(" (at the top, or {SHORTCUT}).")}
            </p>
            <p>
                <strong>"Where your words go. "</strong>
                "To Google Gemini, which writes the replies, and, if memory is on, to mem0 (the mem0 Platform or \
                 your own mem0 server), which keeps what it learns about you. If this site runs wellness0's own \
                 server, they pass through it on the way. Nowhere else: no analytics, no ads, no tracking."
            </p>
            <p data-testid="notice-on-device">
                <strong>"What stays on this device. "</strong>
                "Your sessions, drafts and settings, and your keys if you ask wellness0 to remember them. A passcode \
                 (Settings → Passcode) encrypts all of it and locks the app. Exit (top right, or Esc twice) leaves \
                 the page at once."
            </p>
        </div>
    }
}

/// The first-run card, until the person dismisses it (remembered on the device).
#[component]
pub fn FirstRunNotice() -> impl IntoView {
    let shown = RwSignal::new(!notice_seen());
    let dismiss = move |_| {
        if let Some(storage) = local_storage() {
            let _ = storage.set_item(NOTICE_SEEN_KEY, "1");
        }
        shown.set(false);
        // The button is gone: keyboard focus goes on to where one writes.
        let composer = document().query_selector("main textarea").ok().flatten();
        if let Some(composer) = composer.and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = composer.focus();
        }
    };
    view! {
        <Show when=move || shown.get()>
            <section class="first-run" aria-labelledby="first-run-title" data-testid="first-run-notice">
                <h2 id="first-run-title">"Before you start"</h2>
                <NoticeText />
                <div class="notice-actions">
                    <button type="button" class="primary" data-testid="notice-ok" on:click=dismiss>"Got it"</button>
                    <span class="hint">"Read it again any time: Settings, About & privacy."</span>
                </div>
            </section>
        </Show>
    }
}

/// Settings' "About & privacy": the same notice, in a dialog.
#[component]
pub fn AboutSection() -> impl IntoView {
    let open = RwSignal::new(false);
    view! {
        <fieldset class="about">
            <legend>"About & privacy"</legend>
            <p class="hint">"What wellness0 is and is not, where your words go, and what stays on this device."</p>
            <button type="button" data-testid="open-about" aria-haspopup="dialog" on:click=move |_| open.set(true)>
                "About & privacy"
            </button>
        </fieldset>
        <Modal open=open labelledby="about-title" class="about-dialog" testid="about-dialog">
            <header>
                <h2 id="about-title" tabindex="-1">"About & privacy"</h2>
                <button type="button" class="icon" aria-label="Close" data-testid="about-close"
                    on:click=move |_| open.set(false)>"×"</button>
            </header>
            <NoticeText />
        </Modal>
    }
}

fn notice_seen() -> bool {
    local_storage().and_then(|s| s.get_item(NOTICE_SEEN_KEY).ok().flatten()).is_some()
}
