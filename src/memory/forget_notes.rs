//! The notes of memories being forgotten: "Forgot “…”. Undo" while it can still simply come
//! back, then "Deleted “…”. Bring back" for a while after it was deleted. A new note takes the
//! focus when nothing else has it (the Forget button that was pressed is gone), so Undo is one
//! key away.

use super::store::{use_memory, ForgetStage};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The notes, atop the chat.
#[component]
pub fn ForgetNotes() -> impl IntoView {
    let memory = use_memory();
    let newest = Memo::new(move |_| memory.forgetting.with(|f| f.iter().map(|x| x.note).max()));
    Effect::new(move |before: Option<Option<u64>>| {
        let now = newest.get();
        if now > before.flatten() {
            request_animation_frame(|| {
                let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
                let idle = document.active_element().is_none_or(|e| e.tag_name() == "BODY");
                let last =
                    document.query_selector("[data-testid=forget-notes] > :last-child [data-testid=forget-undo]");
                if let (true, Some(button)) =
                    (idle, last.ok().flatten().and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok()))
                {
                    let _ = button.focus();
                }
            });
        }
        now
    });
    view! {
        <div class="notes" role="status" aria-live="polite" data-stays-live data-testid="forget-notes">
            <For each=move || memory.forgetting.get() key=|f| (f.note, f.stage == ForgetStage::Deleted) let:f>
                {
                    let note = f.note;
                    let (said, action) = match f.stage {
                        ForgetStage::Waiting | ForgetStage::Deleting { .. } => (format!("Forgot “{}”. ", f.memory.memory), "Undo"),
                        ForgetStage::Deleted => (format!("Deleted “{}”. ", f.memory.memory), "Bring back"),
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
