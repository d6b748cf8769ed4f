//! One memory in the sidebar: its text (always as text, never HTML), categories and times,
//! and its actions: edit in place, delete, history, and useful / not useful feedback (where the
//! service has feedback). Each action is one [`Action`]: its pending state disables the row's
//! buttons and its error shows on the row.

use super::history::{change_text, short_time};
use super::marks::{missing_source, source, MissingSource};
use super::sources::use_memory_sources;
use super::store::use_memory;
use crate::mem0::wire::HistoryEntry;
use crate::mem0::{Mem0Error, Memory, MemoryChange};
use leptos::prelude::*;

/// What a row can ask mem0 to do.
#[derive(Clone)]
enum RowCall {
    Update(String),
    Delete,
    History,
    Feedback(bool),
}

/// A memory row.
#[component]
pub fn MemoryItem(
    /// The memory as listed.
    memory: Memory,
    /// "used · 0.82" when the selected reply used this memory.
    #[prop(into)]
    mark: Signal<Option<String>>,
) -> impl IntoView {
    let store = use_memory();
    let id = StoredValue::new(memory.id.clone());
    let text = StoredValue::new(memory.memory.clone());
    // Buttons named just "Edit" or "Delete" are described by the memory they act on.
    let text_id = StoredValue::new(format!("memory-{}", memory.id));
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(memory.memory.clone());
    let confirm_delete = RwSignal::new(false);
    let history = RwSignal::new(None::<Vec<HistoryEntry>>);
    let history_open = RwSignal::new(false);
    let feedback_sent = RwSignal::new(None::<bool>);
    let has_feedback = store.capabilities().feedback;

    let call = Action::new_local(move |call: &RowCall| {
        let call = call.clone();
        // Read the id now: the row may be gone (filtered, re-listed) when the call returns.
        let id = id.get_value();
        async move {
            let client = store.client()?;
            match call {
                RowCall::Update(new_text) => {
                    client.update(&id, &MemoryChange { text: Some(new_text), metadata: None }).await?;
                    editing.set(false);
                    // Only this memory is fetched again (its new text and times), not the list.
                    match client.get(&id).await? {
                        Some(memory) => store.upsert_item(memory),
                        None => store.remove_item(&id),
                    }
                }
                RowCall::Delete => {
                    client.delete(&id).await?;
                    store.remove_item(&id);
                }
                RowCall::History => history.set(Some(client.history(&id).await?)),
                RowCall::Feedback(useful) => {
                    client.feedback(&id, useful).await?;
                    feedback_sent.set(Some(useful));
                }
            }
            Ok::<(), Mem0Error>(())
        }
    });
    let busy = call.pending();
    // The last call's error, until the next call starts.
    let problem =
        move || (!busy.get()).then(|| call.value().get().and_then(Result::err)).flatten().map(|e| e.user_message());

    let save_edit = move |_| {
        let new_text = draft.get_untracked().trim().to_owned();
        if new_text.is_empty() || new_text == text.get_value() {
            editing.set(false);
            return;
        }
        call.dispatch_local(RowCall::Update(new_text));
    };
    let toggle_history = move |_| {
        history_open.update(|o| *o = !*o);
        if history_open.get_untracked() {
            call.dispatch_local(RowCall::History);
        }
    };

    let sources = use_memory_sources();
    let missing = match missing_source(&memory, &crate::web::storage::device_id()) {
        MissingSource::OtherDevice => "from a session on your other device",
        MissingSource::Deleted => "from a session that was deleted",
    };
    let from = source(&memory).zip(sources).map(|((session, message), sources)| {
        let title = move || sources.title.run(session);
        view! {
            <span class="from" data-testid="memory-source">
                {move || match title() {
                    Some(title) => view! {
                        "from: "
                        <button type="button" class="link" data-testid="memory-source-open"
                            on:click=move |_| sources.open.run((session, message))>{title}</button>
                    }.into_any(),
                    None => view! { {missing} }.into_any(),
                }}
            </span>
        }
    });
    let created = memory.created_at.clone().unwrap_or_default();
    let updated = memory.updated_at.clone().filter(|u| *u != created);
    view! {
        <li class="memory-item" class:used=move || mark.get().is_some() data-testid="memory-item" data-id=memory.id.clone()>
            <Show
                when=move || editing.get()
                fallback=move || view! { <p class="memory-text" id=text_id.get_value() data-testid="memory-text">{text.get_value()}</p> }
            >
                <textarea class="memory-edit" data-testid="memory-edit-input" rows="3" aria-label="Edit memory"
                    prop:value=move || draft.get() on:input:target=move |ev| draft.set(ev.target().value())></textarea>
                <div class="row-actions">
                    <button type="button" class="primary" data-testid="memory-edit-save" disabled=move || busy.get() on:click=save_edit>"Save"</button>
                    <button type="button" on:click=move |_| { draft.set(text.get_value()); editing.set(false) }>"Cancel"</button>
                </div>
            </Show>
            <div class="memory-meta">
                {move || mark.get().map(|m| view! { <span class="used-mark" data-testid="memory-used-mark">{m}</span> })}
                {memory.categories.iter().map(|c| view! { <span class="chip">{c.replace('_', " ")}</span> }).collect_view()}
                <time title=created.clone()>{short_time(&created)}</time>
                {updated.map(|u| view! { <span class="updated" title=u.clone()>{format!("edited {}", short_time(&u))}</span> })}
                {from}
            </div>
            <div class="row-actions">
                <button type="button" class="link" aria-describedby=text_id.get_value() data-testid="memory-edit" on:click=move |_| editing.set(true)>"Edit"</button>
                <Show
                    when=move || confirm_delete.get()
                    fallback=move || view! { <button type="button" class="link" aria-describedby=text_id.get_value() data-testid="memory-delete" on:click=move |_| confirm_delete.set(true)>"Delete"</button> }
                >
                    <button type="button" class="link danger" data-testid="memory-delete-confirm" disabled=move || busy.get()
                        on:click=move |_| { call.dispatch_local(RowCall::Delete); }>"Really delete"</button>
                    <button type="button" class="link" on:click=move |_| confirm_delete.set(false)>"Keep"</button>
                </Show>
                <button type="button" class="link" aria-describedby=text_id.get_value() data-testid="memory-history" aria-expanded=move || history_open.get().to_string() on:click=toggle_history>"History"</button>
                <Show when=move || has_feedback>
                    <span class="feedback">
                        {move || match feedback_sent.get() {
                            Some(true) => view! { <span data-testid="memory-feedback-sent">"Marked useful"</span> }.into_any(),
                            Some(false) => view! { <span data-testid="memory-feedback-sent">"Marked not useful"</span> }.into_any(),
                            None => view! {
                                <button type="button" class="link" aria-describedby=text_id.get_value() data-testid="memory-useful" disabled=move || busy.get()
                                    on:click=move |_| { call.dispatch_local(RowCall::Feedback(true)); }>"Useful"</button>
                                <button type="button" class="link" aria-describedby=text_id.get_value() data-testid="memory-not-useful" disabled=move || busy.get()
                                    on:click=move |_| { call.dispatch_local(RowCall::Feedback(false)); }>"Not useful"</button>
                            }.into_any(),
                        }}
                    </span>
                </Show>
            </div>
            <Show when=move || history_open.get()>
                <ol class="history" data-testid="memory-history-list">
                    {move || history.get().map(|entries| {
                        entries.into_iter().map(|e| view! {
                            <li>
                                <strong>{e.event.clone().unwrap_or_default()}</strong>" "
                                <span>{change_text(&e)}</span>" "
                                <time>{e.created_at.as_deref().map(short_time).unwrap_or_default()}</time>
                            </li>
                        }).collect_view()
                    })}
                </ol>
            </Show>
            {move || problem().map(|p| view! { <p class="error" role="alert" data-testid="memory-item-error">{p}</p> })}
        </li>
    }
}
