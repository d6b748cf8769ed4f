//! The transcript: greeting when empty, one bubble per message, kept scrolled to the newest
//! text while the reader is at the bottom. A long session shows its newest messages first and
//! earlier ones as the reader scrolls up (or asks), so a 2,000-message session opens quickly.

use super::announcer::ReplyAnnouncer;
use super::bubble::MessageBubble;
use super::state::use_chat;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// How many messages are shown at first, and added each time earlier ones are asked for.
const WINDOW: usize = 100;
/// Messages shown before a highlighted one, so it is seen in its context.
const CONTEXT: usize = 10;

/// The conversation (`aria-busy` while a reply streams), and the announcer of replies.
#[component]
pub fn MessageList() -> impl IntoView {
    let chat = use_chat();
    let log = NodeRef::<html::Section>::new();
    let busy = Memo::new(move |_| chat.is_busy());
    // How many of the newest messages are on screen.
    let shown = RwSignal::new(WINDOW);
    let hidden = move || chat.rows.with(Vec::len).saturating_sub(shown.get());
    let visible = Memo::new(move |_| {
        let shown = shown.get();
        chat.rows.with(|rows| rows[rows.len().saturating_sub(shown)..].to_vec())
    });
    // Follow new text only if the reader has not scrolled up to read something older.
    let stick_to_bottom = StoredValue::new(true);
    let show_earlier = move || shown.update(|n| *n += WINDOW);
    let on_scroll = move |_| {
        if let Some(el) = log.get_untracked() {
            let gap = el.scroll_height() - el.scroll_top() - el.client_height();
            stick_to_bottom.set_value(gap < 48);
            // Near the top: bring in earlier messages (the browser keeps the view where it was).
            if el.scroll_top() < 200 && hidden() > 0 {
                show_earlier();
            }
        }
    };
    // Another session (or a search hit): show its newest messages, or enough to include the hit.
    // The session's id, not its record: stepping to another version changes the record only.
    let session_id = Memo::new(move |_| chat.session.with(|s| s.id));
    Effect::new(move |_| {
        session_id.track();
        let highlighted = chat.highlighted.get();
        let back_to = highlighted.and_then(|id| chat.position(id)).map(|i| i.saturating_sub(CONTEXT));
        let len = chat.rows.with_untracked(Vec::len);
        shown.set(back_to.map_or(WINDOW, |from| (len - from).max(WINDOW)));
        stick_to_bottom.set_value(highlighted.is_none());
    });
    // Bring a highlighted message into view once it is on screen.
    Effect::new(move |_| {
        let Some(id) = chat.highlighted.get() else { return };
        visible.track();
        request_animation_frame(move || {
            let found = document().query_selector(&format!("[data-message-id='{id}']")).ok().flatten();
            if let Some(el) = found.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
                let options = web_sys::ScrollIntoViewOptions::new();
                options.set_block(web_sys::ScrollLogicalPosition::Center);
                el.scroll_into_view_with_scroll_into_view_options(&options);
            }
        });
    });
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
        // Not a live region: the announcer below says when a reply starts, and the reply once done.
        <section
            class="transcript"
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
            <Show when=move || { hidden() > 0 }>
                <button type="button" class="link earlier" data-testid="show-earlier" on:click=move |_| show_earlier()>
                    {move || format!("Show earlier messages ({})", hidden())}
                </button>
            </Show>
            <For each=move || visible.get() key=|row| row.id let:row>
                <MessageBubble row=row />
            </For>
        </section>
        <ReplyAnnouncer />
    }
}
