//! Versions of a message, under its bubble: ‹ 2 / 3 › to step between them (each shows its own
//! continuation), "Ask again" under a reply and "Edit" under the person's message, and the box
//! an edit is written in (Enter sends it as a new version, Esc leaves it unchanged).

use super::conversation::Role;
use super::state::{use_chat, MessageRow};
use leptos::html;
use leptos::prelude::*;

/// The stepper and the ask-again / edit action of one message.
#[component]
pub fn VersionBar(
    /// The message.
    row: MessageRow,
) -> impl IntoView {
    let chat = use_chat();
    let busy = move || chat.is_busy();
    let version = Memo::new(move |_| chat.tree.with(|t| t.version_of(row.id)));
    let step = move |delta: isize| {
        if let Some(leaf) = chat.tree.with_untracked(|t| t.step(row.id, delta)) {
            chat.show_branch(leaf);
        }
    };
    // `try_`: leaving the session frees the rows' signals before their bubbles go.
    let finished = move || row.state.try_with(|s| !s.is_active()).unwrap_or(false);
    let action = move || match row.role {
        Role::Model => view! {
            <button type="button" class="link" data-testid="regenerate" disabled=busy
                aria-label="Ask again: another version of this reply"
                on:click=move |_| {
                    if let Err(err) = chat.regenerate(row.id) {
                        chat.notice.set(Some(err.to_string()));
                    }
                }>"Ask again"</button>
        }
        .into_any(),
        Role::User => view! {
            <button type="button" class="link" data-testid="edit" disabled=busy
                aria-label="Edit this message and send it again" on:click=move |_| chat.editing.set(Some(row.id))>
                "Edit"
            </button>
        }
        .into_any(),
    };
    view! {
        <Show when=move || finished() && chat.editing.get() != Some(row.id)>
            <div class="versions" data-testid="versions">
                <Show when=move || { version.get().1 > 1 }>
                    <span class="stepper" role="group" aria-label=match row.role { Role::Model => "Versions of this reply", Role::User => "Versions of this message" }>
                        <button type="button" class="step" data-testid="version-previous" aria-label="Previous version"
                            disabled=move || busy() || version.get().0 <= 1 on:click=move |_| step(-1)>"‹"</button>
                        <span data-testid="version" aria-live="polite">
                            {move || { let (at, of) = version.get(); format!("{at} / {of}") }}
                        </span>
                        <button type="button" class="step" data-testid="version-next" aria-label="Next version"
                            disabled=move || busy() || { let (at, of) = version.get(); at >= of }
                            on:click=move |_| step(1)>"›"</button>
                    </span>
                </Show>
                {action}
            </div>
        </Show>
    }
}

/// The box a message is edited in, in place of its text.
#[component]
pub fn EditBox(
    /// The person's message being edited.
    row: MessageRow,
) -> impl IntoView {
    let chat = use_chat();
    let text = RwSignal::new(row.text.get_untracked());
    let problem = RwSignal::new(None::<String>);
    let input = NodeRef::<html::Textarea>::new();
    // Into the box at once, the cursor at the end (↑ in the composer, or Edit, brought us here).
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
            let end = el.value().len() as u32;
            let _ = el.set_selection_range(end, end);
        }
    });
    let cancel = move || {
        chat.editing.set(None);
        chat.focus_composer();
    };
    let send = move || {
        let unchanged = text.with_untracked(|t| t.trim() == row.text.with_untracked(|r| r.trim().to_owned()));
        if unchanged {
            return cancel();
        }
        match chat.edit(row.id, &text.get_untracked()) {
            Ok(()) => {
                chat.editing.set(None);
                chat.focus_composer();
            }
            Err(err) => problem.set(Some(err.to_string())),
        }
    };
    view! {
        <form class="edit-box" data-testid="edit-box" on:submit=move |ev| {
            ev.prevent_default();
            send();
        }>
            <textarea data-testid="edit-input" aria-label="Edit your message" node_ref=input rows="3"
                prop:value=move || text.get()
                on:input:target=move |ev| {
                    text.set(ev.target().value());
                    problem.set(None);
                }
                on:keydown=move |ev| match ev.key().as_str() {
                    "Escape" => {
                        // Not also a drawer's Esc, nor a press towards the double-Esc quick exit.
                        ev.prevent_default();
                        ev.stop_propagation();
                        cancel();
                    }
                    "Enter" if !ev.shift_key() && !ev.is_composing() => {
                        ev.prevent_default();
                        send();
                    }
                    _ => {}
                }
            ></textarea>
            <p class="notice" role="status" data-testid="edit-notice">{move || problem.get()}</p>
            <div class="edit-actions">
                <button type="button" class="link" data-testid="edit-cancel" on:click=move |_| cancel()>"Cancel"</button>
                <button type="submit" class="send" data-testid="edit-send" aria-label="Send edited message">"Send"</button>
            </div>
        </form>
    }
}
