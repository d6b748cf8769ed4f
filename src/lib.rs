//! wellness0: a chat client that remembers its user.
//!
//! Layers, each using only those below it: pure logic (`gemini`, `mem0`, `prompt`, `markdown`,
//! `backoff`, `service`, and the data modules of `settings`, `memory` and `chat`) is plain Rust
//! with native tests; `web` is the browser glue; the stores (`settings` → `memory` → `chat`)
//! hold reactive state and talk to the services; components only wire stores to views; `app`
//! puts it all together.

pub mod app;
pub mod backoff;
pub mod care;
pub mod chat;
pub mod db;
pub mod gemini;
pub mod markdown;
pub mod mem0;
pub mod memory;
pub mod prompt;
pub mod pwa;
pub mod service;
pub mod sessions;
pub mod settings;
pub mod sync;
pub mod text;
pub mod vault;
pub mod web;

pub use app::App;
