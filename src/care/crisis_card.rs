//! The crisis card: a gentle card with the person's help lines, shown above a turn's reply when
//! the turn may be about wanting to die or to hurt oneself. It never blocks the chat: the reply
//! streams below it as usual, and the person can keep writing.
//!
//! The rule (applied where replies are drawn, `chat::bubble`): the card shows when the person's
//! message holds crisis language (read on this device by `care::crisis`, nothing sent anywhere),
//! or when Gemini refused or stopped the reply for safety with dangerous content flagged
//! (`gemini::safety`: Gemini has no self-harm category). It is worked out again from the stored
//! message each time the turn is drawn, so it stays with the conversation without storing more.

use super::help_lines::HelpLines;
use super::help_state::open_help;
use leptos::prelude::*;

/// The card itself (the help lines of the country chosen in the help panel, shortened).
#[component]
pub fn CrisisCard() -> impl IntoView {
    view! {
        // Several cards can be on screen: no ids, a label instead.
        <aside class="crisis-card" aria-label="Help lines" data-testid="crisis-card">
            <h3>"You don't have to go through this alone"</h3>
            <p>
                "If things feel like too much right now, you can talk to someone who is there to listen. \
                 You can keep writing here too."
            </p>
            <HelpLines compact=true />
            <button type="button" class="link more-help" data-testid="crisis-card-more" on:click=move |_| open_help()>
                "More help, or another country"
            </button>
        </aside>
    }
}
