//! What a screen reader hears of a reply: "wellness0 is replying…" when one starts, then the
//! finished reply once, from a visually hidden polite status. The transcript itself is not a
//! live region: it would be read out chunk by chunk as the reply streams in.

use super::conversation::{MessageState, Role};
use super::state::use_chat;
use crate::markdown;
use leptos::prelude::*;

/// Said when a reply starts arriving.
pub const REPLYING: &str = "wellness0 is replying…";

/// The polite status that announces replies.
#[component]
pub fn ReplyAnnouncer() -> impl IntoView {
    let chat = use_chat();
    let said = RwSignal::new(String::new());
    // The reply seen arriving in this page (a reply opened from storage is not announced).
    let following = StoredValue::new(None::<u64>);
    Effect::new(move |_| {
        let Some(row) = chat.rows.with(|rows| rows.last().copied()).filter(|r| r.role == Role::Model) else {
            return;
        };
        let followed = following.get_value() == Some(row.id);
        row.state.with(|state| match state {
            state if state.is_active() && !followed => {
                following.set_value(Some(row.id));
                said.set(REPLYING.to_owned());
            }
            MessageState::Done if followed => {
                following.set_value(None);
                said.set(format!("wellness0: {}", row.text.with_untracked(|t| markdown::plain_text(t))));
            }
            MessageState::Stopped if followed => {
                following.set_value(None);
                said.set("Reply stopped.".to_owned());
            }
            // A failure is announced by its own alert, in place.
            MessageState::Failed { .. } if followed => {
                following.set_value(None);
                said.set(String::new());
            }
            _ => {}
        });
    });
    view! {
        <div class="visually-hidden" role="status" aria-live="polite" data-testid="reply-announcer">{move || said.get()}</div>
    }
}
