//! The message box: Enter sends, Shift+Enter starts a new line, Stop replaces Send while a
//! reply streams. The draft is kept in the tab's storage, so a reload does not lose it, and a
//! refused message (empty, too long) stays in the box with a clear notice.

use super::pipeline::MAX_MESSAGE_CHARS;
use super::state::use_chat;
use crate::web::storage::{self, Scope};
use leptos::prelude::*;

const DRAFT_KEY: &str = "wellness0.draft";
/// Drafts longer than this are not saved on every keystroke (a huge paste would be slow to store).
const MAX_SAVED_DRAFT_CHARS: usize = 4 * MAX_MESSAGE_CHARS;

/// The composer under the transcript.
#[component]
pub fn Composer() -> impl IntoView {
    let chat = use_chat();
    let draft = RwSignal::new(storage::get(Scope::Tab, DRAFT_KEY).unwrap_or_default());
    let notice = RwSignal::new(None::<String>);
    let busy = Memo::new(move |_| chat.is_busy());
    let length = Memo::new(move |_| draft.with(|d| d.chars().count()));

    let save_draft = move |text: &str| {
        if text.len() <= MAX_SAVED_DRAFT_CHARS {
            storage::set(Scope::Tab, DRAFT_KEY, text);
        } else {
            storage::remove(Scope::Tab, DRAFT_KEY); // an older, shorter draft must not come back
        }
    };
    let submit = move || match chat.send(&draft.get_untracked()) {
        Ok(()) => {
            draft.set(String::new());
            save_draft("");
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
                    let text = ev.target().value();
                    save_draft(&text);
                    draft.set(text);
                    notice.set(None);
                }
                on:keydown=move |ev| {
                    if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                        ev.prevent_default();
                        submit();
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
