//! A user id that is safe to send to mem0. mem0 treats `user_id=*` as "every user" (a delete-all
//! with it erases every user's memories in the project) and an empty id as no filter at all, so
//! every request builder takes a [`UserId`], which can only be made by [`UserId::parse`].

use super::error::Mem0Error;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UserId(String);

/// Longest user id accepted.
pub const MAX_USER_ID_LEN: usize = 64;

impl UserId {
    /// Trims `id` and accepts it if it is 1 to 64 letters, digits, `.`, `_`, `-` or `@`.
    pub fn parse(id: &str) -> Result<Self, Mem0Error> {
        let id = id.trim();
        let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@');
        if id.is_empty() || id.len() > MAX_USER_ID_LEN || !id.chars().all(plain) {
            return Err(Mem0Error::BadUserId);
        }
        Ok(Self(id.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_and_empty_ids_never_parse() {
        for bad in ["", "   ", "*", "ann*", "a b", "a/b", "a%2A", "a?user_id=*", &"x".repeat(65)] {
            assert_eq!(UserId::parse(bad), Err(Mem0Error::BadUserId), "{bad:?}");
        }
        assert_eq!(UserId::parse(" ann.lee@home ").unwrap().as_str(), "ann.lee@home");
    }
}
