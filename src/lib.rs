//! wellness0: a chat client that remembers its user.
//!
//! Pure logic (wire types, SSE parsing, errors, prompt assembly, markdown, conversation data)
//! is plain Rust with native tests; components only wire state to views.

pub mod app;
pub mod backoff;
pub mod chat;
pub mod gemini;
pub mod http;
pub mod markdown;
pub mod mem0;
pub mod memory;
pub mod prompt;
pub mod proxy_mode;
pub mod settings;
pub mod settings_panel;
pub mod storage;

pub use app::App;
