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
pub mod guard;
pub mod http;
pub mod ratelimit;
pub mod state;

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

pub use config::Config;
pub use http::app;
pub use state::{AppState, StartError};

/// The exact start-up line prefix scripts and tests parse.
pub const BANNER_PREFIX: &str = "wellness0-proxy listening on http://";

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
    if let Ok(addr) = listener.local_addr() {
        state.set_listen_port(addr.port());
    }
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
