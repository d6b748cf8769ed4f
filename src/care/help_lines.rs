//! What help looks like on screen: first the emergency number of the chosen country, then its
//! help lines with a link for each way to reach them (call, text, WhatsApp, chat), hours and
//! whom they are for. The same content fills the "Get help now" panel and, shorter, the crisis
//! card. Everything shown comes from the compiled-in table: no network, nothing sent.

use super::help_state::{help_choice, Choice};
use super::lines::{directory, CountryLines, Fallback, Line};
use super::links::{sms_href, tel_href, whatsapp_href};
use leptos::prelude::*;

/// The help for the chosen country: the emergency number, then the help lines. `compact`: the
/// card's version (no notes, languages or websites).
#[component]
pub fn HelpLines(#[prop(optional)] compact: bool) -> impl IntoView {
    view! {
        <div class="help-lines" data-testid="help-lines">
            <Emergency />
            <LineList compact=compact />
        </div>
    }
}

/// "If you are in immediate danger, call …" with the chosen country's emergency numbers.
#[component]
pub fn Emergency() -> impl IntoView {
    let choice = help_choice();
    move || match chosen_country(&choice.get()) {
        Some(country) => {
            let count = country.emergency.len();
            let numbers = country.emergency.iter().enumerate().map(move |(i, number)| {
                let joiner = match i {
                    0 => "",
                    i if i + 1 == count => " or ",
                    _ => ", ",
                };
                view! { {joiner}<a href=tel_href(number) data-testid="emergency-number">{number.clone()}</a> }
            });
            view! {
                <p class="danger" data-testid="help-emergency" data-region=country.code.clone()>
                    "If you are in immediate danger, call " {numbers.collect_view()} "."
                </p>
            }
            .into_any()
        }
        None => view! { <p class="danger" data-testid="help-emergency" data-region="other">{DANGER_ANYWHERE}</p> }
            .into_any(),
    }
}

/// The chosen country's help lines (or the directory for other countries).
#[component]
pub fn LineList(#[prop(optional)] compact: bool) -> impl IntoView {
    let choice = help_choice();
    move || match (chosen_country(&choice.get()), directory()) {
        (Some(country), _) => view! {
            {(!compact).then(|| country.emergency_note.clone().map(|note| view! { <p class="hint">{note}</p> }))}
            <ul class="lines">
                {country.lines.iter().map(|line| line_view(&country.code, line, compact)).collect_view()}
            </ul>
        }
        .into_any(),
        (None, Ok(directory)) => elsewhere_lines(&directory.fallback, compact).into_any(),
        // The table is compiled in and tested; were it ever unreadable, the emergency line stays.
        (None, Err(_)) => ().into_any(),
    }
}

fn chosen_country(choice: &Choice) -> Option<&'static CountryLines> {
    match choice {
        Choice::Country(code) => directory().ok()?.lines_for(code),
        Choice::Elsewhere => None,
    }
}

const DANGER_ANYWHERE: &str = "If you are in immediate danger, call your local emergency number.";

fn line_view(country: &str, line: &'static Line, compact: bool) -> impl IntoView {
    let calls = line.call.iter().enumerate().map(|(i, number)| {
        // "Dial 988, then press 1" says more than "Call 988" where it applies.
        let label = match (&line.call_how, i) {
            (Some(how), 0) => how.clone(),
            _ => format!("Call {number}"),
        };
        view! { <a class="way" href=tel_href(number) data-testid="help-call">{label}</a> }
    });
    let text = line.text.as_ref().map(|number| {
        let label = line.text_how.clone().unwrap_or_else(|| format!("Text {number}"));
        view! { <a class="way" href=sms_href(number) data-testid="help-text">{label}</a> }
    });
    let whatsapp = line.whatsapp.as_ref().map(|number| match whatsapp_href(country, number) {
        Some(href) => view! {
            <a class="way" href=href target="_blank" rel="noopener noreferrer">{format!("WhatsApp {number}")}</a>
        }
        .into_any(),
        None => view! { <span class="way">{format!("WhatsApp {number}")}</span> }.into_any(),
    });
    let chat = line.chat_url.as_ref().map(|url| {
        view! { <a class="way" href=url.clone() target="_blank" rel="noopener noreferrer">"Chat online"</a> }
    });
    let mut facts: Vec<String> = line.hours.iter().cloned().collect();
    if !compact && !line.languages.is_empty() {
        facts.push(line.languages.join(", "));
    }
    view! {
        <li class="line" data-testid="help-line">
            <h3>{line.name.clone()}</h3>
            {line.for_whom.clone().map(|whom| view! { <p class="for-whom">{whom}</p> })}
            <p class="ways">{calls.collect_view()} {text} {whatsapp} {chat}</p>
            {(!facts.is_empty()).then(|| view! { <p class="facts">{facts.join(" · ")}</p> })}
            {(!compact).then(|| view! {
                {line.note.clone().map(|note| view! { <p class="line-note">{note}</p> })}
                {line.url.clone().map(|url| view! {
                    <a class="website" href=url.clone() target="_blank" rel="noopener noreferrer">{site_name(&url)}</a>
                })}
            })}
        </li>
    }
}

fn elsewhere_lines(fallback: &'static Fallback, compact: bool) -> impl IntoView {
    view! {
        <ul class="lines">
            <li class="line" data-testid="help-line">
                <h3>{fallback.name.clone()}</h3>
                {(!compact).then(|| view! { <p class="line-note">{without_danger_sentence(&fallback.note)}</p> })}
                <p class="ways">
                    <a class="way" href=fallback.url.clone() target="_blank" rel="noopener noreferrer">
                        {format!("Find a helpline at {}", site_name(&fallback.url))}
                    </a>
                </p>
            </li>
        </ul>
    }
}

/// "https://www.samaritans.org/" → "samaritans.org".
fn site_name(url: &str) -> String {
    let host = url.split("://").nth(1).unwrap_or(url);
    let host = host.strip_prefix("www.").unwrap_or(host);
    host.trim_end_matches('/').to_owned()
}

/// The fallback's note ends with the emergency sentence the panel already shows first.
fn without_danger_sentence(note: &str) -> String {
    match note.find(" If you are in immediate danger") {
        Some(at) => note[..at].to_owned(),
        None => note.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_wording_helpers() {
        assert_eq!(site_name("https://www.samaritans.org/"), "samaritans.org");
        assert_eq!(site_name("https://988lifeline.org"), "988lifeline.org");
        let fallback = &directory().unwrap().fallback;
        let shown = without_danger_sentence(&fallback.note);
        assert!(!shown.is_empty() && !shown.contains("immediate danger"), "{shown}");
    }
}
