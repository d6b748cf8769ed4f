//! The live memory sidebar: the user's memories (newest first, filtered as you type), the ones
//! used for the selected reply with their scores, pending writes, and export / import /
//! delete-all. A column on wide screens, a drawer on phones.

use super::item::MemoryItem;
use super::store::{matches_filter, ListStatus};
use super::sync as memory_sync;
use super::transfer::{export_json, plan_import, ImportPlan};
use crate::app::{AppCtx, Mode};
use crate::http::now_ms;
use crate::mem0::wire::{add_body, TurnMessage};
use crate::mem0::MemoryApi;
use crate::memory::usage::{format_score, UsedMemory};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;
use std::collections::HashMap;
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

/// How many memory rows are shown before "Show more".
const ROWS_PER_PAGE: usize = 100;

/// The memory sidebar.
#[component]
pub fn MemorySidebar() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let memory = ctx.memory;
    let filter = RwSignal::new(String::new());
    let configured = Memo::new(move |_| {
        ctx.mode.track();
        ctx.keys.track();
        ctx.memory_client().is_ok()
    });
    let incognito = move || ctx.settings.with(|s| !s.use_memory);
    let user_id = move || ctx.settings.with(|s| s.user_id.clone());

    // The memories the selected reply used, by id, with their scores.
    let used: Memo<Vec<UsedMemory>> = Memo::new(move |_| {
        let Some(reply) = memory.selected_reply.get() else { return Vec::new() };
        let Some((_, row)) = ctx.chat.find(reply) else { return Vec::new() };
        row.memory.with(|m| m.as_ref().map(|m| m.used().to_vec()).unwrap_or_default())
    });
    let used_scores: Memo<HashMap<String, Option<f64>>> =
        Memo::new(move |_| used.with(|u| u.iter().map(|m| (m.id.clone(), m.score)).collect()));
    // Long lists are shown a page at a time: a thousand rows would cost a long paint.
    let shown = RwSignal::new(ROWS_PER_PAGE);
    let matching = Memo::new(move |_| {
        let f = filter.get();
        memory.items.with(|items| items.iter().filter(|m| matches_filter(m, &f)).cloned().collect::<Vec<_>>())
    });
    let visible = Memo::new(move |_| matching.with(|m| m.iter().take(shown.get()).cloned().collect::<Vec<_>>()));
    let hidden_count = move || matching.with(Vec::len).saturating_sub(shown.get());

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
        spawn_local(async move {
            let (mut added, mut failed) = (0, 0);
            for text in &plan.to_add {
                let message = [TurnMessage { role: "user".into(), content: text.clone() }];
                let body = add_body(&user_id(), &message, json!({"app": "wellness0", "imported": true}), false);
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
        spawn_local(async move {
            match client.delete_all(&user_id()).await {
                Ok(()) => {
                    // Writes still waiting for this user would bring deleted memories back.
                    memory.update_outbox(|o| o.discard_user(&user_id()));
                    memory.items.set(Vec::new());
                    delete_all_open.set(false);
                    delete_all_typed.set(String::new());
                    memory_sync::schedule_refresh(ctx);
                }
                Err(e) => memory.error.set(Some(e.user_message())),
            }
        });
    };

    let waiting = move || memory.outbox.with(|o| o.waiting());
    let given_up = move || memory.outbox.with(|o| o.items.iter().filter(|w| w.gave_up).cloned().collect::<Vec<_>>());

    view! {
        <aside class="memory" class:open=move || memory.open.get() data-testid="memory-sidebar" aria-label="Memory">
            <header>
                <h2>"Memory"</h2>
                <span class="count" data-testid="memory-count">
                    {move || match memory.status.get() {
                        ListStatus::Loading => "loading…".to_owned(),
                        _ => memory.items.with(|i| format!("{}", i.len())),
                    }}
                </span>
                <button type="button" class="link" data-testid="memory-refresh" on:click=move |_| spawn_local(memory_sync::refresh(ctx))>"Refresh"</button>
                <button type="button" class="icon close-drawer" aria-label="Close memory" data-testid="memory-close" on:click=move |_| memory.open.set(false)>"×"</button>
            </header>
            <p class="hint">
                "Memories of " <strong data-testid="memory-user">{user_id}</strong>
                {move || match ctx.mode.get() { Mode::Proxy(_) => " · via the wellness0 proxy", _ => "" }}
            </p>
            <Show when=incognito>
                <p class="notice-box" data-testid="memory-incognito">"Memory is off for this chat (incognito): nothing is looked up or saved."</p>
            </Show>
            <Show when=move || !configured.get()>
                <p class="notice-box" data-testid="memory-not-configured">"Add a mem0 API key in Settings to give wellness0 a memory."</p>
            </Show>
            {move || memory.error.get().map(|e| view! { <p class="error" role="alert" data-testid="memory-error">{e}</p> })}
            <Show when=move || { waiting() > 0 }>
                <p class="pending" data-testid="memory-pending">
                    {move || match waiting() { 1 => "1 memory write waiting to be saved.".to_owned(), n => format!("{n} memory writes waiting to be saved.") }}
                    <button type="button" class="link" data-testid="memory-retry-writes" on:click=move |_| {
                        memory.update_outbox(|o| o.retry_now(now_ms()));
                        memory_sync::kick(ctx);
                    }>"Retry now"</button>
                </p>
            </Show>
            <For each=given_up key=|w| w.id let:w>
                <p class="error" data-testid="memory-write-failed">
                    {format!("A memory write was refused: {}", w.last_error.clone().unwrap_or_default())}
                    <button type="button" class="link" data-testid="memory-write-retry" on:click=move |_| {
                        memory.update_outbox(|o| o.revive(w.id, now_ms()));
                        memory_sync::kick(ctx);
                    }>"Retry"</button>
                    <button type="button" class="link" on:click=move |_| memory.update_outbox(|o| o.discard(w.id))>"Discard"</button>
                </p>
            </For>
            <Show when=move || memory.selected_reply.get().is_some()>
                <section class="used" data-testid="memory-used">
                    <h3>"Used for the selected reply"</h3>
                    <Show when=move || used.with(Vec::is_empty)>
                        <p class="hint">"No memories were used for that reply."</p>
                    </Show>
                    <ul>
                        <For each=move || used.get() key=|m| m.id.clone() let:m>
                            <li data-testid="memory-used-item">
                                <span class="score">{m.score.map(format_score).unwrap_or_default()}</span>
                                " " {m.text.clone()}
                            </li>
                        </For>
                    </ul>
                    <button type="button" class="link" on:click=move |_| memory.selected_reply.set(None)>"Clear selection"</button>
                </section>
            </Show>
            <input type="search" class="memory-search" placeholder="Search memories" aria-label="Search memories"
                data-testid="memory-search" bind:value=filter />
            <ul class="memory-list" data-testid="memory-list">
                <For
                    each=move || visible.get()
                    key=|m| (m.id.clone(), m.updated_at.clone(), m.memory.clone())
                    let:m
                >
                    {
                        let id = m.id.clone();
                        let mark = Signal::derive(move || used_scores.with(|s| s.get(&id).map(|score| match score {
                            Some(score) => format!("used · {}", format_score(*score)),
                            None => "used".to_owned(),
                        })));
                        view! { <MemoryItem memory=m mark=mark /> }
                    }
                </For>
            </ul>
            <Show when=move || { hidden_count() > 0 }>
                <button type="button" class="link" data-testid="memory-show-more" on:click=move |_| shown.update(|n| *n += ROWS_PER_PAGE)>
                    {move || format!("Show more ({} not shown)", hidden_count())}
                </button>
            </Show>
            <Show when=move || configured.get() && memory.status.get() == ListStatus::Ready && visible.with(Vec::is_empty)>
                <p class="hint" data-testid="memory-empty">
                    {move || if filter.with(String::is_empty) { "No memories yet. They appear here as you talk." } else { "No memory matches that search." }}
                </p>
            </Show>
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
        </aside>
    }
}
