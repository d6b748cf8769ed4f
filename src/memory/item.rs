//! One memory in the sidebar: its text (always as text, never HTML), categories and times,
//! and its actions: edit in place, delete, history, and useful / not useful feedback.

use super::sync as memory_sync;
use crate::app::AppCtx;
use crate::mem0::wire::HistoryEntry;
use crate::mem0::{Memory, MemoryApi};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// `2026-11-25T10:04:05.123+00:00` → `2026-11-25 10:04`.
pub fn short_time(iso: &str) -> String {
    match (iso.get(..10), iso.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time}"),
        _ => iso.to_owned(),
    }
}

type RowAction = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>>>>;

/// Runs one mem0 call for a row, showing progress and any error on the row itself.
fn run_row_action(busy: RwSignal<bool>, problem: RwSignal<Option<String>>, call: RowAction) {
    busy.set(true);
    problem.set(None);
    spawn_local(async move {
        if let Err(message) = call.await {
            problem.set(Some(message));
        }
        busy.set(false);
    });
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
    let ctx = expect_context::<AppCtx>();
    let id = StoredValue::new(memory.id.clone());
    let text = StoredValue::new(memory.memory.clone());
    // Buttons named just "Edit" or "Delete" are described by the memory they act on.
    let text_id = StoredValue::new(format!("memory-{}", memory.id));
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(memory.memory.clone());
    let confirm_delete = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let history = RwSignal::new(None::<Vec<HistoryEntry>>);
    let history_open = RwSignal::new(false);
    let feedback_sent = RwSignal::new(None::<bool>);

    let act = move |call| run_row_action(busy, problem, call);
    let client = move || ctx.memory_client().map_err(|e| e.user_message());

    let save_edit = move |_| {
        let new_text = draft.get_untracked().trim().to_owned();
        if new_text.is_empty() || new_text == text.get_value() {
            editing.set(false);
            return;
        }
        act(Box::pin(async move {
            client()?.update(&id.get_value(), &new_text).await.map_err(|e| e.user_message())?;
            editing.set(false);
            memory_sync::schedule_refresh(ctx);
            Ok(())
        }));
    };
    let delete = move |_| {
        // Read the id now: the row may be gone (filtered, re-listed) when the call returns.
        let gone = id.get_value();
        act(Box::pin(async move {
            client()?.delete(&gone).await.map_err(|e| e.user_message())?;
            ctx.memory.items.update(|items| items.retain(|m| m.id != gone));
            memory_sync::schedule_refresh(ctx);
            Ok(())
        }));
    };
    let toggle_history = move |_| {
        history_open.update(|o| *o = !*o);
        if history_open.get_untracked() {
            act(Box::pin(async move {
                let entries = client()?.history(&id.get_value()).await.map_err(|e| e.user_message())?;
                history.set(Some(entries));
                Ok(())
            }));
        }
    };
    let send_feedback = move |useful: bool| {
        act(Box::pin(async move {
            client()?.feedback(&id.get_value(), useful).await.map_err(|e| e.user_message())?;
            feedback_sent.set(Some(useful));
            Ok(())
        }));
    };

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
            </div>
            <div class="row-actions">
                <button type="button" class="link" aria-describedby=text_id.get_value() data-testid="memory-edit" on:click=move |_| editing.set(true)>"Edit"</button>
                <Show
                    when=move || confirm_delete.get()
                    fallback=move || view! { <button type="button" class="link" aria-describedby=text_id.get_value() data-testid="memory-delete" on:click=move |_| confirm_delete.set(true)>"Delete"</button> }
                >
                    <button type="button" class="link danger" data-testid="memory-delete-confirm" on:click=delete>"Really delete"</button>
                    <button type="button" class="link" on:click=move |_| confirm_delete.set(false)>"Keep"</button>
                </Show>
                <button type="button" class="link" aria-describedby=text_id.get_value() data-testid="memory-history" aria-expanded=move || history_open.get().to_string() on:click=toggle_history>"History"</button>
                <span class="feedback">
                    {move || match feedback_sent.get() {
                        Some(true) => view! { <span data-testid="memory-feedback-sent">"Marked useful"</span> }.into_any(),
                        Some(false) => view! { <span data-testid="memory-feedback-sent">"Marked not useful"</span> }.into_any(),
                        None => view! {
                            <button type="button" class="link" aria-describedby=text_id.get_value() data-testid="memory-useful" on:click=move |_| send_feedback(true)>"Useful"</button>
                            <button type="button" class="link" aria-describedby=text_id.get_value() data-testid="memory-not-useful" on:click=move |_| send_feedback(false)>"Not useful"</button>
                        }.into_any(),
                    }}
                </span>
            </div>
            <Show when=move || history_open.get()>
                <ol class="history" data-testid="memory-history-list">
                    {move || history.get().map(|entries| {
                        entries.into_iter().map(|e| {
                            let change = match (e.old_memory, e.new_memory) {
                                (Some(old), Some(new)) if old != new => format!("{old} → {new}"),
                                (_, Some(new)) => new,
                                (Some(old), None) => old,
                                (None, None) => String::new(),
                            };
                            view! {
                                <li>
                                    <strong>{e.event.unwrap_or_default()}</strong>" "
                                    <span>{change}</span>" "
                                    <time>{e.created_at.as_deref().map(short_time).unwrap_or_default()}</time>
                                </li>
                            }
                        }).collect_view()
                    })}
                </ol>
            </Show>
            {move || problem.get().map(|p| view! { <p class="error" role="alert" data-testid="memory-item-error">{p}</p> })}
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::short_time;

    #[test]
    fn times_are_shortened() {
        assert_eq!(short_time("2026-11-25T10:04:05.123+00:00"), "2026-11-25 10:04");
        assert_eq!(short_time("yesterday"), "yesterday");
    }
}
