//! The session list as shared state: every stored session (newest first), opening one,
//! renaming, deleting with a few seconds to undo, deleting all, and search across all of them.
//! Changes made in other tabs arrive as announcements and are read back from the database.

use super::search::{Found, SearchIndex};
use crate::chat::persist::{self, load_draft, load_messages, load_sessions, load_texts};
use crate::chat::session::{newest_first, SessionMeta};
use crate::chat::ChatStore;
use crate::db::{self, Batch, Change, Storage};
use crate::web::storage::{self as web_storage, Scope};
use crate::web::time::{now_ms, sleep_ms};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::time::Duration;

/// Which session this tab shows (so a reload comes back to it).
const OPEN_SESSION_KEY: &str = "wellness0.session";
/// How long a deleted session can be brought back.
pub const UNDO_MS: u64 = 6_000;
/// How many search hits are shown.
const MAX_HITS: usize = 50;

#[derive(Clone, Copy)]
pub struct SessionsStore {
    chat: ChatStore,
    storage: Storage,
    /// Stored sessions, newest first (one being deleted is left out).
    pub list: RwSignal<Vec<SessionMeta>>,
    /// The drawer on narrower screens.
    pub open: RwSignal<bool>,
    /// Deleted a moment ago, and can still be brought back.
    pub undo: RwSignal<Option<SessionMeta>>,
    index: StoredValue<SearchIndex>,
    /// Sessions whose messages changed since they were indexed.
    stale: StoredValue<Vec<u64>>,
    /// Bumped when the index changes, so a search runs again.
    pub index_version: RwSignal<u32>,
}

/// The sessions store of the page (provided by the app shell).
pub fn use_sessions() -> SessionsStore {
    expect_context()
}

impl SessionsStore {
    pub fn new(chat: ChatStore, storage: Storage) -> Self {
        let store = Self {
            chat,
            storage,
            list: RwSignal::new(Vec::new()),
            open: RwSignal::new(false),
            undo: RwSignal::new(None),
            index: StoredValue::new(SearchIndex::default()),
            stale: StoredValue::new(Vec::new()),
            index_version: RwSignal::new(0),
        };
        chat.on_session_changed(Callback::new(move |meta: SessionMeta| store.session_changed_here(meta)));
        store
    }

    /// Reads the stored sessions and shows the one this tab showed before (a new one not
    /// stored yet comes back with its draft), else the newest.
    /// Shows the session to start with: the one moved in from an earlier version, else the one
    /// this tab had open, else the newest.
    pub async fn open_first(&self, migrated: Option<u64>) {
        self.reload_list().await;
        let remembered = web_storage::get(Scope::Tab, OPEN_SESSION_KEY).and_then(|id| id.parse().ok());
        match migrated.or(remembered) {
            Some(id) if self.find(id).is_some() => self.open_session(id, None).await,
            Some(id) => {
                let draft = match self.storage.db() {
                    Some(db) => load_draft(&db, id).await,
                    None => String::new(),
                };
                self.chat.show_session(SessionMeta::new(id, crate::web::time::now_ms()), Vec::new(), draft);
            }
            None => {
                if let Some(newest) = self.list.with_untracked(|l| l.first().map(|s| s.id)) {
                    self.open_session(newest, None).await;
                }
            }
        }
    }

    fn find(&self, id: u64) -> Option<SessionMeta> {
        self.list.with_untracked(|l| l.iter().find(|s| s.id == id).cloned())
    }

    pub async fn reload_list(&self) {
        let Some(db) = self.storage.db() else { return };
        if let Some(mut sessions) = self.storage.report_read(load_sessions(&db).await) {
            let pending = self.undo.with_untracked(|u| u.as_ref().map(|s| s.id));
            sessions.retain(|s| Some(s.id) != pending && s.count > 0);
            newest_first(&mut sessions);
            self.index.update_value(|i| i.set_order(sessions.iter().map(|s| s.id).collect()));
            self.list.set(sessions);
        }
    }

    /// Shows a stored session, scrolled to `highlight` (a message id) if given.
    pub async fn open_session(&self, id: u64, highlight: Option<u64>) {
        let Some(meta) = self.find(id) else { return };
        let messages = match self.storage.db() {
            Some(db) => self.storage.report_read(load_messages(&db, id).await).unwrap_or_default(),
            None => Vec::new(),
        };
        let draft = match self.storage.db() {
            Some(db) => load_draft(&db, id).await,
            None => String::new(),
        };
        self.chat.show_session(meta, messages, draft);
        self.chat.highlight(highlight);
        web_storage::set(Scope::Tab, OPEN_SESSION_KEY, &id.to_string());
        self.open.set(false);
    }

