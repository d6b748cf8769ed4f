//! The message box: Enter sends, Shift+Enter starts a new line, Stop replaces Send while a
//! reply streams. The draft is the session's, stored as it is typed, so a reload (or coming
//! back to the session) does not lose it; a refused message (empty, too long) stays in the box
//! with a clear notice.

use super::pipeline::MAX_MESSAGE_CHARS;
use super::state::use_chat;
use leptos::prelude::*;

/// The composer under the transcript.
#[component]
pub fn Composer() -> impl IntoView {
    let chat = use_chat();
    let draft = chat.draft;
    let notice = chat.notice;
    let busy = Memo::new(move |_| chat.is_busy());
    let length = Memo::new(move |_| draft.with(|d| d.chars().count()));
    let submit = move || match chat.send(&draft.get_untracked()) {
        Ok(()) => {
            chat.keep_draft(String::new());
            notice.set(None);
        }
        Err(err) => notice.set(Some(err.to_string())),
    };

    view! {
        <form
            class="composer"
            data-testid="composer"
            on:submit=move |ev| {
                ev.prevent_default();
                submit();
            }
        >
            <textarea
                data-testid="composer-input"
                aria-label="Message"
                placeholder="Type how you're feeling…"
                rows="2"
                prop:value=move || draft.get()
                on:input:target=move |ev| {
                    chat.keep_draft(ev.target().value());
                    notice.set(None);
                }
                on:keydown=move |ev| {
                    if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                        ev.prevent_default();
                        submit();
                    } else if ev.key() == "ArrowUp" && draft.with_untracked(String::is_empty) && !chat.is_busy_untracked() {
                        // As in other chats: ↑ in an empty box edits the last message sent.
                        if let Some(id) = chat.last_user_message() {
                            ev.prevent_default();
                            chat.editing.set(Some(id));
                        }
                    }
                }
            ></textarea>
            // One button that turns into Stop, so keyboard focus stays put as replies start and end.
            <button
                type=move || if busy.get() { "button" } else { "submit" }
                class=move || if busy.get() { "stop" } else { "send" }
                data-testid=move || if busy.get() { "stop" } else { "send" }
                on:click=move |ev| {
                    if busy.get_untracked() {
                        ev.prevent_default();
                        chat.stop();
                    }
                }
            >
                {move || if busy.get() { "Stop" } else { "Send" }}
            </button>
        </form>
        <div class="composer-meta">
            <p class="notice" role="status" data-testid="composer-notice">{move || notice.get()}</p>
            <Show when=move || { length.get() > MAX_MESSAGE_CHARS * 8 / 10 }>
                <p
                    class="counter"
                    class:over=move || { length.get() > MAX_MESSAGE_CHARS }
                    data-testid="composer-counter"
                >
                    {move || format!("{} / {}", length.get(), MAX_MESSAGE_CHARS)}
                </p>
            </Show>
        </div>
    }
}
