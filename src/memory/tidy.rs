//! Finding near-duplicate memories (pure). mem0's v3 extraction only adds, so the same fact
//! piles up in slightly different words ("Was deployed in Afghanistan", "Deployed to
//! Afghanistan"); tidy-up offers to keep one of each group.
//!
//! The method, tuned on the labelled pairs in `tidy_pairs.txt` (see docs/memory-steering.md):
//! each memory becomes its set of content words (case and accents folded, small words and
//! "user" dropped, a light stemmer, a few synonyms), and two memories are the same when
//! - at least three quarters of the smaller set is in the other (so a memory that only adds a
//!   detail to another counts: keeping the longer one loses nothing),
//! - they do not disagree on negation ("likes tea" / "does not like tea"), and
//! - the words they do not share name no person ("works as a nurse" / "wife works as a nurse").
//!
//! Groups are the connected pairs. Comparing every pair is quadratic; [`Finder`] does it a
//! slice at a time so the page stays responsive (1,000 memories: ~500,000 comparisons).

use crate::text::fold;

/// Words that carry no fact of their own.
const SMALL: &[&str] = &[
    "a", "an", "the", "is", "was", "were", "are", "be", "been", "being", "has", "have", "had", "in", "on", "at", "to",
    "of", "for", "with", "from", "by", "and", "or", "their", "his", "her", "its", "it", "that", "this", "as", "who",
    "user", "users", "very", "named", "called", "every", "does", "do", "did", "s", "some", "really", "also",
];
/// Words that turn a fact around.
const NEGATIONS: &[&str] =
    &["not", "no", "never", "dont", "doesnt", "didnt", "isnt", "wasnt", "cant", "cannot", "without"];
/// Words that say a fact changed or ended ("used to work as a nurse", "wants to stop …"): a pair
/// where only one side has one says different things.
const CHANGES: &[&str] = &["used", "former", "formerly", "ex", "stop", "stopped", "quit", "anymore", "longer", "until"];
/// Words that say whose fact it is: a pair that differs in one is about different people.
const PEOPLE: &[&str] = &[
    "wife",
    "husband",
    "partner",
    "son",
    "daughter",
    "child",
    "children",
    "kid",
    "mother",
    "mom",
    "mum",
    "father",
    "dad",
    "brother",
    "sister",
    "friend",
    "boss",
    "colleague",
    "grandmother",
    "grandfather",
    "aunt",
    "uncle",
    "cousin",
];
/// Different words for the same thing: (word, what it counts as).
const SYNONYMS: &[(&str, &str)] = &[
    ("answer", "repl"),
    ("respons", "repl"),
    ("brief", "short"),
    ("concis", "short"),
    ("kid", "child"),
    ("children", "child"),
    ("mom", "mother"),
    ("mum", "mother"),
    ("dad", "father"),
    ("died", "pass"),
    ("pass", "pass"),
    ("relocat", "mov"),
    ("afraid", "fear"),
    ("allergy", "allergic"),
    ("daily", "day"),
    ("colour", "color"),
    ("favourit", "favorit"),
    ("behavioural", "behavioral"),
    ("centr", "center"),
    ("enjoy", "like"),
    ("one", "1"),
    ("two", "2"),
    ("three", "3"),
    ("four", "4"),
    ("five", "5"),
    ("six", "6"),
    ("ten", "10"),
    ("twelve", "12"),
    ("eighteen", "18"),
    ("twenty", "20"),
];

/// A memory's content words, sorted, and whether it is negated.
#[derive(Clone, Debug, PartialEq)]
pub struct Fingerprint {
    words: Vec<String>,
    negated: bool,
    changed: bool,
}

fn stem(word: &str) -> String {
    let mut w = word;
    for suffix in ["ing", "ies", "ed", "es", "s"] {
        if w.len() > suffix.len() + 2 {
            if let Some(rest) = w.strip_suffix(suffix) {
                w = rest;
                break;
            }
        }
    }
    // "running" → "runn" → "run"; "stopped" → "stopp" → "stop".
    let b = w.as_bytes();
    let doubled = b.len() > 3 && b[b.len() - 1] == b[b.len() - 2] && !matches!(b[b.len() - 1], b'l' | b's');
    let w = if doubled { &w[..w.len() - 1] } else { w };
    let w = w.strip_suffix('e').filter(|r| r.len() > 2).unwrap_or(w);
    w.to_owned()
}

