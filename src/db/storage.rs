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

    /// Records how a read went: a refusal is shown, but a read that works says nothing about
    /// writing (a full disk still serves reads), so an earlier refusal stays on the page.
    pub fn report_read<T>(&self, result: Result<T, StorageError>) -> Option<T> {
        if let Err(e) = &result {
            if self.problem.with_untracked(|p| p.as_ref() != Some(e)) {
                self.problem.set(Some(e.clone()));
            }
        }
        result.ok()
    }
}

impl Default for Storage {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_that_works_leaves_a_write_refusal_shown_and_a_write_that_works_clears_it() {
        let storage = Storage::new();
        assert_eq!(storage.report::<()>(Err(StorageError::Full)), None);
        assert_eq!(storage.problem.get_untracked(), Some(StorageError::Full));
        assert_eq!(storage.report_read(Ok(3)), Some(3));
        assert_eq!(storage.problem.get_untracked(), Some(StorageError::Full), "a read proves nothing about writes");
        assert_eq!(storage.report_read::<()>(Err(StorageError::Unavailable)), None);
        assert_eq!(storage.problem.get_untracked(), Some(StorageError::Unavailable));
        assert_eq!(storage.report(Ok(())), Some(()));
        assert_eq!(storage.problem.get_untracked(), None);
    }
}
