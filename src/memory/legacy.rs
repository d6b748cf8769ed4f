//! Reading an outbox stored by the previous version of wellness0, which kept each write as the
//! Platform's exact add body (`body`) and its last error as a sentence. Waiting writes must
//! survive an upgrade: each body becomes a backend-neutral turn; the sentence is dropped (the
//! next try sets the error anew). The old JSON is rewritten into this version's shape, which
//! `Outbox::restore` reads as usual.

use serde_json::{json, Value};

/// The outbox in the earlier format, if `json` is one, rewritten in this version's (as text, read
/// back by the same code as any stored value: `from_value` would add a second copy).
pub fn outbox(json: &str) -> Option<String> {
    let mut value: Value = serde_json::from_str(json).ok()?;
    for item in value.get_mut("items")?.as_array_mut()? {
        let item = item.as_object_mut()?;
        let body = item.remove("body")?;
        let turn = json!({
            "user_id": body.get("user_id")?,
            "messages": body.get("messages")?,
            "metadata": body.get("metadata").cloned().unwrap_or(Value::Null),
            "infer": body.get("infer").and_then(Value::as_bool).unwrap_or(true),
        });
        item.insert("turn".into(), turn);
        item.insert("last_error".into(), Value::Null);
    }
    Some(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::outbox::Outbox;

    /// Exactly what the previous version stored (`wellness0.outbox`).
    const STORED: &str = r#"{"next_id":3,"items":[
        {"id":3,"reply_id":8,"body":{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}],
         "user_id":"ann","metadata":{"app":"wellness0","user_message_id":7,"reply_message_id":8},"version":"v2",
         "output_format":"v1.1","async_mode":true},"attempts":2,"next_attempt_ms":10.0,
         "last_error":"Could not reach mem0.","gave_up":false},
        {"id":2,"reply_id":null,"body":{"messages":[{"role":"user","content":"Likes tea"}],"user_id":"ann",
         "metadata":{"app":"wellness0","imported":true},"version":"v2","output_format":"v1.1","async_mode":true,
         "infer":false},"attempts":0,"next_attempt_ms":0.0,"last_error":null,"gave_up":true}]}"#;

    #[test]
    fn waiting_writes_of_the_previous_version_still_go_out() {
        let outbox = Outbox::restore(STORED).expect("the old format is read");
        let first = &outbox.items[0];
        assert_eq!((first.turn.user_id.as_str(), first.turn.messages.len(), first.turn.infer), ("ann", 2, true));
        assert_eq!(first.turn.messages[1].content, "hello");
        assert_eq!(first.turn.metadata["reply_message_id"], 8);
        assert_eq!((first.reply_id, first.attempts, first.last_error.clone()), (Some(8), 2, None));
        let imported = &outbox.items[1];
        assert!(!imported.turn.infer && imported.gave_up);
        assert_eq!(outbox.next_due(10.0).unwrap().id, 3);
        let again = serde_json::to_string(&outbox).unwrap();
        assert_eq!(Outbox::restore(&again).unwrap(), outbox);
    }

    #[test]
    fn garbage_is_not_an_outbox() {
        assert!(outbox("[]").is_none());
        assert!(outbox(r#"{"items":[{"id":1}]}"#).is_none());
    }
}
