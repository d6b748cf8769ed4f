//! The `fakes` binary: parses the CLI, binds the requested fakes, prints one
//! `<name> listening on http://HOST:PORT` line per fake and serves until
//! SIGTERM or ctrl-c.

use std::io::Write;

use clap::Parser;
use wellness0_fakes::{bind, serve, Cli};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fakes: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), wellness0_fakes::FakesError> {
    let bound = bind(&cli).await?;
    let mut out = std::io::stdout().lock();
    for b in &bound {
        writeln!(out, "{}", b.banner())?;
    }
    out.flush()?;
    drop(out);
    serve(bound, shutdown_signal()).await
}

/// Resolves on ctrl-c or SIGTERM.
async fn shutdown_signal() {
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
        _ = ctrl_c => {},
        _ = term => {},
    }
}
