//! One session in the list: its title (renameable in place), date and message count; opening
//! it, exporting it (Markdown to read, JSON to keep) and deleting it.

use super::store::use_sessions;
use super::transfer::{export_json, export_markdown, file_name, utc_time};
use crate::chat::session::SessionMeta;
use crate::chat::use_chat;
use crate::web::download::download;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// A session row.
#[component]
pub fn SessionItem(
    /// The session as listed.
    meta: SessionMeta,
) -> impl IntoView {
    let sessions = use_sessions();
    let chat = use_chat();
    let id = meta.id;
    let renaming = RwSignal::new(false);
    let name = RwSignal::new(meta.shown_title().to_owned());
    let menu = RwSignal::new(false);
    let is_open = move || chat.session.with(|s| s.id) == id;
    let title_id = format!("session-{id}");
    let export = move |markdown: bool| {
        menu.set(false);
        spawn_local(async move {
            let Some(file) = sessions.session_file(id).await else { return };
            let (text, name, mime) = match markdown {
                true => (export_markdown(&file), file_name(&file.session, "md"), "text/markdown"),
                false => (export_json(&file), file_name(&file.session, "json"), "application/json"),
            };
            download(&name, mime, &text);
        });
    };
    let save_name = move || {
        sessions.rename(id, &name.get_untracked());
        renaming.set(false);
    };
    view! {
        <li class="session" class:current=is_open data-testid="session-item" data-id=id.to_string()>
            <Show
                when=move || renaming.get()
                fallback=move || view! {
                    <button type="button" class="session-open" id=title_id.clone() data-testid="session-open"
                        aria-current=move || is_open().then_some("page")
                        on:click=move |_| spawn_local(async move { sessions.open_session(id, None).await })>
                        <span class="session-title" data-testid="session-title">{meta.shown_title().to_owned()}</span>
                        <span class="session-meta">
                            {format!("{} · {} messages", &utc_time(meta.updated_ms)[..10], meta.count)}
                        </span>
                    </button>
                }
            >
                <form class="rename" on:submit=move |ev| { ev.prevent_default(); save_name() }>
                    <input data-testid="session-rename-input" aria-label="Session name" bind:value=name
                        on:keydown=move |ev| if ev.key() == "Escape" { ev.stop_propagation(); renaming.set(false) } />
                    <button type="submit" class="link" data-testid="session-rename-save">"Save"</button>
                </form>
            </Show>
            <button type="button" class="icon session-menu" aria-label="Session actions" aria-haspopup="true"
                aria-expanded=move || menu.get().to_string() aria-describedby=format!("session-{id}")
                data-testid="session-menu" on:click=move |_| menu.update(|m| *m = !*m)>"⋯"</button>
            <Show when=move || menu.get()>
                <div class="session-actions" data-testid="session-actions">
                    <button type="button" class="link" data-testid="session-rename"
                        on:click=move |_| { menu.set(false); renaming.set(true) }>"Rename"</button>
                    <button type="button" class="link" data-testid="session-export-md" on:click=move |_| export(true)>"Export as Markdown"</button>
                    <button type="button" class="link" data-testid="session-export-json" on:click=move |_| export(false)>"Export as JSON"</button>
                    <button type="button" class="link danger" data-testid="session-delete"
                        on:click=move |_| { menu.set(false); sessions.delete(id) }>"Delete"</button>
                </div>
            </Show>
        </li>
    }
}
