//! Where a memory came from, as the sidebar shows it: the session's title (the memory module
//! knows no sessions, so the app shell provides these two functions).

use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct MemorySources {
    /// A session's title, if it still exists.
    pub title: Callback<u64, Option<String>>,
    /// Opens a session at a message.
    pub open: Callback<(u64, u64)>,
}

/// The sources the shell provides (none in a test that mounts the sidebar alone).
pub fn use_memory_sources() -> Option<MemorySources> {
    use_context()
}
