//! Quick exit, after GOV.UK's "Exit this page": a button, and Esc pressed twice, that at once
//! blank the page and replace it with a neutral one (BBC Weather, as GOV.UK uses), in place of
//! this page in the tab's history, so Back does not come back to the chat. Nothing is wiped:
//! the point is that nothing stays on screen for someone walking in.

use leptos::prelude::*;

/// Where quick exit goes: a page that looks ordinary on anyone's screen.
pub const EXIT_TO: &str = "https://www.bbc.co.uk/weather";
/// Two Esc presses at most this far apart leave the page.
pub const DOUBLE_ESC_MS: f64 = 1_000.0;

/// Leaves now: the page is emptied and hidden first, synchronously, so nothing remains on screen
/// while the neutral page loads; then the neutral page replaces this one.
pub fn exit_now() {
    let Some(window) = web_sys::window() else { return };
    if let Some(document) = window.document() {
        // `hidden`, not a style attribute: the CSP allows no inline styles.
        if let Some(root) = document.document_element() {
            let _ = root.set_attribute("hidden", "");
        }
        if let Some(body) = document.body() {
            body.set_inner_html("");
        }
        // The tab's title would still say where the person was.
        document.set_title("");
    }
    let _ = window.location().replace(EXIT_TO);
}

/// Counts Esc presses in a row: two, at most [`DOUBLE_ESC_MS`] apart, with no other key or click
/// between them, mean "leave". (One Esc closes what is open; Esc, a click, Esc does not leave.)
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct EscPresses {
    last_ms: Option<f64>,
}

impl EscPresses {
    /// An Esc press at `now_ms`: whether it completes a double press.
    pub fn esc(&mut self, now_ms: f64) -> bool {
        let double = self.last_ms.is_some_and(|before| now_ms - before <= DOUBLE_ESC_MS);
        self.last_ms = if double { None } else { Some(now_ms) };
        double
    }

    /// Any other key, or a click: the next Esc starts again.
    pub fn other(&mut self) {
        self.last_ms = None;
    }
}

/// The "Exit" button alone (the help panel has one too: a modal dialog makes the top bar's
/// unreachable while it is open).
#[component]
pub fn ExitButton(#[prop(default = "quick-exit")] testid: &'static str) -> impl IntoView {
    view! {
        <button type="button" class="quick-exit" data-testid=testid on:click=move |_| exit_now()
            title="Leave this page now (or press Esc twice)"
            aria-label="Exit: leave this page now (or press Esc twice)">
            "Exit"
        </button>
    }
}

/// The top bar's "Exit" button, and Esc pressed twice anywhere (a single Esc keeps closing
/// whatever is open). Self-contained, like the help button, so the lock screen can have it too;
/// mount one at a time.
#[component]
pub fn QuickExit() -> impl IntoView {
    let presses = StoredValue::new(EscPresses::default());
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.repeat() || ev.is_composing() {
            return;
        }
        if ev.key() != "Escape" {
            return presses.update_value(EscPresses::other);
        }
        let mut double = false;
        presses.update_value(|p| double = p.esc(js_sys::Date::now()));
        if double {
            exit_now();
        }
    });
    let clicks = window_event_listener(leptos::ev::pointerdown, move |_| presses.update_value(EscPresses::other));
    on_cleanup(move || {
        keys.remove();
        clicks.remove();
    });
    view! { <ExitButton /> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_presses_in_a_row_within_a_second() {
        let mut presses = EscPresses::default();
        assert!(!presses.esc(10_000.0));
        assert!(presses.esc(11_000.0), "a second apart is still a double press");
        assert!(!presses.esc(11_100.0), "a third press starts again");
        assert!(!presses.esc(12_200.0), "too slow");
        assert!(presses.esc(12_300.0));
        assert!(!presses.esc(20_000.0));
        presses.other();
        assert!(!presses.esc(20_100.0), "a click or another key between breaks the pair");
    }
}
