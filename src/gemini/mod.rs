//! Google Gemini: wire types, the SSE stream reader, error mapping and the browser client.

pub mod client;
pub mod error;
pub mod sse;
pub mod stream;
pub mod wire;

pub use client::{list_models, stream_generate, Endpoint};
pub use error::{GeminiError, Recovery};