pub fn fingerprint(text: &str) -> Fingerprint {
    // "Wife's name" → "wife name"; other apostrophes go ("doesn't" → "doesnt").
    let folded = fold(text).replace(['’'], "'").replace("'s ", " ").replace('\'', "");
    let raw: Vec<&str> = folded.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let negated = raw.iter().any(|w| NEGATIONS.contains(w));
    let changed = raw.iter().any(|w| CHANGES.contains(w));
    let mut words: Vec<String> = raw
        .iter()
        .filter(|w| !SMALL.contains(w) && !NEGATIONS.contains(w) && !CHANGES.contains(w))
        .map(|w| if PEOPLE.contains(w) { (*w).to_owned() } else { stem(w) })
        .map(|w| SYNONYMS.iter().find(|(from, _)| *from == w).map_or(w.clone(), |(_, to)| (*to).to_owned()))
        .collect();
    words.sort();
    words.dedup();
    Fingerprint { words, negated, changed }
}

/// Whether two memories say the same thing (one may add a detail).
pub fn same(a: &Fingerprint, b: &Fingerprint) -> bool {
    if a.negated != b.negated || a.changed != b.changed || a.words.is_empty() || b.words.is_empty() {
        return false;
    }
    let shared = a.words.iter().filter(|w| b.words.binary_search(w).is_ok()).count();
    let smaller = a.words.len().min(b.words.len());
    if shared * 4 < smaller * 3 {
        return false;
    }
    let only_a: Vec<&String> = a.words.iter().filter(|w| b.words.binary_search(w).is_err()).collect();
    let only_b: Vec<&String> = b.words.iter().filter(|w| a.words.binary_search(w).is_err()).collect();
    let is_number = |w: &&String| w.bytes().all(|c| c.is_ascii_digit());
    // Different people, or different numbers (years, doses, hours): different facts.
    let about_someone = only_a.iter().chain(&only_b).any(|w| PEOPLE.contains(&w.as_str()));
    let numbers_differ = only_a.iter().any(is_number) && only_b.iter().any(is_number);
    !about_someone && !numbers_differ
}

/// Groups of near-duplicates among many memories, found a slice of comparisons at a time.
pub struct Finder {
    prints: Vec<Fingerprint>,
    parent: Vec<usize>,
    /// The next pair to compare: (i, j) with i < j.
    next: (usize, usize),
}

