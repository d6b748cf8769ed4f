//! Sessions on every device (shared mode): what is kept in step between a person's devices, and
//! the rule that makes them agree. [`clock`] orders changes across devices; [`merge`] turns any
//! set of changes, in any order, into the one state every device shows. Both are plain Rust,
//! tested natively; the records travel encrypted on the device (docs/sync.md).

pub mod clock;
pub mod engine;
pub mod keys;
pub mod ledger;
pub mod merge;
pub mod section;

pub use engine::{use_sync, SyncStore};
pub use section::{RecoveryCodeNotice, SyncSection};
