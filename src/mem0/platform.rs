//! The mem0 Platform (`api.mem0.ai`, or our proxy in front of it): key as
//! `Authorization: Token …`, paths ending in `/`, adds processed in the background (events).

use super::backend::{encode_component, AddAnswer, Capabilities, EventStatus, HttpCall, MemoryBackend};
use super::user_id::UserId;
use super::wire::TurnWrite;
use serde_json::{json, Value};

/// Largest page the list call asks for.
pub const PAGE_SIZE: u32 = 500;

/// Lowest relevance a search result needs. mem0's own current default (v3 search) is 0.1;
/// the model is told to use memories only when they help, so recall matters more than precision.
pub const SEARCH_THRESHOLD: f64 = 0.1;

pub struct Platform;

/// `filters` selecting one user's memories.
fn user_filter(user: &UserId) -> Value {
    json!({"AND": [{"user_id": user.as_str()}]})
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
        HttpCall::post("/v2/memories/search/", body)
    }

    fn add(&self, user: &UserId, write: &TurnWrite) -> HttpCall {
        let mut body = json!({
            "messages": write.messages,
            "user_id": user.as_str(),
            "metadata": write.metadata,
            "version": "v2",
            "output_format": "v1.1",
            "async_mode": true,
        });
        if !write.infer {
            body["infer"] = json!(false);
        }
        HttpCall::post("/v1/memories/", body)
    }

    fn read_add(&self, answer: &Value) -> AddAnswer {
        let first = match answer {
            Value::Array(items) => items.first(),
            Value::Object(map) => match map.get("results") {
                Some(Value::Array(items)) => items.first(),
                _ => Some(answer),
            },
            _ => None,
        };
        match first.and_then(|f| f.get("event_id")).and_then(Value::as_str) {
            Some(id) => AddAnswer::Queued { event_id: id.to_owned() },
            None => AddAnswer::Done,
        }
    }

    fn list_page(&self, user: &UserId, page: u32) -> HttpCall {
        HttpCall::post(
            format!("/v2/memories/?page={page}&page_size={PAGE_SIZE}"),
            json!({"filters": user_filter(user)}),
        )
    }

    fn update(&self, memory_id: &str, text: &str) -> HttpCall {
        HttpCall { method: "PUT", path: memory_path(memory_id), body: Some(json!({"text": text})) }
    }

    fn delete(&self, memory_id: &str) -> HttpCall {
        HttpCall { method: "DELETE", path: memory_path(memory_id), body: None }
    }

    fn delete_all(&self, user: &UserId) -> HttpCall {
        HttpCall {
            method: "DELETE",
            path: format!("/v1/memories/?user_id={}", encode_component(user.as_str())),
            body: None,
        }
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
            Some("SUCCEEDED") => EventStatus::Succeeded,
            Some("FAILED") => EventStatus::Failed,
            _ => EventStatus::Pending,
        }
    }
}

fn memory_path(memory_id: &str) -> String {
    format!("/v1/memories/{}/", encode_component(memory_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mem0::wire::TurnMessage;

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
    fn add_sends_only_the_turn_it_is_given() {
        let call = Platform.add(&ann(), &turn(true));
        assert_eq!((call.method, call.path.as_str()), ("POST", "/v1/memories/"));
        let body = call.body.unwrap();
        assert_eq!(body["messages"].as_array().unwrap().len(), 2);
        assert_eq!(body["user_id"], "ann");
        assert_eq!(body["async_mode"], true);
        assert_eq!(body["version"], "v2");
        assert!(body.get("infer").is_none());
        assert_eq!(Platform.add(&ann(), &turn(false)).body.unwrap()["infer"], false);
    }

    #[test]
    fn event_ids_of_queued_adds() {
        let queued = |v: Value| Platform.read_add(&v);
        let v1 = json!({"results": [{"message": "queued", "status": "PENDING", "event_id": "e1"}], "relations": []});
        assert_eq!(queued(v1), AddAnswer::Queued { event_id: "e1".into() });
        assert_eq!(queued(json!([{"event_id": "e2"}])), AddAnswer::Queued { event_id: "e2".into() });
        assert_eq!(queued(json!({"event_id": "e3", "status": "PENDING"})), AddAnswer::Queued { event_id: "e3".into() });
        assert_eq!(queued(json!({"results": [{"id": "m", "event": "ADD"}]})), AddAnswer::Done);
        assert_eq!(Platform.read_event(&json!({"status": "SUCCEEDED"})), EventStatus::Succeeded);
        assert_eq!(Platform.read_event(&json!({"status": "RUNNING"})), EventStatus::Pending);
    }

    #[test]
    fn search_and_list_filter_by_user() {
        let call = Platform.search(&ann(), "war story", 8);
        let body = call.body.unwrap();
        assert_eq!(body["filters"], json!({"AND": [{"user_id": "ann"}]}));
        assert_eq!(body["query"], "war story");
        let list = Platform.list_page(&ann(), 2);
        assert_eq!(list.path, "/v2/memories/?page=2&page_size=500");
        assert_eq!(list.body.unwrap()["filters"], json!({"AND": [{"user_id": "ann"}]}));
    }

    #[test]
    fn ids_stay_inside_their_path_segment() {
        assert_eq!(Platform.delete("../ping").path, "/v1/memories/..%2Fping/");
        assert_eq!(Platform.history("a/b").path, "/v1/memories/a%2Fb/history/");
        assert_eq!(Platform.delete_all(&UserId::parse("a@b").unwrap()).path, "/v1/memories/?user_id=a%40b");
        assert_eq!(Platform.auth_header(" k "), ("authorization", "Token k".into()));
    }
}
