//! A drawer that covers the page (Settings always; the session list and the memory sidebar on
//! screens too narrow for them to sit beside the chat) behaves as a modal dialog while it is
//! open: everything else is `inert` (the browser then skips it for focus, clicks and assistive
//! technology), the drawer says it is a modal dialog, focus moves to its heading, and on closing
//! focus goes back to where it was (usually the button that opened it).
//!
//! Whether a drawer covers the page is read from its own style (`position: fixed`, set by the
//! stylesheet's media queries), so the breakpoints live in one place: style/main.css.

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

/// What stays usable while a drawer is modal: dialogs (Get help now opens from anywhere, by its
/// shortcut, and `showModal` cannot lift a dialog out of an inert ancestor) and notes that offer
/// an Undo (`data-stays-live`).
const STAYS_LIVE: &str = "dialog, [data-stays-live]";

/// What a modal drawer changed, to undo on closing.
struct Held {
    made_inert: Vec<Element>,
    return_to: Option<HtmlElement>,
}

/// Makes the drawer `drawer` modal while `open` is true and it covers the page.
pub fn modal_while_open(drawer: NodeRef<html::Section>, open: Signal<bool>) {
    let held = StoredValue::new_local(None::<Held>);
    // The layout changes with the window's width: a column becomes a drawer and back.
    let resized = RwSignal::new(0u32);
    let resize = window_event_listener(leptos::ev::resize, move |_| resized.update(|n| *n = n.wrapping_add(1)));
    Effect::new(move |_| {
        resized.track();
        let Some(el) = drawer.get() else { return };
        let modal = open.get() && covers_page(&el);
        let holding = held.with_value(Option::is_some);
        if modal && !holding {
            held.set_value(Some(enter(&el)));
        } else if !modal && holding {
            if let Some(h) = held.try_update_value(Option::take).flatten() {
                leave(&el, h);
            }
        }
    });
    on_cleanup(move || {
        resize.remove();
        if let (Some(el), Some(h)) = (drawer.get_untracked(), held.try_update_value(Option::take).flatten()) {
            leave(&el, h);
        }
    });
}

fn covers_page(el: &Element) -> bool {
    window().get_computed_style(el).ok().flatten().and_then(|s| s.get_property_value("position").ok()).as_deref()
        == Some("fixed")
}

fn enter(drawer: &Element) -> Held {
    let return_to = document().active_element().and_then(|e| e.dyn_into::<HtmlElement>().ok());
    let mut made_inert = Vec::new();
    if let Some(body) = document().body() {
        make_inert_around(&body, drawer, &mut made_inert);
    }
    let _ = drawer.set_attribute("role", "dialog");
    let _ = drawer.set_attribute("aria-modal", "true");
    // The heading names the drawer and is where a screen reader starts (`tabindex="-1"`).
    let heading = drawer.query_selector("h2").ok().flatten().and_then(|h| h.dyn_into::<HtmlElement>().ok());
    if let Some(heading) = heading {
        let _ = heading.focus();
    }
    Held { made_inert, return_to }
}

fn leave(drawer: &Element, held: Held) {
    for el in held.made_inert {
        let _ = el.remove_attribute("inert");
    }
    let _ = drawer.remove_attribute("role");
    let _ = drawer.remove_attribute("aria-modal");
    // Focus goes back only if it was in the drawer (or lost with it), never away from where the
    // person moved it since.
    let active = document().active_element();
    let lost = active.as_ref().is_none_or(|a| {
        drawer.contains(Some(a)) || document().body().is_some_and(|b| AsRef::<Element>::as_ref(&b) == a)
    });
    if !lost {
        return;
    }
    let back = held.return_to.filter(|el| el.is_connected() && el.closest("[inert]").ok().flatten().is_none());
    let back = back.or_else(|| {
        document().query_selector("main textarea").ok().flatten().and_then(|e| e.dyn_into::<HtmlElement>().ok())
    });
    if let Some(el) = back {
        let _ = el.focus();
    }
}

/// Sets `inert` on every element under `root` except `drawer`, what [`STAYS_LIVE`] names, and
/// their ancestors (whose other children it visits instead); notes what it changed.
fn make_inert_around(root: &Element, drawer: &Element, made_inert: &mut Vec<Element>) {
    let children = root.children();
    for i in 0..children.length() {
        let Some(child) = children.item(i) else { continue };
        let kept = child == *drawer || child.matches(STAYS_LIVE).unwrap_or(false);
        if kept || child.has_attribute("inert") {
            continue;
        }
        let holds_kept = child.contains(Some(drawer)) || child.query_selector(STAYS_LIVE).ok().flatten().is_some();
        if holds_kept {
            make_inert_around(&child, drawer, made_inert);
        } else if !matches!(child.tag_name().as_str(), "SCRIPT" | "STYLE" | "LINK" | "NOSCRIPT") {
            let _ = child.set_attribute("inert", "");
            made_inert.push(child);
        }
    }
}
