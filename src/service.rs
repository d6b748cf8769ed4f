//! The two services wellness0 talks to, and what is the same for both: the sentence for a
//! refused site key, and the stored form of a problem.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Gemini,
    Mem0,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::Gemini => "Gemini",
            Service::Mem0 => "mem0",
        }
    }

    /// The key the wellness0 proxy holds was refused: the site's to fix, not the user's.
    pub fn site_key_refused(self, code: u16) -> String {
        format!("This site's {} key was not accepted ({code}). Please tell whoever runs this wellness0.", self.name())
    }
}

/// How a problem of either service is stored with a reply or a waiting write: its kind (a
/// word, never a sentence) and the few values some kinds carry. One flat shape for every kind
/// keeps stored data plain and the code that reads it small.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredProblem {
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ms: Option<u64>,
}

impl StoredProblem {
    pub fn kind(kind: &str) -> Self {
        Self { kind: kind.to_owned(), ..Self::default() }
    }

    pub fn with_code(self, code: u16) -> Self {
        Self { code: Some(code), ..self }
    }

    pub fn with_detail(self, detail: &str) -> Self {
        Self { detail: Some(detail.to_owned()), ..self }
    }

    pub fn with_ms(self, ms: Option<u64>) -> Self {
        Self { ms, ..self }
    }

    pub fn code_or_zero(&self) -> u16 {
        self.code.unwrap_or_default()
    }

    pub fn detail_or_empty(&self) -> String {
        self.detail.clone().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sentence_for_both_services() {
        assert_eq!(
            Service::Gemini.site_key_refused(400),
            "This site's Gemini key was not accepted (400). Please tell whoever runs this wellness0."
        );
        assert_eq!(
            Service::Mem0.site_key_refused(401),
            "This site's mem0 key was not accepted (401). Please tell whoever runs this wellness0."
        );
    }
}
