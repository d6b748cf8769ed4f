//! How the mem0 fakes rank memories against a query, without embeddings or an LLM.
//!
//! Two scorings:
//! - [`keyword_score`]: the fraction of query keywords a memory contains; the old v1/v2
//!   searches answer this (one number, like the cosine they used to return).
//! - [`hybrid_rank`]: mem0's current additive scoring (the open-source `score_and_rank`,
//!   which the Platform's v3 search describes the same way): a semantic score gated by the
//!   threshold, plus a BM25 keyword score squashed by a sigmoid, plus an entity boost, divided
//!   by the largest total the active signals allow. The fake's "semantic" signal is the cosine
//!   of keyword sets, its entities are capitalised words and quoted phrases.

use std::collections::HashSet;

const STOP_WORDS: &[&str] = &[
    "the", "and", "for", "are", "but", "not", "you", "your", "all", "any", "can", "had", "has", "have", "her", "his",
    "how", "its", "our", "out", "she", "was", "were", "what", "when", "where", "which", "who", "why", "will", "with",
    "this", "that", "these", "those", "from", "they", "them", "then", "than", "there", "their", "about", "into",
    "does", "did", "user", "users", "like", "likes", "just", "also", "been", "being", "would", "could", "should",
];

/// Weight of the entity signal in the combined score (mem0's `ENTITY_BOOST_WEIGHT`).
const ENTITY_BOOST_WEIGHT: f64 = 0.5;
/// BM25 term-frequency saturation and length normalisation.
const BM25_K1: f64 = 1.5;
const BM25_B: f64 = 0.75;

/// Lower-cased words of length ≥ 3, stop words removed, a plural `s` stripped.
pub fn keywords(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 3 && !STOP_WORDS.contains(&w.as_str()))
        .map(|w| stem(&w))
        .collect();
    out.dedup();
    out
}

/// Strips a plural `s` (not from `-ss` words).
pub fn stem(w: &str) -> String {
    if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") {
        w[..w.len() - 1].to_string()
    } else {
        w.to_string()
    }
}

/// Naive relevance: the fraction of query keywords present in the memory.
pub fn keyword_score(query: &str, memory: &str) -> f64 {
    let q = keywords(query);
    if q.is_empty() {
        return 0.0;
    }
    let m = keywords(memory);
    let hits = q.iter().filter(|w| m.contains(w)).count();
    hits as f64 / q.len() as f64
}

/// One ranked memory of [`hybrid_rank`], with its signals.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Index of the memory in the slice that was ranked.
    pub index: usize,
    /// Keyword-set cosine, 0..1 (gated by the threshold).
    pub semantic: f64,
    /// BM25 squashed to 0..1 (0 when no query word occurs).
    pub bm25: f64,
    /// Entity boost, 0..0.5.
    pub entity: f64,
    /// `semantic + bm25 + entity` before dividing.
    pub raw: f64,
    /// The divisor: 1, plus 1 when any memory had a BM25 score, plus 0.5 when any had an entity boost.
    pub max_possible: f64,
    /// The combined score, 0..1.
    pub score: f64,
}

/// Ranks `texts` (the memories in scope, oldest first) against `query` with mem0's additive
/// scoring; keeps those whose semantic score reaches `threshold`; best first (newer first on
/// ties); at most `top_k`.
pub fn hybrid_rank(query: &str, texts: &[&str], threshold: f64, top_k: usize) -> Vec<Hit> {
    let q = keywords(query);
    let docs: Vec<Vec<String>> = texts.iter().map(|t| keywords(t)).collect();
    let bm25 = bm25_scores(&q, &docs);
    let entities = query_entities(query);
    let boosts = entity_boosts(&entities, texts);
    let mut max_possible = 1.0;
    if bm25.iter().any(|s| *s > 0.0) {
        max_possible += 1.0;
    }
    if boosts.iter().any(|b| *b > 0.0) {
        max_possible += ENTITY_BOOST_WEIGHT;
    }
    let mut hits: Vec<Hit> = docs
        .iter()
        .enumerate()
        .map(|(index, d)| {
            let semantic = cosine(&q, d);
            let raw = semantic + bm25[index] + boosts[index];
            Hit { index, semantic, bm25: bm25[index], entity: boosts[index], raw, max_possible, score: 0.0 }
        })
        .filter(|h| h.semantic >= threshold)
        .map(|h| Hit { score: (h.raw / h.max_possible).min(1.0), ..h })
        .collect();
    hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.index.cmp(&a.index)));
    hits.truncate(top_k);
    hits
}

/// Cosine of two keyword sets.
fn cosine(q: &[String], d: &[String]) -> f64 {
    if q.is_empty() || d.is_empty() {
        return 0.0;
    }
    let d: HashSet<&String> = d.iter().collect();
    let q: HashSet<&String> = q.iter().collect();
    let common = q.iter().filter(|w| d.contains(*w)).count();
    common as f64 / ((q.len() * d.len()) as f64).sqrt()
}

