//! Where API calls go (pure): straight to Gemini and mem0 with the user's keys ("direct"), or
//! through the wellness0 proxy, which may hold either key. Every decision is a function of the
//! settings, the keys, the mode and the page's base URL, tested natively branch by branch.

use super::values::{Keys, MemoryService, Settings};
use crate::gemini::Endpoint;
use crate::mem0::{Connection, Mem0Error, MemoryBackend, MemoryClient, Platform, SelfHosted};
use serde::{Deserialize, Serialize};
use std::rc::Rc;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KeyHeld {
    #[serde(default)]
    pub key: bool,
}

/// The memory service behind the proxy, and whether the proxy holds its key.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryHeld {
    #[serde(default)]
    pub key: bool,
    #[serde(default)]
    pub backend: MemoryService,
}

/// Who is signed in to a shared proxy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignedIn {
    pub name: String,
    /// The mem0 user id the proxy binds this person's memory calls to.
    pub user_id: String,
}

/// How the proxy is shared: `personal` (nobody signs in) or `shared`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProxyAuth {
    #[serde(default)]
    pub mode: String,
    #[serde(default)]
    pub user: Option<SignedIn>,
}

/// What the proxy says about itself (never the keys, only whether it holds them). Kept on the
/// device too, for a page opened offline (`proxy_detect`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProxyInfo {
    #[serde(default)]
    pub proxy: bool,
    #[serde(default)]
    pub gemini: KeyHeld,
    #[serde(default)]
    pub mem0: MemoryHeld,
    #[serde(default)]
    pub auth: ProxyAuth,
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

/// Which memory service is used and where it is reached, or why memory is not set up: no key
/// for the Platform (and no proxy holding one), or no address for a self-hosted server.
/// Behind the proxy, its service wins over the one chosen in Settings.
pub fn memory_route(
    settings: &Settings,
    keys: &Keys,
    mode: &Mode,
    page_base: &str,
) -> Result<(MemoryService, Connection), Mem0Error> {
    let key_for = |service| match service {
        MemoryService::Platform => keys.mem0.clone().ok_or(Mem0Error::NoKey).map(Some),
        // A self-hosted server may run without auth: its key is optional.
        MemoryService::SelfHosted => Ok(keys.selfhosted.clone()),
    };
    match mode {
        Mode::Proxy(p) => {
            let api_key = if p.mem0.key { None } else { key_for(p.mem0.backend)? };
            Ok((p.mem0.backend, Connection { base_url: format!("{page_base}{MEM0_PATH}"), api_key, direct: false }))
        }
        _ => {
            let service = settings.memory_service;
            let base_url = match service {
                MemoryService::Platform => settings.mem0_base_url.clone(),
                MemoryService::SelfHosted if settings.selfhosted_base_url.is_empty() => {
                    return Err(Mem0Error::NoServer)
                }
                MemoryService::SelfHosted => settings.selfhosted_base_url.clone(),
            };
            Ok((service, Connection { base_url, api_key: key_for(service)?, direct: true }))
        }
    }
}

