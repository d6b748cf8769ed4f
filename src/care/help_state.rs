//! Whose help lines to show, and whether the help panel is open: page-wide state that needs no
//! store from context, so help works on the lock screen too.
//!
//! The country comes from the person's choice, remembered on the device under
//! [`HELP_REGION_KEY`], or else from the browser's languages (`navigator.languages`, read with
//! [`region_from_locale`]); without either, the directory for other countries is shown. The
//! choice is stored in plain `localStorage` on purpose, never encrypted: help must work before
//! anyone unlocks anything. It names a country and nothing else.

use super::lines::{directory, region_from_locale};
use leptos::prelude::*;

/// Where the chosen country is remembered (unencrypted by design: see the module docs).
pub const HELP_REGION_KEY: &str = "wellness0.help-region";
/// The stored value for "Another country" (the fallback directory).
const ELSEWHERE: &str = "other";

/// The help lines to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Choice {
    /// A country of the table (ISO 3166-1 alpha-2).
    Country(String),
    /// A country the table does not cover: the directory for other countries.
    Elsewhere,
}

impl Choice {
    /// The choice as stored and as the `<select>` value.
    pub fn as_value(&self) -> &str {
        match self {
            Choice::Country(code) => code,
            Choice::Elsewhere => ELSEWHERE,
        }
    }

    /// A stored or selected value; a country the table no longer has reads as elsewhere.
    pub fn from_value(value: &str) -> Choice {
        match directory().ok().and_then(|d| d.lines_for(value)) {
            Some(country) => Choice::Country(country.code.clone()),
            None => Choice::Elsewhere,
        }
    }

    /// The first of the browser's languages that names a country of the table.
    pub fn from_languages<'a>(languages: impl IntoIterator<Item = &'a str>) -> Option<Choice> {
        languages
            .into_iter()
            .filter_map(region_from_locale)
            .find(|region| directory().is_ok_and(|d| d.lines_for(region).is_some()))
            .map(Choice::Country)
    }
}

/// The country whose lines are shown (shared by the panel and every crisis card): a handle for
/// a component to keep (call it once, in the component's body).
pub fn help_choice() -> RwSignal<Choice> {
    STATE.with(|state| state.choice.clone()).into()
}

/// Whether the "Get help now" panel is open (a handle, like [`help_choice`]).
pub fn help_open() -> RwSignal<bool> {
    STATE.with(|state| state.open.clone()).into()
}

/// Opens the "Get help now" panel (from a crisis card, the first-run notice, a shortcut).
pub fn open_help() {
    STATE.with(|state| state.open.set(true));
}

/// The person picked a country: show it everywhere and remember it on this device.
pub fn choose(choice: Choice) {
    if let Some(storage) = local_storage() {
        // Refused (private mode, quota): the choice still holds for this page.
        let _ = storage.set_item(HELP_REGION_KEY, choice.as_value());
    }
    STATE.with(|state| state.choice.set(choice));
}

struct State {
    choice: ArcRwSignal<Choice>,
    open: ArcRwSignal<bool>,
}

thread_local! {
    // Reference-counted signals, owned by no component: they live as long as the page.
    static STATE: State = State { choice: ArcRwSignal::new(initial_choice()), open: ArcRwSignal::new(false) };
}

fn initial_choice() -> Choice {
    let stored = local_storage().and_then(|s| s.get_item(HELP_REGION_KEY).ok().flatten());
    if let Some(value) = stored {
        return Choice::from_value(&value);
    }
    let languages: Vec<String> = web_sys::window()
        .map(|w| w.navigator().languages().iter().filter_map(|l| l.as_string()).collect())
        .unwrap_or_default();
    Choice::from_languages(languages.iter().map(String::as_str)).unwrap_or(Choice::Elsewhere)
}

/// The device's `localStorage`, used as is (never through the app's storage layer, which may
/// encrypt): what is kept here must be readable before anything is unlocked.
pub(super) fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_language_naming_a_country_of_the_table_wins() {
        assert_eq!(Choice::from_languages(["en-GB", "en"]), Some(Choice::Country("GB".into())));
        assert_eq!(Choice::from_languages(["en", "de-AT", "de"]), Some(Choice::Country("AT".into())));
        // Japan is not in the table: the next language that names a covered country.
        assert_eq!(Choice::from_languages(["ja", "en-US"]), Some(Choice::Country("US".into())));
        assert_eq!(Choice::from_languages(["en", "fr", "es-419"]), None);
        assert_eq!(Choice::from_languages([]), None);
    }

    #[test]
    fn stored_values_round_trip_and_unknown_ones_read_as_elsewhere() {
        for choice in [Choice::Country("NZ".into()), Choice::Elsewhere] {
            assert_eq!(Choice::from_value(choice.as_value()), choice);
        }
        assert_eq!(Choice::from_value("gb"), Choice::Country("GB".into()));
        assert_eq!(Choice::from_value("JP"), Choice::Elsewhere);
        assert_eq!(Choice::from_value("<script>"), Choice::Elsewhere);
    }
}
