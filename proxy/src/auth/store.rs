//! The running proxy's view of the users file: loaded at start, looked at again at most once
//! a second and reloaded when it changed (so `wellness0-proxy users remove …` signs a person
//! out without a restart), and updated in place when an invite is used.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use super::users::{UsersError, UsersFile};

/// How often the file's modification time is looked at.
const RECHECK: Duration = Duration::from_secs(1);

type Stamp = Option<(SystemTime, u64)>;

#[derive(Debug)]
struct Loaded {
    file: Arc<UsersFile>,
    stamp: Stamp,
    checked: Instant,
}

/// The users file, kept current.
#[derive(Debug)]
pub struct UsersStore {
    path: PathBuf,
    loaded: RwLock<Loaded>,
    /// Serialises this process's writes.
    writing: tokio::sync::Mutex<()>,
}

fn stamp_of(path: &std::path::Path) -> Stamp {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()))
}

impl UsersStore {
    /// Loads `path` (it must exist and be valid).
    pub fn open(path: PathBuf) -> Result<Self, UsersError> {
        let stamp = stamp_of(&path);
        let file = UsersFile::load(&path)?;
        Ok(Self {
            path,
            loaded: RwLock::new(Loaded { file: Arc::new(file), stamp, checked: Instant::now() }),
            writing: tokio::sync::Mutex::new(()),
        })
    }

    /// The file as loaded (reloaded first if it changed on disk; a file that became invalid is
    /// logged and the last good version kept).
    pub async fn current(&self) -> Arc<UsersFile> {
        let (file, due) = {
            let l = self.loaded.read().unwrap_or_else(|e| e.into_inner());
            (l.file.clone(), l.checked.elapsed() >= RECHECK)
        };
        if !due {
            return file;
        }
        let path = self.path.clone();
        let previous = self.loaded.read().unwrap_or_else(|e| e.into_inner()).stamp;
        let reloaded = tokio::task::spawn_blocking(move || {
            let stamp = stamp_of(&path);
            (stamp != previous).then(|| (stamp, UsersFile::load(&path)))
        })
        .await
        .ok()
        .flatten();
        let mut l = self.loaded.write().unwrap_or_else(|e| e.into_inner());
        l.checked = Instant::now();
        match reloaded {
            Some((stamp, Ok(file))) => {
                tracing::info!(people = file.users.len(), "reloaded the users file");
                l.file = Arc::new(file);
                l.stamp = stamp;
            }
            Some((stamp, Err(e))) => {
                tracing::error!(error = %e, "the users file changed but cannot be read; keeping the last good one");
                l.stamp = stamp;
            }
            None => {}
        }
        l.file.clone()
    }

    /// Applies `change` to the file as it is on disk now, saves it, and makes it current.
    pub async fn update<T: Send + 'static>(
        &self,
        change: impl FnOnce(&mut UsersFile) -> Result<T, UsersError> + Send + 'static,
    ) -> Result<T, UsersError> {
        let _guard = self.writing.lock().await;
        let path = self.path.clone();
        let (out, file, stamp) = tokio::task::spawn_blocking(move || {
            let mut file = UsersFile::load(&path)?;
            let out = change(&mut file)?;
            file.save(&path)?;
            Ok::<_, UsersError>((out, file, stamp_of(&path)))
        })
        .await
        .map_err(|e| UsersError::Io { path: self.path.clone(), source: std::io::Error::other(e.to_string()) })??;
        let mut l = self.loaded.write().unwrap_or_else(|e| e.into_inner());
        *l = Loaded { file: Arc::new(file), stamp, checked: Instant::now() };
        Ok(out)
    }
}
