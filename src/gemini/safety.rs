//! Reading Gemini's safety ratings for what matters to a therapy chat: whether a blocked prompt
//! or a reply stopped for safety may be about self-harm.
//!
//! Gemini rates prompts (`promptFeedback.safetyRatings`) and replies (`candidates[].safetyRatings`)
//! in four categories — harassment, hate speech, sexually explicit and dangerous content — with a
//! probability (`NEGLIGIBLE`, `LOW`, `MEDIUM`, `HIGH`) and a `blocked` flag on the rating that
//! caused a block. It has no self-harm category: self-harm falls under dangerous content
//! ("promotes, facilitates, or encourages harmful acts"). So the rule is: a rating of
//! `HARM_CATEGORY_DANGEROUS_CONTENT` at `MEDIUM` or `HIGH`, or marked `blocked`, counts as
//! possibly self-harm related. The app adds its own local reading of the person's message
//! (`care::crisis`); either one is enough to show help lines (see `docs/care.md`).

use super::wire::SafetyRating;

/// The category self-harm falls under.
pub const DANGEROUS_CONTENT: &str = "HARM_CATEGORY_DANGEROUS_CONTENT";

/// Whether any of these ratings flags dangerous content (the rule in the module docs).
pub fn flags_dangerous_content(ratings: &[SafetyRating]) -> bool {
    ratings.iter().any(|rating| {
        rating.category == DANGEROUS_CONTENT
            && (rating.blocked || matches!(rating.probability.as_deref(), Some("MEDIUM" | "HIGH")))
    })
}

/// Finish reasons that mean Gemini stopped a reply for safety or policy, rather than for its
/// length or by finishing.
pub fn is_safety_stop(finish_reason: &str) -> bool {
    matches!(finish_reason, "SAFETY" | "PROHIBITED_CONTENT" | "BLOCKLIST" | "SPII" | "IMAGE_SAFETY")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rating(category: &str, probability: &str, blocked: bool) -> SafetyRating {
        SafetyRating { category: category.into(), probability: Some(probability.into()), blocked }
    }

    #[test]
    fn dangerous_content_at_medium_or_high_or_blocked() {
        assert!(flags_dangerous_content(&[rating(DANGEROUS_CONTENT, "HIGH", true)]));
        assert!(flags_dangerous_content(&[rating(DANGEROUS_CONTENT, "MEDIUM", false)]));
        assert!(flags_dangerous_content(&[rating(DANGEROUS_CONTENT, "LOW", true)]));
        assert!(!flags_dangerous_content(&[rating(DANGEROUS_CONTENT, "LOW", false)]));
        assert!(!flags_dangerous_content(&[rating(DANGEROUS_CONTENT, "NEGLIGIBLE", false)]));
        assert!(!flags_dangerous_content(&[rating("HARM_CATEGORY_HARASSMENT", "HIGH", true)]));
        assert!(!flags_dangerous_content(&[]));
    }

    #[test]
    fn ratings_read_from_the_wire() {
        let ratings: Vec<SafetyRating> = serde_json::from_str(
            r#"[{"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"},
                {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": true}]"#,
        )
        .unwrap();
        assert!(ratings[1].blocked && !ratings[0].blocked);
        assert!(flags_dangerous_content(&ratings));
    }

    #[test]
    fn safety_stops() {
        assert!(is_safety_stop("SAFETY") && is_safety_stop("PROHIBITED_CONTENT"));
        assert!(!is_safety_stop("STOP") && !is_safety_stop("MAX_TOKENS") && !is_safety_stop("RECITATION"));
    }
}