    /// A new, empty session (stored with its first message; its draft is kept meanwhile).
    pub fn new_session(&self) {
        self.chat.new_session();
        web_storage::set(Scope::Tab, OPEN_SESSION_KEY, &self.chat.session.with_untracked(|s| s.id).to_string());
        self.open.set(false);
    }

    /// The open session changed in this tab (a message added or saved, a rename).
    fn session_changed_here(&self, meta: SessionMeta) {
        web_storage::set(Scope::Tab, OPEN_SESSION_KEY, &meta.id.to_string());
        self.stale.update_value(|s| {
            if !s.contains(&meta.id) {
                s.push(meta.id)
            }
        });
        if meta.count > 0 {
            self.list.update(|list| {
                list.retain(|s| s.id != meta.id);
                list.push(meta);
                newest_first(list);
            });
            self.index.update_value(|i| i.set_order(self.list.with_untracked(|l| l.iter().map(|s| s.id).collect())));
        }
    }

    /// Another tab changed a session: read it back; if it is open here and idle, show it anew.
    pub async fn changed_elsewhere(&self, id: u64) {
        self.reload_list().await;
        self.stale.update_value(|s| s.push(id));
        let open_here = self.chat.session.with_untracked(|s| s.id) == id;
        if open_here && !self.chat.is_busy_untracked() {
            if let (Some(meta), Some(db)) = (self.find(id), self.storage.db()) {
                if let Some(messages) = self.storage.report_read(load_messages(&db, id).await) {
                    self.chat.merge_stored(meta, messages);
                }
            }
        }
    }

    /// Another tab deleted sessions: if the one shown here is gone, start a new one.
    pub async fn deleted_elsewhere(&self) {
        self.reload_list().await;
        let open = self.chat.session.get_untracked();
        if open.count > 0 && self.find(open.id).is_none() && !self.chat.is_busy_untracked() {
            self.chat.new_session();
        }
        self.index.update_value(|i| *i = SearchIndex::default());
        self.build_index().await;
    }

    pub fn rename(&self, id: u64, title: &str) {
        if self.chat.session.with_untracked(|s| s.id) == id {
            return self.chat.rename_session(title);
        }
        let Some(mut meta) = self.find(id) else { return };
        meta.rename(title);
        self.list.update(|l| l.iter_mut().filter(|s| s.id == id).for_each(|s| *s = meta.clone()));
        let (Some(db), storage) = (self.storage.db(), self.storage) else { return };
        spawn_local(async move {
            let record = persist::session_record(&meta);
            if storage.report(db.write(Batch::default().put(db::SESSIONS, record)).await).is_some() {
                db::announce(&Change::Session(id).to_string());
            }
        });
    }

    /// Takes a session off the list at once; it is deleted for good after a few seconds
    /// unless [`SessionsStore::undo_delete`] brings it back.
    pub fn delete(&self, id: u64) {
        let Some(meta) = self.find(id) else { return };
        if let Some(earlier) = self.undo.get_untracked() {
            self.forget(earlier.id); // one undo at a time: the earlier delete is final now
        }
        self.list.update(|l| l.retain(|s| s.id != id));
        self.undo.set(Some(meta));
        if self.chat.session.with_untracked(|s| s.id) == id {
            self.new_session();
        }
        let store = *self;
        set_timeout(
            move || {
                if store.undo.with_untracked(|u| u.as_ref().map(|s| s.id)) == Some(id) {
                    store.undo.set(None);
                    store.forget(id);
                }
            },
            Duration::from_millis(UNDO_MS),
        );
    }

    pub fn undo_delete(&self) {
        let Some(meta) = self.undo.get_untracked() else { return };
        self.undo.set(None);
        self.list.update(|l| {
            l.push(meta);
            newest_first(l);
        });
    }

    /// Deletes a session's records for good.
    fn forget(&self, id: u64) {
        self.index.update_value(|i| i.remove_session(id));
        self.index_version.update(|v| *v += 1);
        let (Some(db), storage) = (self.storage.db(), self.storage) else { return };
        spawn_local(async move {
            let (lower, upper) = db::session_messages(id);
            let key = || wasm_bindgen::JsValue::from(id as f64);
            let batch = Batch::default().delete(db::SESSIONS, key()).delete(db::DRAFTS, key()).delete_range(
                db::MESSAGES,
                lower,
                upper,
            );
            if storage.report(db.write(batch).await).is_some() {
                db::announce(&Change::Deleted.to_string());
            }
        });
    }

