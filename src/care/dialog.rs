//! A modal `<dialog>` bound to a signal: shown with `showModal()` (the rest of the page is inert,
//! Esc closes it — the browser's own behaviour), focus moved to its heading so a screen reader
//! starts there and Enter cannot dial a number by accident, and given back on closing to
//! whatever had it before.

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

/// A modal dialog shown while `open` is true. Its heading (`<h2 id=labelledby>`, given by the
/// caller in `children`) gets focus; a click on the backdrop closes it too.
#[component]
pub fn Modal(
    open: RwSignal<bool>,
    /// The id of the heading that names the dialog.
    labelledby: &'static str,
    class: &'static str,
    testid: &'static str,
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    let return_to = StoredValue::new_local(None::<HtmlElement>);
    Effect::new(move |_| {
        let Some(el) = dialog.get() else { return };
        if open.get() && !el.open() {
            let active = document().active_element().and_then(|e| e.dyn_into::<HtmlElement>().ok());
            return_to.set_value(active);
            if el.show_modal().is_err() {
                return open.set(false);
            }
            let heading = document().get_element_by_id(labelledby).and_then(|h| h.dyn_into::<HtmlElement>().ok());
            if let Some(heading) = heading {
                let _ = heading.focus();
            }
        } else if !open.get() && el.open() {
            el.close();
        }
    });
    // Closed by Esc, by a button or by the signal: the signal follows, focus goes back.
    let on_close = move |_| {
        open.set(false);
        if let Some(el) = return_to.try_update_value(Option::take).flatten() {
            let _ = el.focus();
        }
    };
    // A click on the backdrop lands on the dialog element itself (its content is inside a wrapper).
    let on_click = move |ev: leptos::ev::MouseEvent| {
        let on_backdrop = ev
            .target()
            .zip(dialog.get_untracked())
            .is_some_and(|(target, el)| &target == AsRef::<web_sys::EventTarget>::as_ref(&el));
        if on_backdrop {
            open.set(false);
        }
    };
    view! {
        <dialog node_ref=dialog class=class data-testid=testid aria-labelledby=labelledby on:close=on_close on:click=on_click>
            <div class="dialog-body">{children()}</div>
        </dialog>
    }
}
