//! The memory part of the settings drawer: memory on or off (incognito), which service keeps
//! the memories (the mem0 Platform, or the person's own mem0 server) with its address and key,
//! and the search deadline. Behind the proxy, the proxy's service is shown instead of a choice.

use super::fields::FormFields;
use super::key_field::KeyField;
use super::store::use_settings;
use super::values::MemoryService;
use leptos::html;
use leptos::prelude::*;

/// The memory fieldset.
#[component]
pub fn MemoryFields(
    /// The drawer's fields.
    fields: FormFields,
    /// The Platform key's input.
    mem0_key: NodeRef<html::Input>,
    /// The self-hosted server key's input.
    selfhosted_key: NodeRef<html::Input>,
) -> impl IntoView {
    let store = use_settings();
    let proxy_service = move || store.proxy().map(|p| p.mem0.backend);
    let proxy_holds_key = Signal::derive(move || store.proxy().is_some_and(|p| p.mem0.key));
    // The service whose fields are shown: the proxy's, or the one chosen here.
    let shown = move || proxy_service().unwrap_or_else(|| fields.memory_service.get());
    let choose = move |service| move |_| fields.memory_service.set(service);
    view! {
        <fieldset>
            <legend>"Memory (mem0)"</legend>
            <label class="check">
                <input type="checkbox" data-testid="use-memory" prop:checked=move || fields.use_memory.get()
                    on:change:target=move |ev| fields.use_memory.set(ev.target().checked()) />
                "Use memory (off = incognito: nothing looked up or saved)"
            </label>
            <label class="check">
                <input type="checkbox" data-testid="review-memories" prop:checked=move || fields.review_memories.get()
                    on:change:target=move |ev| fields.review_memories.set(ev.target().checked()) />
                "Review new memories: what a reply saves waits in “To review” until you keep or forget it"
            </label>
            {move || match proxy_service() {
                Some(service) => view! {
                    <p class="hint" data-testid="memory-service-held">
                        {match service {
                            MemoryService::Platform => "Memories are kept on the mem0 Platform, through the wellness0 proxy.",
                            MemoryService::SelfHosted => "Memories are kept on a self-hosted mem0 server, through the wellness0 proxy.",
                        }}
                    </p>
                }.into_any(),
                None => view! {
                    <div class="choice" role="radiogroup" aria-label="Memory service">
                        <label class="check">
                            <input type="radio" name="memory-service" data-testid="memory-service-platform"
                                prop:checked=move || fields.memory_service.get() == MemoryService::Platform
                                on:change=choose(MemoryService::Platform) />
                            "mem0 Platform (hosted by mem0)"
                        </label>
                        <label class="check">
                            <input type="radio" name="memory-service" data-testid="memory-service-selfhosted"
                                prop:checked=move || fields.memory_service.get() == MemoryService::SelfHosted
                                on:change=choose(MemoryService::SelfHosted) />
                            "Self-hosted mem0 server (your own machine)"
                        </label>
                    </div>
                }.into_any(),
            }}
            <div class:hidden=move || shown() != MemoryService::Platform>
                <KeyField name="mem0" service="mem0" node_ref=mem0_key is_set=Signal::derive(move || store.keys.with(|k| k.mem0.is_some()))
                    held_by_proxy=proxy_holds_key placeholder="Paste your mem0 API key (m0-…)" />
                <label for="mem0-base">"Base URL"</label>
                <input id="mem0-base" type="url" data-testid="mem0-base-url" bind:value=fields.mem0_base_url disabled=move || store.proxy().is_some() />
            </div>
            <div class:hidden=move || shown() != MemoryService::SelfHosted>
                <Show when=move || proxy_service().is_none()>
                    <label for="selfhosted-base">"Server address"</label>
                    <input id="selfhosted-base" type="url" data-testid="selfhosted-base-url" placeholder="http://127.0.0.1:8888"
                        bind:value=fields.selfhosted_base_url />
                    <p class="hint">"Your browser must be allowed to call it (its CORS origin), or run wellness0 through its proxy."</p>
                </Show>
                <KeyField name="selfhosted" service="mem0 server" node_ref=selfhosted_key
                    is_set=Signal::derive(move || store.keys.with(|k| k.selfhosted.is_some()))
                    held_by_proxy=proxy_holds_key placeholder="Its API key, if it needs one" />
            </div>
            <label for="memory-deadline">"Memory search deadline (ms)"</label>
            <input id="memory-deadline" inputmode="numeric" data-testid="memory-deadline" bind:value=fields.memory_deadline_ms />
        </fieldset>
    }
}
