//! A write-only API key field: what is typed is read and emptied on Save, so a key is never left
//! in the DOM; the field only says whether a key is set. Hidden when the proxy holds the key.

use leptos::html;
use leptos::prelude::*;

/// A write-only API key field, or a note that the proxy holds that key.
#[component]
pub fn KeyField(
    /// Short id: `gemini` or `mem0` (element ids and test ids derive from it).
    name: &'static str,
    /// The service's name as the user knows it.
    service: &'static str,
    /// The input, read and emptied on Save.
    node_ref: NodeRef<html::Input>,
    /// Whether a key is stored.
    is_set: Signal<bool>,
    /// Whether the proxy holds this key (then the field is hidden).
    held_by_proxy: Signal<bool>,
    /// Placeholder when no key is stored.
    placeholder: &'static str,
) -> impl IntoView {
    let id = format!("{name}-key");
    view! {
        <Show when=move || held_by_proxy.get()>
            <p class="hint" data-testid=format!("{name}-key-held")>
                {format!("The wellness0 proxy holds the {service} key: no key is needed in this page.")}
            </p>
        </Show>
        <div class:hidden=move || held_by_proxy.get()>
            <label for=id.clone()>"API key"</label>
            <input
                id=id.clone()
                type="password"
                autocomplete="new-password"
                spellcheck="false"
                data-testid=id
                node_ref=node_ref
                placeholder=move || if is_set.get() { "A key is set — type to replace it" } else { placeholder }
            />
            <p class="hint">
                {move || if is_set.get() { "Key set. " } else { "No key yet. " }}
                "Sent only in a request header, never in a URL."
            </p>
        </div>
    }
}
