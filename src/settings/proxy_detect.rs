//! Detects whether the page is served by the wellness0 proxy (`GET /api/health`), which then
//! holds the API keys and forwards the calls, so the page needs none.

use super::routing::ProxyInfo;
use crate::web::fetch as http;

/// The page's origin: API paths of the proxy hang below it.
pub fn page_base() -> String {
    web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default()
}

/// Asks the page's own server whether it is our proxy. A static host answers 404 (or HTML).
/// Gives up after a few seconds (a host that never answers is not our proxy).
pub async fn detect() -> Option<ProxyInfo> {
    let controller = web_sys::AbortController::new().ok()?;
    let abort = controller.clone();
    leptos::prelude::set_timeout(move || abort.abort(), std::time::Duration::from_secs(3));
    let url = format!("{}/api/health", page_base());
    let response = http::send("GET", &url, &[], None, Some(&controller.signal())).await.ok()?;
    if response.status() != 200 {
        return None;
    }
    let info: ProxyInfo = serde_json::from_str(&http::text(&response).await.ok()?).ok()?;
    info.proxy.then_some(info)
}
