//! Under a reply, once its memory write settled: what it saved ("Saved: *Was deployed in
//! Afghanistan* · *Has PTSD*"), or that it saved nothing; each saved memory can be forgotten.
//! Under a new version of a reply, the same for the versions it replaced: what they saved stays
//! in memory unless the person forgets it here.

use super::state::{use_chat, MessageRow};
use crate::mem0::Memory;
use crate::memory::store::OnBack;
use crate::memory::usage::WriteState;
use crate::memory::use_memory;
use leptos::prelude::*;
use std::sync::Arc;

/// What a reply's turn saved to memory.
#[component]
pub fn SavedLine(
    /// The reply.
    row: MessageRow,
    /// `row` is a version the reply shown replaced (shown only if it saved something).
    #[prop(optional)]
    replaced: bool,
) -> impl IntoView {
    let chat = use_chat();
    let memory = use_memory();
    // Forget: the memory leaves the reply and the list at once; the store deletes it later,
    // unless the person takes it back (then the reply shows it again, under its new id if it
    // had to be added again).
    let forget = move |id: String, text: String| {
        row.memory.update(|m| m.iter_mut().for_each(|m| m.forgotten.push(id.clone())));
        chat.save_row(row);
        let gone = id.clone();
        let on_back: OnBack = Arc::new(move |new_id: Option<String>| {
            row.memory.update(|m| {
                for m in m.iter_mut() {
                    m.forgotten.retain(|f| *f != gone);
                    if let Some(new_id) = &new_id {
                        m.saved.iter_mut().filter(|s| s.id == gone).for_each(|s| s.id = new_id.clone());
                    }
                }
            });
            chat.save_row(row);
        });
        memory.forget(Memory { id, memory: text, ..Memory::default() }, Some(on_back));
    };
    move || {
        let settled = row.memory.try_get().flatten().filter(|m| m.write == WriteState::Saved)?;
        let kept: Vec<(String, String)> = settled.kept().map(|s| (s.id.clone(), s.text.clone())).collect();
        if replaced && kept.is_empty() {
            return None;
        }
        let (lead, testid) = if replaced {
            ("Saved by the version this replaces: ", "saved-line-replaced")
        } else {
            ("Saved: ", "saved-line")
        };
        Some(if kept.is_empty() {
            view! { <p class="saved-line" data-testid="saved-line">"Nothing was saved to memory from this turn."</p> }
                .into_any()
        } else {
            view! {
                <p class="saved-line" data-testid=testid>
                    {lead}
                    {kept.into_iter().enumerate().map(|(i, (id, text))| {
                        let shown = text.clone();
                        view! {
                            {(i > 0).then_some(" · ")}
                            <span class="saved-memory" data-testid="saved-memory">
                                <em>{shown.clone()}</em>" "
                                <button type="button" class="link" data-testid="forget" aria-label=format!("Forget: {shown}")
                                    on:click=move |_| forget(id.clone(), text.clone())>"Forget"</button>
                            </span>
                        }
                    }).collect_view()}
                </p>
            }.into_any()
        })
    }
}
