//! One message bubble: the user's words as plain text, a reply as safe markdown, and the
//! reply's state (typing, waiting to retry, stopped, failed) with a Retry button in place, and
//! its versions (`versions.rs`).
//! Above a reply, the crisis card when the turn calls for it (the rule: `care::crisis_card`).

use super::conversation::{stopped_as_dangerous, MessageState, Role};
use super::saved_line::SavedLine;
use super::state::{use_chat, MessageRow};
use super::tree::Parent;
use super::versions::{EditBox, VersionBar};
use crate::care::crisis::signals_crisis;
use crate::care::CrisisCard;
use crate::gemini::ReplyProblem;
use crate::markdown;
use crate::memory::use_memory;
use leptos::prelude::*;
use std::time::Duration;

fn state_name(state: &MessageState) -> &'static str {
    match state {
        MessageState::Done => "done",
        MessageState::Streaming => "streaming",
        MessageState::Waiting { .. } => "waiting",
        MessageState::Stopped => "stopped",
        MessageState::Failed { cut: true, .. } => "cut",
        MessageState::Failed { cut: false, .. } => "failed",
    }
}

/// A message in the transcript.
#[component]
pub fn MessageBubble(
    /// The message to show; its text and state are signals, so streaming updates only this bubble.
    row: MessageRow,
) -> impl IntoView {
    let chat = use_chat();
    let memory = use_memory();
    let body = match row.role {
        Role::User => view! {
            <Show when=move || chat.editing.get() == Some(row.id)
                fallback=move || view! { <div class="body plain" data-testid="message-text">{move || row.text.get()}</div> }>
                <EditBox row=row />
            </Show>
        }
        .into_any(),
        // The only HTML we inject is markdown::render's output, which escapes raw HTML.
        Role::Model => view! {
            <div class="body md" data-testid="message-text" inner_html=move || markdown::render(&row.text.get())></div>
        }
        .into_any(),
    };
    let retry = move |_| chat.retry(row.id);
    let card = crisis_card_shown(row);
    let status = move || {
        let state = row.state.get();
        match state {
            MessageState::Streaming if row.text.with(String::is_empty) => view! {
                <div class="typing" aria-hidden="true"><span></span><span></span><span></span></div>
            }
            .into_any(),
            MessageState::Waiting { problem, wait_ms, .. } => view! {
                <div class="status waiting" role="status" data-testid="reply-waiting">
                    {problem.waiting_message(Duration::from_millis(wait_ms))}
                </div>
            }
            .into_any(),
            MessageState::Stopped => view! {
                <div class="status stopped" data-testid="reply-stopped">
                    <span>"Stopped."</span>
                    <button type="button" class="link" data-testid="retry" on:click=retry
                        disabled=move || chat.is_busy() title="Wait for the current reply to finish">"Retry"</button>
                </div>
            }
            .into_any(),
            MessageState::Failed { problem, cut } => view! {
                <div class="status error" role="alert" data-testid="reply-error">
                    <span>{match problem {
                        // The card above says what matters; the refusal is not the person's fault.
                        ReplyProblem::Blocked { .. } if card.get() => {
                            "Gemini could not answer this message. The people above are there to listen.".to_owned()
                        }
                        problem => problem.message(),
                    }}</span>
                    {cut.then(|| view! { <span class="cut-mark" data-testid="cut-mark">" (partial reply kept above)"</span> })}
                    <button type="button" class="link" data-testid="retry" on:click=retry
                        disabled=move || chat.is_busy() title="Wait for the current reply to finish">"Retry"</button>
                </div>
            }
            .into_any(),
            _ => ().into_any(),
        }
    };
    let (class, testid, who) = match row.role {
        Role::User => ("msg user", "message-user", "You"),
        Role::Model => ("msg model", "message-model", "wellness0"),
    };
    // When it was written, on hover (the browser's own wording of a date).
    let written = String::from(
        js_sys::Date::new(&row.created_ms.into()).to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED),
    );
    view! {
        {(row.role == Role::Model).then(|| view! { <Show when=move || card.get()><CrisisCard /></Show> })}
        <article class=class data-testid=testid data-state=move || state_name(&row.state.get()) aria-label=who title=written
            data-message-id=row.id class:highlighted=move || chat.highlighted.get() == Some(row.id)>
            {body}
            {status}
            {move || row.note.get().map(|note| view! { <p class="note">{note.text()}</p> })}
            {move || row.memory.get().map(|m| {
                let used = m.used().to_vec();
                view! {
                    <button type="button" class="memory-chip" data-testid="memory-chip"
                        title=m.lookup.problem_text().unwrap_or_default()
                        class:selected=move || memory.selected_reply() == Some(row.id)
                        class:degraded=m.lookup.failed()
                        on:click=move |_| memory.select_reply(row.id, used.clone())>
                        {m.chip_label()}
                    </button>
                }
            })}
            <SavedLine row=row />
            {(row.role == Role::Model).then_some(move || {
                let replaced = chat.tree.with(|t| t.replaced_by(row.id));
                replaced.into_iter().filter_map(|id| chat.find(id))
                    .map(|old| view! { <SavedLine row=old replaced=true /> }).collect_view()
            })}
            <VersionBar row=row />
        </article>
    }
}

/// Whether the crisis card shows above this reply: the turn's user message (the reply's parent)
/// signals crisis, or the reply was refused or stopped as dangerous content. Worked out each time
/// the turn is drawn, from what is stored.
fn crisis_card_shown(row: MessageRow) -> Memo<bool> {
    let chat = use_chat();
    let asked = match row.parent {
        Parent::Of(parent) => chat.find(parent).filter(|user| row.role == Role::Model && user.role == Role::User),
        Parent::Root | Parent::Unlinked => None,
    };
    let message_signals = asked.is_some_and(|user| user.text.with_untracked(|text| signals_crisis(text)));
    Memo::new(move |_| {
        row.role == Role::Model
            && (message_signals
                || row.state.with(|state| row.note.with(|note| stopped_as_dangerous(state, note.as_ref()))))
    })
}
