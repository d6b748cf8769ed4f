//! `wellness0-fakes`: native fake servers for the Gemini API, the mem0 Platform API and a
//! self-hosted mem0 server, used by every wellness0 test. This file wires the pieces: the CLI
//! ([`Cli`]), binding and serving ([`serve`]), and the per-fake modules ([`gemini`], [`mem0`],
//! [`selfhosted`]) with what they share: the control plane ([`control`]), scripted faults
//! ([`faults`]), mem0's filter expressions ([`filters`]) and memory ranking ([`relevance`]).

pub mod control;
pub mod faults;
pub mod filters;
pub mod gemini;
pub mod mem0;
pub mod relevance;
pub mod selfhosted;

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use clap::Parser;
use tokio::net::TcpListener;

/// Command line of the `fakes` binary (every flag can also come from the environment).
#[derive(Debug, Clone, Parser)]
#[command(name = "fakes", about = "Fake Gemini, mem0 Platform and self-hosted mem0 servers for tests")]
pub struct Cli {
    /// Port of the Gemini fake (0 = any free port; omitted = not started).
    #[arg(long, env = "FAKES_GEMINI_PORT")]
    pub gemini_port: Option<u16>,
    /// Port of the mem0 Platform fake (0 = any free port; omitted = not started).
    #[arg(long, env = "FAKES_MEM0_PORT")]
    pub mem0_port: Option<u16>,
    /// Port of the self-hosted mem0 fake (0 = any free port; omitted = not started).
    #[arg(long, env = "FAKES_SELFHOSTED_PORT")]
    pub selfhosted_port: Option<u16>,
    /// Address to bind.
    #[arg(long, env = "FAKES_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// The API key the Gemini fake accepts.
    #[arg(long, env = "FAKES_GEMINI_KEY", default_value = "test-gemini-key")]
    pub gemini_key: String,
    /// The API key the mem0 fake accepts.
    #[arg(long, env = "FAKES_MEM0_KEY", default_value = "test-mem0-key")]
    pub mem0_key: String,
    /// Delay before the first streamed chunk of a default reply, in ms.
    #[arg(long, env = "FAKES_FIRST_TOKEN_MS", default_value_t = 0)]
    pub first_token_ms: u64,
    /// Delay between streamed chunks of a default reply, in ms.
    #[arg(long, env = "FAKES_CHUNK_MS", default_value_t = 0)]
    pub chunk_ms: u64,
    /// Extra latency of every mem0 request, in ms.
    #[arg(long, env = "FAKES_MEM0_LATENCY_MS", default_value_t = 0)]
    pub mem0_latency_ms: u64,
    /// How long an inferring mem0 add takes until its event SUCCEEDED, in ms.
    #[arg(long, env = "FAKES_MEM0_EVENT_MS", default_value_t = 50)]
    pub mem0_event_ms: u64,
    /// The self-hosted fake's admin key (`X-API-Key`).
    #[arg(long, env = "FAKES_SELFHOSTED_KEY", default_value = "test-selfhosted-key")]
    pub selfhosted_key: String,
    /// A non-admin user's key the self-hosted fake also accepts.
    #[arg(long, env = "FAKES_SELFHOSTED_MEMBER_KEY")]
    pub selfhosted_member_key: Option<String>,
    /// Run the self-hosted fake with auth disabled (requests without a key are let in).
    #[arg(long, env = "FAKES_SELFHOSTED_AUTH_DISABLED")]
    pub selfhosted_auth_disabled: bool,
    /// Extra latency of every self-hosted request, in ms.
    #[arg(long, env = "FAKES_SELFHOSTED_LATENCY_MS", default_value_t = 0)]
    pub selfhosted_latency_ms: u64,
    /// The one origin the self-hosted fake's CORS allows (changeable with `POST /_fake/cors`).
    #[arg(long, env = "FAKES_SELFHOSTED_CORS_ORIGIN", default_value = "http://localhost:3000")]
    pub selfhosted_cors_origin: String,
}

