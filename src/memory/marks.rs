//! What wellness0 writes into a memory's metadata, read back (pure): where the memory came from
//! (its session and the reply of the turn, and the device), and whether it waits for the
//! person's review.

use crate::mem0::Memory;
use serde_json::{json, Value};

/// The session and message a memory was made from, when a turn of ours made it.
pub fn source(memory: &Memory) -> Option<(u64, u64)> {
    let meta = memory.metadata.as_ref()?;
    let message = meta.get("reply_message_id").or_else(|| meta.get("user_message_id"))?.as_u64()?;
    Some((meta.get("session")?.as_u64()?, message))
}

/// Where a memory's session is, when this device does not have it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingSource {
    /// Made on another device: the session is there (and here once it has synced).
    OtherDevice,
    /// Made here (or before memories named their device): the session was deleted.
    Deleted,
}

/// Why a memory's session is not among this device's (`here`: this device's id).
pub fn missing_source(memory: &Memory, here: &str) -> MissingSource {
    let device = memory.metadata.as_ref().and_then(|m| m.get("device")).and_then(Value::as_str);
    match device {
        Some(device) if device != here => MissingSource::OtherDevice,
        _ => MissingSource::Deleted,
    }
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

    #[test]
    fn a_missing_session_is_on_the_other_device_only_when_another_device_made_the_memory() {
        let from = |device: Value| with(json!({"app": "wellness0", "session": 7, "device": device}));
        assert_eq!(missing_source(&from(json!("laptop0000aa")), "phone0000bb"), MissingSource::OtherDevice);
        assert_eq!(missing_source(&from(json!("phone0000bb")), "phone0000bb"), MissingSource::Deleted);
        assert_eq!(missing_source(&from(json!(5)), "phone0000bb"), MissingSource::Deleted);
        assert_eq!(missing_source(&with(json!({"session": 7})), "phone0000bb"), MissingSource::Deleted);
    }
}
