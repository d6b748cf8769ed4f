//! The sidebar's tools: export the user's memories as a JSON file, import such a file (with a
//! preview, adding only what is new, verbatim), and delete all (typing the user id to confirm).
//! Import and delete-all are [`Action`]s: pending disables their buttons, an error is shown.

use super::store::use_memory;
use super::tidy_panel::TidyPanel;
use super::transfer::{export_json, plan_import, ImportPlan};
use crate::mem0::{Mem0Error, UserId};
use crate::web::download::download;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Export, import and delete-all, under the memory list.
#[component]
pub fn MemoryTools() -> impl IntoView {
    let store = use_memory();
    let user_id = move || store.user_id();

    let import_result = RwSignal::new(None::<String>);
    let export = move |_| {
        let memories = store.items.get_untracked();
        let stamp = String::from(js_sys::Date::new_0().to_iso_string());
        let file = export_json(&user_id(), &stamp, &memories);
        let name = format!("wellness0-memories-{}-{}.json", user_id(), &stamp[..10]);
        if download(&name, "application/json", &file).is_none() {
            import_result.set(Some("The browser did not allow the download.".into()));
        }
    };

    // Import: read the file, show a preview, then add the new ones verbatim (infer: false).
    let import_plan = RwSignal::new(None::<ImportPlan>);
    let choose_file = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        input.set_value("");
        import_result.set(None);
        spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|t| t.as_string());
            let plan = text.ok_or("That file could not be read.".to_owned()).and_then(|t| {
                store.items.with_untracked(|existing| plan_import(&t, existing)).map_err(|e| e.to_string())
            });
            match plan {
                Ok(plan) => import_plan.set(Some(plan)),
                Err(message) => import_result.set(Some(message)),
            }
        });
    };
    let import = Action::new_local(move |plan: &ImportPlan| {
        let plan = plan.clone();
        // The user id is read once: the whole import goes to one user.
        let user = user_id();
        async move {
            let client = store.client()?;
            UserId::parse(&user)?;
            let (mut added, mut failed) = (0, 0);
            for write in plan.writes(&user) {
                match client.add(&write).await {
                    Ok(_) => added += 1,
                    Err(_) => failed += 1,
                }
            }
            import_plan.set(None);
            import_result.set(Some(plan.outcome(added, failed)));
            store.schedule_refresh();
            Ok::<(), Mem0Error>(())
        }
    });
    let importing = import.pending();

    // Delete all: the user types their user id to confirm.
    let delete_all_open = RwSignal::new(false);
    let delete_all_typed = RwSignal::new(String::new());
    let delete_all = Action::new_local(move |_: &()| {
        let user = user_id();
        async move {
            let client = store.client()?;
            let user = UserId::parse(&user)?;
            client.delete_all(&user).await?;
            // Writes still waiting for this user would bring deleted memories back.
            let gone = user.to_string();
            store.change_outbox(move |o| o.discard_user(&gone)).await;
            store.items.set(Vec::new());
            delete_all_open.set(false);
            delete_all_typed.set(String::new());
            store.schedule_refresh();
            Ok::<(), Mem0Error>(())
        }
    });
    let deleting = delete_all.pending();
    let tool_error = move || {
        let import_error = import.value().get().and_then(Result::err);
        import_error.or_else(|| delete_all.value().get().and_then(Result::err)).map(|e| e.user_message())
    };

    view! {
            <footer class="memory-tools">
                <button type="button" data-testid="memory-export" disabled=move || store.items.with(Vec::is_empty) on:click=export>"Export"</button>
                <label class="button" data-testid="memory-import">
                    "Import…"
                    <input type="file" accept="application/json,.json" data-testid="memory-import-file" on:change=choose_file />
                </label>
                <TidyPanel />
                <button type="button" class="danger" data-testid="memory-delete-all" disabled=move || store.items.with(Vec::is_empty)
                    on:click=move |_| delete_all_open.set(true)>"Delete all…"</button>
            </footer>
            {move || import_plan.get().map(|plan| {
                let to_import = plan.clone();
                view! {
                    <div class="import-preview" data-testid="memory-import-preview">
                        <p>{plan.preview()}</p>
                        <ul>{plan.to_add.iter().take(5).map(|t| view! { <li>{t.clone()}</li> }).collect_view()}</ul>
                        <button type="button" class="primary" data-testid="memory-import-confirm" disabled=move || importing.get() || plan.to_add.is_empty()
                            on:click=move |_| { import.dispatch_local(to_import.clone()); }>
                            {format!("Import {}", plan.to_add.len())}
                        </button>
                        <button type="button" disabled=move || importing.get() on:click=move |_| import_plan.set(None)>"Cancel"</button>
                    </div>
                }
            })}
            {move || import_result.get().map(|r| view! { <p class="hint" role="status" data-testid="memory-import-result">{r}</p> })}
            {move || tool_error().map(|e| view! { <p class="error" role="alert" data-testid="memory-tools-error">{e}</p> })}
            <Show when=move || delete_all_open.get()>
                <div class="confirm-box" data-testid="memory-delete-all-box">
                    <label for="delete-all-confirm">{move || format!("This deletes every memory of {} in mem0, and any memory writes still waiting. Type the user id to confirm:", user_id())}</label>
                    <input id="delete-all-confirm" data-testid="memory-delete-all-input" autocomplete="off" bind:value=delete_all_typed />
                    <button type="button" class="danger" data-testid="memory-delete-all-confirm"
                        disabled=move || deleting.get() || delete_all_typed.get().trim() != user_id()
                        on:click=move |_| { delete_all.dispatch_local(()); }>"Delete all memories"</button>
                    <button type="button" on:click=move |_| { delete_all_open.set(false); delete_all_typed.set(String::new()) }>"Cancel"</button>
                </div>
            </Show>
    }
}
