//! mem0: wire types, errors and the browser client for the Platform API.

pub mod client;
pub mod error;
pub mod wire;

pub use client::{MemoryApi, PlatformClient};
pub use error::Mem0Error;
pub use wire::Memory;
