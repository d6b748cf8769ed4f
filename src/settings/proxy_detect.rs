//! Finds out whether the page is served by the wellness0 proxy. The proxy marks the page it
//! serves (`<meta name="wellness0-proxy">`); only then is `api/health` asked, below the page's
//! own base, for what the proxy holds. A page on a plain static host makes no such request.
//!
//! The answer is kept on the device (the database's `meta` store, sealed under a passcode), so a
//! page the service worker opens from its cache while offline still knows the proxy it came from
//! (which keys it holds, its memory service, who is signed in) rather than asking for keys.

use super::routing::ProxyInfo;
use crate::db::{self, Batch, Db, Record};
use crate::web::fetch as http;

/// The record's key in the `meta` store.
const PROXY_KEY: &str = "proxy";

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

/// What the proxy says about itself, when it served the page; when it cannot be reached, what
/// it said last time. Gives up after a few seconds.
pub async fn detect(db: Option<&Db>) -> Option<ProxyInfo> {
    if !marked_by_proxy() {
        return None;
    }
    match ask().await {
        Reach::Answered(info) => {
            remember(db, &info).await;
            Some(info)
        }
        Reach::NotProxy => None,
        Reach::Unreachable => recall(db).await,
    }
}

enum Reach {
    Answered(ProxyInfo),
    /// Something answered, but not our proxy's health.
    NotProxy,
    /// No answer: offline, or the server is down or too slow.
    Unreachable,
}

async fn ask() -> Reach {
    let Ok(controller) = web_sys::AbortController::new() else { return Reach::Unreachable };
    let abort = controller.clone();
    leptos::prelude::set_timeout(move || abort.abort(), std::time::Duration::from_secs(3));
    let url = format!("{}/api/health", page_base());
    let Ok(response) = http::send("GET", &url, &[], None, Some(&controller.signal())).await else {
        return Reach::Unreachable;
    };
    if response.status() != 200 {
        return Reach::NotProxy;
    }
    let Ok(text) = http::text(&response).await else { return Reach::Unreachable };
    match serde_json::from_str::<ProxyInfo>(&text) {
        Ok(info) if info.proxy => Reach::Answered(info),
        _ => Reach::NotProxy,
    }
}

async fn remember(db: Option<&Db>, info: &ProxyInfo) {
    let (Some(db), Ok(json)) = (db, serde_json::to_string(info)) else { return };
    let record = Record::new(&json).field("key", PROXY_KEY.into());
    // Best effort: without it, only an offline start behind the proxy is the poorer.
    let _ = db.write(Batch::default().put(db::META, record)).await;
}

async fn recall(db: Option<&Db>) -> Option<ProxyInfo> {
    let record = db?.get(db::META, &PROXY_KEY.into()).await.ok().flatten()?;
    serde_json::from_str::<ProxyInfo>(&db::data_of(&record)?).ok().filter(|info| info.proxy)
}
