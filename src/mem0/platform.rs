//! The mem0 Platform (`api.mem0.ai`, or our proxy in front of it), on its current API: v3 for
//! add, search and list; v1 for single memories, history, feedback, events and delete-all. Key
//! as `Authorization: Token …`; paths end in `/`; adds are processed in the background (events).

use super::backend::{encode_component, AddAnswer, Capabilities, EventStatus, HttpCall, MemoryBackend};
use super::user_id::UserId;
use super::wire::{parse_saved, TurnWrite};
use serde_json::{json, Value};

/// Largest page v3 lists (its maximum).
pub const PAGE_SIZE: u32 = 200;

/// The search's semantic gate. v3 applies `threshold` to the semantic (embedding) part of the
/// score before combining it with keyword and entity signals, so the gate the app used on v2's
/// semantic scores carries over unchanged: mem0's own default, 0.1. No cut is made on the
/// combined score, which inactive signals scale down (see docs/memory-backends.md).
pub const SEARCH_THRESHOLD: f64 = 0.1;

pub struct Platform;

/// `filters` selecting one user's memories (v3 takes ids only inside `filters`).
fn user_filter(user: &UserId) -> Value {
    json!({"AND": [{"user_id": user.as_str()}]})
}

fn memory_path(memory_id: &str) -> String {
    format!("/v1/memories/{}/", encode_component(memory_id))
}

impl MemoryBackend for Platform {
    fn capabilities(&self) -> Capabilities {
        Capabilities { feedback: true, events: true }
    }

    fn auth_header(&self, key: &str) -> (&'static str, String) {
        ("authorization", format!("Token {}", key.trim()))
    }

    fn search(&self, user: &UserId, query: &str, top_k: u32) -> HttpCall {
        let body = json!({"query": query, "filters": user_filter(user), "top_k": top_k,
            "threshold": SEARCH_THRESHOLD, "rerank": false});
        HttpCall::post("/v3/memories/search/", body)
    }

    fn add(&self, user: &UserId, write: &TurnWrite) -> HttpCall {
        let mut body = json!({"messages": write.messages, "user_id": user.as_str(), "metadata": write.metadata});
        if !write.infer {
            body["infer"] = json!(false);
        }
        HttpCall::post("/v3/memories/add/", body)
    }

    fn read_add(&self, answer: &Value) -> AddAnswer {
        // An extracting add is queued; a verbatim one (`infer: false`) answers its results at once.
        match (answer.get("event_id").and_then(Value::as_str), answer.get("status").and_then(Value::as_str)) {
            (Some(id), Some("PENDING" | "RUNNING")) | (Some(id), None) if answer.get("results").is_none() => {
                AddAnswer::Queued { event_id: id.to_owned() }
            }
            _ => AddAnswer::Done { saved: parse_saved(answer.get("results")) },
        }
    }

    fn list_page(&self, user: &UserId, page: u32) -> HttpCall {
        HttpCall::post(
            format!("/v3/memories/?page={page}&page_size={PAGE_SIZE}"),
            json!({"filters": user_filter(user)}),
        )
    }

    fn memory_path(&self, memory_id: &str) -> String {
        memory_path(memory_id)
    }

    fn delete_all(&self, user: &UserId) -> HttpCall {
        HttpCall::delete(format!("/v1/memories/?user_id={}", encode_component(user.as_str())))
    }

    fn history(&self, memory_id: &str) -> HttpCall {
        HttpCall::get(format!("{}history/", memory_path(memory_id)))
    }

    fn feedback(&self, memory_id: &str, useful: bool) -> Option<HttpCall> {
        let feedback = if useful { "POSITIVE" } else { "NEGATIVE" };
        let body = json!({"memory_id": memory_id, "feedback": feedback, "feedback_reason": null});
        Some(HttpCall::post("/v1/feedback/", body))
    }

    fn event(&self, event_id: &str) -> Option<HttpCall> {
        Some(HttpCall::get(format!("/v1/event/{}/", encode_component(event_id))))
    }

