//! "Get help now": a button (and a keyboard shortcut) that opens a calm panel with the emergency
//! number and the help lines of the person's country, which they can change. Self-contained —
//! it needs no store from context — so the same button works on the lock screen.

use super::dialog::Modal;
use super::help_lines::{Emergency, LineList};
use super::help_state::{choose, help_choice, help_open, Choice};
use super::lines::directory;
use super::quick_exit::ExitButton;
use leptos::prelude::*;

/// The keyboard shortcut that opens the panel from anywhere, even while typing. Browsers do not
/// take it by default (Alt+H alone opens Firefox's Help menu), and it is matched by key
/// position, so a Mac's Option+Shift+H (which would type "Ó") works too.
pub const SHORTCUT: &str = "Alt+Shift+H";

fn is_help_shortcut(ev: &web_sys::KeyboardEvent) -> bool {
    ev.alt_key() && ev.shift_key() && !ev.ctrl_key() && !ev.meta_key() && ev.code() == "KeyH"
}

/// The top bar's "Get help now" button, its shortcut and its panel. Mount one at a time (the
/// app's, or the lock screen's): every one listens for the shortcut.
#[component]
pub fn HelpButton() -> impl IntoView {
    let open = help_open();
    let shortcut = window_event_listener(leptos::ev::keydown, move |ev| {
        if is_help_shortcut(&ev) {
            ev.prevent_default();
            open.set(true);
        }
    });
    on_cleanup(move || shortcut.remove());
    view! {
        <button type="button" class="get-help" data-testid="get-help" aria-label="Get help now" aria-haspopup="dialog"
            aria-keyshortcuts=SHORTCUT title=format!("Get help now ({SHORTCUT})") on:click=move |_| open.set(true)>
            <span class="long">"Get help now"</span><span class="short">"Help"</span>
        </button>
        <HelpPanel />
    }
}

/// The panel: the emergency number first, the country to show, then its help lines.
#[component]
pub fn HelpPanel() -> impl IntoView {
    let open = help_open();
    let choice = help_choice();
    let mut countries: Vec<(&'static str, &'static str)> = directory()
        .map(|d| d.countries.iter().map(|c| (c.code.as_str(), c.name.as_str())).collect())
        .unwrap_or_default();
    countries.sort_by_key(|(_, name)| *name);
    let option = move |value: &'static str, name: &'static str| {
        view! {
            <option value=value prop:selected=move || choice.with(|c| c.as_value() == value)>{name}</option>
        }
    };
    let checked = directory().map(|d| d.checked.clone()).unwrap_or_default();
    view! {
        <Modal open=open labelledby="help-title" class="help-panel" testid="help-panel">
            <header>
                <h2 id="help-title" tabindex="-1">"Get help now"</h2>
                <ExitButton testid="help-exit" />
                <button type="button" class="icon" aria-label="Close" data-testid="help-close"
                    on:click=move |_| open.set(false)>"×"</button>
            </header>
            <Emergency />
            <div class="region">
                <label for="help-region">"Help lines in"</label>
                <select id="help-region" data-testid="help-region"
                    on:change:target=move |ev| choose(Choice::from_value(&ev.target().value()))>
                    {countries.into_iter().map(|(code, name)| option(code, name)).collect_view()}
                    {option("other", "Another country")}
                </select>
            </div>
            <LineList />
            <p class="hint">
                "You don't have to go through this alone: these people are there to listen. wellness0 is not an \
                 emergency service. Numbers checked " <span class="nowrap">{checked}</span>
                "; the country you pick is kept on this device."
            </p>
        </Modal>
    }
}