/// The memory client for these settings.
pub fn memory_client(
    settings: &Settings,
    keys: &Keys,
    mode: &Mode,
    page_base: &str,
) -> Result<MemoryClient, Mem0Error> {
    let (service, connection) = memory_route(settings, keys, mode, page_base)?;
    let backend: Rc<dyn MemoryBackend> = match service {
        MemoryService::Platform => Rc::new(Platform),
        MemoryService::SelfHosted => Rc::new(SelfHosted),
    };
    Ok(MemoryClient::new(backend, connection))
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
        proxy_with(gemini, mem0, MemoryService::Platform)
    }

    fn proxy_with(gemini: bool, mem0: bool, backend: MemoryService) -> Mode {
        Mode::Proxy(ProxyInfo {
            proxy: true,
            gemini: KeyHeld { key: gemini },
            mem0: MemoryHeld { key: mem0, backend },
            auth: ProxyAuth::default(),
        })
    }

    fn keys(gemini: Option<&str>, mem0: Option<&str>) -> Keys {
        Keys { gemini: gemini.map(Into::into), mem0: mem0.map(Into::into), selfhosted: None }
    }

    fn conn(base_url: &str, api_key: Option<&str>, direct: bool) -> Connection {
        Connection { base_url: base_url.into(), api_key: api_key.map(Into::into), direct }
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
    fn memory_on_the_platform_every_branch() {
        let s = Settings { mem0_base_url: "https://m.example".into(), ..Settings::default() };
        let route = |k: &Keys, m: &Mode| memory_route(&s, k, m, BASE);
        let platform = |c| Ok((MemoryService::Platform, c));
        assert_eq!(route(&keys(None, Some("m")), &Mode::Direct), platform(conn("https://m.example", Some("m"), true)));
        assert_eq!(route(&keys(None, None), &Mode::Direct), Err(Mem0Error::NoKey));
        assert_eq!(route(&keys(None, None), &Mode::Detecting), Err(Mem0Error::NoKey));
        let proxied = format!("{BASE}/api/mem0");
        assert_eq!(route(&keys(None, Some("m")), &proxy(false, true)), platform(conn(&proxied, None, false)));
        assert_eq!(route(&keys(None, Some("m")), &proxy(true, false)), platform(conn(&proxied, Some("m"), false)));
        assert_eq!(route(&keys(None, None), &proxy(true, false)), Err(Mem0Error::NoKey));
    }

    #[test]
    fn memory_on_a_self_hosted_server_every_branch() {
        let mut s = Settings { memory_service: MemoryService::SelfHosted, ..Settings::default() };
        let own = Keys { selfhosted: Some("sh".into()), mem0: Some("platform-key".into()), ..Keys::default() };
        assert_eq!(memory_route(&s, &own, &Mode::Direct, BASE), Err(Mem0Error::NoServer));
        s.selfhosted_base_url = "http://127.0.0.1:8888".into();
        let hosted = |c| Ok((MemoryService::SelfHosted, c));
        assert_eq!(
            memory_route(&s, &own, &Mode::Direct, BASE),
            hosted(conn("http://127.0.0.1:8888", Some("sh"), true))
        );
        // No key is fine (auth off), and the Platform's key never goes to the other service.
        let platform_only = keys(None, Some("platform-key"));
        assert_eq!(
            memory_route(&s, &platform_only, &Mode::Direct, BASE),
            hosted(conn("http://127.0.0.1:8888", None, true))
        );
        // Behind the proxy, its service wins over the one chosen in Settings, either way.
        let proxied = format!("{BASE}/api/mem0");
        let behind = proxy_with(true, true, MemoryService::SelfHosted);
        assert_eq!(memory_route(&Settings::default(), &own, &behind, BASE), hosted(conn(&proxied, None, false)));
        let own_key = proxy_with(true, false, MemoryService::SelfHosted);
        assert_eq!(memory_route(&Settings::default(), &own, &own_key, BASE), hosted(conn(&proxied, Some("sh"), false)));
        let platform_behind = proxy_with(true, true, MemoryService::Platform);
        assert_eq!(
            memory_route(&s, &own, &platform_behind, BASE),
            Ok((MemoryService::Platform, conn(&proxied, None, false)))
        );
    }

    #[test]
    fn the_proxys_health_answer_reads() {
        let info: ProxyInfo = serde_json::from_str(r#"{"proxy":true,"version":"0.1.0","gemini":{"key":true},
            "mem0":{"key":true,"backend":"self_hosted"},"auth":{"mode":"shared","user":{"name":"Ann","user_id":"ann"}}}"#).unwrap();
        assert_eq!(info.mem0.backend, MemoryService::SelfHosted);
        assert_eq!(info.auth.user.unwrap().user_id, "ann");
        // An older proxy says less: the Platform, nobody signed in.
        let old: ProxyInfo =
            serde_json::from_str(r#"{"proxy":true,"gemini":{"key":true},"mem0":{"key":true}}"#).unwrap();
        assert_eq!((old.mem0.backend, old.auth.user), (MemoryService::Platform, None));
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
