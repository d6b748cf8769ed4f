//! Command line and environment configuration (`clap` with `env`), subcommands included
//! ([`commands`]); [`dotenv`] loads the `.env` file from the working directory before the command
//! line is parsed.

pub mod commands;
mod dotenv;

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

pub use dotenv::{load_dotenv, read_dotenv, DotenvError};

use self::commands::Command;
use crate::mem0::Backend;

/// Default Gemini upstream.
pub const DEFAULT_GEMINI_UPSTREAM: &str = "https://generativelanguage.googleapis.com";
/// Default mem0 upstream.
pub const DEFAULT_MEM0_UPSTREAM: &str = "https://api.mem0.ai";

/// wellness0-proxy: serves the built wellness0 site and forwards the app's Gemini and mem0 calls,
/// adding API keys held on the server.
///
/// Keys come from the environment or from a `.env` file in the working directory (lines
/// `GEMINI_API_KEY=...` and `MEM0_API_KEY=...`, optionally quoted; real environment variables
/// win over `.env`). When a key is not configured, the client's own key header for that upstream
/// (`x-goog-api-key` for Gemini, `Authorization: Token ...` for the mem0 Platform, `X-API-Key`
/// for a self-hosted mem0) is forwarded instead, so a page in direct-key mode can still use the
/// proxy to get around CORS.
///
/// Personal mode (default): one person, on this machine; nobody signs in. Shared mode (with
/// --users-file): people sign in and each one's memories are bound to them; required to listen
/// on anything but loopback. See proxy/README.md.
#[derive(Debug, Clone, Parser)]
#[command(name = "wellness0-proxy", version, about, long_about)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "WELLNESS0_HOST", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub host: IpAddr,

    /// Port to listen on (0 = any free port; the chosen one is printed on start).
    #[arg(long, env = "PORT", default_value_t = 8080)]
    pub port: u16,

    /// Directory of the Trunk-built site to serve.
    #[arg(long, env = "WELLNESS0_DIST", default_value = "dist")]
    pub dist: PathBuf,

    /// Gemini API key added to forwarded Gemini calls as `x-goog-api-key`. Prefer the
    /// environment or `.env` over this flag: command lines are visible to other local users.
    #[arg(long, env = "GEMINI_API_KEY", hide_env_values = true)]
    pub gemini_api_key: Option<String>,

    /// mem0 API key added to forwarded mem0 calls: `Authorization: Token <key>` for the
    /// Platform, `X-API-Key: <key>` for a self-hosted server. Prefer the environment or `.env`
    /// over this flag.
    #[arg(long, env = "MEM0_API_KEY", hide_env_values = true)]
    pub mem0_api_key: Option<String>,

    /// Base URL of the Gemini API (`/v1beta/...` is appended).
    #[arg(long, env = "GEMINI_UPSTREAM", default_value = DEFAULT_GEMINI_UPSTREAM)]
    pub gemini_upstream: String,

    /// Which mem0 server is behind the proxy: the mem0 Platform, or mem0's open-source REST
    /// server you run yourself (`self-hosted`). The page calls the backend's own paths under
    /// `/api/mem0/`; `/api/health` tells it which backend this is.
    #[arg(long, env = "MEM0_BACKEND", value_enum, default_value_t = Backend::Platform)]
    pub mem0_backend: Backend,

    /// Base URL of the mem0 server (Platform default: https://api.mem0.ai; required for
    /// self-hosted). `--mem0-upstream` and the `MEM0_UPSTREAM` variable are older names.
    #[arg(long = "mem0-base-url", visible_alias = "mem0-upstream", env = "MEM0_BASE_URL")]
    pub mem0_base_url: Option<String>,

    /// `MEM0_UPSTREAM`, the older name of `MEM0_BASE_URL` (used when that is not set).
    #[arg(long = "mem0-upstream-env", hide = true, env = "MEM0_UPSTREAM", hide_env_values = true)]
    pub mem0_upstream_env: Option<String>,

    /// Origins (comma-separated, e.g. `https://a.example,http://localhost:8081`) whose
    /// cross-origin calls to `/api/` are allowed (CORS preflights answered). Empty: same-origin
    /// only. `*` is refused: it would let any website spend your keys.
    #[arg(long, env = "WELLNESS0_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Extra host names (comma-separated, `name` for any port or `name:port`) the proxy answers
    /// to, e.g. the public name behind a TLS front end. `localhost`, `127.0.0.1` and `[::1]` on
    /// the listening port are always accepted; any other `Host` gets 421 (this is what stops
    /// DNS-rebinding pages). `*` is refused.
    #[arg(long, env = "WELLNESS0_ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_hosts: Vec<String>,

    /// Largest accepted request body in bytes; larger ones get 413.
    #[arg(long, env = "WELLNESS0_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Sustained `/api/` requests per minute allowed per client: per signed-in person in shared
    /// mode, per client IP otherwise (0 = no rate limit).
    #[arg(long, env = "WELLNESS0_RATE_LIMIT_PER_MINUTE", default_value_t = 120)]
    pub rate_limit_per_minute: u32,

    /// Burst size of the per-client token bucket (requests allowed at once after a quiet spell).
    #[arg(long, env = "WELLNESS0_RATE_LIMIT_BURST", default_value_t = 60)]
    pub rate_limit_burst: u32,

    /// Take the client IP for rate limiting from the right-most `X-Forwarded-For` entry. Only
    /// turn this on behind a reverse proxy that sets that header.
    #[arg(long, env = "WELLNESS0_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,

    /// Seconds allowed to open a connection to an upstream.
    #[arg(long, env = "WELLNESS0_CONNECT_TIMEOUT_SECS", default_value_t = 10)]
    pub connect_timeout_secs: u64,

    /// Seconds allowed until an upstream's response headers arrive (its first byte); 504 beyond.
    #[arg(long, env = "WELLNESS0_RESPONSE_TIMEOUT_SECS", default_value_t = 120)]
    pub response_timeout_secs: u64,

    /// Seconds an upstream response body (e.g. an SSE stream) may stay silent before the proxy
    /// cuts it. There is no limit on a body's total duration.
    #[arg(long, env = "WELLNESS0_IDLE_TIMEOUT_SECS", default_value_t = 120)]
    pub idle_timeout_secs: u64,

    /// Most client connections open at once (lowered to fit the open-file limit). At the cap,
    /// the connection idle longest is closed to make room; busy ones are never closed.
    #[arg(long, env = "WELLNESS0_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,

    /// Most connections one client address may hold open, when listening on a network address
    /// without --trust-forwarded-for (behind a reverse proxy or load balancer every client has
    /// the front end's address). Past it, that address's own idle connection is closed to make
    /// room, else the new one is refused.
    #[arg(long, env = "WELLNESS0_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 64)]
    pub max_connections_per_address: usize,

    /// Seconds a client has to send a complete request head after connecting or after its
    /// previous response; idle keep-alive connections are closed after it too (slow-loris).
    #[arg(long, env = "WELLNESS0_CLIENT_HEADER_TIMEOUT_SECS", default_value_t = 15)]
    pub client_header_timeout_secs: u64,

    /// Seconds a request body may stall (no bytes arriving) before the request is refused (408).
    #[arg(long, env = "WELLNESS0_CLIENT_BODY_TIMEOUT_SECS", default_value_t = 30)]
    pub client_body_timeout_secs: u64,

    /// Shared mode's database: `sqlite:///path/to/wellness0.db` or
    /// `postgres://user:password@host/db` (several instances share one PostgreSQL). Setting it,
    /// --data-dir or --users-file turns on shared mode: people sign in, and each person's memory
    /// calls are bound to them. Manage people with `wellness0-proxy users …`.
    #[arg(long, global = true, env = "WELLNESS0_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Directory for shared mode's SQLite database (`wellness0.db`, created when missing), when
    /// no --database-url is given.
    #[arg(long, global = true, env = "WELLNESS0_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// The users file of earlier versions: imported into the database on the first start that
    /// finds it, then left alone. Without --database-url or --data-dir, the SQLite database is
    /// kept beside it.
    #[arg(long, global = true, env = "WELLNESS0_USERS_FILE")]
    pub users_file: Option<PathBuf>,

    /// No longer used: sessions live in the database, so instances share them through it.
    /// Accepted (and ignored, with a warning) so older start-up scripts keep working.
    #[arg(long, env = "WELLNESS0_SESSION_SECRET", hide = true, hide_env_values = true)]
    pub session_secret: Option<String>,

    /// Hours a session lasts without use (it is renewed while the person keeps using the app).
    #[arg(long, env = "WELLNESS0_SESSION_HOURS", default_value_t = 12)]
    pub session_hours: u64,

    /// Sign-in attempts allowed a minute, per name and per client IP.
    #[arg(long, env = "WELLNESS0_SIGNIN_ATTEMPTS_PER_MINUTE", default_value_t = 10)]
    pub signin_attempts_per_minute: u32,

    /// Mebibytes of end-to-end encrypted sync records each person may store (shared mode); a
    /// push that would go beyond is refused (507).
    #[arg(long, env = "WELLNESS0_SYNC_QUOTA_MB", default_value_t = 200)]
    pub sync_quota_mb: u64,

    /// The site's public address (e.g. https://wellness.example), used in the invite links
    /// `users add` and `users invite` print.
    #[arg(long, global = true, env = "WELLNESS0_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Seconds open requests (e.g. streams) may keep running after SIGTERM / ctrl-c.
    #[arg(long, env = "WELLNESS0_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,

    /// A management command instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Config {
    /// A configuration with every default and no keys, without reading the command line or the
    /// environment (for tests and embedding).
    pub fn defaults() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8080,
            dist: PathBuf::from("dist"),
            gemini_api_key: None,
            mem0_api_key: None,
            gemini_upstream: DEFAULT_GEMINI_UPSTREAM.into(),
            mem0_backend: Backend::Platform,
            mem0_base_url: None,
            mem0_upstream_env: None,
            allowed_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            max_body_bytes: 1024 * 1024,
            rate_limit_per_minute: 120,
            rate_limit_burst: 60,
            trust_forwarded_for: false,
            connect_timeout_secs: 10,
            response_timeout_secs: 120,
            idle_timeout_secs: 120,
            shutdown_grace_secs: 10,
            max_connections: 1024,
            max_connections_per_address: 64,
            client_header_timeout_secs: 15,
            client_body_timeout_secs: 30,
            database_url: None,
            data_dir: None,
            users_file: None,
            session_secret: None,
            session_hours: 12,
            signin_attempts_per_minute: 10,
            sync_quota_mb: 200,
            public_url: None,
            command: None,
        }
    }

    /// The mem0 base URL: `--mem0-base-url` / `MEM0_BASE_URL`, else `MEM0_UPSTREAM`, else the
    /// Platform's (`None` for a self-hosted backend without one).
    pub fn mem0_base(&self) -> Option<String> {
        let given = self.mem0_base_url.clone().or_else(|| self.mem0_upstream_env.clone());
        let given = given.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
        match self.mem0_backend {
            Backend::Platform => Some(given.unwrap_or_else(|| DEFAULT_MEM0_UPSTREAM.into())),
            Backend::SelfHosted => given,
        }
    }

    /// Shared mode's database URL, when shared mode is configured: --database-url, else the
    /// SQLite file in --data-dir, else the SQLite file beside --users-file.
    pub fn database(&self) -> Option<String> {
        if let Some(url) = self.database_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            return Some(url.to_owned());
        }
        let dir = self.data_dir.clone().or_else(|| {
            let file = self.users_file.as_ref()?;
            Some(file.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new(".")).to_path_buf())
        })?;
        Some(crate::db::sqlite_url(&dir.join(crate::db::SQLITE_FILE)))
    }

    /// Connect timeout as a duration.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs)
    }

    /// Response (first byte) timeout as a duration.
    pub fn response_timeout(&self) -> Duration {
        Duration::from_secs(self.response_timeout_secs)
    }

    /// Body idle timeout as a duration.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs)
    }
}

