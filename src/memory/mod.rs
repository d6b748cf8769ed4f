//! Long-term memory: what was used for each reply, the outbox of writes, the sync with mem0,
//! export/import, and the live sidebar.

pub mod item;
pub mod outbox;
pub mod sidebar;
pub mod store;
pub mod sync;
pub mod tools;
pub mod transfer;
pub mod usage;

pub use sidebar::MemorySidebar;
pub use store::MemoryStore;
