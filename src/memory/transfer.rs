//! Export and import of a user's memories as a portable JSON file (pure).
//!
//! The export is `{"format": "wellness0.memories", "version": 1, "user_id", "exported_at",
//! "memories": [{memory, categories, metadata, created_at, updated_at, id}]}`. Import also takes a
//! bare list of memory objects, or any object with a `memories`/`results` list, so files from
//! mem0's own export or other tools work too.

use crate::mem0::{Memory, TurnMessage, TurnWrite};
use serde_json::{json, Value};
use std::collections::HashSet;

pub const FORMAT: &str = "wellness0.memories";

/// Largest file we read (a few thousand memories is far below this).
pub const MAX_IMPORT_BYTES: usize = 5 * 1024 * 1024;

pub fn export_json(user_id: &str, exported_at: &str, memories: &[Memory]) -> String {
    let doc = json!({
        "format": FORMAT,
        "version": 1,
        "user_id": user_id,
        "exported_at": exported_at,
        "memories": memories.iter().map(|m| json!({
            "id": m.id,
            "memory": m.memory,
            "categories": m.categories,
            "metadata": m.metadata,
            "created_at": m.created_at,
            "updated_at": m.updated_at,
        })).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// What an import file holds, compared with what the user already has.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportPlan {
    /// Texts to add, in file order, without duplicates.
    pub to_add: Vec<String>,
    /// Entries already present (same text, ignoring case and spacing) or repeated in the file.
    pub skipped: usize,
    /// Entries that are not memories (no text).
    pub invalid: usize,
}

impl ImportPlan {
    /// The preview line: "3 new memories to import; 1 already there; 0 unreadable."
    pub fn preview(&self) -> String {
        format!(
            "{} new memories to import; {} already there; {} unreadable.",
            self.to_add.len(),
            self.skipped,
            self.invalid
        )
    }

    /// What an import of this plan did, once `added` were added and `failed` were refused.
    pub fn outcome(&self, added: usize, failed: usize) -> String {
        let unreadable = if self.invalid > 0 { format!(" and {} unreadable", self.invalid) } else { String::new() };
        format!("Imported {added}, skipped {} already there{unreadable}, {failed} failed.", self.skipped)
    }

    /// The memories to add, each as a verbatim (`infer: false`) write for `user_id`.
    pub fn writes(&self, user_id: &str) -> Vec<TurnWrite> {
        self.to_add
            .iter()
            .map(|text| TurnWrite {
                user_id: user_id.to_owned(),
                messages: vec![TurnMessage { role: "user".into(), content: text.clone() }],
                metadata: json!({"app": "wellness0", "imported": true}),
                infer: false,
            })
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("That file is too large to import (over 5 MB).")]
    TooLarge,
    #[error("That file is not JSON: {0}")]
    NotJson(String),
    #[error("No list of memories found in that file.")]
    NoMemories,
}

fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

pub fn plan_import(file: &str, existing: &[Memory]) -> Result<ImportPlan, ImportError> {
    if file.len() > MAX_IMPORT_BYTES {
        return Err(ImportError::TooLarge);
    }
    let value: Value = serde_json::from_str(file).map_err(|e| ImportError::NotJson(e.to_string()))?;
    let entries = match value {
        Value::Array(items) => items,
        Value::Object(mut map) => match map.remove("memories").or_else(|| map.remove("results")) {
            Some(Value::Array(items)) => items,
            _ => return Err(ImportError::NoMemories),
        },
        _ => return Err(ImportError::NoMemories),
    };
    let mut seen: HashSet<String> = existing.iter().map(|m| normalise(&m.memory)).collect();
    let mut plan = ImportPlan::default();
    for entry in entries {
        let text = match &entry {
            Value::String(s) => Some(s.as_str()),
            other => other.get("memory").or_else(|| other.get("text")).and_then(Value::as_str),
        };
        match text.map(str::trim).filter(|t| !t.is_empty()) {
            None => plan.invalid += 1,
            Some(t) if !seen.insert(normalise(t)) => plan.skipped += 1,
            Some(t) => plan.to_add.push(t.to_owned()),
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mem(text: &str) -> Memory {
        Memory { id: format!("id-{text}"), memory: text.into(), ..Memory::default() }
    }

    #[test]
    fn export_then_import_into_an_empty_account_adds_everything() {
        let memories = vec![mem("Served in Afghanistan"), mem("Has PTSD")];
        let file = export_json("u1", "2026-11-25T10:00:00Z", &memories);
        let doc: Value = serde_json::from_str(&file).unwrap();
        assert_eq!(doc["format"], FORMAT);
        assert_eq!(doc["memories"][0]["memory"], "Served in Afghanistan");
        let plan = plan_import(&file, &[]).unwrap();
        assert_eq!(plan.to_add, vec!["Served in Afghanistan", "Has PTSD"]);
        let again = plan_import(&file, &memories).unwrap();
        assert_eq!((again.to_add.len(), again.skipped), (0, 2));
    }

    #[test]
    fn other_shapes_duplicates_and_junk() {
        let file = r#"{"results": [{"memory": "Likes tea"}, {"text": "likes   TEA"}, "Walks daily", {"id": 3}, {"memory": "  "}]}"#;
        let plan = plan_import(file, &[]).unwrap();
        assert_eq!(plan.to_add, vec!["Likes tea", "Walks daily"]);
        assert_eq!(plan.skipped, 1);
        assert_eq!(plan.invalid, 2);
    }

    #[test]
    fn summaries_and_writes() {
        let plan = ImportPlan { to_add: vec!["Likes tea".into()], skipped: 2, invalid: 1 };
        assert_eq!(plan.preview(), "1 new memories to import; 2 already there; 1 unreadable.");
        assert_eq!(plan.outcome(1, 0), "Imported 1, skipped 2 already there and 1 unreadable, 0 failed.");
        let clean = ImportPlan { invalid: 0, ..plan.clone() };
        assert_eq!(clean.outcome(0, 1), "Imported 0, skipped 2 already there, 1 failed.");
        let writes = plan.writes("ann");
        assert_eq!(writes.len(), 1);
        assert!(!writes[0].infer);
        assert_eq!(writes[0].messages[0].content, "Likes tea");
        assert_eq!(writes[0].metadata["imported"], true);
    }

    #[test]
    fn bad_files_are_explained() {
        assert!(matches!(plan_import("nope", &[]), Err(ImportError::NotJson(_))));
        assert_eq!(plan_import(r#"{"a": 1}"#, &[]), Err(ImportError::NoMemories));
        assert_eq!(plan_import(&" ".repeat(MAX_IMPORT_BYTES + 1), &[]), Err(ImportError::TooLarge));
    }
}