/// Errors of the `fakes` binary.
#[derive(Debug, thiserror::Error)]
pub enum FakesError {
    /// No port was given.
    #[error("nothing to start: pass --gemini-port, --mem0-port and/or --selfhosted-port")]
    NothingToStart,
    /// Binding a listener failed.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("server error: {0}")]
    Serve(#[from] std::io::Error),
}

/// A bound, not yet serving, fake.
pub struct Bound {
    /// `"gemini"`, `"mem0"` or `"selfhosted"`.
    pub name: &'static str,
    /// The actual address (port 0 resolved).
    pub addr: SocketAddr,
    listener: TcpListener,
    router: Router,
}

impl Bound {
    /// The line printed on start: `<name> listening on http://HOST:PORT`.
    pub fn banner(&self) -> String {
        format!("{} listening on http://{}", self.name, self.addr)
    }
}

/// Binds the fakes the CLI asks for.
pub async fn bind(cli: &Cli) -> Result<Vec<Bound>, FakesError> {
    let mut out = Vec::new();
    if let Some(port) = cli.gemini_port {
        let state = gemini::GeminiState::new(gemini::GeminiConfig {
            api_key: cli.gemini_key.clone(),
            first_token_ms: cli.first_token_ms,
            chunk_ms: cli.chunk_ms,
        });
        out.push(bind_one("gemini", &cli.host, port, gemini::app(state)).await?);
    }
    if let Some(port) = cli.mem0_port {
        let state = mem0::Mem0State::new(mem0::Mem0Config {
            api_key: cli.mem0_key.clone(),
            latency_ms: cli.mem0_latency_ms,
            async_delay_ms: cli.mem0_event_ms,
        });
        out.push(bind_one("mem0", &cli.host, port, mem0::app(state)).await?);
    }
    if let Some(port) = cli.selfhosted_port {
        let state = selfhosted::SelfHostedState::new(selfhosted::SelfHostedConfig {
            api_key: cli.selfhosted_key.clone(),
            member_key: cli.selfhosted_member_key.clone(),
            auth_disabled: cli.selfhosted_auth_disabled,
            latency_ms: cli.selfhosted_latency_ms,
            cors_origin: cli.selfhosted_cors_origin.clone(),
        });
        out.push(bind_one("selfhosted", &cli.host, port, selfhosted::app(state)).await?);
    }
    if out.is_empty() {
        return Err(FakesError::NothingToStart);
    }
    Ok(out)
}

async fn bind_one(name: &'static str, host: &str, port: u16, router: Router) -> Result<Bound, FakesError> {
    let addr = format!("{host}:{port}");
    let listener = TcpListener::bind(&addr).await.map_err(|source| FakesError::Bind { addr: addr.clone(), source })?;
    let addr = listener.local_addr()?;
    Ok(Bound { name, addr, listener, router })
}

/// Serves bound fakes until `shutdown` resolves (then finishes gracefully).
pub async fn serve<F>(bound: Vec<Bound>, shutdown: F) -> Result<(), FakesError>
where
    F: Future<Output = ()> + Send + 'static,
{
    let (tx, _) = tokio::sync::broadcast::channel::<()>(1);
    let mut tasks = Vec::new();
    for b in bound {
        let mut rx = tx.subscribe();
        tasks.push(tokio::spawn(async move {
            axum::serve(b.listener, b.router)
                .with_graceful_shutdown(async move {
                    let _ = rx.recv().await;
                })
                .await
        }));
    }
    shutdown.await;
    let _ = tx.send(());
    for t in tasks {
        // Open streams (e.g. a `hang` step) must not block shutdown for long.
        if let Ok(Ok(r)) = tokio::time::timeout(std::time::Duration::from_secs(2), t).await {
            r?;
        }
    }
    Ok(())
}

/// Starts one fake on `127.0.0.1:0` in the background; for tests.
pub async fn spawn(router: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("serve");
    });
    addr
}
