//! Finds out whether the page is served by the wellness0 proxy. The proxy marks the page it
//! serves (`<meta name="wellness0-proxy">`); only then is `api/health` asked, below the page's
//! own base, for what the proxy holds. A page on a plain static host makes no such request.

use super::routing::ProxyInfo;
use crate::web::fetch as http;

/// The page's base URL without a trailing slash (its directory: the app may live under a
/// sub-path); the proxy's API paths hang below it.
pub fn page_base() -> String {
    let base = leptos::prelude::document().base_uri().ok().flatten().unwrap_or_default();
    let dir = base.rsplit_once('/').map_or(base.as_str(), |(dir, _)| dir);
    dir.to_owned()
}

/// Whether the proxy marked this page.
pub fn marked_by_proxy() -> bool {
    leptos::prelude::document().query_selector("meta[name='wellness0-proxy']").ok().flatten().is_some()
}

/// What the proxy says about itself, when it served the page. Gives up after a few seconds.
pub async fn detect() -> Option<ProxyInfo> {
    if !marked_by_proxy() {
        return None;
    }
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
