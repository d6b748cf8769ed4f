//! A self-hosted mem0 server (mem0's open-source REST server, on the person's own machine):
//! key as `X-API-Key` (optional: the server can run without auth), no trailing slashes (a slash
//! is a 404 there), adds answered at once with what they saved, one unpaginated list, and no
//! feedback or events.

use super::backend::{encode_component, AddAnswer, Capabilities, EventStatus, HttpCall, MemoryBackend};
use super::platform::SEARCH_THRESHOLD;
use super::user_id::UserId;
use super::wire::{parse_saved, TurnWrite};
use serde_json::{json, Value};

/// The list's cap: without `top_k` the server returns only 20 memories; 1000 is its maximum.
pub const LIST_TOP_K: u32 = 1000;

pub struct SelfHosted;

fn memory_path(memory_id: &str) -> String {
    format!("/memories/{}", encode_component(memory_id))
}

impl MemoryBackend for SelfHosted {
    fn capabilities(&self) -> Capabilities {
        Capabilities { feedback: false, events: false }
    }

    fn auth_header(&self, key: &str) -> (&'static str, String) {
        ("x-api-key", key.trim().to_owned())
    }

    fn search(&self, user: &UserId, query: &str, top_k: u32) -> HttpCall {
        let body = json!({"query": query, "filters": {"user_id": user.as_str()}, "top_k": top_k,
            "threshold": SEARCH_THRESHOLD});
        HttpCall::post("/search", body)
    }

    fn add(&self, user: &UserId, write: &TurnWrite) -> HttpCall {
        let body = json!({"messages": write.messages, "user_id": user.as_str(), "metadata": write.metadata,
            "infer": write.infer});
        HttpCall::post("/memories", body)
    }

    fn read_add(&self, answer: &Value) -> AddAnswer {
        AddAnswer::Done { saved: parse_saved(answer.get("results")) }
    }

    fn list_page(&self, user: &UserId, _page: u32) -> HttpCall {
        HttpCall::get(format!("/memories?user_id={}&top_k={LIST_TOP_K}", encode_component(user.as_str())))
    }

    fn memory_path(&self, memory_id: &str) -> String {
        memory_path(memory_id)
    }

    fn delete_all(&self, user: &UserId) -> HttpCall {
        HttpCall::delete(format!("/memories?user_id={}", encode_component(user.as_str())))
    }

    fn history(&self, memory_id: &str) -> HttpCall {
        HttpCall::get(format!("{}/history", memory_path(memory_id)))
    }

    fn feedback(&self, _memory_id: &str, _useful: bool) -> Option<HttpCall> {
        None
    }

    fn event(&self, _event_id: &str) -> Option<HttpCall> {
        None
    }

    fn read_event(&self, _answer: &Value) -> EventStatus {
        EventStatus::Failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mem0::backend::MemoryChange;
    use crate::mem0::wire::{SavedMemory, TurnMessage};

    fn ann() -> UserId {
        UserId::parse("ann").unwrap()
    }

    #[test]
    fn calls_have_no_trailing_slash_and_use_the_servers_shapes() {
        let write = TurnWrite {
            user_id: "ann".into(),
            messages: vec![TurnMessage { role: "user".into(), content: "hi".into() }],
            metadata: json!({"app": "wellness0"}),
            infer: true,
        };
        let add = SelfHosted.add(&ann(), &write);
        assert_eq!((add.method, add.path.as_str()), ("POST", "/memories"));
        assert_eq!(add.body.unwrap()["infer"], true);
        let search = SelfHosted.search(&ann(), "q", 8);
        assert_eq!(search.path, "/search");
        assert_eq!(search.body.unwrap()["filters"], json!({"user_id": "ann"}));
        assert_eq!(SelfHosted.list_page(&ann(), 1).path, "/memories?user_id=ann&top_k=1000");
        for call in [
            SelfHosted.get("m1"),
            SelfHosted.update("m1", &MemoryChange { text: Some("t".into()), metadata: None }),
            SelfHosted.delete("m1"),
            SelfHosted.history("m1"),
            SelfHosted.delete_all(&ann()),
        ] {
            assert!(!call.path.contains("/?") && !call.path.ends_with('/'), "{}", call.path);
        }
        assert_eq!(SelfHosted.history("m1").path, "/memories/m1/history");
        assert_eq!(SelfHosted.delete("..").path, "/memories/%2E%2E");
        assert_eq!(SelfHosted.history(".").path, "/memories/%2E/history");
        assert_eq!(SelfHosted.delete_all(&ann()).path, "/memories?user_id=ann");
    }

    #[test]
    fn adds_are_done_at_once_and_there_is_no_feedback_or_event() {
        let answer = json!({"results": [{"id": "m1", "memory": "Likes tea", "event": "ADD"}]});
        let saved = vec![SavedMemory { id: "m1".into(), text: "Likes tea".into(), event: "ADD".into() }];
        assert_eq!(SelfHosted.read_add(&answer), AddAnswer::Done { saved });
        assert!(SelfHosted.feedback("m1", true).is_none() && SelfHosted.event("e").is_none());
        assert_eq!(SelfHosted.capabilities(), Capabilities { feedback: false, events: false });
        assert_eq!(SelfHosted.auth_header(" k "), ("x-api-key", "k".into()));
        // The list comes in one piece: nothing to follow.
        assert_eq!(SelfHosted.read_page(json!({"results": [{"id": "a", "memory": "m"}]})).next, None);
    }
}
