//! The memory service behind `/api/mem0/…`, as pure rules: which backend it is ([`Backend`]),
//! the calls the app makes on each ([`routes`]) and how each call is bound to the signed-in
//! person ([`bind`]). The ownership checks made upstream before a call on one memory or event
//! are [`crate::http::mem0::owner`].

pub mod bind;
pub mod routes;

/// Which mem0 server is behind the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// The mem0 Platform (`https://api.mem0.ai`): v3 calls, `Authorization: Token <key>`.
    Platform,
    /// mem0's open-source REST server: no trailing slashes, `X-API-Key: <key>`.
    #[value(name = "self-hosted", alias = "self_hosted", alias = "selfhosted")]
    SelfHosted,
}

impl Backend {
    /// The name `/api/health` reports.
    pub fn health_name(self) -> &'static str {
        match self {
            Backend::Platform => "platform",
            Backend::SelfHosted => "self_hosted",
        }
    }
}

/// One call the app makes, with what the proxy needs to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// Key check (Platform only).
    Ping,
    /// Store a conversation turn.
    Add,
    /// Search the person's memories.
    Search,
    /// List the person's memories.
    List,
    /// Status of an asynchronous add or delete (Platform only).
    Event(String),
    /// One memory: read, edit or delete.
    Memory(String, MemoryOp),
    /// One memory's history.
    History(String),
    /// Feedback on a memory (Platform only); the memory id is in the body.
    Feedback,
    /// Delete all of the person's memories.
    DeleteAll,
}

/// What a [`Call::Memory`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryOp {
    /// `GET`.
    Get,
    /// `PUT`.
    Update,
    /// `DELETE`.
    Delete,
}