impl Finder {
    pub fn new<'a>(texts: impl IntoIterator<Item = &'a str>) -> Self {
        let prints: Vec<Fingerprint> = texts.into_iter().map(fingerprint).collect();
        let parent = (0..prints.len()).collect();
        Self { prints, parent, next: (0, 1) }
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    /// Compares up to `budget` more pairs; returns whether every pair has been compared.
    pub fn step(&mut self, budget: usize) -> bool {
        let n = self.prints.len();
        for _ in 0..budget {
            let (i, j) = self.next;
            if i + 1 >= n {
                return true;
            }
            if same(&self.prints[i], &self.prints[j]) {
                let (ri, rj) = (self.root(i), self.root(j));
                self.parent[ri.max(rj)] = ri.min(rj);
            }
            self.next = if j + 1 < n { (i, j + 1) } else { (i + 1, i + 2) };
        }
        self.next.0 + 1 >= n
    }

    /// How far along it is, 0.0 to 1.0.
    pub fn progress(&self) -> f64 {
        let n = self.prints.len() as f64;
        let done = self.next.0 as f64 * (2.0 * n - self.next.0 as f64 - 1.0) / 2.0;
        if n < 2.0 {
            1.0
        } else {
            (done / (n * (n - 1.0) / 2.0)).min(1.0)
        }
    }

    /// The groups of two or more (indices into the texts given), each in the order given.
    pub fn groups(&mut self) -> Vec<Vec<usize>> {
        let mut by_root: Vec<(usize, Vec<usize>)> = Vec::new();
        for i in 0..self.prints.len() {
            let r = self.root(i);
            match by_root.iter_mut().find(|(root, _)| *root == r) {
                Some((_, members)) => members.push(i),
                None => by_root.push((r, vec![i])),
            }
        }
        by_root.into_iter().map(|(_, m)| m).filter(|m| m.len() > 1).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAIRS: &str = include_str!("tidy_pairs.txt");

    fn labelled() -> Vec<(bool, &'static str, &'static str)> {
        labelled_from(PAIRS)
    }

    fn score(pairs: &[(bool, &str, &str)]) -> (f64, f64) {
        let (mut tp, mut fp, mut fn_) = (0, 0, 0);
        for (label, a, b) in pairs {
            match (label, same(&fingerprint(a), &fingerprint(b))) {
                (true, true) => tp += 1,
                (false, true) => fp += 1,
                (true, false) => fn_ += 1,
                (false, false) => {}
            }
        }
        (tp as f64 / (tp + fp).max(1) as f64, tp as f64 / (tp + fn_).max(1) as f64)
    }

    fn labelled_from(text: &'static str) -> Vec<(bool, &'static str, &'static str)> {
        text.lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                let parts: Vec<&str> = l.split(" | ").collect();
                (parts[0] == "same", parts[1], parts[2])
            })
            .collect()
    }

    #[test]
    fn precision_and_recall_on_the_labelled_pairs() {
        let pairs = labelled();
        assert!(pairs.len() >= 60);
        let (mut tp, mut fp, mut fn_) = (0, 0, 0);
        for (label, a, b) in &pairs {
            let found = same(&fingerprint(a), &fingerprint(b));
            assert_eq!(found, same(&fingerprint(b), &fingerprint(a)), "symmetric: {a} / {b}");
            match (label, found) {
                (true, true) => tp += 1,
                (false, true) => fp += 1,
                (true, false) => fn_ += 1,
                (false, false) => {}
            }
        }
        let precision = tp as f64 / (tp + fp) as f64;
        let recall = tp as f64 / (tp + fn_) as f64;
        println!(
            "duplicate finder on {} pairs: precision {precision:.3}, recall {recall:.3} ({tp} tp, {fp} fp, {fn_} fn)",
            pairs.len()
        );
        assert!(precision >= 0.95, "precision {precision}");
        assert!(recall >= 0.9, "recall {recall}");
    }

    /// Pairs written by someone who had not seen this finder: its honest figures.
    #[test]
    fn precision_and_recall_on_held_out_pairs() {
        let pairs = labelled_from(include_str!("tidy_pairs_heldout.txt"));
        assert!(pairs.len() >= 60);
        let (precision, recall) = score(&pairs);
        println!("held out ({} pairs): precision {precision:.3}, recall {recall:.3}", pairs.len());
        // Deleting is what tidy-up offers: a wrong "same" costs more than a missed one.
        assert!(precision >= 0.9, "precision {precision}");
        for (label, a, b) in &pairs {
            if *label != same(&fingerprint(a), &fingerprint(b)) {
                println!("  {} wrong: {a} / {b}", if *label { "same" } else { "different" });
            }
        }
    }

    #[test]
    fn words_are_folded_stemmed_and_small_ones_dropped() {
        assert_eq!(fingerprint("User was Deployed in AFGHANISTAN.").words, vec!["afghanistan", "deploy"]);
        assert_eq!(fingerprint("Goes running every morning").words, vec!["goe", "morn", "run"]);
        assert!(fingerprint("Does not like tea").negated);
        assert_eq!(fingerprint("Wife's name is Sarah").words, vec!["nam", "sarah", "wife"]);
    }

    #[test]
    fn groups_join_pairs_and_leave_singles_out() {
        let texts = [
            "Likes green tea",
            "Has a dog named Max",
            "Likes green tea in the morning",
            "Has a dog called Max",
            "Lives in Ohio",
        ];
        let mut finder = Finder::new(texts);
        let mut steps = 0;
        while !finder.step(3) {
            steps += 1;
        }
        assert!(steps >= 2, "it works in slices");
        assert_eq!(finder.progress(), 1.0);
        assert_eq!(finder.groups(), vec![vec![0, 2], vec![1, 3]]);
        assert!(Finder::new(["only one"]).step(10));
        assert!(Finder::new(Vec::<&str>::new()).groups().is_empty());
    }
}
