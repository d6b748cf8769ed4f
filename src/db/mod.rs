//! Where wellness0 keeps its data in the browser: IndexedDB, one database `wellness0` with
//! the stores below. Records are stored as JSON strings (`data`) beside the few fields IndexedDB
//! keys and ranges on; this layer knows nothing of what the JSON means (the chat, memory and
//! sessions modules do). Also: telling other tabs what changed, and locks across tabs.

pub mod idb;
pub mod storage;

pub use idb::{
    announce, announced_here, data_of, estimate, field_of, is_sealing, listen, open_text, persist, seal_text,
    with_lock, Batch, Db, Record, StorageError,
};
pub use storage::{use_storage, Storage};

use wasm_bindgen::JsValue;

/// One record per session: its title, times and message count (`id`).
pub const SESSIONS: &str = "sessions";
/// One record per message (`[session, id]`, with `text` for search).
pub const MESSAGES: &str = "messages";
/// One record per session with a draft in its composer (`session`).
pub const DRAFTS: &str = "drafts";
/// Single records by name (`key`): the memory outbox, the migration mark.
pub const META: &str = "meta";
/// The sync ledger (`key`): per record key, what this device holds of it; the records waiting
/// to be sent; the last sequence number taken in (see `crate::sync::engine`).
pub const SYNC: &str = "sync";

/// The key of a message record.
pub fn message_key(session: u64, id: u64) -> JsValue {
    js_sys::Array::of2(&(session as f64).into(), &(id as f64).into()).into()
}

/// The key range of every message of a session.
pub fn session_messages(session: u64) -> (JsValue, JsValue) {
    (message_key(session, 0), message_key(session, MAX_ID))
}

/// What one tab tells the others it changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// A session's record or messages.
    Session(u64),
    /// A session (or all of them) was deleted.
    Deleted,
    /// The memory outbox.
    Outbox,
    /// The passcode was set, changed or removed: the other tabs lock.
    Vault,
    /// Someone pressed Lock: every tab locks.
    Lock,
    /// Forget keys: the other tabs drop the keys they hold too.
    Keys,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Session(id) => write!(f, "session:{id}"),
            Change::Deleted => f.write_str("deleted"),
            Change::Outbox => f.write_str("outbox"),
            Change::Vault => f.write_str("vault"),
            Change::Lock => f.write_str("lock"),
            Change::Keys => f.write_str("keys"),
        }
    }
}

impl std::str::FromStr for Change {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s.split_once(':') {
            Some(("session", id)) => id.parse().map(Change::Session).map_err(drop),
            _ if s == "deleted" => Ok(Change::Deleted),
            _ if s == "outbox" => Ok(Change::Outbox),
            _ if s == "vault" => Ok(Change::Vault),
            _ if s == "lock" => Ok(Change::Lock),
            _ if s == "keys" => Ok(Change::Keys),
            _ => Err(()),
        }
    }
}

/// Ids are numbers below 2^53, so JavaScript (and IndexedDB keys) hold them exactly.
pub const MAX_ID: u64 = (1 << 53) - 1;

/// A fresh id that sorts by time: milliseconds since 1970 times 4096, plus 12 random bits (two
/// tabs making an id in the same millisecond still differ, with near certainty). Below 2^53
/// until the year 2255.
pub fn new_id(now_ms: f64, random: f64) -> u64 {
    let ms = now_ms.max(0.0) as u64;
    ms.saturating_mul(4096).saturating_add((random.clamp(0.0, 0.999_999) * 4096.0) as u64).min(MAX_ID)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_read_back() {
        for change in [Change::Session(123), Change::Deleted, Change::Outbox, Change::Vault, Change::Lock, Change::Keys]
        {
            assert_eq!(change.to_string().parse(), Ok(change));
        }
        assert!("session:x".parse::<Change>().is_err() && "".parse::<Change>().is_err());
    }

    #[test]
    fn ids_sort_by_time_and_stay_exact_in_javascript() {
        let a = new_id(1_764_000_000_000.0, 0.999);
        let b = new_id(1_764_000_000_001.0, 0.0);
        assert!(a < b);
        assert!(b < MAX_ID && (b as f64) as u64 == b);
        assert_ne!(new_id(5.0, 0.1), new_id(5.0, 0.2));
        assert_eq!(new_id(f64::MAX, 1.0), MAX_ID);
    }
}
