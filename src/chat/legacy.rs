//! Reading a conversation stored by the previous version of wellness0, whose states were
//! internally tagged (`{"state": "failed", "message": "<sentence>", "cut": true}`) and held
//! sentences where this version stores kinds. The old JSON is rewritten into this version's
//! shape, which `Conversation::restore` reads as usual; old sentences are kept as "legacy" text,
//! shown as they were. Only JSON here: the types it becomes are the conversation's.

use serde_json::{json, Map, Value};

/// `{tag: name, ..rest}` → `"name"` when nothing else is in it, else `{name: rest}`.
pub(crate) fn retag(value: &mut Value, tag: &str) {
    let Value::Object(map) = value else { return };
    let Some(Value::String(name)) = map.remove(tag) else { return };
    *value = if map.is_empty() { Value::String(name) } else { json!({ name: Value::Object(std::mem::take(map)) }) };
}

fn legacy_text(text: Value) -> Value {
    json!({"kind": "legacy", "detail": text})
}

fn upgrade_message(message: &mut Map<String, Value>) {
    if let Some(state) = message.get_mut("state") {
        if let Some(fields) = state.as_object_mut() {
            if let Some(sentence) = fields.remove("message") {
                fields.insert("problem".into(), legacy_text(sentence));
            }
            if fields.get("state") == Some(&json!("waiting")) {
                fields.insert("wait_ms".into(), json!(0));
            }
        }
        retag(state, "state");
    }
    if let Some(note) = message.get_mut("note") {
        *note = json!({"legacy": {"text": note.take()}});
    }
    if let Some(lookup) = message.get_mut("memory").and_then(|m| m.get_mut("lookup")) {
        if lookup["kind"] == "unavailable" {
            lookup["kind"] = json!("unavailable_legacy");
        }
        retag(lookup, "kind");
    }
}

/// The conversation in the earlier format, if `json` is one, rewritten in this version's (as
/// text, read back by the same code as any stored value: `from_value` would add a second copy).
pub fn conversation(json: &str) -> Option<String> {
    let mut value: Value = serde_json::from_str(json).ok()?;
    for message in value.get_mut("messages")?.as_array_mut()? {
        upgrade_message(message.as_object_mut()?);
    }
    Some(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::conversation::{Conversation, MessageState, ReplyNote};
    use crate::gemini::ReplyProblem;
    use crate::memory::usage::{Lookup, WriteState};

    /// Exactly what the previous version stored (`wellness0.conversation`).
    const STORED: &str = r#"{"next_id":5,"messages":[
        {"id":1,"role":"user","text":"hi","state":{"state":"done"},"created_ms":1.0},
        {"id":2,"role":"model","text":"Hel","parts":[{"text":"Hel","thoughtSignature":"c2ln"}],
         "state":{"state":"failed","message":"The reply was cut off before it finished.","cut":true},
         "note":"The reply ended early (OTHER).",
         "memory":{"lookup":{"kind":"found","memories":[{"id":"m1","text":"Served in Afghanistan","score":0.8}]},"write":"saved"},
         "created_ms":2.0},
        {"id":3,"role":"user","text":"again","state":{"state":"done"},"created_ms":3.0},
        {"id":4,"role":"model","text":"","state":{"state":"waiting","message":"Gemini is overloaded right now. Trying again in 2 s…","retry_at_ms":9.0},
         "memory":{"lookup":{"kind":"unavailable","reason":"Could not reach mem0."},"write":"none"},"created_ms":4.0},
        {"id":5,"role":"model","text":"ok","state":{"state":"stopped"},"memory":{"lookup":{"kind":"not_configured"},"write":"none"},"created_ms":5.0}]}"#;

    #[test]
    fn the_previous_format_reads_with_its_sentences_kept() {
        let conv = Conversation::restore(STORED).expect("the old format is read");
        assert_eq!(conv.messages.len(), 5);
        let cut = &conv.messages[1];
        let MessageState::Failed { problem, cut: true } = &cut.state else { panic!("{:?}", cut.state) };
        assert_eq!(problem.message(), "The reply was cut off before it finished.");
        assert_eq!(cut.note, Some(ReplyNote::Legacy { text: "The reply ended early (OTHER).".into() }));
        assert_eq!(cut.parts[0].thought_signature(), Some("c2ln"));
        let used = cut.memory.as_ref().unwrap();
        assert_eq!((used.used()[0].text.as_str(), &used.write), ("Served in Afghanistan", &WriteState::Saved));
        // A reply that was waiting to retry when the page went away is interrupted, as any active one.
        assert_eq!(conv.messages[3].state, MessageState::Failed { problem: ReplyProblem::Interrupted, cut: true });
        let lookup = &conv.messages[3].memory.as_ref().unwrap().lookup;
        assert_eq!(lookup, &Lookup::UnavailableLegacy { reason: "Could not reach mem0.".into() });
        assert_eq!(conv.messages[4].state, MessageState::Stopped);
        assert_eq!(conv.messages[4].memory.as_ref().unwrap().lookup, Lookup::NotConfigured);
        // Saved again, it is in this version's format.
        let again = serde_json::to_string(&conv).unwrap();
        assert_eq!(serde_json::from_str::<Conversation>(&again).unwrap(), conv);
    }

    #[test]
    fn garbage_is_not_a_conversation() {
        assert!(conversation("not json").is_none());
        assert!(conversation(r#"{"next_id": 1}"#).is_none());
    }
}
