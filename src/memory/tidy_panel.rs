//! Tidy up: finds groups of near-duplicate memories (see `tidy.rs`) a slice at a time, so the
//! page stays responsive, and offers per group to keep one (its text editable) and delete the
//! rest, with a preview and one confirmation.

use super::store::use_memory;
use super::tidy::Finder;
use crate::mem0::{Mem0Error, Memory, MemoryChange};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Pairs compared per slice (a few milliseconds of work).
const PAIRS_PER_SLICE: usize = 20_000;

/// One group as the person decides it.
#[derive(Clone)]
struct Group {
    members: Vec<Memory>,
    /// Which member is kept.
    keep: RwSignal<usize>,
    /// The kept memory's text, editable.
    text: RwSignal<String>,
    /// Whether this group is tidied at all.
    include: RwSignal<bool>,
}

#[derive(Clone, PartialEq)]
enum Stage {
    Closed,
    Searching(u32),
    Found,
    Done(String),
}

/// The "Tidy up…" button and its panel.
#[component]
pub fn TidyPanel() -> impl IntoView {
    let memory = use_memory();
    let stage = RwSignal::new(Stage::Closed);
    let groups = RwSignal::new(Vec::<Group>::new());
    let start = move |_| {
        let items = memory.items.get_untracked();
        let mut finder = Finder::new(items.iter().map(|m| m.memory.as_str()));
        stage.set(Stage::Searching(0));
        spawn_local(async move {
            while !finder.step(PAIRS_PER_SLICE) {
                stage.set(Stage::Searching((finder.progress() * 100.0) as u32));
                // Give the page its turn between slices.
                crate::web::time::sleep_ms(0).await;
            }
            let found = finder
                .groups()
                .into_iter()
                .map(|members| {
                    let members: Vec<Memory> = members.into_iter().map(|i| items[i].clone()).collect();
                    // The longest says the most: kept unless the person picks another.
                    let longest = (0..members.len()).max_by_key(|&i| members[i].memory.len()).unwrap_or(0);
                    let text = RwSignal::new(members[longest].memory.clone());
                    Group { members, keep: RwSignal::new(longest), text, include: RwSignal::new(true) }
                })
                .collect();
            groups.set(found);
            stage.set(Stage::Found);
        });
    };
    let apply = Action::new_local(move |_: &()| {
        let chosen: Vec<Group> = groups.get_untracked().into_iter().filter(|g| g.include.get_untracked()).collect();
        async move {
            let client = memory.client()?;
            let (mut deleted, mut skipped) = (0, 0);
            for group in chosen {
                let keep = group.keep.get_untracked();
                let kept = &group.members[keep];
                // The list moved on since the preview (a Forget, a delete, another tab): a group
                // whose kept memory is gone is left alone, or its fact would be lost.
                if memory.items.with_untracked(|items| items.iter().all(|m| m.id != kept.id)) {
                    skipped += 1;
                    continue;
                }
                let text = group.text.get_untracked().trim().to_owned();
                if !text.is_empty() && text != kept.memory {
                    client.update(&kept.id, &MemoryChange { text: Some(text.clone()), metadata: None }).await?;
                    memory.upsert_item(Memory { memory: text, ..kept.clone() });
                }
                for (_, other) in group.members.iter().enumerate().filter(|(i, _)| *i != keep) {
                    match client.delete(&other.id).await {
                        // Already gone (another tab, an earlier try): what was asked for is true.
                        Ok(()) | Err(Mem0Error::NotFound { .. }) => {}
                        Err(e) => return Err(e),
                    }
                    memory.remove_item(&other.id);
                    deleted += 1;
                }
                // Done: a retry after a later failure does not try this group again.
                groups.update(|g| g.retain(|x| x.members[0].id != group.members[0].id));
            }
            groups.set(Vec::new());
            let mut said = match deleted {
                0 => "Nothing was deleted.".to_owned(),
                1 => "Deleted 1 duplicate.".to_owned(),
                n => format!("Deleted {n} duplicates."),
            };
            if skipped > 0 {
                said.push_str(&format!(" {skipped} group(s) left alone: the memory to keep is gone."));
            }
            stage.set(Stage::Done(said));
            Ok::<(), Mem0Error>(())
        }
    });
    let to_delete =
        move || groups.with(|g| g.iter().filter(|g| g.include.get()).map(|g| g.members.len() - 1).sum::<usize>());
    let problem = move || apply.value().get().and_then(Result::err).map(|e| e.user_message());
    let close = move || {
        groups.set(Vec::new());
        stage.set(Stage::Closed);
    };
    view! {
        <button type="button" data-testid="memory-tidy" on:click=start
            disabled=move || memory.items.with(|i| i.len() < 2) || matches!(stage.get(), Stage::Searching(_))>"Tidy up…"</button>
        {move || match stage.get() {
            Stage::Closed => ().into_any(),
            Stage::Searching(percent) => view! {
                <p class="hint" role="status" data-testid="tidy-progress">{format!("Looking for duplicates… {percent}%")}</p>
            }.into_any(),
            Stage::Done(said) => view! {
                <p class="hint" role="status" data-testid="tidy-result">{said}
                    " " <button type="button" class="link" on:click=move |_| close()>"Close"</button></p>
            }.into_any(),
            Stage::Found if groups.with(Vec::is_empty) => view! {
                <p class="hint" role="status" data-testid="tidy-result">"No duplicates found."
                    " " <button type="button" class="link" on:click=move |_| close()>"Close"</button></p>
            }.into_any(),
            Stage::Found => view! {
                <section class="tidy" data-testid="tidy-preview" aria-label="Duplicates found">
                    <p>{move || format!("{} groups of memories that say the same thing. Keep one of each (edit it if you like); the others are deleted.", groups.with(Vec::len))}</p>
                    {groups.get_untracked().into_iter().enumerate().map(|(g, group)| view! {
                        <fieldset class="tidy-group" data-testid="tidy-group">
                            <legend>
                                <label class="check">
                                    <input type="checkbox" data-testid="tidy-include" prop:checked=move || group.include.get()
                                        on:change:target=move |ev| group.include.set(ev.target().checked()) />
                                    {format!("Group {}", g + 1)}
                                </label>
                            </legend>
                            {group.members.iter().enumerate().map(|(i, m)| {
                                let text = m.memory.clone();
                                view! {
                                    <label class="check">
                                        <input type="radio" name=format!("tidy-{g}") data-testid="tidy-keep"
                                            prop:checked=move || group.keep.get() == i
                                            on:change=move |_| { group.keep.set(i); group.text.set(text.clone()) } />
                                        <span class:deleted=move || group.include.get() && group.keep.get() != i>{m.memory.clone()}</span>
                                    </label>
                                }
                            }).collect_view()}
                            <textarea rows="2" aria-label="The memory kept" data-testid="tidy-text" prop:value=move || group.text.get()
                                on:input:target=move |ev| group.text.set(ev.target().value())></textarea>
                        </fieldset>
                    }).collect_view()}
                    <button type="button" class="danger" data-testid="tidy-apply" disabled=move || apply.pending().get() || to_delete() == 0
                        on:click=move |_| { apply.dispatch_local(()); }>{move || format!("Delete {} duplicates", to_delete())}</button>
                    <button type="button" on:click=move |_| close()>"Cancel"</button>
                    {move || problem().map(|p| view! { <p class="error" role="alert">{p}</p> })}
                </section>
            }.into_any(),
        }}
    }
}