    /// Deletes every session and starts a new one.
    pub fn delete_all(&self) {
        let ids: Vec<u64> = self.list.with_untracked(|l| l.iter().map(|s| s.id).collect());
        let pending = self.undo.get_untracked().map(|s| s.id);
        self.undo.set(None);
        self.list.set(Vec::new());
        self.new_session();
        for id in ids.into_iter().chain(pending) {
            self.forget(id);
        }
    }

    /// Indexes every stored session for search, a session at a time, giving the page a turn
    /// between sessions so typing never waits on it.
    pub async fn build_index(&self) {
        let Some(db) = self.storage.db() else { return };
        let ids: Vec<u64> = self.list.with_untracked(|l| l.iter().map(|s| s.id).collect());
        for id in ids {
            if let Ok(texts) = load_texts(&db, id).await {
                self.index.update_value(|i| i.set_session(id, texts));
            }
            sleep_ms(0).await;
        }
        self.stale.set_value(Vec::new());
        self.index_version.update(|v| *v += 1);
    }

    /// Messages of every session that contain `query` (the open session as it is on screen).
    pub fn search(&self, query: &str) -> Found {
        let open = self.chat.session.with_untracked(|s| s.id);
        let stale = self.stale.with_value(|s| s.contains(&open));
        if stale {
            let texts = self.chat.messages().into_iter().map(|m| (m.id, m.text));
            self.index.update_value(|i| i.set_session(open, texts));
            self.stale.update_value(|s| s.retain(|id| *id != open));
        }
        self.refresh_stale_elsewhere();
        self.index.try_update_value(|i| i.find(query, MAX_HITS)).unwrap_or_default()
    }

    /// Sessions other tabs changed are indexed again in the background.
    fn refresh_stale_elsewhere(&self) {
        let open = self.chat.session.with_untracked(|s| s.id);
        let stale: Vec<u64> = self.stale.with_value(|s| s.iter().copied().filter(|id| *id != open).collect());
        let (Some(db), store) = (self.storage.db(), *self) else { return };
        if stale.is_empty() {
            return;
        }
        self.stale.update_value(|s| s.retain(|id| *id == open));
        spawn_local(async move {
            for id in stale {
                if let Ok(texts) = load_texts(&db, id).await {
                    store.index.update_value(|i| i.set_session(id, texts));
                }
            }
            store.index_version.update(|v| *v += 1);
        });
    }
}

impl SessionsStore {
    /// A stored session and its messages (the open one as it is on screen).
    pub async fn session_file(&self, id: u64) -> Option<super::transfer::SessionFile> {
        if self.chat.session.with_untracked(|s| s.id) == id {
            return Some(super::transfer::SessionFile {
                session: self.chat.session.get_untracked(),
                messages: self.chat.messages(),
            });
        }
        let session = self.find(id)?;
        let db = self.storage.db()?;
        let messages = self.storage.report_read(load_messages(&db, id).await)?;
        Some(super::transfer::SessionFile { session, messages })
    }

    /// Every stored session with its messages ("export everything").
    pub async fn all_files(&self) -> Vec<super::transfer::SessionFile> {
        let ids: Vec<u64> = self.list.with_untracked(|l| l.iter().map(|s| s.id).collect());
        let mut files = Vec::new();
        for id in ids {
            files.extend(self.session_file(id).await);
        }
        files
    }

    /// Downloads every session as one JSON file.
    pub async fn download_all(&self) {
        let files = self.all_files().await;
        let name = format!("wellness0-all-sessions-{}.json", &super::transfer::utc_time(now_ms())[..10]);
        crate::web::download::download(&name, "application/json", &super::transfer::export_all_json(files));
    }

    /// Stores imported sessions (each under a new id, so nothing is overwritten) and opens the
    /// first. Returns how many were imported.
    pub async fn import(&self, files: Vec<super::transfer::SessionFile>) -> Result<usize, db::StorageError> {
        let db = self.storage.db().ok_or(db::StorageError::Unavailable)?;
        let mut first = None;
        let count = files.len();
        for mut file in files {
            file.session.id = crate::chat::state::fresh_id();
            file.session.count = file.messages.len() as u32;
            first.get_or_insert(file.session.id);
            let mut batch = Batch::default().put(db::SESSIONS, persist::session_record(&file.session));
            for message in &file.messages {
                batch = batch.put(db::MESSAGES, persist::message_record(file.session.id, message));
            }
            db.write(batch).await?;
        }
        db::announce(&Change::Deleted.to_string()); // other tabs re-read their lists
        self.reload_list().await;
        self.stale.update_value(|s| s.extend(first));
        self.build_index().await;
        if let Some(id) = first {
            self.open_session(id, None).await;
        }
        Ok(count)
    }
}
