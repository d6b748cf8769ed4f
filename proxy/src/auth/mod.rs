//! Who is calling. In personal mode (the default, on loopback) the one person at the keyboard
//! owns everything and nobody signs in. In shared mode people sign in, and each request
//! carries the signed-in [`Person`], to whom the proxy binds every memory call.

/// A signed-in person, as request handlers see them (a request extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The name they sign in with.
    pub name: String,
    /// The mem0 user id their memories are stored under.
    pub user_id: String,
}

/// The sign-in configuration.
#[derive(Debug, Default)]
pub struct Auth {
    shared: bool,
}

impl Auth {
    /// Personal mode: no sign-in.
    pub fn personal() -> Self {
        Self { shared: false }
    }

    /// Whether people must sign in.
    pub fn is_shared(&self) -> bool {
        self.shared
    }
}
