//! Which `Host` names the proxy answers to. A DNS-rebinding page reaches the proxy under the
//! attacker's own name (`evil.example` resolving to 127.0.0.1), so answering only to names we
//! serve — the loopback names on the listening port, plus names the operator configures —
//! makes such a page unable to read anything.

use std::net::IpAddr;
use std::str::FromStr;

/// One accepted host: a lower-case name (IPv6 in brackets) and, when given, the only port
/// accepted with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRule {
    /// Lower-case host name or IP literal (`[::1]` for IPv6), without a trailing dot.
    pub name: String,
    /// The port the client must name; `None`: any port.
    pub port: Option<u16>,
}

/// Why a configured allowed host was refused.
#[derive(Debug, thiserror::Error)]
#[error("allowed host {0:?} is not valid (use e.g. wellness.example or wellness.example:8443; `*` is refused)")]
pub struct BadHostRule(pub String);

impl FromStr for HostRule {
    type Err = BadHostRule;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadHostRule(s.to_owned());
        let t = s.trim();
        if t.is_empty() || t.contains(['*', '/', '@']) {
            return Err(bad());
        }
        let (name, port) = split_authority(t).ok_or_else(bad)?;
        Ok(HostRule { name, port })
    }
}

/// Splits `host[:port]` into a normalised name (lower case, no trailing dot, IPv6 in
/// brackets) and port; `None` for anything else (user info, paths, bad ports, odd bytes).
pub(crate) fn split_authority(s: &str) -> Option<(String, Option<u16>)> {
    let (name, port) = if s.starts_with('[') {
        let end = s.find(']')?;
        let (name, rest) = s.split_at(end + 1);
        let valid_v6 = name[1..name.len() - 1].parse::<std::net::Ipv6Addr>().is_ok();
        (valid_v6.then_some(name)?, if rest.is_empty() { None } else { Some(rest.strip_prefix(':')?) })
    } else {
        match s.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (s, None),
        }
    };
    let port = match port {
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => Some(p.parse::<u16>().ok()?),
        Some(_) => return None,
        None => None,
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let plain = name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    (!name.is_empty() && (plain || name.starts_with('['))).then_some((name, port))
}

/// The set of names the proxy answers to.
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts {
    /// Names the operator configured (`--allowed-hosts`).
    pub configured: Vec<HostRule>,
    /// The IP the proxy listens on, when it is a specific non-loopback address.
    pub listen_ip: Option<IpAddr>,
}

impl AllowedHosts {
    /// Builds the set from the configured entries and the listen address.
    pub fn new(entries: &[String], listen_ip: IpAddr) -> Result<Self, BadHostRule> {
        let configured =
            entries.iter().filter(|e| !e.trim().is_empty()).map(|e| e.parse()).collect::<Result<Vec<_>, _>>()?;
        let listen_ip = (!listen_ip.is_loopback() && !listen_ip.is_unspecified()).then_some(listen_ip);
        Ok(Self { configured, listen_ip })
    }

    /// Whether `host` (a `Host` header or URI authority) names this proxy listening on
    /// `listen_port`. Loopback names and the listen IP count only with the listening port
    /// (a missing port means 80); configured names follow their own rule.
    pub fn allows(&self, host: &str, listen_port: u16) -> bool {
        let Some((name, port)) = split_authority(host.trim()) else {
            return false;
        };
        let own_port = port.unwrap_or(80) == listen_port;
        let loopback = matches!(name.as_str(), "localhost" | "127.0.0.1" | "[::1]");
        let listen_ip = self.listen_ip.is_some_and(|ip| name == ip_literal(ip));
        if (loopback || listen_ip) && own_port {
            return true;
        }
        self.configured.iter().any(|r| r.name == name && r.port.is_none_or(|p| Some(p) == port))
    }
}

/// How an IP appears in a `Host` header.
fn ip_literal(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(entries: &[&str], ip: &str) -> AllowedHosts {
        let entries: Vec<String> = entries.iter().map(|s| s.to_string()).collect();
        AllowedHosts::new(&entries, ip.parse().unwrap()).unwrap()
    }

    #[test]
    fn loopback_names_only_with_the_listening_port() {
        let h = hosts(&[], "127.0.0.1");
        for ok in ["127.0.0.1:8080", "localhost:8080", "LOCALHOST:8080", "[::1]:8080", "localhost.:8080"] {
            assert!(h.allows(ok, 8080), "{ok}");
        }
        for bad in [
            "127.0.0.1:8081",
            "127.0.0.1",
            "evil.example:8080",
            "evil.example",
            "127.0.0.2:8080",
            "localhost.evil.example:8080",
            "user@127.0.0.1:8080",
            "127.0.0.1:8080:1",
            "127.0.0.1:99999",
            "",
            "0.0.0.0:8080",
        ] {
            assert!(!h.allows(bad, 8080), "{bad}");
        }
        // On port 80 the port may be left out.
        assert!(h.allows("localhost", 80));
    }

    #[test]
    fn configured_names_with_or_without_port() {
        let h = hosts(&["Wellness.Example", "clinic.example:8443", "192.168.1.5:8080"], "0.0.0.0");
        assert!(h.allows("wellness.example", 8080));
        assert!(h.allows("wellness.example:443", 8080));
        assert!(h.allows("clinic.example:8443", 8080));
        assert!(!h.allows("clinic.example", 8080));
        assert!(!h.allows("clinic.example:8080", 8080));
        assert!(h.allows("192.168.1.5:8080", 8080));
        assert!(!h.allows("192.168.1.6:8080", 8080));
        assert!(!h.allows("other.example", 8080));
    }

    #[test]
    fn a_specific_listen_ip_is_accepted_on_its_port() {
        let h = hosts(&[], "192.168.1.5");
        assert!(h.allows("192.168.1.5:8080", 8080));
        assert!(!h.allows("192.168.1.5:9090", 8080));
        let h = hosts(&[], "::");
        assert!(h.listen_ip.is_none());
    }

    #[test]
    fn wildcards_and_junk_are_refused() {
        for bad in ["*", "*.example", "a/b", "user@host", ":80", "host:port"] {
            assert!(bad.parse::<HostRule>().is_err(), "{bad}");
        }
    }
}
