//! The chat: conversation data, the retry decision, the reactive store, the send pipeline and
//! its components. Depends on settings and memory (lookups, writes); memory never on the chat.

pub mod bubble;
pub mod composer;
pub mod conversation;
pub mod legacy;
pub mod message_list;
pub mod pipeline;
pub mod retry;
pub mod state;

pub use composer::Composer;
pub use message_list::MessageList;
pub use state::{use_chat, ChatStore};
