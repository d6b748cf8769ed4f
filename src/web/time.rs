//! Time in the browser: sleeping, the wall clock, and Performance API marks for the bench.

use wasm_bindgen_futures::JsFuture;

/// Waits `ms` milliseconds.
pub async fn sleep_ms(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Milliseconds since the epoch.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Clears earlier marks and sets `name`: one reply's marks at a time, so they never pile up.
pub fn start_marks(name: &str) {
    if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
        perf.clear_marks();
        let _ = perf.mark(name);
    }
}

/// A Performance API mark, for benchmarks: `w0:send` (the user sent), `w0:first-chunk`,
/// `w0:chunk` (each piece of reply text), `w0:done` (the reply is complete).
pub fn mark(name: &str) {
    if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
        let _ = perf.mark(name);
    }
}
