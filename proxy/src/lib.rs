//! `wellness0-proxy`: a thin native proxy so wellness0 can be hosted without users pasting
//! keys, and so mem0 works from a browser even when its API refuses cross-origin calls.
//!
//! It serves the Trunk-built site ([`http::site`]), forwards only the API calls the app makes
//! ([`allow`]) to the configured upstreams with server-held keys ([`forward`]), streams SSE
//! through unbuffered, rate-limits per client ([`ratelimit`]) and reports itself at
//! `GET /api/health` ([`http::health`]). [`config`] is the command line; `main.rs` only wires
//! [`config::Config`], [`AppState`], [`bind`] and [`serve`].

pub mod accounts;
pub mod allow;
pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod forward;
pub mod guard;
pub mod http;
pub mod mem0;
pub mod ratelimit;
pub mod server;
pub mod state;

pub use config::Config;
pub use http::app;
pub use server::{bind, init_tracing, print_banner, serve, shutdown_signal, BANNER_PREFIX};
pub use state::{AppState, StartError};