/// BM25 of every document, squashed with mem0's query-length-adaptive sigmoid.
fn bm25_scores(q: &[String], docs: &[Vec<String>]) -> Vec<f64> {
    let n = docs.len() as f64;
    let avg_len = (docs.iter().map(Vec::len).sum::<usize>() as f64 / n.max(1.0)).max(1.0);
    let (midpoint, steepness) = match q.len() {
        0..=3 => (5.0, 0.7),
        4..=6 => (7.0, 0.6),
        7..=9 => (9.0, 0.5),
        10..=15 => (10.0, 0.5),
        _ => (12.0, 0.5),
    };
    docs.iter()
        .map(|d| {
            let len = d.len() as f64;
            let raw: f64 = q
                .iter()
                .map(|term| {
                    let tf = d.iter().filter(|w| *w == term).count() as f64;
                    if tf == 0.0 {
                        return 0.0;
                    }
                    let df = docs.iter().filter(|o| o.contains(term)).count() as f64;
                    let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
                    idf * tf * (BM25_K1 + 1.0) / (tf + BM25_K1 * (1.0 - BM25_B + BM25_B * len / avg_len))
                })
                .sum();
            if raw > 0.0 {
                1.0 / (1.0 + (-steepness * (raw - midpoint)).exp())
            } else {
                0.0
            }
        })
        .collect()
}

/// The query's entities: quoted phrases and capitalised words that do not start a sentence.
pub fn query_entities(query: &str) -> Vec<String> {
    let mut out: Vec<String> = query.split('"').skip(1).step_by(2).map(|p| p.trim().to_lowercase()).collect();
    let mut sentence_start = true;
    for word in query.split_whitespace() {
        let bare: String = word.chars().filter(|c| c.is_alphanumeric()).collect();
        let capitalised = bare.chars().next().is_some_and(char::is_uppercase);
        if capitalised && !sentence_start && bare != "I" {
            out.push(bare.to_lowercase());
        }
        sentence_start = word.ends_with(['.', '?', '!']);
    }
    out.retain(|e| !e.is_empty());
    out.dedup();
    out
}

/// Per memory, the largest boost of an entity it mentions; an entity linked to many
/// memories boosts each a little less (mem0's `1 / (1 + 0.001 (n - 1)^2)`).
fn entity_boosts(entities: &[String], texts: &[&str]) -> Vec<f64> {
    let lowered: Vec<String> = texts.iter().map(|t| t.to_lowercase()).collect();
    let mut boosts = vec![0.0; texts.len()];
    for e in entities {
        let linked: Vec<usize> = (0..texts.len()).filter(|i| mentions(&lowered[*i], e)).collect();
        let n = linked.len().max(1) as f64;
        let boost = ENTITY_BOOST_WEIGHT / (1.0 + 0.001 * (n - 1.0).powi(2));
        for i in linked {
            boosts[i] = f64::max(boosts[i], boost);
        }
    }
    boosts
}

/// Whether `text` (lower case) holds `entity` as whole words.
fn mentions(text: &str, entity: &str) -> bool {
    text.match_indices(entity).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + entity.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_drop_short_and_stop_words() {
        assert_eq!(keywords("What does the user like to drink? Tea!"), vec!["drink", "tea"]);
    }

    #[test]
    fn keyword_score_is_fraction_of_query_words() {
        assert_eq!(keyword_score("veteran sleep problems", "I am a veteran and sleep badly"), 2.0 / 3.0);
        assert_eq!(keyword_score("a an", "anything"), 0.0);
    }

    #[test]
    fn hybrid_scores_follow_the_additive_formula() {
        let texts = ["My dog is called Rex", "I sleep badly after night shifts", "Rex barks at night"];
        let hits = hybrid_rank("what is the dog called", &texts, 0.1, 10);
        assert_eq!(hits.len(), 1, "the threshold gates the semantic score: {hits:?}");
        let h = &hits[0];
        assert_eq!(h.index, 0);
        assert!((h.semantic - 2.0 / 6f64.sqrt()).abs() < 1e-9);
        assert!(h.bm25 > 0.0 && h.bm25 < 1.0);
        assert_eq!(h.entity, 0.0);
        assert_eq!(h.max_possible, 2.0, "semantic + BM25, no entity in the query");
        assert!((h.score - (h.semantic + h.bm25) / 2.0).abs() < 1e-12);
    }

    #[test]
    fn entities_boost_the_memories_that_name_them() {
        let texts = ["My dog is called Rex", "I have a dog"];
        let hits = hybrid_rank("Where does my dog Rex sleep?", &texts, 0.0, 10);
        assert_eq!(hits[0].index, 0);
        assert_eq!(hits[0].entity, 0.5);
        assert_eq!(hits[0].max_possible, 2.5);
        assert_eq!(hits[1].entity, 0.0);
        assert!(hits.iter().all(|h| (0.0..=1.0).contains(&h.score)));
    }

    #[test]
    fn entities_are_capitalised_words_and_quotes() {
        assert_eq!(query_entities("Did I tell you about Iraq? My \"war story\" there."), vec!["war story", "iraq"]);
        assert!(query_entities("Where do I live").is_empty());
    }

    #[test]
    fn threshold_zero_keeps_everything_and_top_k_cuts() {
        let texts = ["alpha", "beta", "gamma"];
        assert_eq!(hybrid_rank("alpha", &texts, 0.0, 10).len(), 3);
        let hits = hybrid_rank("alpha", &texts, 0.0, 2);
        assert_eq!(hits.iter().map(|h| h.index).collect::<Vec<_>>(), vec![0, 2], "best first, then newest");
    }
}
