//! The chat: conversation data, the reactive store, the send pipeline and its components.

pub mod bubble;
pub mod composer;
pub mod conversation;
pub mod message_list;
pub mod pipeline;
pub mod state;

pub use composer::Composer;
pub use message_list::MessageList;
pub use state::Chat;
