//! The key derivation that keeps the password on the device (shared mode): the sign-in page
//! (`signin.js`, WebCrypto) derives a master key from the password with PBKDF2-SHA256, and from it
//! by HKDF-SHA256 the authentication secret it sends instead of the password and the wrapping key
//! it keeps for the app (which never leaves the device). The server stores only the Argon2id hash
//! of the secret, so neither a request nor a copy of the database yields the password or the
//! wrapping key. `docs/sync.md` has the whole hierarchy.
//!
//! This native twin of the page's derivation is for the operator's `users` command (which is
//! given a password to set) and for the proxy's own test and load clients; [`tests`] pins both to
//! the same vectors.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// PBKDF2 iterations for new passwords (OWASP's figure for PBKDF2-HMAC-SHA256).
pub const ITERATIONS: u32 = 600_000;
/// The fewest iterations a device accepts from the server (a tampered database must not talk a
/// device into a cheap derivation); the page holds the same number.
pub const MIN_ITERATIONS: u32 = 600_000;
/// Bytes of a salt.
pub const SALT_BYTES: usize = 16;
/// HKDF `info` of the authentication secret.
pub const AUTH_INFO: &[u8] = b"wellness0 auth v1";
/// HKDF `info` of the wrapping key.
pub const WRAP_INFO: &[u8] = b"wellness0 wrap v1";
/// Characters of an authentication secret as sent: 32 bytes, base64url without padding.
pub const SECRET_CHARS: usize = 43;

/// How an account's device derives its keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Kdf {
    /// The salt, base64url.
    pub salt: String,
    /// PBKDF2 iterations.
    pub iterations: u32,
}

impl Kdf {
    /// A fresh random salt at today's iteration count.
    pub fn fresh() -> Self {
        Self {
            salt: {
                use argon2::password_hash::rand_core::{OsRng, RngCore};
                let mut salt = [0u8; SALT_BYTES];
                OsRng.fill_bytes(&mut salt);
                URL_SAFE_NO_PAD.encode(salt)
            },
            iterations: ITERATIONS,
        }
    }

    /// The salt the server answers for a name that has none stored (no such person, an invite
    /// not yet used, an account from before): derived from the name and a secret of the server's,
    /// so it is the same on every ask and instance and asking does not tell which names exist.
    pub fn for_name(server_secret: &[u8], name_key: &str) -> Self {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(server_secret).expect("HMAC takes any key length");
        mac.update(b"wellness0 salt v1|");
        mac.update(name_key.as_bytes());
        let salt = &mac.finalize().into_bytes()[..SALT_BYTES];
        Self { salt: URL_SAFE_NO_PAD.encode(salt), iterations: ITERATIONS }
    }
}

/// What the server keeps to check a sign-in: the Argon2id hash of the authentication secret, and
/// how the device derives that secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    /// PHC string of the secret's Argon2id hash.
    pub hash: String,
    /// The derivation's salt and iterations.
    pub kdf: Kdf,
}

/// The two keys a password gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived {
    /// What the device signs in with (base64url), never stored as is.
    pub auth_secret: String,
    /// The key that wraps the data key; stays on the device.
    pub wrapping_key: [u8; 32],
}

/// Derives a password's keys (blocking: PBKDF2 at `kdf.iterations`). The password is taken in
/// Unicode's composed form (NFC), as the page does, so an accented letter typed on one keyboard
/// as one character and on another as two gives the same keys. `None` for a salt that is not
/// base64url.
pub fn derive(password: &str, kdf: &Kdf) -> Option<Derived> {
    use unicode_normalization::UnicodeNormalization;
    let salt = URL_SAFE_NO_PAD.decode(&kdf.salt).ok()?;
    let password: String = password.nfc().collect();
    let master: [u8; 32] = pbkdf2::pbkdf2_hmac_array::<Sha256, 32>(password.as_bytes(), &salt, kdf.iterations);
    let hk = hkdf::Hkdf::<Sha256>::new(None, &master);
    let (mut auth, mut wrap) = ([0u8; 32], [0u8; 32]);
    hk.expand(AUTH_INFO, &mut auth).expect("32 bytes is a valid HKDF length");
    hk.expand(WRAP_INFO, &mut wrap).expect("32 bytes is a valid HKDF length");
    Some(Derived { auth_secret: URL_SAFE_NO_PAD.encode(auth), wrapping_key: wrap })
}

/// Whether `secret` looks like an authentication secret (so junk is refused before hashing).
pub fn well_formed_secret(secret: &str) -> bool {
    secret.len() == SECRET_CHARS && URL_SAFE_NO_PAD.decode(secret).is_ok_and(|b| b.len() == 32)
}

/// Whether `salt` is a salt as the server hands them out (16 bytes, base64url).
pub fn well_formed_salt(salt: &str) -> bool {
    URL_SAFE_NO_PAD.decode(salt).is_ok_and(|b| b.len() == SALT_BYTES)
}

