//! Search across every session: a box that finds messages as you type (case and accents do not
//! matter), each hit with its session and the text around it; choosing one opens the session
//! there, with the message marked.

use super::search::{Found, Hit};
use super::store::use_sessions;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The search box and its hits; `query` is shared with the list (it hides while searching).
#[component]
pub fn SessionFinder(
    /// What is typed in the box.
    query: RwSignal<String>,
) -> impl IntoView {
    let sessions = use_sessions();
    let found: Memo<Found> = Memo::new(move |_| {
        sessions.index_version.track();
        query.with(|q| sessions.search(q))
    });
    let title_of = move |session: u64| {
        sessions.list.with(|l| l.iter().find(|s| s.id == session).map(|s| s.shown_title().to_owned()))
    };
    let open_hit = move |session: u64, message: u64| {
        spawn_local(async move { sessions.open_session(session, Some(message)).await });
    };
    // The current hit of a message on the list (its text around the match changes as the query
    // grows; the row stays).
    let hit_of = move |session: u64, message: u64| {
        Memo::new(move |_| {
            found.with(|f| f.hits.iter().find(|h| (h.session, h.message) == (session, message)).cloned())
        })
    };
    view! {
        <input type="search" class="session-search" placeholder="Search all sessions" aria-label="Search all sessions"
            data-testid="session-search" bind:value=query />
        <Show when=move || !query.with(|q| q.trim().is_empty())>
            <p class="hint" role="status" data-testid="session-search-status">
                {move || found.with(|f| match (f.total, f.hits.len()) {
                    (0, _) => "No message matches.".to_owned(),
                    (1, _) => "1 message matches.".to_owned(),
                    (n, shown) if shown < n => format!("{n} messages match; the first {shown} are shown."),
                    (n, _) => format!("{n} messages match."),
                })}
            </p>
            <ul class="hits" data-testid="session-hits">
                // Keyed by the message: a hit still found after the next key keeps its row, and
                // only its snippet's text changes (typing narrows the hits, so most rows stay).
                <For each=move || found.with(|f| f.hits.iter().map(|h| (h.session, h.message)).collect::<Vec<_>>())
                    key=|id| *id let:id>
                    {
                        let (session, message) = id;
                        let title = title_of(session).unwrap_or_else(|| "This session".to_owned());
                        let hit = hit_of(session, message);
                        let part = move |pick: fn(&Hit) -> &str| move || hit.with(|h| h.as_ref().map_or_else(String::new, |h| pick(h).to_owned()));
                        view! {
                            <li>
                                <button type="button" class="hit" data-testid="session-hit" on:click=move |_| open_hit(session, message)>
                                    <span class="hit-session">{title}</span>
                                    <span class="hit-text">
                                        {part(|h| &h.before)}
                                        <mark>{part(|h| &h.hit)}</mark>
                                        {part(|h| &h.after)}
                                    </span>
                                </button>
                            </li>
                        }
                    }
                </For>
            </ul>
        </Show>
    }
}
