//! Thin helpers over the browser's `fetch` (web-sys), shared by the Gemini and mem0 clients:
//! JSON requests with headers, abort signals and streamed bodies.
//!
//! Headers are set per request and never logged; keys never go into URLs.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Headers, ReadableStreamDefaultReader, RequestInit, Response};

/// Why a request produced no HTTP response.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FetchError {
    /// The user (or a deadline) aborted it.
    #[error("aborted")]
    Aborted,
    /// The network failed, or the browser blocked the call (CORS looks the same from here).
    #[error("{0}")]
    Network(String),
}

fn describe(err: &JsValue) -> String {
    Reflect::get(err, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| err.as_string())
        .unwrap_or_else(|| "request failed".into())
}

fn is_abort(err: &JsValue) -> bool {
    Reflect::get(err, &"name".into()).ok().and_then(|n| n.as_string()).as_deref() == Some("AbortError")
}

fn fetch_error(err: JsValue) -> FetchError {
    if is_abort(&err) {
        FetchError::Aborted
    } else {
        FetchError::Network(describe(&err))
    }
}

thread_local! {
    /// Where to send the person when a call below `.0` answers 401: a shared proxy whose
    /// sign-in ran out (its sign-in page is `.1`).
    static SIGN_IN: std::cell::RefCell<Option<(String, String)>> = const { std::cell::RefCell::new(None) };
}

/// The scheme of the shared proxy's `WWW-Authenticate` on its own 401s (its `SIGN_IN_CHALLENGE`).
const SIGN_IN_CHALLENGE: &str = "wellness0-sign-in";

/// Behind a shared proxy: a 401 the proxy itself sent for any call below `api_base` means the
/// sign-in ran out, and the page goes to `sign_in_page`.
pub fn redirect_on_401(api_base: &str, sign_in_page: &str) {
    SIGN_IN.with(|s| *s.borrow_mut() = Some((api_base.to_owned(), sign_in_page.to_owned())));
}

/// Sends one request. `body` is JSON text when given.
pub async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
    signal: Option<&AbortSignal>,
) -> Result<Response, FetchError> {
    let init = RequestInit::new();
    init.set_method(method);
    let header_map = Headers::new().map_err(fetch_error)?;
    for (name, value) in headers {
        header_map.set(name, value).map_err(fetch_error)?;
    }
    if let Some(body) = body {
        header_map.set("content-type", "application/json").map_err(fetch_error)?;
        init.set_body(&JsValue::from_str(body));
    }
    init.set_headers(&header_map);
    init.set_signal(signal);
    let window = web_sys::window().ok_or_else(|| FetchError::Network("no window".into()))?;
    let response = JsFuture::from(window.fetch_with_str_and_init(url, &init)).await.map_err(fetch_error)?;
    let response: Response = response.dyn_into().map_err(|_| FetchError::Network("not a response".into()))?;
    // Only the proxy's own 401 names its sign-in: an upstream's refusal of the server's key is
    // relayed as a 401 too, and must not send everyone round between the app and the sign-in.
    let signed_out =
        || response.headers().get("www-authenticate").ok().flatten().is_some_and(|c| c.starts_with(SIGN_IN_CHALLENGE));
    if response.status() == 401 && signed_out() {
        let sign_in = SIGN_IN.with(|s| s.borrow().clone()).filter(|(api, _)| url.starts_with(api.as_str()));
        if let Some((_, page)) = sign_in {
            let _ = window.location().assign(&page);
        }
    }
    Ok(response)
}

/// Reads a whole body as text.
pub async fn text(response: &Response) -> Result<String, FetchError> {
    let promise = response.text().map_err(fetch_error)?;
    let value = JsFuture::from(promise).await.map_err(fetch_error)?;
    Ok(value.as_string().unwrap_or_default())
}

/// Reads a body chunk by chunk, as the bytes arrive.
pub struct BodyReader {
    reader: ReadableStreamDefaultReader,
}

impl BodyReader {
    pub fn new(response: &Response) -> Option<Self> {
        let reader = response.body()?.get_reader();
        Some(Self { reader: reader.unchecked_into() })
    }

    /// The next chunk, or `None` at the end of the body.
    pub async fn next(&mut self) -> Result<Option<Vec<u8>>, FetchError> {
        let result = JsFuture::from(self.reader.read()).await.map_err(fetch_error)?;
        let done = Reflect::get(&result, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true);
        if done {
            return Ok(None);
        }
        let value = Reflect::get(&result, &"value".into()).map_err(fetch_error)?;
        Ok(Some(value.unchecked_into::<Uint8Array>().to_vec()))
    }
}

impl Drop for BodyReader {
    fn drop(&mut self) {
        // Release the connection if we stop reading early.
        let _ = self.reader.cancel();
    }
}
