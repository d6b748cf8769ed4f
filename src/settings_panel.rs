//! Settings drawer: Gemini key, base URL, model, persona, user id.
//!
//! The key field is write-only: what is typed is moved into memory and storage on Save and
//! the field is emptied, so the key is not left in the DOM; the panel only says whether a key
//! is set.

use crate::app::{AppCtx, Mode};
use crate::gemini;
use crate::memory::sync as memory_sync;
use crate::prompt::DEFAULT_PERSONA;
use crate::settings::{normalize_base_url, validate_model, validate_user_id, Keys, Settings, FALLBACK_MODELS};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The settings drawer.
#[component]
pub fn SettingsPanel(
    /// Whether the drawer is open.
    open: RwSignal<bool>,
) -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let current = ctx.settings.get_untracked();
    let base_url = RwSignal::new(current.gemini_base_url.clone());
    let model = RwSignal::new(current.model.clone());
    let persona = RwSignal::new(current.persona.clone());
    let user_id = RwSignal::new(current.user_id.clone());
    let remember = RwSignal::new(current.remember_keys);
    let mem0_base_url = RwSignal::new(current.mem0_base_url.clone());
    let use_memory = RwSignal::new(current.use_memory);
    let deadline = RwSignal::new(current.memory_deadline_ms.to_string());
    let key_input = NodeRef::<html::Input>::new();
    let mem0_key_input = NodeRef::<html::Input>::new();
    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let models = RwSignal::new(FALLBACK_MODELS.iter().map(|m| m.to_string()).collect::<Vec<_>>());
    let models_status = RwSignal::new(String::new());
    let has_key = move || ctx.keys.with(|k| k.gemini.is_some());
    let has_mem0_key = move || ctx.keys.with(|k| k.mem0.is_some());
    let proxy = move || match ctx.mode.get() {
        Mode::Proxy(info) => Some(info),
        _ => None,
    };
    let proxy_holds_gemini = move || proxy().is_some_and(|p| p.gemini.key);
    let proxy_holds_mem0 = move || proxy().is_some_and(|p| p.mem0.key);

    let load_models = move || {
        let endpoint = ctx.gemini_endpoint();
        if endpoint.api_key.is_none() && !proxy_holds_gemini() {
            models_status.set("Add a key to load the models it can use.".into());
            return;
        }
        models_status.set("Loading models…".into());
        spawn_local(async move {
            match gemini::list_models(&endpoint).await {
                Ok(list) if !list.is_empty() => {
                    models_status.set(format!("{} models available.", list.len()));
                    models.set(list);
                }
                Ok(_) => models_status.set("No chat models listed; type a model name.".into()),
                Err(e) => models_status.set(format!("Could not load models: {}", e.user_message())),
            }
        });
    };
    // Load the list whenever the drawer opens with a key.
    Effect::new(move |_| {
        if open.get() && (has_key() || proxy_holds_gemini()) {
            load_models();
        }
    });

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(false);
        let result = (|| -> Result<Settings, String> {
            let mut s = ctx.settings.get_untracked();
            s.gemini_base_url = normalize_base_url(&base_url.get_untracked()).map_err(|e| e.to_string())?;
            s.user_id = validate_user_id(&user_id.get_untracked()).map_err(|e| e.to_string())?;
            s.model = validate_model(&model.get_untracked()).map_err(|e| e.to_string())?;
            s.persona = persona.get_untracked();
            s.remember_keys = remember.get_untracked();
            s.mem0_base_url = normalize_base_url(&mem0_base_url.get_untracked()).map_err(|e| format!("mem0: {e}"))?;
            s.use_memory = use_memory.get_untracked();
            s.memory_deadline_ms = deadline
                .get_untracked()
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|ms| (100..=30_000).contains(ms))
                .ok_or("The memory deadline must be between 100 and 30000 ms.")?;
            Ok(s)
        })();
        match result {
            Ok(s) => {
                let mut keys = ctx.keys.get_untracked();
                for (input, slot) in [(key_input, &mut keys.gemini), (mem0_key_input, &mut keys.mem0)] {
                    if let Some(input) = input.get_untracked() {
                        let typed = input.value().trim().to_owned();
                        if !typed.is_empty() {
                            *slot = Some(typed);
                        }
                        input.set_value("");
                    }
                }
                keys.save(s.remember_keys);
                base_url.set(s.gemini_base_url.clone());
                s.save();
                ctx.settings.set(s);
                ctx.keys.set(keys);
                error.set(None);
                saved.set(true);
                load_models();
                ctx.memory.status.set(crate::memory::store::ListStatus::Idle);
                ctx.memory.items.set(Vec::new());
                memory_sync::schedule_refresh(ctx);
                memory_sync::kick(ctx);
            }
            Err(message) => error.set(Some(message)),
        }
    };
    let forget_keys = move |_| {
        let keys = Keys::default();
        keys.save(ctx.settings.with_untracked(|s| s.remember_keys));
        ctx.keys.set(keys);
    };

    view! {
        <aside class="settings" class:open=move || open.get() aria-hidden=move || (!open.get()).to_string() data-testid="settings">
            <form on:submit=save>
                <header>
                    <h2>"Settings"</h2>
                    <button type="button" class="icon" aria-label="Close settings" data-testid="settings-close" on:click=move |_| open.set(false)>
                        "×"
                    </button>
                </header>

                <fieldset>
                    <legend>"Gemini"</legend>
                    <KeyField
                        name="gemini"
                        service="Gemini"
                        node_ref=key_input
                        is_set=Signal::derive(has_key)
                        held_by_proxy=Signal::derive(proxy_holds_gemini)
                        placeholder="Paste your Gemini API key"
                    />

                    <label for="gemini-base">"Base URL"</label>
                    <input id="gemini-base" type="url" data-testid="gemini-base-url" bind:value=base_url disabled=move || proxy().is_some() />

                    <label for="gemini-model">"Model"</label>
                    <input id="gemini-model" list="gemini-models" data-testid="model" bind:value=model />
                    <datalist id="gemini-models">
                        <For each=move || models.get() key=|m| m.clone() let:m>
                            <option value=m.clone()></option>
                        </For>
                    </datalist>
                    <p class="hint" data-testid="models-status">{move || models_status.get()}</p>
                </fieldset>

                <fieldset>
                    <legend>"Memory (mem0)"</legend>
                    <label class="check">
                        <input type="checkbox" data-testid="use-memory" prop:checked=move || use_memory.get() on:change:target=move |ev| use_memory.set(ev.target().checked()) />
                        "Use memory (off = incognito: nothing looked up or saved)"
                    </label>
                    <KeyField
                        name="mem0"
                        service="mem0"
                        node_ref=mem0_key_input
                        is_set=Signal::derive(has_mem0_key)
                        held_by_proxy=Signal::derive(proxy_holds_mem0)
                        placeholder="Paste your mem0 API key (m0-…)"
                    />
                    <label for="mem0-base">"Base URL"</label>
                    <input id="mem0-base" type="url" data-testid="mem0-base-url" bind:value=mem0_base_url disabled=move || proxy().is_some() />
                    <label for="memory-deadline">"Memory search deadline (ms)"</label>
                    <input id="memory-deadline" inputmode="numeric" data-testid="memory-deadline" bind:value=deadline />
                </fieldset>

                <fieldset>
                    <legend>"Keys"</legend>
                    <label class="check">
                        <input type="checkbox" data-testid="remember-keys" prop:checked=move || remember.get() on:change:target=move |ev| remember.set(ev.target().checked()) />
                        "Remember keys on this device (otherwise they are forgotten when the tab closes)"
                    </label>
                    <Show when=move || has_key() || has_mem0_key()>
                        <button type="button" class="link" data-testid="forget-keys" on:click=forget_keys>"Forget keys"</button>
                    </Show>
                </fieldset>

                <fieldset>
                    <legend>"You"</legend>
                    <label for="user-id">"User id"</label>
                    <input id="user-id" data-testid="user-id" autocomplete="off" bind:value=user_id />
                    <p class="hint">"Memories are kept under this id. Use the same id on another device to pick up where you left off."</p>

                    <label for="persona">"Persona"</label>
                    <textarea id="persona" rows="6" data-testid="persona" prop:value=move || persona.get() on:input:target=move |ev| persona.set(ev.target().value())></textarea>
                    <button type="button" class="link" on:click=move |_| persona.set(DEFAULT_PERSONA.into())>"Reset to the default therapist"</button>
                </fieldset>

                <p class="error" role="alert" data-testid="settings-error">{move || error.get()}</p>
                <div class="actions">
                    <Show when=move || saved.get()>
                        <span class="saved" data-testid="settings-saved">"Saved."</span>
                    </Show>
                    <button type="submit" class="primary" data-testid="settings-save">"Save"</button>
                </div>
            </form>
        </aside>
    }
}

