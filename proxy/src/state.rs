//! [`AppState`]: everything request handlers share, built and validated once from the
//! [`Config`]; [`StartError`]: why the proxy could not start.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::auth::{Auth, AuthError, SharedSettings};
use crate::config::{clean_key, Config, DotenvError};
use crate::error::Api;
use crate::forward::{KeyStyle, Timeouts, Upstream, UpstreamError};
use crate::guard::host::{AllowedHosts, BadHostRule};
use crate::mem0::Backend;
use crate::ratelimit::RateLimiter;
use crate::site::index::SiteIndex;

/// Everything request handlers share.
#[derive(Debug)]
pub struct AppState {
    /// The Gemini upstream and its key.
    pub gemini: Upstream,
    /// The mem0 upstream and its key.
    pub mem0: Upstream,
    /// Which mem0 server that is.
    pub mem0_backend: Backend,
    /// HTTP client for upstream calls: HTTP/1.1 only (one connection per open stream, so
    /// hundreds of concurrent SSE streams never queue behind an HTTP/2 stream limit), no
    /// redirects followed, connect timeout set.
    pub client: reqwest::Client,
    /// Upstream timeouts.
    pub timeouts: Timeouts,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Per-client limiter (`None`: unlimited).
    pub limiter: Option<RateLimiter>,
    /// Whether to trust `X-Forwarded-For` for client IPs.
    pub trust_forwarded_for: bool,
    /// CORS for `/api/` when origins are allowed.
    pub cors: Option<CorsLayer>,
    /// The origins allowed for CORS (exact `Origin` values).
    pub cors_origins: Vec<HeaderValue>,
    /// Host names the proxy answers to.
    pub hosts: AllowedHosts,
    /// The port the proxy listens on (known once bound; see [`AppState::set_listen_port`]).
    listen_port: AtomicU16,
    /// Limits on client connections.
    pub limits: ClientLimits,
    /// Sign-in (shared mode) or none (personal mode).
    pub auth: Auth,
    /// The site directory.
    pub dist: std::path::PathBuf,
    /// The site's `index.html` (with the proxy marker) and the CSP derived from it.
    pub index: SiteIndex,
}

/// Limits on client connections (see [`crate::server`]).
#[derive(Debug, Clone, Copy)]
pub struct ClientLimits {
    /// Until a complete request head has arrived (also the keep-alive idle time).
    pub header_timeout: Duration,
    /// Longest stall inside a request body.
    pub body_timeout: Duration,
    /// Most open connections (before the open-file limit is applied).
    pub max_connections: usize,
    /// Most open connections from one client address (listening on a network address and not
    /// behind a trusted front end, where every client has the front end's address).
    pub per_address: Option<usize>,
}

