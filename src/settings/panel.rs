//! The settings drawer: Gemini key, base URL and model, memory, keys, user id and persona.
//! Validation is [`SettingsForm::validate`]; this component only wires fields to it.

use super::devices::DevicesSection;
use super::fields::FormFields;
use super::form::SettingsForm;
use super::key_field::KeyField;
use super::keys_section::KeysSection;
use super::memory_fields::MemoryFields;
use super::proxy_detect;
use super::store::use_settings;
use super::values::{Settings, FALLBACK_MODELS};
use crate::gemini;
use crate::prompt::DEFAULT_PERSONA;
use crate::web::drawer::modal_while_open;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The models the key can use, as the drawer shows them.
#[derive(Clone, Debug, PartialEq)]
enum ModelList {
    /// Not asked for yet.
    Idle,
    NeedKey,
    Loading,
    Loaded(Vec<String>),
    Failed(String),
}

impl ModelList {
    fn status(&self) -> String {
        match self {
            ModelList::Idle => String::new(),
            ModelList::NeedKey => "Add a key to load the models it can use.".into(),
            ModelList::Loading => "Loading models…".into(),
            ModelList::Loaded(list) if list.is_empty() => "No chat models listed; type a model name.".into(),
            ModelList::Loaded(list) => format!("{} models available.", list.len()),
            ModelList::Failed(message) => format!("Could not load models: {message}"),
        }
    }
}

