//! Google Gemini: wire types, the SSE stream reader, error mapping, what a failed reply stores,
//! reading safety ratings, where calls go, and the browser client.

pub mod client;
pub mod endpoint;
pub mod error;
pub mod problem;
pub mod safety;
pub mod sse;
pub mod stream;
pub mod wire;

pub use client::{list_models, stream_generate};
pub use endpoint::Endpoint;
pub use error::{GeminiError, Recovery};
pub use problem::ReplyProblem;
