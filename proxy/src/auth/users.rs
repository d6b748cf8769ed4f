//! The users file (shared mode): who may sign in, their password hashes (Argon2id), pending
//! invites, and the secret session cookies are encrypted with. JSON, written atomically with
//! mode 0600; managed by `wellness0-proxy users …` and read by the running proxy, which
//! notices changes (a removed person is signed out at their next request).
//!
//! ```json
//! {"version": 1, "session_secret": "<64 random bytes, base64url>",
//!  "users": [{"name": "alice", "user_id": "w0-…", "password": "$argon2id$v=19$…",
//!             "created_at": 1764100000, "sessions_valid_after": 1764100000,
//!             "invite": {"token_sha256": "<hex>", "expires_at": 1764700000}}]}
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Longest name.
const MAX_NAME: usize = 64;
/// Longest mem0 user id.
const MAX_USER_ID: usize = 128;

/// The whole file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct UsersFile {
    /// Format version (1).
    pub version: u32,
    /// Secret the session cookies are encrypted with (base64url of 64 random bytes).
    pub session_secret: String,
    /// Everyone who may sign in.
    pub users: Vec<User>,
}

/// One person.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct User {
    /// What they sign in with (unique, compared without case).
    pub name: String,
    /// The mem0 user id their memories are stored under.
    pub user_id: String,
    /// PHC string of their password's Argon2id hash; `None` until an invite is used.
    pub password: Option<String>,
    /// When they were added (Unix seconds).
    pub created_at: u64,
    /// Sessions issued before this (Unix seconds) are no longer accepted.
    pub sessions_valid_after: u64,
    /// A pending invite.
    pub invite: Option<Invite>,
}

/// A one-time link that lets a person set their password.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Invite {
    /// SHA-256 (hex) of the token in the link; the token itself is never stored.
    pub token_sha256: String,
    /// Unix seconds after which the link no longer works.
    pub expires_at: u64,
}

/// What can go wrong with the users file or a change to it.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid users file.
    #[error("{path} is not a valid users file: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong (never the file's content).
        reason: String,
    },
    /// A bad name.
    #[error("names are 1 to {MAX_NAME} letters, digits, `.`, `_`, `-` or `@`")]
    BadName,
    /// A bad mem0 user id.
    #[error("user ids are 1 to {MAX_USER_ID} letters, digits, `.`, `_`, `-`, `@` or `:` (never `*`)")]
    BadUserId,
    /// The name is taken.
    #[error("there is already someone called {0:?}")]
    NameTaken(String),
    /// The user id is taken.
    #[error("the user id {0:?} already belongs to someone else")]
    UserIdTaken(String),
    /// Nobody has that name.
    #[error("nobody is called {0:?}")]
    NoSuchUser(String),
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// `n` random bytes from the operating system.
pub fn random_bytes(n: usize) -> Vec<u8> {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut out = vec![0; n];
    OsRng.fill_bytes(&mut out);
    out
}

/// A random URL-safe token (32 bytes of randomness).
pub fn random_token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes(32))
}

/// SHA-256 of an invite token, as stored.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `name` is an acceptable name.
pub fn valid_name(name: &str) -> bool {
    (1..=MAX_NAME).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

/// Whether `id` is an acceptable mem0 user id (never empty, never `*`).
pub fn valid_user_id(id: &str) -> bool {
    (1..=MAX_USER_ID).contains(&id.len())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | ':'))
}

