//! A local, conservative matcher for crisis language in English: wanting to die, to end one's
//! life, to hurt oneself, having a plan or the means, saying goodbye for good, no reason to live.
//! It runs on the device and sends nothing anywhere; when it fires, the app shows help lines and
//! never blocks the chat. Recall matters more than precision here: a gentle card shown once too
//! often costs little, a missed one can cost much.
//!
//! How it works, in order:
//! 1. **Normalise** the message: lower case; apostrophes dropped (`don't` → `dont`); sentence
//!    punctuation (`. , ; : ! ?` and line breaks) becomes a `|` token that ends a clause; any
//!    other character that is not a letter or digit becomes a space; common spellings and
//!    shorthand are rewritten (`im` → `i am`, `wanna` → `want to`, `kms` → `kill myself`,
//!    `sucide` → `suicide`, `do not` → `dont`).
//! 2. **Blank out figurative uses** (`killing myself laughing`, `cut myself some slack`,
//!    `shoot myself in the foot`) so the words inside them cannot match.
//! 3. **Match phrases** (lists in `phrases`) on whole words. Phrases are written in the first
//!    person, or about someone close being suicidal, so "this traffic is killing me", "I'm dying
//!    to see it" or a film plot do not match in the first place.
//! 4. **Negation, conservatively**: a match is set aside only when a negator (`not`, `never`,
//!    `dont`, `wouldnt` …) stands in the three words before it in the same clause with no word
//!    like `think`, `sure` or `why` in between ("I would never hurt myself", "I'm not feeling
//!    suicidal") — and only when no contrast (`but`, `though`, `however` …) follows it ("I'd never
//!    kill myself, but lately…" still fires). Phrases that carry their own negation ("I don't
//!    want to live") are ordinary phrases and always count.

mod phrases;

use phrases::{
    CATEGORIES, CLAUSE_END, CONTRASTS, FIGURATIVE, NEGATION_BREAKERS, NEGATION_WINDOW, NEGATORS, PAIR_FIXES,
    TOKEN_FIXES,
};

/// What kind of crisis language a message holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CrisisSignal {
    /// A plan, the means, or looking up how.
    PlanOrMeans,
    /// Wanting to die or to end one's life, suicidal thoughts.
    Suicidal,
    /// Hurting oneself on purpose.
    SelfHarm,
    /// Saying goodbye for good.
    Goodbye,
    /// No reason to live, being a burden, not wanting to be here.
    Hopelessness,
}

/// Whether a message holds crisis language (see the module docs for what that means).
pub fn signals_crisis(message: &str) -> bool {
    crisis_signal(message).is_some()
}

/// The kind of crisis language in a message, the most urgent kind first when there are several.
pub fn crisis_signal(message: &str) -> Option<CrisisSignal> {
    let mut text = normalise(message);
    for figure in FIGURATIVE {
        text = text.replace(&format!(" {figure} "), " ~ ");
    }
    CATEGORIES.iter().find_map(|(signal, phrases)| {
        phrases
            .iter()
            .any(|phrase| word_matches(&text, phrase).any(|at| !is_negated(&text, at, phrase.len())))
            .then_some(*signal)
    })
}

/// The message as the matcher reads it: lower-case words separated by single spaces, clause ends
/// as `|`, spellings and shorthand rewritten, with a space at each end so whole words can be
/// found by searching for `" phrase "`.
pub fn normalise(message: &str) -> String {
    let mut spaced = String::with_capacity(message.len() + 2);
    for c in message.chars().flat_map(char::to_lowercase) {
        match c {
            '\'' | '\u{2019}' | '\u{2018}' | '\u{02bc}' | '`' | '\u{b4}' => {}
            c if c.is_alphanumeric() => spaced.push(c),
            '.' | ',' | ';' | ':' | '!' | '?' | '\n' => spaced.push_str(" | "),
            _ => spaced.push(' '),
        }
    }
    let mut words: Vec<&str> = Vec::new();
    for word in spaced.split_whitespace() {
        match TOKEN_FIXES.iter().find(|(from, _)| *from == word) {
            Some((_, to)) => words.extend(to.split(' ')),
            None => words.push(word),
        }
    }
    let mut text = String::from(" ");
    let mut i = 0;
    while i < words.len() {
        let pair = words.get(i + 1).and_then(|next| PAIR_FIXES.iter().find(|(a, b, _)| *a == words[i] && b == next));
        match pair {
            Some((_, _, joined)) => {
                text.push_str(joined);
                i += 2;
            }
            None => {
                text.push_str(words[i]);
                i += 1;
            }
        }
        text.push(' ');
    }
    text
}

/// Byte offsets where `phrase` occurs as whole words in normalised `text`.
fn word_matches<'a>(text: &'a str, phrase: &'a str) -> impl Iterator<Item = usize> + 'a {
    let bytes = text.as_bytes();
    text.match_indices(phrase)
        .map(|(at, _)| at)
        .filter(move |&at| at > 0 && bytes[at - 1] == b' ' && bytes.get(at + phrase.len()) == Some(&b' '))
}

/// Whether the match at `at` is negated by the words just before it (see the module docs).
fn is_negated(text: &str, at: usize, len: usize) -> bool {
    for word in text[..at].split_whitespace().rev().take(NEGATION_WINDOW) {
        if word == CLAUSE_END || NEGATION_BREAKERS.contains(&word) {
            return false;
        }
        if NEGATORS.contains(&word) {
            return !text[at + len..].split_whitespace().any(|w| CONTRASTS.contains(&w));
        }
    }
    false
}

#[cfg(test)]
mod tests;
