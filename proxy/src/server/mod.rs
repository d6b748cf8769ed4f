//! Serving the router over HTTP/1.1: the accept loop, the limits on client connections and
//! graceful shutdown.
//!
//! - A client must send a complete request head within `--client-header-timeout-secs` of
//!   connecting or of its previous response (hyper's header-read timeout, which is also how
//!   long an idle keep-alive connection stays open); request bodies may not stall longer than
//!   `--client-body-timeout-secs` ([`crate::forward::read_body`]).
//! - At most `--max-connections` connections are open, never more than the open-file limit
//!   allows (raised to its hard limit at start). When the cap is reached, the connection that
//!   has waited longest without a request in flight is closed to make room ([`tracker`]), so
//!   silent connections cannot lock others out.
//! - Only HTTP/1.1: browsers never speak cleartext HTTP/2, and a TLS front end speaks HTTP/2 to
//!   them and HTTP/1.1 here.

pub mod tracker;

use std::convert::Infallible;
use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tower::ServiceExt;

use crate::{app, AppState, Config, StartError};
use tracker::{ConnHandle, ConnTracker, InFlight, TrackedBody};

/// The exact start-up line prefix scripts and tests parse.
pub const BANNER_PREFIX: &str = "wellness0-proxy listening on http://";

/// Open files kept free for upstream connections, logs and static files beyond two per client
/// connection (its socket and, while a call is forwarded, its upstream socket).
const RESERVED_FILES: u64 = 32;

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

/// The connection cap: the configured one, lowered so that two files per connection fit in
/// the open-file limit (first raised to its hard limit).
pub fn connection_cap(configured: usize) -> usize {
    let files = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    let fit = usize::try_from(files.saturating_sub(RESERVED_FILES) / 2).unwrap_or(usize::MAX);
    configured.min(fit).max(1)
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
    let local = listener
        .local_addr()
        .map_err(|source| StartError::Io { context: "cannot read the listen address".into(), source })?;
    state.set_listen_port(local.port());
    let cap = connection_cap(state.limits.max_connections);
    tracing::info!(max_connections = cap, header_timeout_secs = state.limits.header_timeout.as_secs(), "serving");
    let router = app(state.clone());
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(state.limits.header_timeout).keep_alive(true);
    let slots = Arc::new(Semaphore::new(cap));
    let tracker = Arc::new(ConnTracker::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            biased;
            () = &mut shutdown => break,
            slot = make_room(&slots, &tracker) => slot,
        };
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
        };
        if let Some(per_address) = state.limits.per_address {
            // One address over its share: its own idle connection makes room, else the new one waits
            // nowhere — it is closed, and the other addresses' slots stay theirs.
            if tracker.count_from(peer.ip()) >= per_address && !tracker.evict_one_idle_from(peer.ip()) {
                tracing::warn!("a client address reached its connection cap with every connection busy");
                drop(stream);
                continue;
            }
        }
        let handle = tracker.open(peer.ip());
        let conn = Connection { http: http.clone(), router: router.clone(), handle, stop: stop_rx.clone() };
        tokio::spawn(async move {
            conn.run(stream, peer).await;
            drop(slot);
        });
    }
    drop(listener);
    tracing::info!(grace_secs = grace.as_secs(), open = tracker.len(), "shutting down");
    let _ = stop_tx.send(true);
    // Every connection holds a slot until it ends: having them all back means all are closed.
    let all = u32::try_from(cap).unwrap_or(u32::MAX);
    if tokio::time::timeout(grace, slots.acquire_many(all)).await.is_err() {
        tracing::warn!("open requests still running after the grace period; closing them");
    }
    if let Some(shared) = state.auth.shared_parts() {
        shared.db.close().await;
    }
    Ok(())
}

/// Waits for a free connection slot; while none is free, asks an idle connection to close.
async fn make_room(slots: &Arc<Semaphore>, tracker: &ConnTracker) -> tokio::sync::OwnedSemaphorePermit {
    loop {
        if let Ok(slot) = slots.clone().try_acquire_owned() {
            return slot;
        }
        if !tracker.evict_one_idle() {
            tracing::warn!("connection cap reached with every connection busy; waiting");
        }
        if let Ok(Ok(slot)) = tokio::time::timeout(Duration::from_millis(200), slots.clone().acquire_owned()).await {
            return slot;
        }
    }
}

/// Handles an accept error: per-connection errors are ignored; others (such as running out
/// of open files) pause accepting briefly instead of spinning.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(e.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        return;
    }
    tracing::error!(error = %e, "accept failed; pausing");
    tokio::time::sleep(Duration::from_millis(250)).await;
}

/// One client connection.
struct Connection {
    http: hyper::server::conn::http1::Builder,
    router: axum::Router,
    handle: ConnHandle,
    stop: watch::Receiver<bool>,
}

impl Connection {
    async fn run(mut self, stream: TcpStream, peer: SocketAddr) {
        let _ = stream.set_nodelay(true);
        let entry = self.handle.entry.clone();
        let router = self.router.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let in_flight = InFlight::start(&entry);
            let call = router.clone().oneshot(req.map(Body::new));
            async move {
                let resp = call.await.unwrap_or_else(|never: Infallible| match never {});
                Ok::<_, Infallible>(resp.map(|body| TrackedBody::new(body, in_flight)))
            }
        });
        let conn = self.http.serve_connection(TokioIo::new(stream), service);
        tokio::pin!(conn);
        let closing = async {
            tokio::select! {
                () = self.handle.entry.close.notified() => {}
                _ = self.stop.wait_for(|stop| *stop) => {}
            }
        };
        let result = tokio::select! {
            result = conn.as_mut() => result,
            () = closing => {
                // No request in flight: dropped at once, even half-way through a request head (a
                // graceful shutdown would wait for a slow client to finish sending it). Otherwise
                // closed after the response in flight.
                if self.handle.entry.is_idle() {
                    return;
                }
                conn.as_mut().graceful_shutdown();
                conn.await
            }
        };
        if let Err(e) = result {
            tracing::debug!(error = %e, "client connection ended with an error");
        }
    }
}

/// A future that resolves on ctrl-c or SIGTERM. The handlers are installed when this is
/// called (inside the runtime, before the banner), so a signal sent as soon as the banner is
/// out is never missed.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).ok();
        let mut int = signal(SignalKind::interrupt()).ok();
        async move {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(term.take()) => {},
                () = wait(int.take()) => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Installs the log subscriber: human-readable lines on stderr, `RUST_LOG` honoured
/// (default `info` for the proxy, `warn` for libraries).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,wellness0_proxy=info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false).init();
}
