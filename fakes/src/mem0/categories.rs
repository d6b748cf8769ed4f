//! The categories the Platform tags memories with, from a small keyword table (the real
//! service asks an LLM; the fake only needs stable, plausible tags).

use crate::relevance::stem;

const CATEGORY_TABLE: &[(&str, &[&str])] = &[
    (
        "health",
        &[
            "health",
            "therapy",
            "therapist",
            "ptsd",
            "anxiety",
            "depression",
            "doctor",
            "medication",
            "sleep",
            "insomnia",
            "pain",
            "hospital",
            "diagnosis",
            "nightmare",
            "counselor",
        ],
    ),
    (
        "personal_details",
        &[
            "veteran",
            "deployed",
            "deployment",
            "war",
            "army",
            "navy",
            "marine",
            "military",
            "name",
            "born",
            "age",
            "served",
            "afghanistan",
            "iraq",
        ],
    ),
    (
        "family",
        &[
            "wife", "husband", "kid", "children", "son", "daughter", "mother", "father", "mom", "dad", "family",
            "brother", "sister", "married",
        ],
    ),
    ("professional_details", &["job", "work", "career", "boss", "office", "coworker"]),
    ("food", &["eat", "food", "coffee", "tea", "vegetarian", "vegan", "cook", "cooking"]),
    ("hobbies", &["hiking", "fishing", "music", "reading", "hobby", "guitar", "golf", "running"]),
];

/// Categories from a small keyword table (table order, no duplicates).
pub fn categorize(text: &str) -> Vec<String> {
    let words: Vec<String> = text.split(|c: char| !c.is_alphanumeric()).map(|w| stem(&w.to_lowercase())).collect();
    CATEGORY_TABLE
        .iter()
        .filter(|(_, keys)| keys.iter().any(|k| words.iter().any(|w| w == k)))
        .map(|(c, _)| c.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_from_keywords() {
        assert_eq!(categorize("I was deployed and now see a therapist"), vec!["health", "personal_details"]);
        assert!(categorize("nothing here").is_empty());
    }
}
