//! The session list: a column on wide screens, a drawer from the left on narrower ones. New
//! session at the top, search across sessions, the sessions newest first, an Undo for a
//! session just deleted, and import / delete all at the bottom.

use super::finder::SessionFinder;
use super::item::SessionItem;
use super::store::use_sessions;
use super::transfer::parse_import;
use crate::web::drawer::modal_while_open;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The sessions column / drawer.
#[component]
pub fn SessionList() -> impl IntoView {
    let sessions = use_sessions();
    let drawer = NodeRef::<html::Section>::new();
    modal_while_open(drawer, sessions.open.into());
    let query = RwSignal::new(String::new());
    let searching = move || !query.with(|q| q.trim().is_empty());
    let notice = RwSignal::new(None::<String>);
    let confirm_all = RwSignal::new(false);
    let choose_file = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        input.set_value("");
        notice.set(None);
        spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|t| t.as_string());
            let parsed = text
                .ok_or_else(|| "That file could not be read.".to_owned())
                .and_then(|t| parse_import(&t).map_err(|e| e.to_string()));
            let message = match parsed {
                Ok(files) => match sessions.import(files).await {
                    Ok(1) => "Imported 1 session.".to_owned(),
                    Ok(n) => format!("Imported {n} sessions."),
                    Err(e) => format!("The session could not be stored: {e}."),
                },
                Err(message) => message,
            };
            notice.set(Some(message));
        });
    };
    view! {
        <section class="sessions" class:open=move || sessions.open.get() node_ref=drawer data-testid="session-list"
            aria-labelledby="sessions-title">
            <header>
                <h2 id="sessions-title" tabindex="-1">"Sessions"</h2>
                <button type="button" class="primary" data-testid="list-new-session" on:click=move |_| sessions.new_session()>
                    "New session"
                </button>
                <button type="button" class="icon close-drawer" aria-label="Close sessions" data-testid="sessions-close"
                    on:click=move |_| sessions.open.set(false)>"×"</button>
            </header>
            <SessionFinder query=query />
            {move || sessions.undo.get().map(|gone| view! {
                <p class="undo" role="status" data-testid="session-undo-box">
                    {format!("Deleted “{}”. ", gone.shown_title())}
                    <button type="button" class="link" data-testid="session-undo" on:click=move |_| sessions.undo_delete()>"Undo"</button>
                </p>
            })}
            // Hidden, not unmounted, while searching: building 200 rows again when the box is
            // cleared would hold the page for ~100 ms.
            <div class="session-rows" hidden=searching>
                <ul class="session-list" data-testid="sessions">
                    <For each=move || sessions.list.get() key=|s| (s.id, s.updated_ms.to_bits(), s.title.clone(), s.count) let:meta>
                        <SessionItem meta=meta />
                    </For>
                </ul>
                <Show when=move || sessions.list.with(Vec::is_empty)>
                    <p class="hint" data-testid="sessions-empty">"Your past sessions will be listed here."</p>
                </Show>
            </div>
            <footer class="session-tools">
                <label class="button" data-testid="session-import">
                    "Import session…"
                    <input type="file" accept="application/json,.json" data-testid="session-import-file" on:change=choose_file />
                </label>
                <button type="button" class="danger" data-testid="sessions-delete-all" disabled=move || sessions.list.with(Vec::is_empty)
                    on:click=move |_| confirm_all.set(true)>"Delete all…"</button>
            </footer>
            {move || notice.get().map(|n| view! { <p class="hint" role="status" data-testid="session-import-result">{n}</p> })}
            <Show when=move || confirm_all.get()>
                <div class="confirm-box" role="alertdialog" aria-label="Delete all sessions" data-testid="sessions-delete-all-box">
                    <p>{move || format!("Delete all {} sessions from this device? This cannot be undone. Memories stay in mem0.", sessions.list.with(Vec::len))}</p>
                    <button type="button" class="danger" data-testid="sessions-delete-all-confirm"
                        on:click=move |_| { sessions.delete_all(); confirm_all.set(false) }>"Delete all sessions"</button>
                    <button type="button" on:click=move |_| confirm_all.set(false)>"Cancel"</button>
                </div>
            </Show>
        </section>
    }
}
