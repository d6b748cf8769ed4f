//! Long-term memory: what was used for each reply, the outbox of writes, the sync with mem0,
//! export/import, and the live sidebar. Depends on settings and mem0; never on the chat.

pub mod history;
pub mod item;
pub mod legacy;
pub mod outbox;
pub mod sidebar;
pub mod store;
pub mod sync;
pub mod tools;
pub mod transfer;
pub mod usage;

pub use sidebar::MemorySidebar;
pub use store::{use_memory, MemoryStore, WriteSettled};
pub use sync::Turn;
