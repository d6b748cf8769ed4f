//! Where API calls go (pure): straight to Gemini and mem0 with the user's keys ("direct"), or
//! through the wellness0 proxy, which may hold either key. Every decision is a function of the
//! settings, the keys, the mode and the page's base URL, tested natively branch by branch.

use super::values::{Keys, Settings};
use crate::gemini::Endpoint;
use crate::mem0::{Connection, Mem0Error, MemoryClient, Platform};
use serde::Deserialize;
use std::rc::Rc;

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

/// How the page reaches the APIs.
#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    /// Asking the page's server whether it is our proxy.
    Detecting,
    /// Straight to Gemini and mem0 with the user's keys.
    Direct,
    /// Through the wellness0 proxy, which may hold the keys.
    Proxy(ProxyInfo),
}

/// Where the proxy exposes each API, below the page's base URL.
pub const GEMINI_PATH: &str = "/api/gemini";
pub const MEM0_PATH: &str = "/api/mem0";

/// Where Gemini calls go: through the proxy when there is one (with the user's key only if the
/// proxy holds none), else to the configured base URL with the user's key.
pub fn gemini_endpoint(settings: &Settings, keys: &Keys, mode: &Mode, page_base: &str) -> Endpoint {
    let key = keys.gemini.clone();
    match mode {
        Mode::Proxy(p) => Endpoint {
            base_url: format!("{page_base}{GEMINI_PATH}"),
            api_key: if p.gemini.key { None } else { key },
            via_proxy: true,
        },
        _ => Endpoint { base_url: settings.gemini_base_url.clone(), api_key: key, via_proxy: false },
    }
}

/// Where mem0 calls go, or `NoKey` when memory is not set up (no key and no proxy holding one).
pub fn mem0_connection(
    settings: &Settings,
    keys: &Keys,
    mode: &Mode,
    page_base: &str,
) -> Result<Connection, Mem0Error> {
    let key = keys.mem0.clone();
    match mode {
        Mode::Proxy(p) if p.mem0.key => {
            Ok(Connection { base_url: format!("{page_base}{MEM0_PATH}"), api_key: None, direct: false })
        }
        Mode::Proxy(_) => Ok(Connection {
            base_url: format!("{page_base}{MEM0_PATH}"),
            api_key: Some(key.ok_or(Mem0Error::NoKey)?),
            direct: false,
        }),
        _ => Ok(Connection {
            base_url: settings.mem0_base_url.clone(),
            api_key: Some(key.ok_or(Mem0Error::NoKey)?),
            direct: true,
        }),
    }
}

/// The memory client for these settings.
pub fn memory_client(
    settings: &Settings,
    keys: &Keys,
    mode: &Mode,
    page_base: &str,
) -> Result<MemoryClient, Mem0Error> {
    mem0_connection(settings, keys, mode, page_base).map(|c| MemoryClient::new(Rc::new(Platform), c))
}

/// Whether the user has to paste a Gemini key (no proxy holds one). While the page is still
/// finding out, no: the key field would flash up for nothing behind the proxy.
pub fn needs_gemini_key(keys: &Keys, mode: &Mode) -> bool {
    match mode {
        Mode::Proxy(p) if p.gemini.key => false,
        Mode::Detecting => false,
        _ => keys.gemini.is_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://127.0.0.1:8080";

    fn proxy(gemini: bool, mem0: bool) -> Mode {
        Mode::Proxy(ProxyInfo { proxy: true, gemini: KeyHeld { key: gemini }, mem0: KeyHeld { key: mem0 } })
    }

    fn keys(gemini: Option<&str>, mem0: Option<&str>) -> Keys {
        Keys { gemini: gemini.map(Into::into), mem0: mem0.map(Into::into) }
    }

    #[test]
    fn gemini_direct_uses_the_base_url_and_the_users_key() {
        let s = Settings { gemini_base_url: "https://g.example".into(), ..Settings::default() };
        for mode in [Mode::Direct, Mode::Detecting] {
            let e = gemini_endpoint(&s, &keys(Some("k"), None), &mode, BASE);
            assert_eq!(
                e,
                Endpoint { base_url: "https://g.example".into(), api_key: Some("k".into()), via_proxy: false }
            );
        }
        assert_eq!(gemini_endpoint(&s, &keys(None, None), &Mode::Direct, BASE).api_key, None);
    }

    #[test]
    fn gemini_behind_the_proxy() {
        let s = Settings::default();
        let held = gemini_endpoint(&s, &keys(Some("k"), None), &proxy(true, false), BASE);
        assert_eq!(held, Endpoint { base_url: format!("{BASE}/api/gemini"), api_key: None, via_proxy: true });
        assert!(held.key_held_by_site());
        let own = gemini_endpoint(&s, &keys(Some("k"), None), &proxy(false, false), BASE);
        assert_eq!(own.api_key.as_deref(), Some("k"));
        assert!(!own.key_held_by_site());
    }

    #[test]
    fn mem0_every_branch() {
        let s = Settings { mem0_base_url: "https://m.example".into(), ..Settings::default() };
        let direct = mem0_connection(&s, &keys(None, Some("m")), &Mode::Direct, BASE).unwrap();
        assert_eq!(
            direct,
            Connection { base_url: "https://m.example".into(), api_key: Some("m".into()), direct: true }
        );
        assert_eq!(mem0_connection(&s, &keys(None, None), &Mode::Direct, BASE), Err(Mem0Error::NoKey));
        assert_eq!(mem0_connection(&s, &keys(None, None), &Mode::Detecting, BASE), Err(Mem0Error::NoKey));
        let held = mem0_connection(&s, &keys(None, Some("m")), &proxy(false, true), BASE).unwrap();
        assert_eq!(held, Connection { base_url: format!("{BASE}/api/mem0"), api_key: None, direct: false });
        let own = mem0_connection(&s, &keys(None, Some("m")), &proxy(true, false), BASE).unwrap();
        assert_eq!(own, Connection { base_url: format!("{BASE}/api/mem0"), api_key: Some("m".into()), direct: false });
        assert_eq!(mem0_connection(&s, &keys(None, None), &proxy(true, false), BASE), Err(Mem0Error::NoKey));
    }

    #[test]
    fn who_must_paste_a_gemini_key() {
        assert!(needs_gemini_key(&keys(None, None), &Mode::Direct));
        assert!(!needs_gemini_key(&keys(Some("k"), None), &Mode::Direct));
        assert!(!needs_gemini_key(&keys(None, None), &Mode::Detecting));
        assert!(!needs_gemini_key(&keys(None, None), &proxy(true, false)));
        assert!(needs_gemini_key(&keys(None, None), &proxy(false, true)));
    }
}