    fn read_event(&self, answer: &Value) -> EventStatus {
        match answer.get("status").and_then(Value::as_str) {
            Some("SUCCEEDED") => EventStatus::Succeeded { saved: parse_saved(answer.get("results")) },
            Some("FAILED") => EventStatus::Failed,
            _ => EventStatus::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mem0::wire::{SavedMemory, TurnMessage};

    fn ann() -> UserId {
        UserId::parse("ann").unwrap()
    }

    fn turn(infer: bool) -> TurnWrite {
        TurnWrite {
            user_id: "ann".into(),
            messages: vec![
                TurnMessage { role: "user".into(), content: "hi".into() },
                TurnMessage { role: "assistant".into(), content: "hello".into() },
            ],
            metadata: json!({"app": "wellness0"}),
            infer,
        }
    }

    #[test]
    fn add_is_v3_and_sends_only_the_turn_it_is_given() {
        let call = Platform.add(&ann(), &turn(true));
        assert_eq!((call.method, call.path.as_str()), ("POST", "/v3/memories/add/"));
        let body = call.body.unwrap();
        assert_eq!(
            body,
            json!({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
            "user_id": "ann", "metadata": {"app": "wellness0"}})
        );
        assert_eq!(Platform.add(&ann(), &turn(false)).body.unwrap()["infer"], false);
    }

    #[test]
    fn add_answers_and_events() {
        let queued = Platform.read_add(&json!({"event_id": "e1", "status": "PENDING"}));
        assert_eq!(queued, AddAnswer::Queued { event_id: "e1".into() });
        let verbatim = json!({"message": "Memories stored successfully", "status": "SUCCEEDED", "event_id": "e2",
            "results": [{"id": "m1", "data": {"memory": "Likes tea"}, "event": "ADD"}]});
        let saved = vec![SavedMemory { id: "m1".into(), text: "Likes tea".into(), event: "ADD".into() }];
        assert_eq!(Platform.read_add(&verbatim), AddAnswer::Done { saved: saved.clone() });
        let done = json!({"id": "e1", "status": "SUCCEEDED", "results": [{"id": "m1", "event": "ADD", "user_id": "ann",
            "data": {"memory": "Likes tea"}}]});
        assert_eq!(Platform.read_event(&done), EventStatus::Succeeded { saved });
        assert_eq!(Platform.read_event(&json!({"status": "RUNNING"})), EventStatus::Pending);
        assert_eq!(Platform.read_event(&json!({"status": "FAILED", "error": "x"})), EventStatus::Failed);
        assert_eq!(Platform.event("e1").unwrap().path, "/v1/event/e1/");
    }

    #[test]
    fn search_and_list_are_v3_with_ids_only_in_filters() {
        let call = Platform.search(&ann(), "war story", 8);
        assert_eq!(call.path, "/v3/memories/search/");
        let body = call.body.unwrap();
        assert_eq!(body["filters"], json!({"AND": [{"user_id": "ann"}]}));
        assert!(body.get("user_id").is_none(), "v3 refuses top-level ids");
        assert_eq!((body["query"].as_str(), body["top_k"].as_u64()), (Some("war story"), Some(8)));
        let list = Platform.list_page(&ann(), 2);
        assert_eq!(list.path, "/v3/memories/?page=2&page_size=200");
        assert_eq!(list.body.unwrap(), json!({"filters": {"AND": [{"user_id": "ann"}]}}));
    }

    #[test]
    fn ids_stay_inside_their_path_segment() {
        assert_eq!(Platform.get("m1").path, "/v1/memories/m1/");
        assert_eq!(Platform.delete("../ping").path, "/v1/memories/..%2Fping/");
        assert_eq!(Platform.delete("..").path, "/v1/memories/%2E%2E/");
        assert_eq!(Platform.get(".").path, "/v1/memories/%2E/");
        assert_eq!(Platform.event("..").unwrap().path, "/v1/event/%2E%2E/");
        assert_eq!(Platform.delete_all(&UserId::parse("..").unwrap()).path, "/v1/memories/?user_id=%2E%2E");
        assert_eq!(Platform.history("a/b").path, "/v1/memories/a%2Fb/history/");
        assert_eq!(Platform.delete_all(&UserId::parse("a@b").unwrap()).path, "/v1/memories/?user_id=a%40b");
        assert_eq!(Platform.auth_header(" k "), ("authorization", "Token k".into()));
    }
}
