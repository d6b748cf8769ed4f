//! `wellness0-proxy`: a thin native proxy so wellness0 can be hosted without users pasting
//! keys, and so mem0 works from a browser even when its API refuses cross-origin calls.
//!
//! It serves the Trunk-built site ([`http::site`]), forwards only the API calls the app makes
//! ([`allow`]) to the configured upstreams with server-held keys ([`forward`]), streams SSE
//! through unbuffered, rate-limits per client ([`ratelimit`]) and reports itself at
//! `GET /api/health` ([`http::health`]). [`config`] is the command line; `main.rs` only wires
//! [`config::Config`], [`AppState`], [`bind`] and [`serve`].

pub mod allow;
pub mod config;
pub mod error;
pub mod forward;
pub mod http;
pub mod ratelimit;

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderName, HeaderValue, Method};
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, CorsLayer};

pub use config::Config;
pub use http::app;

use crate::config::clean_key;
use crate::error::Api;
use crate::forward::{Timeouts, Upstream, UpstreamError};
use crate::ratelimit::RateLimiter;

/// The exact start-up line prefix scripts and tests parse.
pub const BANNER_PREFIX: &str = "wellness0-proxy listening on http://";

/// Everything request handlers share.
#[derive(Debug)]
pub struct AppState {
    /// The Gemini upstream and its key.
    pub gemini: Upstream,
    /// The mem0 upstream and its key.
    pub mem0: Upstream,
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
    /// The site directory.
    pub dist: PathBuf,
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
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    /// `.env` could not be loaded.
    #[error(transparent)]
    Dotenv(#[from] config::DotenvError),
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
    pub fn new(cfg: &Config) -> Result<Arc<Self>, StartError> {
        let gemini_key = clean_key(cfg.gemini_api_key.as_deref());
        let mem0_key = clean_key(cfg.mem0_api_key.as_deref());
        let gemini = Upstream::new(Api::Gemini, &cfg.gemini_upstream, gemini_key.as_deref())?;
        let mem0 = Upstream::new(Api::Mem0, &cfg.mem0_upstream, mem0_key.as_deref())?;
        let client = reqwest::Client::builder()
            .connect_timeout(cfg.connect_timeout())
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("wellness0-proxy/", env!("CARGO_PKG_VERSION")))
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(60))
            .build()?;
        Ok(Arc::new(Self {
            gemini,
            mem0,
            client,
            timeouts: Timeouts { response: cfg.response_timeout(), idle: cfg.idle_timeout() },
            max_body_bytes: cfg.max_body_bytes,
            limiter: RateLimiter::new(cfg.rate_limit_per_minute, cfg.rate_limit_burst),
            trust_forwarded_for: cfg.trust_forwarded_for,
            cors: cors_layer(&cfg.allowed_origins)?,
            dist: cfg.dist.clone(),
        }))
    }
}

/// CORS for the given origins (`None` when the list is empty: same-origin only).
fn cors_layer(origins: &[String]) -> Result<Option<CorsLayer>, StartError> {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .map(|o| o.trim().trim_end_matches('/'))
        .filter(|o| !o.is_empty())
        .map(|o| {
            let ok = (o.starts_with("http://") || o.starts_with("https://")) && !o.contains('*');
            ok.then(|| HeaderValue::from_str(o).ok()).flatten().ok_or_else(|| StartError::Origin(o.to_owned()))
        })
        .collect::<Result<_, _>>()?;
    if origins.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
            .allow_headers([
                header::CONTENT_TYPE,
                header::ACCEPT,
                header::AUTHORIZATION,
                HeaderName::from_static("x-goog-api-key"),
            ])
            .expose_headers([header::RETRY_AFTER, header::CONTENT_TYPE])
            .max_age(Duration::from_secs(600)),
    ))
}

/// Binds the listen address from the configuration.
pub async fn bind(cfg: &Config) -> Result<TcpListener, StartError> {
    let addr = SocketAddr::new(cfg.host, cfg.port);
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Io { context: format!("cannot listen on {addr}"), source })
}

/// Prints `wellness0-proxy listening on http://ADDR:PORT` to stdout and flushes it.
pub fn print_banner(addr: SocketAddr) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{BANNER_PREFIX}{addr}")?;
    out.flush()
}

/// Serves `state` on `listener` until `shutdown` resolves, then lets open requests (streams)
/// finish for at most `grace` before returning.
pub async fn serve<F>(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: F,
    grace: Duration,
) -> Result<(), StartError>
where
    F: Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
    let mut server = tokio::spawn(async move {
        axum::serve(listener, service)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
    });
    let io = |source| StartError::Io { context: "server failed".into(), source };
    tokio::select! {
        res = &mut server => {
            return res.unwrap_or(Ok(())).map_err(io);
        }
        () = shutdown => {}
    }
    tracing::info!(grace_secs = grace.as_secs(), "shutting down");
    let _ = tx.send(());
    match tokio::time::timeout(grace, &mut server).await {
        Ok(res) => res.unwrap_or(Ok(())).map_err(io),
        Err(_) => {
            tracing::warn!("open requests still running after the grace period; closing them");
            server.abort();
            Ok(())
        }
    }
}

/// Resolves on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Installs the log subscriber: human-readable lines on stderr, `RUST_LOG` honoured
/// (default `info` for the proxy, `warn` for libraries).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,wellness0_proxy=info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false).init();
}
