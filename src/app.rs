//! The app shell: top bar, chat pane and settings drawer; provides the shared state.

use crate::chat::{Chat, Composer, MessageList};
use crate::settings::{Keys, Settings};
use crate::settings_panel::SettingsPanel;
use leptos::prelude::*;

/// State shared by every component (all fields are cheap, `Copy` handles).
#[derive(Clone, Copy)]
pub struct AppCtx {
    pub settings: RwSignal<Settings>,
    pub keys: RwSignal<Keys>,
    pub chat: Chat,
}

impl AppCtx {
    /// Reads settings, keys and the conversation from browser storage.
    pub fn load() -> Self {
        Self {
            settings: RwSignal::new(Settings::load()),
            keys: RwSignal::new(Keys::load()),
            chat: Chat::load(),
        }
    }
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let ctx = AppCtx::load();
    provide_context(ctx);
    // First visit without a key: open Settings so the way forward is obvious.
    let settings_open = RwSignal::new(ctx.keys.with_untracked(|k| k.gemini.is_none()));
    let confirm_end = RwSignal::new(false);
    let end_session = move |_| {
        ctx.chat.clear();
        confirm_end.set(false);
    };

    view! {
        <div class="app">
            <header class="topbar">
                <h1 class="brand">"wellness0"</h1>
                <span class="model-name" data-testid="model-name">{move || ctx.settings.with(|s| s.model.clone())}</span>
                <nav class="actions">
                    <button type="button" data-testid="end-session" on:click=move |_| confirm_end.set(true)
                        disabled=move || ctx.chat.rows.with(Vec::is_empty)>
                        "End session"
                    </button>
                    <button type="button" data-testid="open-settings" aria-expanded=move || settings_open.get().to_string()
                        on:click=move |_| settings_open.update(|o| *o = !*o)>
                        "Settings"
                    </button>
                </nav>
            </header>
            <Show when=move || confirm_end.get()>
                <div class="confirm" role="alertdialog" aria-label="End session" data-testid="confirm-end">
                    <span>"End this session? The conversation on this device will be cleared."</span>
                    <button type="button" class="danger" data-testid="confirm-end-yes" on:click=end_session>"End session"</button>
                    <button type="button" data-testid="confirm-end-no" on:click=move |_| confirm_end.set(false)>"Cancel"</button>
                </div>
            </Show>
            <main class="chat">
                <MessageList />
                <Composer />
            </main>
            <SettingsPanel open=settings_open />
        </div>
    }
}
