//! "To review", atop the sidebar in review mode: memories saved from turns wait there until the
//! person keeps them (recorded in their metadata, so it holds on every device) or forgets them.

use super::marks::{awaits_review, reviewed_metadata};
use super::store::use_memory;
use crate::mem0::{Mem0Error, Memory, MemoryChange};
use leptos::prelude::*;

/// The review group (nothing when no memory waits).
#[component]
pub fn ReviewGroup() -> impl IntoView {
    let memory = use_memory();
    let waiting = Memo::new(move |_| {
        memory.items.with(|items| items.iter().filter(|m| awaits_review(m)).cloned().collect::<Vec<_>>())
    });
    let keep = Action::new_local(move |memories: &Vec<Memory>| {
        let memories = memories.clone();
        async move {
            let client = memory.client()?;
            for m in memories {
                let metadata = reviewed_metadata(&m);
                client.update(&m.id, &MemoryChange { text: None, metadata: Some(metadata.clone()) }).await?;
                memory.upsert_item(Memory { metadata: Some(metadata), ..m });
            }
            Ok::<(), Mem0Error>(())
        }
    });
    let problem = move || keep.value().get().and_then(Result::err).map(|e| e.user_message());
    view! {
        <Show when=move || !waiting.with(Vec::is_empty)>
            <section class="review" data-testid="memory-review" aria-label="Memories to review">
                <h3>{move || format!("To review ({})", waiting.with(Vec::len))}</h3>
                <ul>
                    <For each=move || waiting.get() key=|m| m.id.clone() let:m>
                        {
                            let (one, gone) = (m.clone(), m.clone());
                            view! {
                                <li data-testid="review-item">
                                    <span class="memory-text">{m.memory.clone()}</span>
                                    <span class="row-actions">
                                        <button type="button" class="link" data-testid="review-keep" disabled=move || keep.pending().get()
                                            on:click=move |_| { keep.dispatch_local(vec![one.clone()]); }>"Keep"</button>
                                        <button type="button" class="link danger" data-testid="review-forget"
                                            on:click=move |_| memory.forget(gone.clone(), None)>"Forget"</button>
                                    </span>
                                </li>
                            }
                        }
                    </For>
                </ul>
                <button type="button" data-testid="review-keep-all" disabled=move || keep.pending().get()
                    on:click=move |_| { keep.dispatch_local(waiting.get_untracked()); }>"Keep all"</button>
                {move || problem().map(|p| view! { <p class="error" role="alert">{p}</p> })}
            </section>
        </Show>
    }
}
