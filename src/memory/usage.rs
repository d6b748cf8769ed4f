//! What memory did for one reply: which memories were retrieved for it (with scores), or why
//! none were, and whether the turn has been written to mem0. Stored with the reply.

use crate::mem0::wire::ScoreBreakdown;
use crate::mem0::{Mem0Error, Memory, SavedMemory};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UsedMemory {
    pub id: String,
    pub text: String,
    pub score: Option<f64>,
    /// What the score is made of (Platform v3 search).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<ScoreBreakdown>,
}

/// A relevance score as shown to the user, `0.82` (integer maths: float formatting would add
/// ~15 KB of code to the bundle for this one number).
pub fn format_score(score: f64) -> String {
    let hundredths = (score.clamp(0.0, 1.0) * 100.0).round() as u32;
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

impl From<&Memory> for UsedMemory {
    fn from(m: &Memory) -> Self {
        Self { id: m.id.clone(), text: m.memory.clone(), score: m.score, breakdown: m.score_breakdown }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lookup {
    /// Memory is switched off for this chat (incognito).
    Off,
    /// No mem0 key (and no proxy holding one): memory is not set up.
    NotConfigured,
    /// Searched; these were given to the model (possibly none).
    Found { memories: Vec<UsedMemory> },
    /// The search did not answer within the deadline; the reply went ahead without memory.
    TimedOut { deadline_ms: u32 },
    /// The search failed; the reply went ahead without memory.
    Unavailable { problem: Mem0Error },
    /// It failed, as told by an earlier version of wellness0, which stored a sentence (read, never written).
    UnavailableLegacy { reason: String },
}

impl Lookup {
    /// Why the reply went ahead without memory, in words (none when it did not).
    pub fn problem_text(&self) -> Option<String> {
        match self {
            Lookup::TimedOut { deadline_ms } => Some(format!(
                "The memory search took longer than {}.{} s; replied without memory.",
                deadline_ms / 1000,
                deadline_ms % 1000 / 100
            )),
            Lookup::Unavailable { problem } => Some(problem.user_message()),
            Lookup::UnavailableLegacy { reason } => Some(reason.clone()),
            _ => None,
        }
    }

    /// The lookup failed (the reply went ahead without memory).
    pub fn failed(&self) -> bool {
        matches!(self, Lookup::TimedOut { .. } | Lookup::Unavailable { .. } | Lookup::UnavailableLegacy { .. })
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteState {
    /// Nothing to write (memory off, or the reply did not finish).
    #[default]
    None,
    /// Queued in the outbox.
    Pending,
    /// mem0 accepted the turn.
    Saved,
    /// mem0 refused it for good.
    Failed,
    /// Replaced (asked again, or its message edited) before it went out: never written.
    Withdrawn,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemoryUse {
    pub lookup: Lookup,
    #[serde(default)]
    pub write: WriteState,
    /// What mem0 saved from this turn, once its write settled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub saved: Vec<SavedMemory>,
    /// Ids of saved memories the person forgot since (not shown any more).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forgotten: Vec<String>,
}

impl MemoryUse {
    /// The saved memories still kept (not forgotten).
    pub fn kept(&self) -> impl Iterator<Item = &SavedMemory> {
        self.saved.iter().filter(|s| !self.forgotten.contains(&s.id))
    }
}

impl MemoryUse {
    pub fn used(&self) -> &[UsedMemory] {
        match &self.lookup {
            Lookup::Found { memories } => memories,
            _ => &[],
        }
    }

    /// The chip under the reply: "2 memories used · saved".
    pub fn chip_label(&self) -> String {
        let lookup = match &self.lookup {
            Lookup::Off => "memory off".to_owned(),
            Lookup::NotConfigured => "memory not set up".to_owned(),
            Lookup::Found { memories } if memories.is_empty() => "no memory used".to_owned(),
            Lookup::Found { memories } if memories.len() == 1 => "1 memory used".to_owned(),
            Lookup::Found { memories } => format!("{} memories used", memories.len()),
            Lookup::TimedOut { .. } | Lookup::Unavailable { .. } | Lookup::UnavailableLegacy { .. } => {
                "replied without memory".to_owned()
            }
        };
        match self.write {
            WriteState::None => lookup,
            WriteState::Pending => format!("{lookup} · saving…"),
            WriteState::Saved => format!("{lookup} · memory updated"),
            WriteState::Failed => format!("{lookup} · not saved"),
            WriteState::Withdrawn => format!("{lookup} · replaced, not saved"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_stored_as_kinds() {
        let lookup = Lookup::Unavailable { problem: Mem0Error::Server { code: 503 } };
        let json = serde_json::to_string(&lookup).unwrap();
        assert_eq!(json, r#"{"unavailable":{"problem":{"kind":"server","code":503}}}"#);
        assert_eq!(serde_json::from_str::<Lookup>(&json).unwrap(), lookup);
        assert_eq!(lookup.problem_text().unwrap(), "mem0 is having trouble right now (503).");
        let old = Lookup::UnavailableLegacy { reason: "Could not reach mem0.".into() };
        assert_eq!(old.problem_text().as_deref(), Some("Could not reach mem0."));
        assert_eq!(
            MemoryUse { lookup: old, write: WriteState::None, saved: vec![], forgotten: vec![] }.chip_label(),
            "replied without memory"
        );
    }

    #[test]
    fn scores() {
        assert_eq!(format_score(0.8249), "0.82");
        assert_eq!(format_score(0.005), "0.01");
        assert_eq!(format_score(1.0), "1.00");
        assert_eq!(format_score(7.0), "1.00");
    }

    #[test]
    fn chip_labels() {
        let m = |lookup, write| MemoryUse { lookup, write, saved: vec![], forgotten: vec![] };
        let one = vec![UsedMemory { id: "a".into(), text: "t".into(), score: Some(0.9), breakdown: None }];
        assert_eq!(
            m(Lookup::Found { memories: one.clone() }, WriteState::Saved).chip_label(),
            "1 memory used · memory updated"
        );
        assert_eq!(m(Lookup::Found { memories: vec![] }, WriteState::Pending).chip_label(), "no memory used · saving…");
        assert_eq!(m(Lookup::Off, WriteState::None).chip_label(), "memory off");
        let down = m(Lookup::TimedOut { deadline_ms: 1_500 }, WriteState::Pending);
        assert_eq!(down.chip_label(), "replied without memory · saving…");
        assert!(down.used().is_empty());
        assert_eq!(
            down.lookup.problem_text().unwrap(),
            "The memory search took longer than 1.5 s; replied without memory."
        );
        assert_eq!(m(Lookup::Found { memories: one }, WriteState::None).used().len(), 1);
    }
}
