//! mem0: wire types, errors, safe user ids, the backends (one trait, one implementation per
//! service) and the browser client that talks to whichever backend the settings pick.

pub mod backend;
pub mod client;
pub mod error;
pub mod platform;
pub mod selfhosted;
pub mod user_id;
pub mod wire;

pub use backend::{AddAnswer, Capabilities, EventStatus, MemoryBackend, MemoryChange};
pub use client::{Connection, MemoryClient};
pub use error::Mem0Error;
pub use platform::Platform;
pub use selfhosted::SelfHosted;
pub use user_id::UserId;
pub use wire::{Memory, SavedMemory, TurnMessage, TurnWrite};
