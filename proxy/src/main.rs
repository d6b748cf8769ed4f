//! The `wellness0-proxy` binary: loads `.env`, parses the command line, then either runs a
//! `users …` command, or binds, prints `wellness0-proxy listening on http://ADDR:PORT` and
//! serves until SIGTERM or ctrl-c.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use wellness0_proxy::cli;
use wellness0_proxy::config::commands::Command;
use wellness0_proxy::{bind, config, init_tracing, print_banner, serve, shutdown_signal};
use wellness0_proxy::{AppState, Config, StartError};

fn main() -> ExitCode {
    // Before any thread exists: `.env` fills the environment clap then reads.
    let loaded = config::load_dotenv();
    let cfg = Config::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wellness0-proxy: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(Command::Users { action }) = &cfg.command {
        if let Err(e) = loaded {
            eprintln!("wellness0-proxy: {e}");
            return ExitCode::FAILURE;
        }
        let done = runtime.block_on(cli::run(&cfg, action, &mut std::io::stdout().lock(), std::io::stdin().lock()));
        return match done {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("wellness0-proxy users: {e}");
                ExitCode::FAILURE
            }
        };
    }
    init_tracing();
    match runtime.block_on(run(cfg, loaded)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wellness0-proxy: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cfg: Config, loaded: Result<usize, config::DotenvError>) -> Result<(), StartError> {
    let n = loaded?;
    if n > 0 {
        tracing::info!(variables = n, "loaded .env");
    }
    let state = AppState::new(&cfg).await?;
    if !cfg.dist.join("index.html").is_file() {
        tracing::warn!(dist = %cfg.dist.display(), "no index.html in the site directory");
    }
    tracing::info!(
        gemini_upstream = %state.gemini.base,
        gemini_key = state.gemini.has_key(),
        mem0_backend = state.mem0_backend.health_name(),
        mem0_upstream = %state.mem0.base,
        mem0_key = state.mem0.has_key(),
        shared = state.auth.is_shared(),
        "configured"
    );
    let listener = bind(&cfg).await?;
    let addr = listener
        .local_addr()
        .map_err(|source| StartError::Io { context: "cannot read the listen address".into(), source })?;
    // Listen for SIGTERM before saying we are up: a script may stop us right after the banner.
    let shutdown = shutdown_signal();
    print_banner(addr).map_err(|source| StartError::Io { context: "cannot print the banner".into(), source })?;
    serve(listener, state, shutdown, Duration::from_secs(cfg.shutdown_grace_secs)).await
}
