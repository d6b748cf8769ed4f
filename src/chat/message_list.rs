//! The transcript: greeting when empty, one bubble per message, kept scrolled to the newest
//! text while the reader is at the bottom.

use super::bubble::MessageBubble;
use super::state::use_chat;
use leptos::html;
use leptos::prelude::*;

/// The conversation log (`role="log"`, `aria-busy` while a reply streams).
#[component]
pub fn MessageList() -> impl IntoView {
    let chat = use_chat();
    let log = NodeRef::<html::Section>::new();
    let busy = Memo::new(move |_| chat.is_busy());
    // Follow new text only if the reader has not scrolled up to read something older.
    let stick_to_bottom = StoredValue::new(true);
    let on_scroll = move |_| {
        if let Some(el) = log.get_untracked() {
            let gap = el.scroll_height() - el.scroll_top() - el.client_height();
            stick_to_bottom.set_value(gap < 48);
        }
    };
    // One scroll per animation frame at most: reading `scroll_height` forces a layout, which on a
    // long conversation costs milliseconds, and chunks can arrive faster than frames.
    let scroll_queued = StoredValue::new(false);
    Effect::new(move |_| {
        // Track the row list and the last row: its text, and its state and memory chip (an error
        // box or chip appearing under the reply must come into view too).
        chat.rows.with(|rows| {
            if let Some(r) = rows.last() {
                r.text.track();
                r.state.track();
                r.memory.track();
            }
        });
        if stick_to_bottom.get_value() && !scroll_queued.get_value() {
            scroll_queued.set_value(true);
            request_animation_frame(move || {
                scroll_queued.set_value(false);
                if let Some(el) = log.get_untracked() {
                    el.set_scroll_top(el.scroll_height());
                }
            });
        }
    });

    view! {
        <section
            class="transcript"
            role="log"
            aria-live="polite"
            aria-label="Conversation"
            aria-busy=move || busy.get().to_string()
            data-testid="transcript"
            node_ref=log
            on:scroll=on_scroll
        >
            <Show when=move || chat.rows.with(Vec::is_empty)>
                <div class="greeting" data-testid="greeting">
                    <h2>"Hi, I'm wellness0."</h2>
                    <p>"Type how you're feeling. No rush. No judgement."</p>
                </div>
            </Show>
            <For each=move || chat.rows.get() key=|row| row.id let:row>
                <MessageBubble row=row />
            </For>
        </section>
    }
}
