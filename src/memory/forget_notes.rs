//! The notes of memories being forgotten: "Forgot “…”. Undo" while it can still simply come
//! back, then "Forgotten. Bring back" for a while after it was deleted.

use super::forget::ForgetStage;
use super::store::use_memory;
use leptos::prelude::*;

/// The notes, atop the chat.
#[component]
pub fn ForgetNotes() -> impl IntoView {
    let memory = use_memory();
    view! {
        <div class="notes" role="status" aria-live="polite" data-testid="forget-notes">
            <For each=move || memory.forgetting.get() key=|f| (f.note, f.stage == ForgetStage::Deleted) let:f>
                {
                    let note = f.note;
                    let (said, action) = match f.stage {
                        ForgetStage::Waiting => (format!("Forgot “{}”. ", f.memory.memory), "Undo"),
                        ForgetStage::Deleted => (format!("Forgotten for good: “{}”. ", f.memory.memory), "Bring back"),
                    };
                    view! {
                        <p class="note-box" data-testid="forget-note">
                            <span>{said}</span>
                            <button type="button" class="link" data-testid="forget-undo" on:click=move |_| memory.take_back(note)>
                                {action}
                            </button>
                        </p>
                    }
                }
            </For>
        </div>
    }
}
