//! The page's handle on the database: opened once at start, shared by the chat, memory and
//! sessions stores. When the browser refuses (no IndexedDB, storage full), the app keeps
//! working in memory for the tab and the page says so: [`Storage::problem`] holds what went wrong.

use super::idb::{Db, StorageError};
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Storage {
    db: StoredValue<Option<Db>, LocalStorage>,
    /// The last refusal, shown until a write succeeds again.
    pub problem: RwSignal<Option<StorageError>>,
    /// The database is open (or failed to open): saved data has been read.
    pub ready: RwSignal<bool>,
}

/// The storage of the page (provided by the app shell).
pub fn use_storage() -> Storage {
    expect_context()
}

impl Storage {
    pub fn new() -> Self {
        Self { db: StoredValue::new_local(None), problem: RwSignal::new(None), ready: RwSignal::new(false) }
    }

    /// Takes the database as it opened; on refusal the page works in memory and says so.
    pub fn opened(&self, opened: Result<Db, StorageError>) {
        match opened {
            Ok(db) => self.db.set_value(Some(db)),
            Err(e) => {
                self.report::<()>(Err(e));
            }
        }
    }

    /// The database, when it opened.
    pub fn db(&self) -> Option<Db> {
        self.db.with_value(Clone::clone)
    }

    /// Records how a write went: a refusal is shown, a success clears an earlier one.
    pub fn report<T>(&self, result: Result<T, StorageError>) -> Option<T> {
        let problem = result.as_ref().err().cloned();
        if self.problem.with_untracked(|p| *p != problem) {
            self.problem.set(problem);
        }
        result.ok()
    }
}

impl Default for Storage {
    fn default() -> Self {
        Self::new()
    }
}
