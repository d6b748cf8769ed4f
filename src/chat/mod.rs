//! The chat: the open session's conversation (data, the reactive store, storing each message),
//! the tree of versions, the retry decision, the send pipeline and its components. Depends on settings, memory
//! (lookups, writes) and the database; memory never depends on the chat.

pub mod announcer;
pub mod bubble;
pub mod composer;
pub mod conversation;
pub mod legacy;
pub mod message_list;
pub mod persist;
pub mod pipeline;
pub mod retry;
pub mod saved_line;
pub mod session;
pub mod state;
pub mod tree;
pub mod versions;

pub use composer::Composer;
pub use message_list::MessageList;
pub use state::{use_chat, ChatStore};
