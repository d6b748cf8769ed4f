//! The live memory sidebar: the user's memories (newest first, filtered as you type; the last
//! list kept on the device, marked, when the service cannot be reached), the ones used for the
//! selected reply with their scores, pending writes, and the tools (see `tools.rs`). A column on
//! wide screens, a drawer on phones.

use super::item::MemoryItem;
use super::marks::awaits_review;
use super::review::ReviewGroup;
use super::store::{matches_filter, use_memory, ListStatus};
use super::tools::MemoryTools;
use super::usage::{format_score, UsedMemory};
use crate::mem0::{Mem0Error, Memory};
use crate::settings::{use_settings, Mode};
use crate::web::drawer::modal_while_open;
use crate::web::time::now_ms;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::HashMap;

/// How many memory rows are shown before "Show more".
const ROWS_PER_PAGE: usize = 100;

/// The memory sidebar.
#[component]
pub fn MemorySidebar() -> impl IntoView {
    let settings = use_settings();
    let memory = use_memory();
    let drawer = NodeRef::<html::Section>::new();
    modal_while_open(drawer, memory.open.into());
    let filter = RwSignal::new(String::new());
    let setup_problem = Memo::new(move |_| settings.memory_setup_problem());
    let configured = move || setup_problem.with(Option::is_none);
    let incognito = move || settings.settings.with(|s| !s.use_memory);
    let user_id = move || memory.user_id();

    // The memories the selected reply used, by id, with their scores.
    let used: Memo<Vec<UsedMemory>> =
        Memo::new(move |_| memory.selected.with(|s| s.as_ref().map(|s| s.used.clone()).unwrap_or_default()));
    let used_scores: Memo<HashMap<String, Option<f64>>> =
        Memo::new(move |_| used.with(|u| u.iter().map(|m| (m.id.clone(), m.score)).collect()));
    // Long lists are shown a page at a time: a thousand rows would cost a long paint.
    let shown = RwSignal::new(ROWS_PER_PAGE);
    // Memories waiting for review are listed in their own group above.
    let matching = Memo::new(move |_| {
        let f = filter.get();
        let listed = |m: &&Memory| matches_filter(m, &f) && !awaits_review(m);
        memory.items.with(|items| items.iter().filter(listed).cloned().collect::<Vec<_>>())
    });
    let visible = Memo::new(move |_| matching.with(|m| m.iter().take(shown.get()).cloned().collect::<Vec<_>>()));
    let hidden_count = move || matching.with(Vec::len).saturating_sub(shown.get());

    let waiting = move || memory.outbox.with(|o| o.waiting());
    let given_up = move || memory.outbox.with(|o| o.items.iter().filter(|w| w.gave_up).cloned().collect::<Vec<_>>());

    view! {
        <section class="memory" class:open=move || memory.open.get() node_ref=drawer data-testid="memory-sidebar"
            aria-labelledby="memory-title">
            <header>
                <h2 id="memory-title" tabindex="-1">"Memory"</h2>
                <span class="count" data-testid="memory-count">
                    {move || match memory.status.get() {
                        ListStatus::Loading => "loading…".to_owned(),
                        _ => memory.items.with(|i| format!("{}", i.len())),
                    }}
                </span>
                <button type="button" class="link" data-testid="memory-refresh" on:click=move |_| spawn_local(async move { memory.refresh().await })>"Refresh"</button>
                <button type="button" class="icon close-drawer" aria-label="Close memory" data-testid="memory-close" on:click=move |_| memory.open.set(false)>"×"</button>
            </header>
            <p class="hint">
                "Memories of " <strong data-testid="memory-user">{user_id}</strong>
                {move || match settings.mode.get() { Mode::Proxy(_) => " · via the wellness0 proxy", _ => "" }}
            </p>
            <Show when=incognito>
                <p class="notice-box" data-testid="memory-incognito">"Memory is off for this chat (incognito): nothing is looked up or saved."</p>
            </Show>
            <Show when=move || !configured()>
                <p class="notice-box" data-testid="memory-not-configured">
                    {move || match setup_problem.get() {
                        Some(Mem0Error::NoServer) => "Add your mem0 server's address in Settings to give wellness0 a memory.",
                        _ => "Add a mem0 API key in Settings to give wellness0 a memory.",
                    }}
                </p>
            </Show>
            {move || memory.error.get().map(|e| view! { <p class="error" role="alert" data-testid="memory-error">{e}</p> })}
            {move || memory.stale_note().map(|note| view! { <p class="stale-note" data-testid="memory-stale">{note}</p> })}
            <Show when=move || { waiting() > 0 }>
                <p class="pending" data-testid="memory-pending">
                    {move || match waiting() { 1 => "1 memory write waiting to be saved.".to_owned(), n => format!("{n} memory writes waiting to be saved.") }}
                    <button type="button" class="link" data-testid="memory-retry-writes" on:click=move |_| memory.retry_writes_now()>"Retry now"</button>
                </p>
            </Show>
            <For each=given_up key=|w| w.id let:w>
                <p class="error" data-testid="memory-write-failed">
                    {format!("A memory write was refused: {}", w.last_error.as_ref().map(|e| e.user_message()).unwrap_or_default())}
                    <button type="button" class="link" data-testid="memory-write-retry" on:click=move |_| {
                        let (id, now) = (w.id, now_ms());
                        memory.update_outbox(move |o| o.revive(id, now));
                        memory.kick();
                    }>"Retry"</button>
                    <button type="button" class="link" on:click=move |_| { let id = w.id; memory.update_outbox(move |o| o.discard(id)) }>"Discard"</button>
                </p>
            </For>
            <Show when=move || memory.selected_reply().is_some()>
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
                                {m.breakdown.map(|b| view! {
                                    <span class="breakdown" data-testid="memory-used-breakdown">
                                        {format!("meaning {} · words {} · names {}", format_score(b.semantic), format_score(b.bm25), format_score(b.entity))}
                                    </span>
                                })}
                            </li>
                        </For>
                    </ul>
                    <button type="button" class="link" on:click=move |_| memory.clear_selection()>"Clear selection"</button>
                </section>
            </Show>
            <ReviewGroup />
            <input type="search" class="memory-search" placeholder="Search memories" aria-label="Search memories"
                data-testid="memory-search" bind:value=filter />
            <ul class="memory-list" class:stale=move || memory.stale_note().is_some() data-testid="memory-list">
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
            <Show when=move || configured() && memory.status.get() == ListStatus::Ready && visible.with(Vec::is_empty)>
                <p class="hint" data-testid="memory-empty">
                    {move || if !filter.with(String::is_empty) {
                        "No memory matches that search."
                    } else if memory.items.with(|items| items.iter().any(awaits_review)) {
                        "No kept memories yet: keep the ones above that are right."
                    } else {
                        "No memories yet. They appear here as you talk."
                    }}
                </p>
            </Show>
            <MemoryTools />
        </section>
    }
}
