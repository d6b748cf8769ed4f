//! The sidebar's tools: export the user's memories as a JSON file, import such a file (with a
//! preview, adding only what is new, verbatim), and delete all (typing the user id to confirm).

use super::sync as memory_sync;
use super::transfer::{export_json, plan_import, ImportPlan};
use crate::app::AppCtx;
use crate::mem0::wire::{add_body, TurnMessage};
use crate::mem0::MemoryApi;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;
use wasm_bindgen::JsCast;

/// Offers `text` as a file download.
fn download(file_name: &str, text: &str) -> Option<()> {
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
    let anchor: web_sys::HtmlAnchorElement = document().create_element("a").ok()?.unchecked_into();
    anchor.set_href(&url);
    anchor.set_download(file_name);
    anchor.click();
    web_sys::Url::revoke_object_url(&url).ok()
}

/// Export, import and delete-all, under the memory list.
#[component]
pub fn MemoryTools() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let memory = ctx.memory;
    let user_id = move || ctx.settings.with(|s| s.user_id.clone());

    let import_result = RwSignal::new(None::<String>);
    let export = move |_| {
        let memories = memory.items.get_untracked();
        let stamp = String::from(js_sys::Date::new_0().to_iso_string());
        let file = export_json(&user_id(), &stamp, &memories);
        if download(&format!("wellness0-memories-{}-{}.json", user_id(), &stamp[..10]), &file).is_none() {
            import_result.set(Some("The browser did not allow the download.".into()));
        }
    };

    // Import: read the file, show a preview, then add the new ones verbatim (infer: false).
    let import_plan = RwSignal::new(None::<ImportPlan>);
    let importing = RwSignal::new(false);
    let choose_file = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        input.set_value("");
        import_result.set(None);
        spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|t| t.as_string());
            let plan = text.ok_or("That file could not be read.".to_owned()).and_then(|t| {
                memory.items.with_untracked(|existing| plan_import(&t, existing)).map_err(|e| e.to_string())
            });
            match plan {
                Ok(plan) => import_plan.set(Some(plan)),
                Err(message) => import_result.set(Some(message)),
            }
        });
    };
    let run_import = move |_| {
        let Some(plan) = import_plan.get_untracked() else { return };
        let client = match ctx.memory_client() {
            Ok(c) => c,
            Err(e) => return import_result.set(Some(e.user_message())),
        };
        importing.set(true);
        let user = user_id();
        spawn_local(async move {
            let (mut added, mut failed) = (0, 0);
            for text in &plan.to_add {
                let message = [TurnMessage { role: "user".into(), content: text.clone() }];
                let body = add_body(&user, &message, json!({"app": "wellness0", "imported": true}), false);
                match client.add(&body).await {
                    Ok(_) => added += 1,
                    Err(_) => failed += 1,
                }
            }
            import_plan.set(None);
            importing.set(false);
            import_result.set(Some(format!(
                "Imported {added}, skipped {} already there{}, {failed} failed.",
                plan.skipped,
                if plan.invalid > 0 { format!(" and {} unreadable", plan.invalid) } else { String::new() }
            )));
            memory_sync::schedule_refresh(ctx);
        });
    };

    // Delete all: the user types their user id to confirm.
    let delete_all_open = RwSignal::new(false);
    let delete_all_typed = RwSignal::new(String::new());
    let delete_all = move |_| {
        let Ok(client) = ctx.memory_client() else { return };
        let user = user_id();
        spawn_local(async move {
            match client.delete_all(&user).await {
                Ok(()) => {
                    // Writes still waiting for this user would bring deleted memories back.
                    memory.update_outbox(|o| o.discard_user(&user));
                    memory.items.set(Vec::new());
                    delete_all_open.set(false);
                    delete_all_typed.set(String::new());
                    memory_sync::schedule_refresh(ctx);
                }
                Err(e) => memory.error.set(Some(e.user_message())),
            }
        });
    };

    view! {
            <footer class="memory-tools">
                <button type="button" data-testid="memory-export" disabled=move || memory.items.with(Vec::is_empty) on:click=export>"Export"</button>
                <label class="button" data-testid="memory-import">
                    "Import…"
                    <input type="file" accept="application/json,.json" data-testid="memory-import-file" on:change=choose_file />
                </label>
                <button type="button" class="danger" data-testid="memory-delete-all" disabled=move || memory.items.with(Vec::is_empty)
                    on:click=move |_| delete_all_open.set(true)>"Delete all…"</button>
            </footer>
            {move || import_plan.get().map(|plan| view! {
                <div class="import-preview" data-testid="memory-import-preview">
                    <p>{format!("{} new memories to import; {} already there; {} unreadable.", plan.to_add.len(), plan.skipped, plan.invalid)}</p>
                    <ul>{plan.to_add.iter().take(5).map(|t| view! { <li>{t.clone()}</li> }).collect_view()}</ul>
                    <button type="button" class="primary" data-testid="memory-import-confirm" disabled=move || importing.get() || plan.to_add.is_empty() on:click=run_import>
                        {format!("Import {}", plan.to_add.len())}
                    </button>
                    <button type="button" disabled=move || importing.get() on:click=move |_| import_plan.set(None)>"Cancel"</button>
                </div>
            })}
            {move || import_result.get().map(|r| view! { <p class="hint" role="status" data-testid="memory-import-result">{r}</p> })}
            <Show when=move || delete_all_open.get()>
                <div class="confirm-box" data-testid="memory-delete-all-box">
                    <label for="delete-all-confirm">{move || format!("This deletes every memory of {} in mem0, and any memory writes still waiting. Type the user id to confirm:", user_id())}</label>
                    <input id="delete-all-confirm" data-testid="memory-delete-all-input" autocomplete="off" bind:value=delete_all_typed />
                    <button type="button" class="danger" data-testid="memory-delete-all-confirm"
                        disabled=move || delete_all_typed.get().trim() != user_id() on:click=delete_all>"Delete all memories"</button>
                    <button type="button" on:click=move |_| { delete_all_open.set(false); delete_all_typed.set(String::new()) }>"Cancel"</button>
                </div>
            </Show>
    }
}
