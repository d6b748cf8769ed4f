//! The "Keys" part of Settings: whether keys are remembered on this device, where each key is
//! kept right now (this tab only, this device, the proxy; encrypted when a passcode is set), and
//! Forget keys, which removes every key this page stored — after asking — in every open tab.

use super::fields::FormFields;
use super::store::use_settings;
use super::values::MemoryService;
use crate::db::{self, Change};
use crate::vault::Vault;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Where one key is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyPlace {
    /// The proxy holds it; the page never sees it.
    Proxy,
    /// No key.
    Unset,
    /// `sessionStorage`: gone when the tab closes.
    Tab { sealed: bool },
    /// `localStorage`: kept on this device.
    Device { sealed: bool },
}

impl KeyPlace {
    pub fn of(held_by_proxy: bool, stored: bool, remembered: bool, sealed: bool) -> Self {
        match (held_by_proxy, stored, remembered) {
            (true, _, _) => KeyPlace::Proxy,
            (false, false, _) => KeyPlace::Unset,
            (false, true, false) => KeyPlace::Tab { sealed },
            (false, true, true) => KeyPlace::Device { sealed },
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            KeyPlace::Proxy => "held by the wellness0 proxy, never in this page",
            KeyPlace::Unset => "no key",
            KeyPlace::Tab { sealed: false } => "kept for this tab only, until it closes",
            KeyPlace::Tab { sealed: true } => "kept for this tab only, encrypted with your passcode",
            KeyPlace::Device { sealed: false } => {
                "remembered on this device, not encrypted (a passcode would encrypt it)"
            }
            KeyPlace::Device { sealed: true } => "remembered on this device, encrypted with your passcode",
        }
    }
}

/// The keys fieldset. `first_key` is focused after forgetting (the page asks for a key again).
#[component]
pub fn KeysSection(fields: FormFields, #[prop(into)] first_key: Callback<()>) -> impl IntoView {
    let store = use_settings();
    let vault = use_context::<Vault>();
    let sealed = move || vault.is_some_and(|v| v.protected.get());
    let confirming = RwSignal::new(false);
    let forgotten = RwSignal::new(false);
    let stored_any = move || store.keys.with(|k| k.gemini.is_some() || k.mem0.is_some() || k.selfhosted.is_some());
    let place = move |which: &'static str| {
        let proxy = store.proxy();
        let held = match which {
            "gemini" => proxy.as_ref().is_some_and(|p| p.gemini.key),
            "mem0" => proxy.as_ref().is_some_and(|p| p.mem0.key && p.mem0.backend == MemoryService::Platform),
            _ => proxy.as_ref().is_some_and(|p| p.mem0.key && p.mem0.backend == MemoryService::SelfHosted),
        };
        let stored = store.keys.with(|k| match which {
            "gemini" => k.gemini.is_some(),
            "mem0" => k.mem0.is_some(),
            _ => k.selfhosted.is_some(),
        });
        let remembered = store.settings.with(|s| s.remember_keys);
        KeyPlace::of(held, stored, remembered, sealed()).describe()
    };
    let forget = move |_| {
        store.forget_keys();
        db::announce(&Change::Keys.to_string());
        confirming.set(false);
        forgotten.set(true);
        first_key.run(());
    };
    let ask = move |_| {
        forgotten.set(false);
        confirming.set(true);
        // The question's own button takes focus (the one pressed is gone).
        request_animation_frame(move || focus_testid("forget-keys-confirm"));
    };
    let rows = [("gemini", "Gemini"), ("mem0", "mem0 Platform"), ("selfhosted", "Your mem0 server")];
    view! {
        <fieldset data-testid="keys-section">
            <legend>"Keys"</legend>
            <label class="check">
                <input type="checkbox" data-testid="remember-keys" prop:checked=move || fields.remember_keys.get()
                    on:change:target=move |ev| fields.remember_keys.set(ev.target().checked()) />
                "Remember keys on this device (otherwise they are forgotten when the tab closes)"
            </label>
            <ul class="key-places" aria-label="Where your keys are kept">
                {rows.map(|(which, name)| view! {
                    <li data-testid=format!("key-place-{which}")>
                        <strong>{name} ": "</strong>{move || place(which)}
                    </li>
                }).collect_view()}
            </ul>
            <p class="hint">"Keys go only into request headers: never into a URL, an export or a log."</p>
            <Show when=move || stored_any() && !confirming.get()>
                <button type="button" class="danger" data-testid="forget-keys" on:click=ask>"Forget keys…"</button>
            </Show>
            <Show when=move || confirming.get()>
                <div class="confirm-box" role="group" aria-labelledby="forget-keys-question" data-testid="forget-keys-box">
                    <p id="forget-keys-question">
                        "Remove every key stored in this browser, in every open tab? You will need to paste them again to chat. \
                         Keys the proxy holds are not affected."
                    </p>
                    <button type="button" class="danger" data-testid="forget-keys-confirm" on:click=forget>"Forget keys"</button>
                    <button type="button" data-testid="forget-keys-cancel" on:click=move |_| {
                        confirming.set(false);
                        request_animation_frame(move || focus_testid("forget-keys"));
                    }>"Cancel"</button>
                </div>
            </Show>
            <p role="status" class="hint" data-testid="keys-status">
                {move || forgotten.get().then_some("Keys forgotten: none is stored in this browser now.")}
            </p>
        </fieldset>
    }
}

fn focus_testid(testid: &str) {
    let found = document().query_selector(&format!("[data-testid='{testid}']")).ok().flatten();
    if let Some(el) = found.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = el.focus();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_place_is_said_plainly() {
        assert_eq!(KeyPlace::of(true, true, true, true), KeyPlace::Proxy, "the proxy's key wins");
        assert_eq!(KeyPlace::of(false, false, true, true), KeyPlace::Unset);
        assert_eq!(KeyPlace::of(false, true, false, false), KeyPlace::Tab { sealed: false });
        assert_eq!(KeyPlace::of(false, true, true, true), KeyPlace::Device { sealed: true });
        assert!(KeyPlace::Tab { sealed: true }.describe().contains("encrypted with your passcode"));
        assert!(KeyPlace::Device { sealed: false }.describe().contains("not encrypted"));
        assert!(KeyPlace::Proxy.describe().contains("proxy"));
    }
}