impl UsersFile {
    /// A new, empty file with a fresh session secret.
    pub fn new() -> Self {
        Self {
            version: 1,
            session_secret: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes(64)),
            users: Vec::new(),
        }
    }

    /// Reads and validates `path`.
    pub fn load(path: &Path) -> Result<Self, UsersError> {
        let bytes = std::fs::read(path).map_err(|source| UsersError::Io { path: path.into(), source })?;
        let invalid = |reason: String| UsersError::Invalid { path: path.into(), reason };
        // serde's messages name the position, not the content.
        let file: UsersFile = serde_json::from_slice(&bytes).map_err(|e| invalid(format!("line {}", e.line())))?;
        if file.version != 1 {
            return Err(invalid(format!("unknown version {}", file.version)));
        }
        if file.secret().is_none() {
            return Err(invalid("session_secret must be at least 32 bytes of base64url".into()));
        }
        for (i, u) in file.users.iter().enumerate() {
            if !valid_name(&u.name) || !valid_user_id(&u.user_id) {
                return Err(invalid(format!("entry {} has a bad name or user id", i + 1)));
            }
            let dup = file.users[..i].iter().any(|o| o.name.eq_ignore_ascii_case(&u.name) || o.user_id == u.user_id);
            if dup {
                return Err(invalid(format!("entry {} repeats a name or user id", i + 1)));
            }
        }
        Ok(file)
    }

    /// Reads `path`, or starts a new file when it does not exist.
    pub fn load_or_new(path: &Path) -> Result<Self, UsersError> {
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::new()),
            _ => Self::load(path),
        }
    }

    /// Writes the file atomically (a temporary file in the same directory, then a rename),
    /// readable only by its owner.
    pub fn save(&self, path: &Path) -> Result<(), UsersError> {
        let io = |source| UsersError::Io { path: path.into(), source };
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let tmp =
            dir.join(format!(".{}.{}.tmp", path.file_name().unwrap_or_default().to_string_lossy(), std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(&tmp).map_err(io)?;
        let text = serde_json::to_string_pretty(self).expect("the users file serialises");
        f.write_all(text.as_bytes()).and_then(|()| f.write_all(b"\n")).and_then(|()| f.sync_all()).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// The session secret's bytes, when it is long enough.
    pub fn secret(&self) -> Option<Vec<u8>> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(self.session_secret.trim()).ok()?;
        (bytes.len() >= 32).then_some(bytes)
    }

    /// The person called `name` (without case).
    pub fn find(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name.eq_ignore_ascii_case(name))
    }

    fn find_mut(&mut self, name: &str) -> Result<&mut User, UsersError> {
        self.users
            .iter_mut()
            .find(|u| u.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| UsersError::NoSuchUser(name.into()))
    }

    /// Adds a person (no password yet); `user_id` defaults to a new random id.
    pub fn add(&mut self, name: &str, user_id: Option<&str>) -> Result<&User, UsersError> {
        if !valid_name(name) {
            return Err(UsersError::BadName);
        }
        if self.find(name).is_some() {
            return Err(UsersError::NameTaken(name.into()));
        }
        let user_id = match user_id {
            Some(id) if !valid_user_id(id) => return Err(UsersError::BadUserId),
            Some(id) => id.to_owned(),
            None => format!("w0-{}", &random_token()[..22]),
        };
        if self.users.iter().any(|u| u.user_id == user_id) {
            return Err(UsersError::UserIdTaken(user_id));
        }
        let now = now_secs();
        self.users.push(User {
            name: name.into(),
            user_id,
            password: None,
            created_at: now,
            sessions_valid_after: now,
            invite: None,
        });
        Ok(self.users.last().expect("just pushed"))
    }

    /// Removes a person.
    pub fn remove(&mut self, name: &str) -> Result<User, UsersError> {
        let i = self.users.iter().position(|u| u.name.eq_ignore_ascii_case(name));
        Ok(self.users.remove(i.ok_or_else(|| UsersError::NoSuchUser(name.into()))?))
    }

    /// Sets a password hash and signs the person out everywhere else.
    pub fn set_password(&mut self, name: &str, hash: String) -> Result<(), UsersError> {
        let u = self.find_mut(name)?;
        u.password = Some(hash);
        u.invite = None;
        u.sessions_valid_after = now_secs();
        Ok(())
    }

    /// Creates a new invite for `name` (replacing any earlier one); returns its token.
    pub fn invite(&mut self, name: &str, valid_secs: u64) -> Result<String, UsersError> {
        let token = random_token();
        self.find_mut(name)?.invite =
            Some(Invite { token_sha256: token_hash(&token), expires_at: now_secs() + valid_secs });
        Ok(token)
    }

    /// The person a still-valid invite token belongs to.
    pub fn invited(&self, token: &str, now: u64) -> Option<&User> {
        let hash = token_hash(token);
        self.users.iter().find(|u| u.invite.as_ref().is_some_and(|i| i.token_sha256 == hash && now < i.expires_at))
    }
}

impl Default for UsersFile {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_remove_invite_and_round_trip() {
        let dir = std::env::temp_dir().join(format!("w0-users-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("users.json");
        let mut f = UsersFile::new();
        assert!(f.secret().unwrap().len() == 64);
        let id = f.add("Alice", None).unwrap().user_id.clone();
        assert!(id.starts_with("w0-") && valid_user_id(&id));
        f.add("bob", Some("bob-memories")).unwrap();
        assert!(matches!(f.add("alice", None), Err(UsersError::NameTaken(_))));
        assert!(matches!(f.add("carol", Some("bob-memories")), Err(UsersError::UserIdTaken(_))));
        assert!(matches!(f.add("carol", Some("*")), Err(UsersError::BadUserId)));
        assert!(matches!(f.add("carol", Some("")), Err(UsersError::BadUserId)));
        assert!(matches!(f.add("car ol", None), Err(UsersError::BadName)));
        let token = f.invite("alice", 60).unwrap();
        assert_eq!(f.invited(&token, now_secs()).unwrap().name, "Alice");
        assert!(f.invited(&token, now_secs() + 61).is_none(), "expired");
        assert!(f.invited("not-the-token", now_secs()).is_none());
        f.save(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(&token), "the token itself is never stored");
        let back = UsersFile::load(&path).unwrap();
        assert_eq!(back, f);
        f.set_password("ALICE", "$argon2id$x".into()).unwrap();
        assert!(f.find("alice").unwrap().invite.is_none(), "setting a password uses up the invite");
        assert_eq!(f.remove("bob").unwrap().user_id, "bob-memories");
        assert!(matches!(f.remove("bob"), Err(UsersError::NoSuchUser(_))));
        std::fs::write(&path, "{\"version\": 1, \"session_secret\": \"short\", \"users\": []}").unwrap();
        assert!(matches!(UsersFile::load(&path), Err(UsersError::Invalid { .. })));
        std::fs::write(&path, "not json").unwrap();
        let err = UsersFile::load(&path).unwrap_err().to_string();
        assert!(err.contains("line 1") && !err.contains("not json"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
