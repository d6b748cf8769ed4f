//! What makes a passcode acceptable (pure).

/// The shortest passcode taken. It is a floor, not a promise: whoever copies the data can guess
/// offline, and graphics cards run many 600,000-iteration derivations a second, so six digits
/// (a million guesses) fall in hours at most. The Settings text asks for something longer.
pub const MIN_PASSCODE_CHARS: usize = 6;

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasscodeProblem {
    #[error("Type a passcode of at least 6 characters.")]
    TooShort,
    #[error("The two passcodes differ: type the same one twice.")]
    Differ,
    #[error("A passcode cannot start or end with a space (it is easy to mistype).")]
    Spaces,
}

/// Checks a new passcode typed twice.
pub fn check_new(first: &str, again: &str) -> Result<(), PasscodeProblem> {
    if first.chars().count() < MIN_PASSCODE_CHARS {
        return Err(PasscodeProblem::TooShort);
    }
    if first.trim() != first {
        return Err(PasscodeProblem::Spaces);
    }
    if first != again {
        return Err(PasscodeProblem::Differ);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_passcode_is_long_enough_typed_twice_alike() {
        assert_eq!(check_new("", ""), Err(PasscodeProblem::TooShort));
        assert_eq!(check_new("12345", "12345"), Err(PasscodeProblem::TooShort));
        assert_eq!(check_new("élan12", "élan12"), Ok(()), "characters, not bytes");
        assert_eq!(check_new("123456", "123457"), Err(PasscodeProblem::Differ));
        assert_eq!(check_new(" 123456", " 123456"), Err(PasscodeProblem::Spaces));
        assert_eq!(check_new("correct horse", "correct horse"), Ok(()));
    }
}