/// A write-only API key field, or a note that the proxy holds that key.
#[component]
fn KeyField(
    /// Short id: `gemini` or `mem0` (element ids and test ids derive from it).
    name: &'static str,
    /// The service's name as the user knows it.
    service: &'static str,
    /// The input, read and emptied on Save.
    node_ref: NodeRef<html::Input>,
    /// Whether a key is stored.
    is_set: Signal<bool>,
    /// Whether the proxy holds this key (then the field is hidden).
    held_by_proxy: Signal<bool>,
    /// Placeholder when no key is stored.
    placeholder: &'static str,
) -> impl IntoView {
    let id = format!("{name}-key");
    view! {
        <Show when=move || held_by_proxy.get()>
            <p class="hint" data-testid=format!("{name}-key-held")>
                {format!("The wellness0 proxy holds the {service} key: no key is needed in this page.")}
            </p>
        </Show>
        <div class:hidden=move || held_by_proxy.get()>
            <label for=id.clone()>"API key"</label>
            <input
                id=id.clone()
                type="password"
                autocomplete="new-password"
                spellcheck="false"
                data-testid=id
                node_ref=node_ref
                placeholder=move || if is_set.get() { "A key is set — type to replace it" } else { placeholder }
            />
            <p class="hint">
                {move || if is_set.get() { "Key set. " } else { "No key yet. " }}
                "Sent only in a request header, never in a URL."
            </p>
        </div>
    }
}
