//! Rust side of `worker.js`: registering the service worker, and hearing that a newer version
//! of the app replaced the cached one.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/pwa/worker.js")]
extern "C" {
    #[wasm_bindgen(js_name = register)]
    fn js_register(on_updated: &js_sys::Function);
}

/// Registers the service worker after the page has loaded (nothing happens where the browser
/// has none, e.g. a page not served over https or from this computer); `on_updated` runs when
/// a newer version took over from the one cached before.
pub fn register(on_updated: impl Fn() + 'static) {
    let callback = Closure::<dyn Fn()>::new(on_updated);
    js_register(callback.as_ref().unchecked_ref());
    callback.forget(); // lives as long as the page
}
