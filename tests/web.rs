//! Browser tests (wasm-bindgen-test in headless Chromium): mount the real app into a fresh
//! element, act like a user, and read the DOM.
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use leptos::task::tick;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Event, EventInit, HtmlElement, HtmlTextAreaElement, KeyboardEvent, KeyboardEventInit};
use wellness0::chat::conversation::{Conversation, Message, MessageState, Role};
use wellness0::chat::ChatStore;
use wellness0::memory::MemoryStore;
use wellness0::settings::{Keys, SettingsStore};
use wellness0::App;

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Empties both storages, so each test starts as a first visit.
fn clear_storage() {
    let window = web_sys::window().unwrap();
    window.local_storage().unwrap().unwrap().clear().unwrap();
    window.session_storage().unwrap().unwrap().clear().unwrap();
}

/// The app mounted into its own `<section>`; dropping it unmounts the app and removes the section.
struct Mounted {
    root: HtmlElement,
    _handle: Box<dyn std::any::Any>,
}

impl std::ops::Deref for Mounted {
    type Target = HtmlElement;
    fn deref(&self) -> &HtmlElement {
        &self.root
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        self.root.remove();
    }
}

/// Mounts the app into a new `<section>`.
async fn mount_app() -> Mounted {
    let root: HtmlElement = document().create_element("section").unwrap().unchecked_into();
    document().body().unwrap().append_child(&root).unwrap();
    let handle = leptos::mount::mount_to(root.clone(), App);
    tick().await;
    Mounted { root, _handle: Box::new(handle) }
}

/// Polls `condition` for up to two seconds.
async fn wait_for(condition: impl Fn() -> bool) -> bool {
    for _ in 0..100 {
        if condition() {
            return true;
        }
        wellness0::web::time::sleep_ms(20).await;
    }
    condition()
}

fn find(root: &HtmlElement, testid: &str) -> Option<HtmlElement> {
    root.query_selector(&format!("[data-testid='{testid}']")).unwrap().map(|e| e.unchecked_into())
}

fn count(root: &HtmlElement, selector: &str) -> u32 {
    root.query_selector_all(selector).unwrap().length()
}

fn press_enter(target: &HtmlElement) {
    let init = KeyboardEventInit::new();
    init.set_key("Enter");
    init.set_bubbles(true);
    init.set_cancelable(true);
    let ev = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    target.dispatch_event(&ev).unwrap();
}

fn type_into(textarea: &HtmlElement, text: &str) {
    textarea.unchecked_ref::<HtmlTextAreaElement>().set_value(text);
    let init = EventInit::new();
    init.set_bubbles(true);
    textarea.dispatch_event(&Event::new_with_event_init_dict("input", &init).unwrap()).unwrap();
}

fn stored_conversation(reply: &str, state: MessageState) -> String {
    let msg = |id, role, text: &str, state| Message {
        id,
        role,
        text: text.into(),
        parts: vec![],
        state,
        note: None,
        memory: None,
        created_ms: 0.0,
    };
    let conv = Conversation {
        next_id: 3,
        messages: vec![msg(1, Role::User, "hello", MessageState::Done), msg(2, Role::Model, reply, state)],
    };
    serde_json::to_string(&conv).unwrap()
}

fn set_local(key: &str, value: &str) {
    web_sys::window().unwrap().local_storage().unwrap().unwrap().set_item(key, value).unwrap();
}

#[wasm_bindgen_test]
async fn first_visit_greets_and_refuses_an_empty_message() {
    clear_storage();
    let root = mount_app().await;
    let greeting = find(&root, "greeting").expect("greeting shown");
    assert!(greeting.text_content().unwrap().contains("Type how you're feeling. No rush. No judgement."));
    // No key yet (and no proxy): once the page knows, the settings drawer opens by itself.
    let settings = find(&root, "settings").unwrap();
    assert!(wait_for(|| settings.class_name().contains("open")).await, "settings drawer did not open");

    let input = find(&root, "composer-input").unwrap();
    type_into(&input, "   \n ");
    press_enter(&input);
    tick().await;
    let notice = find(&root, "composer-notice").unwrap().text_content().unwrap();
    assert!(notice.contains("Type a message first"), "notice: {notice}");
    assert_eq!(count(&root, "[data-testid='message-user']"), 0);
}

#[wasm_bindgen_test]
async fn a_huge_paste_is_refused_and_kept_in_the_box() {
    clear_storage();
    let root = mount_app().await;
    let input = find(&root, "composer-input").unwrap();
    type_into(&input, &"x".repeat(1_000_000));
    tick().await;
    assert!(find(&root, "composer-counter").unwrap().text_content().unwrap().starts_with("1000000 /"));
    press_enter(&input);
    tick().await;
    let notice = find(&root, "composer-notice").unwrap().text_content().unwrap();
    assert!(notice.contains("1000000 characters"), "notice: {notice}");
    assert_eq!(input.unchecked_ref::<HtmlTextAreaElement>().value().len(), 1_000_000);
    assert_eq!(count(&root, "[data-testid='message-user']"), 0);
}

