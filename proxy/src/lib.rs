//! `wellness0-proxy`: a thin native proxy so wellness0 can be hosted without users pasting
//! keys, and so mem0 works from a browser even when its API refuses cross-origin calls.
//!
//! It serves the Trunk-built site ([`http::site`]), forwards only the API calls the app makes
//! ([`allow`]) to the configured upstreams with server-held keys ([`forward`]), streams SSE
//! through unbuffered, rate-limits per client ([`http::ratelimit`]) and reports itself at
//! `GET /api/health` ([`http::health`]). [`config`] is the command line; `main.rs` only wires
//! [`config::Config`], [`AppState`], [`bind`] and [`serve`] (or runs a `users …` command,
//! [`cli`]).
//!
//! The modules are layered; each uses only those listed before it:
//! - pure rules: [`allow`] (which calls pass), [`db`] (the database), [`accounts`] (people,
//!   sessions and sync records in it), [`guard`] (host and origin checks), [`mem0`] (backends,
//!   calls, binding), [`ratelimit`] (the token-bucket limiter);
//! - [`config`]: the command line, subcommands included;
//! - [`error`]: the proxy's errors and how they are rendered;
//! - [`forward`]: calling an upstream and relaying its answer;
//! - [`auth`]: sign-in state, pages, passwords, the session cookie;
//! - [`site`]: the served `index.html` and the security headers built from it;
//! - [`state`]: [`AppState`], built once from the [`Config`];
//! - [`http`]: every handler and middleware, and the router ([`app`]);
//! - [`server`]: binding and serving; [`cli`]: the `users …` commands.

pub mod accounts;
pub mod allow;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod forward;
pub mod guard;
pub mod http;
pub mod kdf;
pub mod mem0;
pub mod ratelimit;
pub mod server;
pub mod site;
pub mod state;

pub use config::Config;
pub use http::app;
pub use server::{bind, init_tracing, print_banner, serve, shutdown_signal, BANNER_PREFIX};
pub use state::{AppState, StartError};
