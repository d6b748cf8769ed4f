//! Browser tests (wasm-bindgen-test in headless Chromium): mount the real app into a fresh
//! element, act like a user, and read the DOM.
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use leptos::task::tick;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Event, EventInit, HtmlElement, HtmlTextAreaElement, KeyboardEvent, KeyboardEventInit};
use wellness0::chat::conversation::{Conversation, Message, MessageState, Role};
use wellness0::chat::persist::{load_messages, load_sessions};
use wellness0::chat::tree::Parent;
use wellness0::chat::ChatStore;
use wellness0::db::Storage;
use wellness0::memory::MemoryStore;
use wellness0::settings::{Keys, SettingsStore};
use wellness0::App;

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Empties both storages and deletes the database, so each test starts as a first visit.
async fn clear_storage() {
    let window = web_sys::window().unwrap();
    window.local_storage().unwrap().unwrap().clear().unwrap();
    window.session_storage().unwrap().unwrap().clear().unwrap();
    // An earlier test's app still has the database open: it closes it when asked (versionchange).
    let deleted = js_sys::eval(
        "new Promise((resolve, reject) => { const r = indexedDB.deleteDatabase('wellness0'); \
         r.onsuccess = () => resolve(); r.onerror = () => reject(r.error); })",
    )
    .unwrap();
    wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(deleted)).await.unwrap();
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

/// Mounts the app into a new `<section>` and waits until it has read what is stored.
async fn mount_app() -> Mounted {
    let root: HtmlElement = document().create_element("section").unwrap().unchecked_into();
    document().body().unwrap().append_child(&root).unwrap();
    let handle = leptos::mount::mount_to(root.clone(), App);
    tick().await;
    // Queried each time: the page shown while the database opens is replaced by the app.
    let ready = || root.query_selector(".app[data-ready='true']").ok().flatten().is_some();
    assert!(wait_for(ready).await, "storage never opened");
    wellness0::web::time::sleep_ms(50).await; // the stored session is shown
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
    let conv = Conversation {
        next_id: 3,
        messages: vec![
            Message::new(1, Role::User, "hello", MessageState::Done, 0.0),
            Message::new(2, Role::Model, reply, state, 0.0),
        ],
    };
    serde_json::to_string(&conv).unwrap()
}

fn set_local(key: &str, value: &str) {
    web_sys::window().unwrap().local_storage().unwrap().unwrap().set_item(key, value).unwrap();
}