#[wasm_bindgen_test]
async fn hostile_reply_text_is_rendered_inert() {
    clear_storage();
    let hostile = "<img src=x onerror=\"window.__pwned=1\"> <script>window.__pwned=2</script>\n\n\
                   [click](javascript:window.__pwned=3) and **bold**";
    set_local("wellness0.conversation", &stored_conversation(hostile, MessageState::Done));
    let root = mount_app().await;
    let reply = find(&root, "message-model").expect("reply restored");
    assert_eq!(count(&reply, "img, script, iframe"), 0);
    assert_eq!(count(&reply, "a"), 0);
    assert_eq!(count(&reply, "strong"), 1);
    assert!(reply.text_content().unwrap().contains("<img src=x onerror="));
    // An injected <img src=x> would fail to load and run its onerror a moment later: give it
    // that moment (and more) before concluding nothing ran.
    let pwned = || !js_sys::Reflect::get(&web_sys::window().unwrap(), &"__pwned".into()).unwrap().is_undefined();
    assert!(!wait_for(pwned).await, "hostile markup ran");
}

#[wasm_bindgen_test]
async fn a_reply_cut_by_a_reload_keeps_its_text_and_offers_retry() {
    clear_storage();
    set_local("wellness0.conversation", &stored_conversation("I hear", MessageState::Streaming));
    let root = mount_app().await;
    let reply = find(&root, "message-model").unwrap();
    assert_eq!(reply.get_attribute("data-state").as_deref(), Some("cut"));
    assert!(reply.text_content().unwrap().contains("I hear"));
    assert!(find(&reply, "retry").is_some());
    // The transcript is not busy: nothing is streaming after a reload.
    assert_eq!(find(&root, "transcript").unwrap().get_attribute("aria-busy").as_deref(), Some("false"));
}

#[wasm_bindgen_test]
async fn end_session_asks_first_then_clears_the_conversation() {
    clear_storage();
    set_local("wellness0.conversation", &stored_conversation("Hi!", MessageState::Done));
    let root = mount_app().await;
    assert_eq!(count(&root, "article"), 2);
    find(&root, "end-session").unwrap().click();
    tick().await;
    let focused = || document().active_element().and_then(|e| e.get_attribute("data-testid"));
    assert!(wait_for(|| focused().as_deref() == Some("confirm-end-yes")).await, "focus moves to the choice");
    find(&root, "confirm-end-no").unwrap().click();
    tick().await;
    assert_eq!(count(&root, "article"), 2);
    find(&root, "end-session").unwrap().click();
    tick().await;
    find(&root, "confirm-end-yes").unwrap().click();
    tick().await;
    assert_eq!(count(&root, "article"), 0);
    assert!(find(&root, "greeting").is_some());
    let stored =
        web_sys::window().unwrap().local_storage().unwrap().unwrap().get_item("wellness0.conversation").unwrap();
    let stored = Conversation::restore(&stored.unwrap()).unwrap();
    assert!(stored.messages.is_empty(), "nothing of the conversation is kept");
    assert!(stored.next_id >= 3, "ids are not reused");
}

#[wasm_bindgen_test]
fn conversation_round_trips_through_local_storage() {
    clear_storage();
    let owner = Owner::new();
    owner.with(|| {
        let settings = SettingsStore::load();
        let memory = MemoryStore::load(settings);
        let chat = ChatStore::from_conversation(Conversation::default(), settings, memory);
        chat.push(Role::User, "one".into(), MessageState::Done);
        chat.push(Role::Model, "two".into(), MessageState::Done);
        chat.save();
        let loaded = ChatStore::load(settings, memory).snapshot();
        assert_eq!(loaded, chat.snapshot());
        assert_eq!(loaded.messages.len(), 2);
    });
}

#[wasm_bindgen_test]
fn keys_live_in_the_tab_unless_remembered() {
    clear_storage();
    let window = web_sys::window().unwrap();
    let local = window.local_storage().unwrap().unwrap();
    let session = window.session_storage().unwrap().unwrap();
    let keys = Keys { gemini: Some("AIza-test".into()), ..Keys::default() };
    keys.save(false);
    assert!(local.get_item("wellness0.keys").unwrap().is_none());
    assert!(session.get_item("wellness0.keys").unwrap().unwrap().contains("AIza-test"));
    assert_eq!(Keys::load(), keys);
    keys.save(true);
    assert!(session.get_item("wellness0.keys").unwrap().is_none());
    assert!(local.get_item("wellness0.keys").unwrap().unwrap().contains("AIza-test"));
}

#[wasm_bindgen_test]
async fn a_refused_save_is_announced() {
    clear_storage();
    set_local("wellness0.conversation", &stored_conversation("Hi!", MessageState::Done));
    let root = mount_app().await;
    // The browser's storage is full from now on.
    js_sys::eval(
        "window.__realSetItem = Storage.prototype.setItem; \
         Storage.prototype.setItem = function () { throw new DOMException('full', 'QuotaExceededError'); };",
    )
    .unwrap();
    find(&root, "end-session").unwrap().click();
    tick().await;
    find(&root, "confirm-end-yes").unwrap().click();
    tick().await;
    let shown = wait_for(|| find(&root, "save-failed").is_some()).await;
    js_sys::eval("Storage.prototype.setItem = window.__realSetItem;").unwrap();
    assert!(shown, "the page says the conversation could not be stored");
}
