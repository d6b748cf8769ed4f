//! Rust side of `keys.js`: the sync keys and the records' encryption (WebCrypto), as futures
//! over text. The key hierarchy is in docs/sync.md; the recovery code's written form is here,
//! plain and tested natively.

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(module = "/src/sync/keys.js")]
extern "C" {
    #[wasm_bindgen(js_name = takeHandoff)]
    fn js_take_handoff() -> Option<String>;
    #[wasm_bindgen(catch, js_name = createDataKey)]
    fn js_create_data_key(wrap_key: &str) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_name = unwrapDataKey)]
    fn js_unwrap_data_key(wrap_key: &str, body: &str) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_name = recoverDataKey)]
    fn js_recover_data_key(code_hex: &str, body: &str) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_name = rewrap)]
    fn js_rewrap(data_key: &str, wrap_key: &str, body: &str) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_name = useDataKey)]
    fn js_use_data_key(data_key: &str) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_name = sealRecords)]
    fn js_seal_records(json: &str) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_name = openRecords)]
    fn js_open_records(json: &str) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = listenChanges)]
    fn js_listen_changes(url: &str, on_seq: &Function, on_open: &Function) -> Function;
}

/// A key operation failed: the key does not open what it was given, or the browser refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError;

async fn text(promise: Result<Promise, JsValue>) -> Result<String, KeyError> {
    let value = JsFuture::from(promise.map_err(|_| KeyError)?).await.map_err(|_| KeyError)?;
    Ok(value.as_string().unwrap_or_default())
}

/// The sign-in page's handoff (`{"name", "key"}`), taken out of the tab's storage.
pub fn take_handoff() -> Option<Handoff> {
    serde_json::from_str(&js_take_handoff()?).ok()
}

/// What the sign-in page hands the app: whose password it was, and the wrapping key it made.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Handoff {
    pub name: String,
    pub key: String,
}

/// A data key made now, with its recovery code (hex) and the body kept on the server.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Created {
    #[serde(rename = "dataKey")]
    pub data_key: String,
    pub code: String,
    pub body: serde_json::Value,
}

pub async fn create_data_key(wrap_key: &str) -> Result<Created, KeyError> {
    serde_json::from_str(&text(js_create_data_key(wrap_key)).await?).map_err(|_| KeyError)
}

pub async fn unwrap_data_key(wrap_key: &str, body: &str) -> Result<String, KeyError> {
    text(js_unwrap_data_key(wrap_key, body)).await
}

pub async fn recover_data_key(code_hex: &str, body: &str) -> Result<String, KeyError> {
    text(js_recover_data_key(code_hex, body)).await
}

pub async fn rewrap(data_key: &str, wrap_key: &str, body: &str) -> Result<String, KeyError> {
    text(js_rewrap(data_key, wrap_key, body)).await
}

pub async fn use_data_key(data_key: &str) -> Result<(), KeyError> {
    text(js_use_data_key(data_key)).await.map(drop)
}

/// `[[key, clock, value]]` (JSON) sealed into `[{key, clock, data}]` (JSON) for a push.
pub async fn seal_records(json: &str) -> Result<String, KeyError> {
    text(js_seal_records(json)).await
}

/// Pulled records opened: `{"records": [[key, clock, value]], "unreadable": n}`.
pub async fn open_records(json: &str) -> Result<String, KeyError> {
    text(js_open_records(json)).await
}

/// Listens to the server's change events for the life of the page: `on_seq` with each
/// sequence number, `on_open` at each (re)connection.
pub fn listen_changes(url: &str, on_seq: impl FnMut(f64) + 'static, on_open: impl FnMut() + 'static) {
    let on_seq = Closure::<dyn FnMut(f64)>::new(on_seq);
    let on_open = Closure::<dyn FnMut()>::new(on_open);
    js_listen_changes(url, on_seq.as_ref().unchecked_ref(), on_open.as_ref().unchecked_ref());
    on_seq.forget(); // live as long as the page
    on_open.forget();
}

/// The recovery code as a person reads it: 32 hex digits in eight groups of four.
pub fn show_code(hex: &str) -> String {
    hex.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
}

/// The recovery code as typed (any case, spaces or dashes between groups) as 32 hex digits, or
/// `None` when it is not one.
pub fn read_code(typed: &str) -> Option<String> {
    let digits: String = typed.chars().filter(|c| !c.is_whitespace() && *c != '-').collect::<String>().to_lowercase();
    (digits.len() == 32 && digits.bytes().all(|b| b.is_ascii_hexdigit())).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recovery_code_reads_back_however_it_is_typed() {
        let hex = "0123456789abcdef0123456789abcdef";
        let shown = show_code(hex);
        assert_eq!(shown, "0123-4567-89ab-cdef-0123-4567-89ab-cdef");
        assert_eq!(read_code(&shown).as_deref(), Some(hex));
        assert_eq!(read_code(" 0123 4567 89AB CDEF 0123 4567 89ab cdef\n").as_deref(), Some(hex));
        for bad in ["", "0123-4567", &format!("{hex}0"), "0123456789abcdef0123456789abcdeg"] {
            assert_eq!(read_code(bad), None, "{bad:?}");
        }
    }
}