/// A key from configuration: trimmed, and `None` when empty.
pub fn clean_key(key: Option<&str>) -> Option<String> {
    key.map(str::trim).filter(|k| !k.is_empty()).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_hides_key_values_and_documents_every_flag() {
        use clap::CommandFactory;
        let help = Config::command().render_long_help().to_string();
        for flag in [
            "--host",
            "--port",
            "--dist",
            "--gemini-api-key",
            "--mem0-api-key",
            "--gemini-upstream",
            "--mem0-upstream",
            "--mem0-base-url",
            "--mem0-backend",
            "--allowed-origins",
            "--allowed-hosts",
            "--max-body-bytes",
            "--rate-limit-per-minute",
            "--rate-limit-burst",
            "--trust-forwarded-for",
            "--connect-timeout-secs",
            "--response-timeout-secs",
            "--idle-timeout-secs",
            "--shutdown-grace-secs",
            "--max-connections",
            "--max-connections-per-address",
            "--client-header-timeout-secs",
            "--client-body-timeout-secs",
            "--database-url",
            "--data-dir",
            "--users-file",
            "--session-hours",
            "--signin-attempts-per-minute",
            "--sync-quota-mb",
            "--public-url",
        ] {
            assert!(help.contains(flag), "{flag} missing from --help");
        }
        assert!(help.contains("GEMINI_API_KEY") && help.contains("MEM0_API_KEY"));
        assert!(help.contains("users"), "the users subcommand is listed");
    }

    #[test]
    fn defaults_match_the_parser_defaults() {
        let parsed = Config::try_parse_from(["wellness0-proxy", "--port", "8080"]).unwrap();
        let d = Config::defaults();
        assert_eq!(parsed.host, d.host);
        assert_eq!(parsed.max_body_bytes, d.max_body_bytes);
        assert_eq!(parsed.rate_limit_per_minute, d.rate_limit_per_minute);
        assert_eq!(parsed.rate_limit_burst, d.rate_limit_burst);
        assert_eq!(parsed.response_timeout_secs, d.response_timeout_secs);
        assert_eq!(parsed.idle_timeout_secs, d.idle_timeout_secs);
        assert_eq!(parsed.max_connections, d.max_connections);
        assert_eq!(parsed.max_connections_per_address, d.max_connections_per_address);
        assert_eq!(parsed.client_header_timeout_secs, d.client_header_timeout_secs);
        assert_eq!(parsed.client_body_timeout_secs, d.client_body_timeout_secs);
        assert_eq!(parsed.sync_quota_mb, d.sync_quota_mb);
    }

    #[test]
    fn allowed_origins_split_on_commas() {
        let c =
            Config::try_parse_from(["wellness0-proxy", "--allowed-origins", "https://a.example,http://localhost:8081"])
                .unwrap();
        assert_eq!(c.allowed_origins, vec!["https://a.example", "http://localhost:8081"]);
    }

    #[test]
    fn mem0_base_url_names_and_backends() {
        let parse = |args: &[&str]| Config::try_parse_from([&["wellness0-proxy"], args].concat()).unwrap();
        assert_eq!(parse(&[]).mem0_base().as_deref(), Some(DEFAULT_MEM0_UPSTREAM));
        assert_eq!(parse(&["--mem0-upstream", "http://a:1"]).mem0_base().as_deref(), Some("http://a:1"));
        assert_eq!(parse(&["--mem0-base-url", "http://b:2"]).mem0_base().as_deref(), Some("http://b:2"));
        let mut c = parse(&["--mem0-backend", "self-hosted"]);
        assert_eq!(c.mem0_backend, Backend::SelfHosted);
        assert_eq!(c.mem0_base(), None);
        c.mem0_upstream_env = Some("http://legacy:3".into());
        assert_eq!(c.mem0_base().as_deref(), Some("http://legacy:3"));
        c.mem0_base_url = Some("http://new:4".into());
        assert_eq!(c.mem0_base().as_deref(), Some("http://new:4"));
        assert_eq!(parse(&["--mem0-backend", "self_hosted"]).mem0_backend, Backend::SelfHosted);
        assert!(Config::try_parse_from(["wellness0-proxy", "--mem0-backend", "cloud"]).is_err());
    }

    #[test]
    fn shared_mode_database_from_url_data_dir_or_users_file() {
        let parse = |args: &[&str]| Config::try_parse_from([&["wellness0-proxy"], args].concat()).unwrap();
        assert_eq!(parse(&[]).database(), None, "personal mode");
        let url = "postgres://w0:pw@127.0.0.1:5432/w0";
        assert_eq!(parse(&["--database-url", url, "--data-dir", "/srv"]).database().as_deref(), Some(url));
        assert_eq!(parse(&["--data-dir", "/srv/w0"]).database().unwrap(), "sqlite:///srv/w0/wellness0.db?mode=rwc");
        let beside = parse(&["--users-file", "/etc/w0/users.json"]).database().unwrap();
        assert_eq!(beside, "sqlite:///etc/w0/wellness0.db?mode=rwc");
        assert_eq!(parse(&["--users-file", "users.json"]).database().unwrap(), "sqlite://./wellness0.db?mode=rwc");
        assert!(parse(&["--session-secret", "old-scripts-still-start"]).session_secret.is_some());
    }

    #[test]
    fn keys_are_trimmed_and_empty_means_none() {
        assert_eq!(clean_key(Some("  abc \n")), Some("abc".into()));
        assert_eq!(clean_key(Some("   ")), None);
        assert_eq!(clean_key(None), None);
    }
}