/// How the proxy at `base` says `name`'s device derives its keys, and whether the account is
/// from before (`upgrade`), as the sign-in page asks it. For the proxy's test and load clients.
pub async fn ask_params(client: &reqwest::Client, base: &str, name: &str) -> Result<(Kdf, bool), String> {
    let failed = |e: &dyn std::fmt::Display| format!("asking for the sign-in parameters: {e}");
    let resp = client
        .post(format!("{base}/auth/params"))
        .header("origin", base)
        .form(&[("name", name)])
        .send()
        .await
        .map_err(|e| failed(&e))?;
    if !resp.status().is_success() {
        return Err(failed(&resp.status()));
    }
    let body = resp.bytes().await.map_err(|e| failed(&e))?;
    let params: serde_json::Value = serde_json::from_slice(&body).map_err(|e| failed(&e))?;
    let salt = params["salt"].as_str().ok_or_else(|| failed(&"no salt"))?.to_owned();
    let iterations = params["iterations"].as_u64().and_then(|n| u32::try_from(n).ok());
    let iterations = iterations.filter(|n| *n >= MIN_ITERATIONS).ok_or_else(|| failed(&"too few iterations"))?;
    Ok((Kdf { salt, iterations }, params["upgrade"].as_bool() == Some(true)))
}

/// The sign-in form's fields, as the page sends them: the password itself only to move an
/// account from before over (`upgrade`), once.
pub fn sign_in_form(name: &str, password: &str, derived: &Derived, upgrade: bool) -> Vec<(&'static str, String)> {
    let mut fields = vec![("name", name.to_owned()), ("secret", derived.auth_secret.clone())];
    if upgrade {
        fields.push(("password", password.to_owned()));
    }
    fields
}

/// [`ask_params`], [`derive`] and [`sign_in_form`] in one. Derivations are remembered for the
/// process: a test or load client signs the same people in many times, and each is 600,000
/// rounds of PBKDF2 (the server never derives, so nothing secret is kept in a server).
pub async fn sign_in_fields(
    client: &reqwest::Client,
    base: &str,
    name: &str,
    password: &str,
) -> Result<Vec<(&'static str, String)>, String> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    type Seen = Mutex<HashMap<(String, Kdf), Derived>>;
    static SEEN: OnceLock<Seen> = OnceLock::new();
    let (kdf, upgrade) = ask_params(client, base, name).await?;
    let key = (password.to_owned(), kdf.clone());
    let known = SEEN.get_or_init(Default::default).lock().map_err(|e| e.to_string())?.get(&key).cloned();
    let derived = match known {
        Some(d) => d,
        None => {
            let pw = password.to_owned();
            let d = tokio::task::spawn_blocking(move || derive(&pw, &kdf))
                .await
                .map_err(|e| e.to_string())?
                .ok_or("the salt is not base64url")?;
            SEEN.get_or_init(Default::default).lock().map_err(|e| e.to_string())?.insert(key, d.clone());
            d
        }
    };
    Ok(sign_in_form(name, password, &derived, upgrade))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Password, salt, secret and wrapping key, computed apart with Python's hashlib (PBKDF2) and
    /// hmac (HKDF by RFC 5869); the browser tests check `signin.js` against the same vector.
    const VECTOR: (&str, &str, &str, &str) = (
        "correct horse battery staple",
        "AAECAwQFBgcICQoLDA0ODw",
        "D7OuVyxd-R5R6zhLXnQP3BZkJdGeUdHmGzaPGjU5yjE",
        "oTCsb5UCpArKPXros4XEXkmw7monBhB8vTvzUzxF6uQ",
    );

    #[test]
    fn the_derivation_is_pinned() {
        let kdf = Kdf { salt: VECTOR.1.into(), iterations: ITERATIONS };
        let d = derive(VECTOR.0, &kdf).unwrap();
        assert_eq!(d.auth_secret.len(), SECRET_CHARS);
        assert!(well_formed_secret(&d.auth_secret));
        assert_eq!(d.auth_secret, VECTOR.2);
        assert_eq!(URL_SAFE_NO_PAD.encode(d.wrapping_key), VECTOR.3);
        let other = derive("correct horse battery staplf", &kdf).unwrap();
        assert_ne!(other.auth_secret, d.auth_secret);
        assert_ne!(d.auth_secret, URL_SAFE_NO_PAD.encode(d.wrapping_key), "the two keys differ");
        assert!(derive("x", &Kdf { salt: "not base64!".into(), iterations: 1 }).is_none());
        let quick = Kdf { salt: VECTOR.1.into(), iterations: 1 };
        assert_eq!(derive("caf\u{e9}", &quick), derive("cafe\u{301}", &quick), "composed or not, one password");
    }

    #[test]
    fn salts_for_names_are_stable_per_server_and_name() {
        let a = Kdf::for_name(b"server one", "alice");
        assert_eq!(a, Kdf::for_name(b"server one", "alice"));
        assert_ne!(a, Kdf::for_name(b"server one", "bob"));
        assert_ne!(a, Kdf::for_name(b"server two", "alice"));
        assert_eq!(URL_SAFE_NO_PAD.decode(&a.salt).unwrap().len(), SALT_BYTES);
        assert_ne!(Kdf::fresh(), Kdf::fresh());
    }

    #[test]
    fn secrets_are_checked_for_shape() {
        assert!(!well_formed_secret(""));
        assert!(!well_formed_secret(&"a".repeat(44)));
        assert!(!well_formed_secret(&"!".repeat(43)));
    }
}
