//! The app shell, and the one place the parts are put together: it creates the settings, memory
//! and chat stores (each a narrow handle, provided as context), finds out whether the page is
//! behind the proxy, and lays out the top bar, chat pane, memory sidebar and settings drawer.

use crate::chat::{ChatStore, Composer, MessageList};
use crate::memory::{MemorySidebar, MemoryStore};
use crate::settings::routing::{ProxyAuth, ProxyInfo};
use crate::settings::{proxy_detect, Mode, SettingsPanel, SettingsStore};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let settings = SettingsStore::load();
    let memory = MemoryStore::load(settings);
    let chat = ChatStore::load(settings, memory);
    provide_context(settings);
    provide_context(memory);
    provide_context(chat);
    let settings_open = RwSignal::new(false);
    let confirm_end = RwSignal::new(false);
    let confirm_yes = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = confirm_yes.get() {
            let _ = button.focus();
        }
    });
    let end_session = move |_| {
        chat.clear();
        memory.clear_selection();
        confirm_end.set(false);
    };

    // Find out whether we are behind the proxy, then load memories and send waiting writes.
    spawn_local(async move {
        let mode = match proxy_detect::detect().await {
            Some(info) => Mode::Proxy(info),
            None => Mode::Direct,
        };
        // Signed in to a shared proxy: memories are kept under the id it binds to this person.
        if let Mode::Proxy(ProxyInfo { auth: ProxyAuth { user: Some(person), .. }, .. }) = &mode {
            settings.settings.update(|s| s.user_id = person.user_id.clone());
        }
        settings.mode.set(mode);
        // First visit without any way to reach Gemini: open Settings so the way forward is obvious.
        if settings.needs_gemini_key() {
            settings_open.set(true);
        }
        memory.refresh().await;
        memory.kick();
    });
    // Leaving or reloading the page: save whatever a streaming reply has received so far.
    // (Only then: an idle page has nothing unsaved, and must not overwrite another tab's save.)
    let _pagehide = window_event_listener(leptos::ev::pagehide, move |_| {
        if chat.is_busy_untracked() {
            chat.save();
        }
    });
    // Escape closes whichever drawer is open.
    let _escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            settings_open.set(false);
            memory.open.set(false);
            confirm_end.set(false);
        }
    });
    // Back online: try waiting memory writes now rather than at their next backoff.
    let _online = window_event_listener(leptos::ev::online, move |_| memory.retry_writes_now());

    let mode_name = move || match settings.mode.get() {
        Mode::Detecting => "detecting",
        Mode::Direct => "direct",
        Mode::Proxy(_) => "proxy",
    };
    view! {
        <div class="app" data-mode=mode_name>
            <header class="topbar">
                <h1 class="brand">"wellness0"</h1>
                <span class="model-name" data-testid="model-name">{move || settings.settings.with(|s| s.model.clone())}</span>
                <nav class="actions">
                    <button type="button" data-testid="end-session" on:click=move |_| confirm_end.set(true)
                        disabled=move || chat.rows.with(Vec::is_empty)>
                        "End session"
                    </button>
                    <button type="button" class="memory-toggle" data-testid="open-memory"
                        aria-expanded=move || memory.open.get().to_string()
                        on:click=move |_| memory.open.update(|o| *o = !*o)>
                        "Memory"
                    </button>
                    <button type="button" data-testid="open-settings" aria-expanded=move || settings_open.get().to_string()
                        on:click=move |_| settings_open.update(|o| *o = !*o)>
                        "Settings"
                    </button>
                </nav>
            </header>
            <Show when=move || chat.save_failed.get()>
                <p class="confirm" role="alert" data-testid="save-failed">
                    "This browser refused to store the conversation (its storage is full or switched off), so a reload would lose it. \
                     Free some site storage, or end the session when you are done."
                </p>
            </Show>
            <Show when=move || confirm_end.get()>
                <div class="confirm" role="alertdialog" aria-label="End session" data-testid="confirm-end">
                    <span>"End this session? The conversation on this device will be cleared (memories stay in mem0)."</span>
                    // Focus moves to the choice, so keyboard and screen-reader users land on it.
                    <button type="button" class="danger" data-testid="confirm-end-yes" on:click=end_session
                        node_ref=confirm_yes>"End session"</button>
                    <button type="button" data-testid="confirm-end-no" on:click=move |_| confirm_end.set(false)>"Cancel"</button>
                </div>
            </Show>
            <div class="panes">
                <main class="chat">
                    <MessageList />
                    <Composer />
                </main>
                <MemorySidebar />
            </div>
            <SettingsPanel open=settings_open on_saved=move |()| memory.settings_changed() />
        </div>
    }
}
