fn main() {
    // A panic's message in the console (a nightly release build aborts before any hook: docs/size.md).
    console_error_panic_hook::set_once();
    // The page's note for a browser that cannot run the app (index.html): it can.
    if let Some(note) = leptos::prelude::document().get_element_by_id("boot") {
        note.remove();
    }
    leptos::mount::mount_to_body(wellness0::App);
}