#[wasm_bindgen_test]
async fn first_visit_greets_and_refuses_an_empty_message() {
    clear_storage().await;
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
    clear_storage().await;
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
    clear_storage().await;
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
    clear_storage().await;
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
async fn the_previous_conversation_becomes_a_session_and_new_session_keeps_it() {
    clear_storage().await;
    // What the previous version stored: one conversation in localStorage.
    set_local("wellness0.conversation", &stored_conversation("Hi!", MessageState::Done));
    let root = mount_app().await;
    assert_eq!(count(&root, "article"), 2, "the old conversation is shown");
    let local = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    assert!(local.get_item("wellness0.conversation").unwrap().is_none(), "moved out of localStorage");
    assert!(wait_for(|| count(&root, "[data-testid='session-item']") == 1).await, "listed as a session");
    assert_eq!(find(&root, "session-title").unwrap().text_content().unwrap(), "hello");
    find(&root, "new-session").unwrap().click();
    tick().await;
    assert_eq!(count(&root, "article"), 0);
    assert!(find(&root, "greeting").is_some());
    // The earlier session is still there, and opens again.
    assert_eq!(count(&root, "[data-testid='session-item']"), 1);
    find(&root, "session-open").unwrap().click();
    assert!(wait_for(|| count(&root, "article") == 2).await, "the earlier session opens again");
}

#[wasm_bindgen_test]
async fn messages_round_trip_through_the_database() {
    clear_storage().await;
    let owner = Owner::new();
    let (chat, storage) = owner.with(|| {
        let storage = Storage::new();
        let settings = SettingsStore::load();
        let memory = MemoryStore::new(settings, storage);
        (ChatStore::new(settings, memory, storage), storage)
    });
    storage.opened(wellness0::db::Db::open().await);
    owner.with(|| {
        let rows = chat.push(
            Parent::Root,
            vec![(Role::User, "one".into(), MessageState::Done), (Role::Model, "two".into(), MessageState::Done)],
        );
        // Another version of the reply, beside it: each is its own record.
        chat.push(Parent::Of(rows[0].id), vec![(Role::Model, "two, again".into(), MessageState::Done)]);
    });
    let db = storage.db().unwrap();
    let session = chat.session.get_untracked().id;
    let mut stored = Vec::new();
    for _ in 0..50 {
        stored = load_messages(&db, session).await.unwrap();
        if stored.len() == 3 {
            break;
        }
        wellness0::web::time::sleep_ms(20).await;
    }
    assert_eq!(stored, chat.messages());
    assert_eq!(stored[1].parent, stored[2].parent, "versions share their parent");
    let mut sessions = load_sessions(&db).await.unwrap();
    for _ in 0..50 {
        if sessions[0].count == 3 {
            break;
        }
        wellness0::web::time::sleep_ms(20).await;
        sessions = load_sessions(&db).await.unwrap();
    }
    assert_eq!((sessions[0].id, sessions[0].count, sessions[0].title.as_str()), (session, 3, "one"));
    assert_eq!(sessions[0].shown, Some(stored[2].id), "the version shown is stored with the session");
}

#[wasm_bindgen_test]
async fn a_batch_applies_its_writes_in_order() {
    use wellness0::db::{data_of, Batch, Db, Record, SYNC};
    clear_storage().await;
    let db = Db::open().await.unwrap();
    let key = |k: &str| wasm_bindgen::JsValue::from_str(k);
    let record = |k: &str, data: &str| Record::new(data).field("key", key(k));
    db.write(Batch::default().put(SYNC, record("a", "first")).put(SYNC, record("b", "kept"))).await.unwrap();
    // A deletion and then a newer write of the same key in one batch (a pulled page can hold
    // both): the write stays. And a write then a deletion: gone.
    let batch = Batch::default()
        .delete(SYNC, key("a"))
        .put(SYNC, record("a", "second"))
        .put(SYNC, record("c", "short-lived"))
        .delete_range(SYNC, key("c"), key("c~"));
    db.write(batch).await.unwrap();
    let read = |k: &'static str| {
        let db = db.clone();
        async move { db.get(SYNC, &key(k)).await.unwrap().and_then(|r| data_of(&r)) }
    };
    assert_eq!(read("a").await.as_deref(), Some("second"));
    assert_eq!(read("b").await.as_deref(), Some("kept"));
    assert_eq!(read("c").await, None);
}

#[wasm_bindgen_test]
async fn keys_live_in_the_tab_unless_remembered() {
    clear_storage().await;
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
async fn a_refused_save_is_announced_and_the_chat_goes_on() {
    clear_storage().await;
    set_local("wellness0.conversation", &stored_conversation("Hi!", MessageState::Done));
    let root = mount_app().await;
    // The browser's storage is full from now on.
    js_sys::eval(
        "window.__realPut = IDBObjectStore.prototype.put; \
         IDBObjectStore.prototype.put = function () { throw new DOMException('full', 'QuotaExceededError'); };",
    )
    .unwrap();
    let input = find(&root, "composer-input").unwrap();
    type_into(&input, "still here");
    press_enter(&input);
    let shown = wait_for(|| find(&root, "save-failed").is_some()).await;
    js_sys::eval("IDBObjectStore.prototype.put = window.__realPut;").unwrap();
    assert!(shown, "the page says the conversation could not be stored");
    assert!(find(&root, "save-failed").unwrap().text_content().unwrap().contains("storage for this site is full"));
    assert_eq!(count(&root, "[data-testid='message-user']"), 2, "the message is on screen all the same");
}

#[wasm_bindgen_test]
async fn without_indexeddb_the_app_works_in_memory_and_says_so() {
    clear_storage().await;
    js_sys::eval(
        "window.__realOpen = IDBFactory.prototype.open; \
         IDBFactory.prototype.open = function () { throw new DOMException('no', 'SecurityError'); };",
    )
    .unwrap();
    let root = mount_app().await;
    js_sys::eval("IDBFactory.prototype.open = window.__realOpen;").unwrap();
    let notice = find(&root, "save-failed").expect("the page says nothing is stored");
    assert!(notice.text_content().unwrap().contains("does not let the site store data"));
    let input = find(&root, "composer-input").unwrap();
    type_into(&input, "hello");
    press_enter(&input);
    tick().await;
    assert_eq!(count(&root, "[data-testid='message-user']"), 1, "the chat goes on in memory");
}