/// Why the proxy could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A bad upstream URL or key.
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    /// A bad `--allowed-origins` entry.
    #[error("allowed origin {0:?} is not valid (use e.g. https://app.example; `*` is refused)")]
    Origin(String),
    /// A non-loopback address without sign-in.
    #[error(
        "refusing to listen on {0} without sign-in: anyone who can reach it could use your keys and read \
         every memory. Configure shared mode (--data-dir / WELLNESS0_DATA_DIR or --database-url, see \
         `wellness0-proxy users add --help`) or listen on 127.0.0.1"
    )]
    NeedsSignIn(std::net::IpAddr),
    /// Shared mode could not start.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// A self-hosted mem0 backend without a base URL.
    #[error("MEM0_BACKEND=self-hosted needs MEM0_BASE_URL (the address of your mem0 server)")]
    NoMem0BaseUrl,
    /// A bad `--allowed-hosts` entry.
    #[error(transparent)]
    Host(#[from] BadHostRule),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    /// `.env` could not be loaded.
    #[error(transparent)]
    Dotenv(#[from] DotenvError),
    /// Binding or serving failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl AppState {
    /// Validates the configuration and builds the shared state.
    pub async fn new(cfg: &Config) -> Result<Arc<Self>, StartError> {
        let gemini_key = clean_key(cfg.gemini_api_key.as_deref());
        let mem0_key = clean_key(cfg.mem0_api_key.as_deref());
        let gemini = Upstream::new(Api::Gemini, &cfg.gemini_upstream, gemini_key.as_deref(), KeyStyle::GoogApiKey)?;
        let mem0_base = cfg.mem0_base().ok_or(StartError::NoMem0BaseUrl)?;
        let mem0_style = match cfg.mem0_backend {
            Backend::Platform => KeyStyle::Token,
            Backend::SelfHosted => KeyStyle::XApiKey,
        };
        let mem0 = Upstream::new(Api::Mem0, &mem0_base, mem0_key.as_deref(), mem0_style)?;
        let client = reqwest::Client::builder()
            .connect_timeout(cfg.connect_timeout())
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("wellness0-proxy/", env!("CARGO_PKG_VERSION")))
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(60))
            .build()?;
        let cors_origins = cors_origins(&cfg.allowed_origins)?;
        if cfg.session_secret.is_some() {
            tracing::warn!("WELLNESS0_SESSION_SECRET is no longer used: sessions live in the database");
        }
        let auth = match cfg.database() {
            Some(database_url) => {
                Auth::shared(&SharedSettings {
                    database_url,
                    users_file: cfg.users_file.clone(),
                    session_ttl: Duration::from_secs(cfg.session_hours.max(1) * 3600),
                    attempts_per_minute: cfg.signin_attempts_per_minute,
                    sync_quota_bytes: cfg.sync_quota_mb.saturating_mul(1024 * 1024),
                })
                .await?
            }
            None => Auth::personal(),
        };
        if !cfg.host.is_loopback() && !auth.is_shared() {
            return Err(StartError::NeedsSignIn(cfg.host));
        }
        Ok(Arc::new(Self {
            gemini,
            mem0,
            mem0_backend: cfg.mem0_backend,
            client,
            timeouts: Timeouts { response: cfg.response_timeout(), idle: cfg.idle_timeout() },
            max_body_bytes: cfg.max_body_bytes,
            limiter: RateLimiter::new(cfg.rate_limit_per_minute, cfg.rate_limit_burst),
            trust_forwarded_for: cfg.trust_forwarded_for,
            cors: cors_layer(&cors_origins),
            cors_origins,
            hosts: AllowedHosts::new(&cfg.allowed_hosts, cfg.host)?,
            listen_port: AtomicU16::new(cfg.port),
            auth,
            limits: ClientLimits {
                header_timeout: Duration::from_secs(cfg.client_header_timeout_secs.max(1)),
                body_timeout: Duration::from_secs(cfg.client_body_timeout_secs.max(1)),
                max_connections: cfg.max_connections.max(1),
                // Not behind a trusted front end either: there every client has its address.
                per_address: (!cfg.host.is_loopback() && !cfg.trust_forwarded_for)
                    .then_some(cfg.max_connections_per_address.max(1)),
            },
            dist: cfg.dist.clone(),
            index: SiteIndex::load(cfg.dist.join("index.html")),
        }))
    }

    /// The port the proxy listens on.
    pub fn listen_port(&self) -> u16 {
        self.listen_port.load(Ordering::Relaxed)
    }

    /// Records the port actually bound (`--port 0` picks one at bind time).
    pub fn set_listen_port(&self, port: u16) {
        self.listen_port.store(port, Ordering::Relaxed);
    }
}

/// Validates `--allowed-origins` entries (`*` and anything not a bare http(s) origin refused).
fn cors_origins(origins: &[String]) -> Result<Vec<HeaderValue>, StartError> {
    origins
        .iter()
        .map(|o| o.trim().trim_end_matches('/'))
        .filter(|o| !o.is_empty())
        .map(|o| {
            let ok = (o.starts_with("http://") || o.starts_with("https://")) && !o.contains('*');
            ok.then(|| HeaderValue::from_str(o).ok()).flatten().ok_or_else(|| StartError::Origin(o.to_owned()))
        })
        .collect()
}

/// CORS for the given origins (`None` when the list is empty: same-origin only).
fn cors_layer(origins: &[HeaderValue]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins.iter().cloned()))
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
            .allow_headers([
                header::CONTENT_TYPE,
                header::ACCEPT,
                header::AUTHORIZATION,
                HeaderName::from_static("x-goog-api-key"),
                HeaderName::from_static("x-api-key"),
            ])
            .expose_headers([header::RETRY_AFTER, header::CONTENT_TYPE])
            .max_age(Duration::from_secs(600)),
    )
}
