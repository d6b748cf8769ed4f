//! What wellness0 writes into a memory's metadata, read back (pure): where the memory came from
//! (its session and the reply of the turn), and whether it waits for the person's review.

use crate::mem0::Memory;
use serde_json::{json, Value};

/// The session and message a memory was made from, when a turn of ours made it.
pub fn source(memory: &Memory) -> Option<(u64, u64)> {
    let meta = memory.metadata.as_ref()?;
    let message = meta.get("reply_message_id").or_else(|| meta.get("user_message_id"))?.as_u64()?;
    Some((meta.get("session")?.as_u64()?, message))
}

/// Saved in review mode and neither kept nor forgotten yet.
pub fn awaits_review(memory: &Memory) -> bool {
    let meta = memory.metadata.as_ref();
    let flag = |name| meta.and_then(|m| m.get(name)).and_then(Value::as_bool).unwrap_or(false);
    flag("review") && !flag("reviewed")
}

/// The metadata that records a review (kept): what was there, plus `reviewed`, so the review
/// holds on every device.
pub fn reviewed_metadata(memory: &Memory) -> Value {
    let mut meta = match &memory.metadata {
        Some(Value::Object(map)) => Value::Object(map.clone()),
        _ => json!({}),
    };
    meta["reviewed"] = json!(true);
    meta
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(metadata: Value) -> Memory {
        Memory { id: "m".into(), memory: "Has PTSD".into(), metadata: Some(metadata), ..Memory::default() }
    }

    #[test]
    fn sources_and_reviews() {
        let made = with(
            json!({"app": "wellness0", "session": 7, "user_message_id": 1, "reply_message_id": 2, "review": true}),
        );
        assert_eq!(source(&made), Some((7, 2)));
        assert!(awaits_review(&made));
        let kept = reviewed_metadata(&made);
        assert_eq!((kept["reviewed"].as_bool(), kept["session"].as_u64()), (Some(true), Some(7)));
        assert!(!awaits_review(&Memory { metadata: Some(kept), ..made.clone() }));
        assert_eq!(source(&with(json!({"imported": true}))), None);
        assert!(!awaits_review(&Memory::default()));
        assert_eq!(reviewed_metadata(&Memory::default()), json!({"reviewed": true}));
    }
}
