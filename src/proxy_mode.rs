//! Detects whether the page is served by the wellness0 proxy (`GET /api/health`), which then
//! holds the API keys and forwards the calls, so the page needs none.

use crate::http;
use serde::Deserialize;

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct KeyHeld {
    #[serde(default)]
    pub key: bool,
}

/// What the proxy says about itself (never the keys, only whether it holds them).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct ProxyInfo {
    #[serde(default)]
    pub proxy: bool,
    #[serde(default)]
    pub gemini: KeyHeld,
    #[serde(default)]
    pub mem0: KeyHeld,
}

/// Where the proxy exposes each API, relative to the page's origin.
pub const GEMINI_PATH: &str = "/api/gemini";
pub const MEM0_PATH: &str = "/api/mem0";

pub fn origin() -> String {
    web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default()
}

/// Asks the page's own server whether it is our proxy. A static host answers 404 (or HTML).
/// Gives up after a few seconds (a host that never answers is not our proxy).
pub async fn detect() -> Option<ProxyInfo> {
    let controller = web_sys::AbortController::new().ok()?;
    let abort = controller.clone();
    leptos::prelude::set_timeout(move || abort.abort(), std::time::Duration::from_secs(3));
    let url = format!("{}/api/health", origin());
    let response = http::send("GET", &url, &[], None, Some(&controller.signal())).await.ok()?;
    if response.status() != 200 {
        return None;
    }
    let info: ProxyInfo = serde_json::from_str(&http::text(&response).await.ok()?).ok()?;
    info.proxy.then_some(info)
}
