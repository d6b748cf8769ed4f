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
        if let Some(root) = document.document_element() {
            let _ = root.set_attribute("style", "display:none");
        }
        if let Some(body) = document.body() {
            body.set_inner_html("");
        }
        // The tab's title would still say where the person was.
        document.set_title("");
    }
    let _ = window.location().replace(EXIT_TO);
}

/// Whether an Esc press at `now_ms` completes a double press begun at `previous_ms`.
pub fn is_double_press(previous_ms: Option<f64>, now_ms: f64) -> bool {
    previous_ms.is_some_and(|before| now_ms - before <= DOUBLE_ESC_MS)
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
    let last_esc = StoredValue::new(None::<f64>);
    let listener = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() != "Escape" || ev.repeat() || ev.is_composing() {
            return;
        }
        let now = js_sys::Date::now();
        if is_double_press(last_esc.get_value(), now) {
            exit_now();
        } else {
            last_esc.set_value(Some(now));
        }
    });
    on_cleanup(move || listener.remove());
    view! { <ExitButton /> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_presses_within_a_second() {
        assert!(is_double_press(Some(10_000.0), 10_400.0));
        assert!(is_double_press(Some(10_000.0), 11_000.0));
        assert!(!is_double_press(Some(10_000.0), 11_001.0));
        assert!(!is_double_press(None, 10_000.0));
    }
}
