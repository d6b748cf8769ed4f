//! Password hashing with Argon2id (the `argon2` crate, OWASP's parameters: 19 MiB, 2 passes,
//! one lane), run off the async threads and at most two at a time, so a burst of sign-in
//! attempts can neither stall the proxy nor eat its memory. Unknown names are checked against
//! a dummy hash, so the time taken does not tell which names exist.

use std::sync::{Arc, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use tokio::sync::Semaphore;

use crate::kdf::{derive, Kdf, Verifier};

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted (bytes), so hashing time stays bounded.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Why a new password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Too short.
    #[error("use at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    /// Too long.
    #[error("use at most {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
    /// Hashing failed (should not happen).
    #[error("the password could not be hashed")]
    Hash,
}

/// Checks a new password against the rules.
pub fn check_new(password: &str) -> Result<(), PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        Err(PasswordError::TooShort)
    } else if password.len() > MAX_PASSWORD_BYTES {
        Err(PasswordError::TooLong)
    } else {
        Ok(())
    }
}

/// The PHC string of `password`'s Argon2id hash with a fresh salt (blocking; see [`Hasher`]).
pub fn hash(password: &str) -> Result<String, PasswordError> {
    check_new(password)?;
    hash_secret(password)
}

/// The PHC string of an authentication secret's Argon2id hash (blocking): what is stored since
/// the password stays on the device ([`crate::kdf`]). The rules for passwords are the device's
/// to check then; the secret is always 43 characters.
pub fn hash_secret(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|_| PasswordError::Hash)
}

/// Whether `password` matches `phc` (blocking). `None` checks against a dummy hash and fails.
pub fn verify(phc: Option<&str>, password: &str) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("a dummy password nobody has").unwrap_or_default());
    let real = phc.is_some();
    let Ok(parsed) = PasswordHash::new(phc.unwrap_or(dummy)) else {
        return false;
    };
    let ok =
        password.len() <= MAX_PASSWORD_BYTES && Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
    real && ok
}

/// Runs hashing and verification on the blocking pool, at most two at a time.
/// The verifier for a new `password` under `kdf` (blocking: the derivation and Argon2id), after
/// the password rules — for the operator's `users` command, which is given the password.
pub fn verifier(password: &str, kdf: Kdf) -> Result<Verifier, PasswordError> {
    check_new(password)?;
    let derived = derive(password, &kdf).ok_or(PasswordError::Hash)?;
    Ok(Verifier { hash: hash_secret(&derived.auth_secret)?, kdf })
}

#[derive(Debug, Clone)]
pub struct Hasher {
    slots: Arc<Semaphore>,
}

impl Default for Hasher {
    fn default() -> Self {
        Self { slots: Arc::new(Semaphore::new(2)) }
    }
}

impl Hasher {
    /// [`verify`] off the async threads.
    pub async fn verify(&self, phc: Option<String>, password: String) -> bool {
        let Ok(_slot) = self.slots.acquire().await else {
            return false;
        };
        tokio::task::spawn_blocking(move || verify(phc.as_deref(), &password)).await.unwrap_or(false)
    }

    /// [`hash_secret`] off the async threads.
    pub async fn hash_secret(&self, secret: String) -> Result<String, PasswordError> {
        let Ok(_slot) = self.slots.acquire().await else {
            return Err(PasswordError::Hash);
        };
        tokio::task::spawn_blocking(move || hash_secret(&secret)).await.unwrap_or(Err(PasswordError::Hash))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_hashes_verify_and_differ_per_salt() {
        let a = hash("correct horse battery").unwrap();
        let b = hash("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "a fresh salt each time");
        assert!(verify(Some(&a), "correct horse battery"));
        assert!(!verify(Some(&a), "correct horse batterY"));
        assert!(!verify(None, "a dummy password nobody has"), "the dummy never signs anyone in");
        assert!(!verify(Some("not a phc string"), "x"));
        assert_eq!(hash("short"), Err(PasswordError::TooShort));
        assert_eq!(check_new(&"x".repeat(MAX_PASSWORD_BYTES + 1)), Err(PasswordError::TooLong));
    }
}
