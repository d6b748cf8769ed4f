//! Long-term memory: what was used for each reply, the outbox of writes, the sync with mem0,
//! export/import, the last list kept for offline use, and the live sidebar. Depends on settings
//! and mem0; never on the chat.

pub mod forget;
pub mod forget_notes;
pub mod history;
pub mod item;
pub mod last_list;
pub mod legacy;
pub mod marks;
pub mod outbox;
pub mod review;
pub mod sidebar;
pub mod sources;
pub mod store;
pub mod sync;
pub mod tidy;
pub mod tidy_panel;
pub mod tools;
pub mod transfer;
pub mod usage;

pub use forget_notes::ForgetNotes;
pub use sidebar::MemorySidebar;
pub use sources::MemorySources;
pub use store::{use_memory, MemoryStore, WriteSettled};
pub use sync::Turn;
