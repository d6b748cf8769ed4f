//! Sessions: every conversation kept (the seed's runs of the bot, until `exit`), the list that
//! opens, renames and deletes them, search across all of them, export and import, and moving
//! the earlier version's one conversation in. The open session itself is the chat's.

pub mod finder;
pub mod item;
pub mod list;
pub mod migrate;
pub mod search;
pub mod storage_section;
pub mod store;
pub mod transfer;

pub use list::SessionList;
pub use storage_section::StorageSection;
pub use store::{use_sessions, SessionsStore};