/// The settings drawer.
#[component]
pub fn SettingsPanel(
    /// Whether the drawer is open.
    open: RwSignal<bool>,
    /// Called after settings or keys were saved (memory re-lists, waiting writes go out).
    #[prop(into)]
    on_saved: Callback<()>,
    /// More sections, shown before the Save button (e.g. storage on this device).
    children: Children,
) -> impl IntoView {
    let store = use_settings();
    let drawer = NodeRef::<html::Section>::new();
    modal_while_open(drawer, open.into());
    let fields = FormFields::new(SettingsForm::from_settings(&store.settings.get_untracked()));
    let key_input = NodeRef::<html::Input>::new();
    let mem0_key_input = NodeRef::<html::Input>::new();
    let selfhosted_key_input = NodeRef::<html::Input>::new();
    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let has_key = move || store.keys.with(|k| k.gemini.is_some());
    let proxy_holds_gemini = move || store.proxy().is_some_and(|p| p.gemini.key);
    // Signed in to a shared proxy: it binds memories to the person, so the id is not theirs to change.
    let signed_in = move || store.proxy().and_then(|p| p.auth.user);

    // The model list, loaded whenever the drawer opens with a key, and after each Save.
    let model_list = RwSignal::new(ModelList::Idle);
    let load_models = move || {
        if !(has_key() || proxy_holds_gemini()) {
            return model_list.set(ModelList::NeedKey);
        }
        model_list.set(ModelList::Loading);
        let endpoint = store.gemini_endpoint();
        spawn_local(async move {
            model_list.set(match gemini::list_models(&endpoint).await {
                Ok(list) => ModelList::Loaded(list),
                Err(e) => ModelList::Failed(e.user_message()),
            })
        });
    };
    Effect::new(move |_| {
        if open.get() {
            load_models();
        }
    });
    let models_status = move || model_list.with(ModelList::status);
    let models = move || match model_list.get() {
        ModelList::Loaded(list) if !list.is_empty() => list,
        _ => FALLBACK_MODELS.iter().map(|m| m.to_string()).collect(),
    };

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(false);
        match store.settings.with_untracked(|current| fields.read().validate(current)) {
            Ok(s) => {
                let mut keys = store.keys.get_untracked();
                let inputs = [
                    (key_input, &mut keys.gemini),
                    (mem0_key_input, &mut keys.mem0),
                    (selfhosted_key_input, &mut keys.selfhosted),
                ];
                for (input, slot) in inputs {
                    if let Some(input) = input.get_untracked() {
                        let typed = input.value().trim().to_owned();
                        if !typed.is_empty() {
                            *slot = Some(typed);
                        }
                        input.set_value("");
                    }
                }
                keys.save(s.remember_keys);
                fields.show(SettingsForm::from_settings(&s));
                s.save();
                // Signed in: the memory calls use the id the proxy binds to this person.
                let live = match signed_in() {
                    Some(person) => Settings { user_id: person.user_id, ..s },
                    None => s,
                };
                store.settings.set(live);
                store.keys.set(keys);
                error.set(None);
                saved.set(true);
                load_models();
                on_saved.run(());
            }
            Err(e) => error.set(Some(e.to_string())),
        }
    };

    view! {
        <section class="settings" class:open=move || open.get() inert=move || !open.get() node_ref=drawer
            aria-labelledby="settings-title" data-testid="settings">
            <form on:submit=save>
                <header>
                    <h2 id="settings-title" tabindex="-1">"Settings"</h2>
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
                    <input id="gemini-base" type="url" data-testid="gemini-base-url" bind:value=fields.gemini_base_url disabled=move || store.proxy().is_some() />

                    <label for="gemini-model">"Model"</label>
                    <input id="gemini-model" list="gemini-models" data-testid="model" bind:value=fields.model />
                    <datalist id="gemini-models">
                        <For each=models key=|m| m.clone() let:m>
                            <option value=m.clone()></option>
                        </For>
                    </datalist>
                    <p class="hint" data-testid="models-status">{models_status}</p>
                </fieldset>

                <MemoryFields fields=fields mem0_key=mem0_key_input selfhosted_key=selfhosted_key_input />

                <KeysSection fields=fields first_key=move |()| {
                    if let Some(input) = key_input.get_untracked() {
                        let _ = input.focus();
                    }
                } />

                <fieldset>
                    <legend>"You"</legend>
                    {move || match signed_in() {
                        Some(person) => view! {
                            <p data-testid="signed-in">"Signed in as " <strong>{person.name}</strong>
                                ". This site keeps your memories apart from everyone else's."</p>
                            // Mounted while the drawer is open: the list is loaded fresh each time.
                            <Show when=move || open.get()><DevicesSection/></Show>
                        }.into_any(),
                        None => view! {
                            <label for="user-id">"User id"</label>
                            <input id="user-id" data-testid="user-id" autocomplete="off" bind:value=fields.user_id />
                            <p class="hint">"Memories are kept under this id. Use the same id on another device to pick up where you left off."</p>
                        }.into_any(),
                    }}

                    <label for="persona">"Persona"</label>
                    <textarea id="persona" rows="6" data-testid="persona" prop:value=move || fields.persona.get()
                        on:input:target=move |ev| fields.persona.set(ev.target().value())></textarea>
                    <button type="button" class="link" on:click=move |_| fields.persona.set(DEFAULT_PERSONA.into())>"Reset to the default therapist"</button>
                </fieldset>

                {children()}

                <p class="error" role="alert" data-testid="settings-error">{move || error.get()}</p>
                <div class="actions">
                    <Show when=move || saved.get()>
                        <span class="saved" data-testid="settings-saved">"Saved."</span>
                    </Show>
                    <button type="submit" class="primary" data-testid="settings-save">"Save"</button>
                </div>
            </form>
            <Show when=move || signed_in().is_some()>
                <div class="sign-out">
                    <a href=format!("{}/auth/password", proxy_detect::page_base()) data-testid="change-password">"Change password"</a>
                    <button type="button" data-testid="sign-out" on:click=move |_| spawn_local(sign_out())>"Sign out"</button>
                </div>
            </Show>
        </section>
    }
}

/// Signs out of a shared proxy: it clears the sign-in and this device's sync key, then the page
/// goes to its sign-in page. A call rather than a posted form: the CSP lets no form submit
/// anywhere (`form-action 'none'`).
pub async fn sign_out() {
    use crate::vault::storage::{remove, Private};
    remove(crate::web::storage::Scope::Device, Private::SyncKey);
    let base = proxy_detect::page_base();
    let _ = crate::web::fetch::send("POST", &format!("{base}/auth/signout"), &[], None, None).await;
    let _ = window().location().assign(&format!("{base}/auth/signin"));
}
