//! The app shell: top bar, chat pane, memory sidebar and settings drawer; provides the shared
//! state and decides where API calls go (direct with the user's keys, or through our proxy).

use crate::chat::{Chat, Composer, MessageList};
use crate::gemini::Endpoint;
use crate::mem0::{Mem0Error, PlatformClient};
use crate::memory::{sync as memory_sync, MemorySidebar, MemoryStore};
use crate::proxy_mode::{self, ProxyInfo};
use crate::settings::{Keys, Settings};
use crate::settings_panel::SettingsPanel;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// How the page reaches the APIs.
#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    /// Asking the page's server whether it is our proxy.
    Detecting,
    /// Straight to Gemini and mem0 with the user's keys.
    Direct,
    /// Through the wellness0 proxy, which may hold the keys.
    Proxy(ProxyInfo),
}

/// State shared by every component (all fields are cheap, `Copy` handles).
#[derive(Clone, Copy)]
pub struct AppCtx {
    pub settings: RwSignal<Settings>,
    pub keys: RwSignal<Keys>,
    pub mode: RwSignal<Mode>,
    pub chat: Chat,
    pub memory: MemoryStore,
}

impl AppCtx {
    /// Reads settings, keys, the conversation and the outbox from browser storage.
    pub fn load() -> Self {
        Self {
            settings: RwSignal::new(Settings::load()),
            keys: RwSignal::new(Keys::load()),
            mode: RwSignal::new(Mode::Detecting),
            chat: Chat::load(),
            memory: MemoryStore::load(),
        }
    }

    fn proxy(&self) -> Option<ProxyInfo> {
        match self.mode.get_untracked() {
            Mode::Proxy(info) => Some(info),
            _ => None,
        }
    }

    /// Where Gemini calls go: through the proxy when there is one (with the user's key only if
    /// the proxy holds none), else to the configured base URL with the user's key.
    pub fn gemini_endpoint(&self) -> Endpoint {
        let key = self.keys.with_untracked(|k| k.gemini.clone());
        match self.proxy() {
            Some(p) => Endpoint {
                base_url: format!("{}{}", proxy_mode::origin(), proxy_mode::GEMINI_PATH),
                api_key: if p.gemini.key { None } else { key },
            },
            None => Endpoint { base_url: self.settings.with_untracked(|s| s.gemini_base_url.clone()), api_key: key },
        }
    }

    /// The mem0 client, or `NoKey` when memory is not set up.
    pub fn memory_client(&self) -> Result<PlatformClient, Mem0Error> {
        let key = self.keys.with_untracked(|k| k.mem0.clone());
        match self.proxy() {
            Some(p) if p.mem0.key => Ok(PlatformClient {
                base_url: format!("{}{}", proxy_mode::origin(), proxy_mode::MEM0_PATH),
                api_key: None,
                direct: false,
            }),
            Some(_) => Ok(PlatformClient {
                base_url: format!("{}{}", proxy_mode::origin(), proxy_mode::MEM0_PATH),
                api_key: Some(key.ok_or(Mem0Error::NoKey)?),
                direct: false,
            }),
            None => Ok(PlatformClient {
                base_url: self.settings.with_untracked(|s| s.mem0_base_url.clone()),
                api_key: Some(key.ok_or(Mem0Error::NoKey)?),
                direct: true,
            }),
        }
    }

    /// Whether the user has to paste a Gemini key (no proxy holds one).
    pub fn needs_gemini_key(&self) -> bool {
        match self.mode.get() {
            Mode::Proxy(p) if p.gemini.key => false,
            Mode::Detecting => false,
            _ => self.keys.with(|k| k.gemini.is_none()),
        }
    }
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let ctx = AppCtx::load();
    provide_context(ctx);
    let settings_open = RwSignal::new(false);
    let confirm_end = RwSignal::new(false);
    let confirm_yes = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = confirm_yes.get() {
            let _ = button.focus();
        }
    });
    let end_session = move |_| {
        ctx.chat.clear();
        ctx.memory.selected_reply.set(None);
        confirm_end.set(false);
    };

    // Find out whether we are behind the proxy, then load memories and send waiting writes.
    spawn_local(async move {
        let mode = match proxy_mode::detect().await {
            Some(info) => Mode::Proxy(info),
            None => Mode::Direct,
        };
        ctx.mode.set(mode);
        // First visit without any way to reach Gemini: open Settings so the way forward is obvious.
        if ctx.needs_gemini_key() {
            settings_open.set(true);
        }
        memory_sync::refresh(ctx).await;
        memory_sync::kick(ctx);
    });
    // Leaving or reloading the page: save whatever a streaming reply has received so far.
    // (Only then: an idle page has nothing unsaved, and must not overwrite another tab's save.)
    let _pagehide = window_event_listener(leptos::ev::pagehide, move |_| {
        if ctx.chat.is_busy_untracked() {
            ctx.chat.save();
        }
    });
    // Escape closes whichever drawer is open.
    let _escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            settings_open.set(false);
            ctx.memory.open.set(false);
            confirm_end.set(false);
        }
    });
    // Back online: try waiting memory writes now rather than at their next backoff.
    let _online = window_event_listener(leptos::ev::online, move |_| {
        ctx.memory.update_outbox(|o| o.retry_now(crate::http::now_ms()));
        memory_sync::kick(ctx);
    });

    let mode_name = move || match ctx.mode.get() {
        Mode::Detecting => "detecting",
        Mode::Direct => "direct",
        Mode::Proxy(_) => "proxy",
    };
    view! {
        <div class="app" data-mode=mode_name>
            <header class="topbar">
                <h1 class="brand">"wellness0"</h1>
                <span class="model-name" data-testid="model-name">{move || ctx.settings.with(|s| s.model.clone())}</span>
                <nav class="actions">
                    <button type="button" data-testid="end-session" on:click=move |_| confirm_end.set(true)
                        disabled=move || ctx.chat.rows.with(Vec::is_empty)>
                        "End session"
                    </button>
                    <button type="button" class="memory-toggle" data-testid="open-memory"
                        aria-expanded=move || ctx.memory.open.get().to_string()
                        on:click=move |_| ctx.memory.open.update(|o| *o = !*o)>
                        "Memory"
                    </button>
                    <button type="button" data-testid="open-settings" aria-expanded=move || settings_open.get().to_string()
                        on:click=move |_| settings_open.update(|o| *o = !*o)>
                        "Settings"
                    </button>
                </nav>
            </header>
            <Show when=move || ctx.chat.save_failed.get()>
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
            <SettingsPanel open=settings_open />
        </div>
    }
}
