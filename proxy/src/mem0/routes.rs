//! The mem0 allow-list, per backend: exactly the calls the app makes, matched on the raw
//! (still percent-encoded) path so encoded slashes or dots never slip through. Anything else
//! is a 404 and never leaves the proxy.
//!
//! | call | Platform | self-hosted |
//! |---|---|---|
//! | key check | `GET /v1/ping/` | — |
//! | add | `POST /v3/memories/add/` | `POST /memories` |
//! | event | `GET /v1/event/{id}/` | — |
//! | search | `POST /v3/memories/search/` | `POST /search` |
//! | list | `POST /v3/memories/?page=&page_size=` | `GET /memories?user_id=…` |
//! | one / edit / delete | `GET`/`PUT`/`DELETE /v1/memories/{uuid}/` | `GET`/`PUT`/`DELETE /memories/{uuid}` |
//! | history | `GET /v1/memories/{uuid}/history/` | `GET /memories/{uuid}/history` |
//! | feedback | `POST /v1/feedback/` | — |
//! | delete all | `DELETE /v1/memories/?user_id=…` | `DELETE /memories?user_id=…` |

use axum::http::Method;

use super::{Backend, Call, MemoryOp};
use crate::allow::{is_plain_id, is_uuid};

/// The call and the upstream path for `method` and `path` (what follows `/api/mem0`), or
/// `None` when the app makes no such call on `backend`.
pub fn route(backend: Backend, method: &Method, path: &str) -> Option<(Call, String)> {
    match backend {
        Backend::Platform => platform(method, path),
        Backend::SelfHosted => self_hosted(method, path),
    }
}

fn platform(method: &Method, path: &str) -> Option<(Call, String)> {
    // Platform paths always end with `/`.
    let inner = path.strip_prefix('/')?.strip_suffix('/')?;
    let segs: Vec<&str> = inner.split('/').collect();
    let m = method.as_str();
    let call = match (m, segs.as_slice()) {
        ("GET", ["v1", "ping"]) => Call::Ping,
        ("POST", ["v3", "memories", "add"]) => Call::Add,
        ("POST", ["v3", "memories", "search"]) => Call::Search,
        ("POST", ["v3", "memories"]) => Call::List,
        ("GET", ["v1", "event", id]) if is_plain_id(id) => Call::Event((*id).to_owned()),
        (_, ["v1", "memories", id]) if is_uuid(id) => Call::Memory((*id).to_owned(), memory_op(method)?),
        ("GET", ["v1", "memories", id, "history"]) if is_uuid(id) => Call::History((*id).to_owned()),
        ("POST", ["v1", "feedback"]) => Call::Feedback,
        ("DELETE", ["v1", "memories"]) => Call::DeleteAll,
        _ => return None,
    };
    Some((call, format!("/{inner}/")))
}

fn self_hosted(method: &Method, path: &str) -> Option<(Call, String)> {
    // The open-source server has no trailing slashes (one is a 404 there).
    let inner = path.strip_prefix('/')?;
    let segs: Vec<&str> = inner.split('/').collect();
    let m = method.as_str();
    let call = match (m, segs.as_slice()) {
        ("POST", ["memories"]) => Call::Add,
        ("GET", ["memories"]) => Call::List,
        ("DELETE", ["memories"]) => Call::DeleteAll,
        ("POST", ["search"]) => Call::Search,
        (_, ["memories", id]) if is_uuid(id) => Call::Memory((*id).to_owned(), memory_op(method)?),
        ("GET", ["memories", id, "history"]) if is_uuid(id) => Call::History((*id).to_owned()),
        _ => return None,
    };
    Some((call, format!("/{inner}")))
}

fn memory_op(method: &Method) -> Option<MemoryOp> {
    match *method {
        Method::GET => Some(MemoryOp::Get),
        Method::PUT => Some(MemoryOp::Update),
        Method::DELETE => Some(MemoryOp::Delete),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "3f2b6c1e-9a4d-4c7e-8b1a-0d2e4f6a8b9c";

    fn m(s: &str) -> Method {
        Method::from_bytes(s.as_bytes()).unwrap()
    }

    #[test]
    fn platform_calls_map_one_to_one() {
        let id = UUID.to_owned();
        let allowed = [
            ("GET", "/v1/ping/".to_owned(), Call::Ping),
            ("POST", "/v3/memories/add/".into(), Call::Add),
            ("POST", "/v3/memories/search/".into(), Call::Search),
            ("POST", "/v3/memories/".into(), Call::List),
            ("GET", format!("/v1/event/{UUID}/"), Call::Event(id.clone())),
            ("GET", format!("/v1/memories/{UUID}/"), Call::Memory(id.clone(), MemoryOp::Get)),
            ("PUT", format!("/v1/memories/{UUID}/"), Call::Memory(id.clone(), MemoryOp::Update)),
            ("DELETE", format!("/v1/memories/{UUID}/"), Call::Memory(id.clone(), MemoryOp::Delete)),
            ("GET", format!("/v1/memories/{UUID}/history/"), Call::History(id.clone())),
            ("POST", "/v1/feedback/".into(), Call::Feedback),
            ("DELETE", "/v1/memories/".into(), Call::DeleteAll),
        ];
        for (method, path, call) in allowed {
            assert_eq!(route(Backend::Platform, &m(method), &path), Some((call, path.clone())), "{method} {path}");
            assert_eq!(route(Backend::SelfHosted, &m(method), &path), None, "{method} {path} on self-hosted");
        }
    }

    #[test]
    fn self_hosted_calls_map_one_to_one() {
        let id = UUID.to_owned();
        let allowed = [
            ("POST", "/memories".to_owned(), Call::Add),
            ("GET", "/memories".into(), Call::List),
            ("DELETE", "/memories".into(), Call::DeleteAll),
            ("POST", "/search".into(), Call::Search),
            ("GET", format!("/memories/{UUID}"), Call::Memory(id.clone(), MemoryOp::Get)),
            ("PUT", format!("/memories/{UUID}"), Call::Memory(id.clone(), MemoryOp::Update)),
            ("DELETE", format!("/memories/{UUID}"), Call::Memory(id.clone(), MemoryOp::Delete)),
            ("GET", format!("/memories/{UUID}/history"), Call::History(id.clone())),
        ];
        for (method, path, call) in allowed {
            assert_eq!(route(Backend::SelfHosted, &m(method), &path), Some((call, path.clone())), "{method} {path}");
            assert_eq!(route(Backend::Platform, &m(method), &path), None, "{method} {path} on the Platform");
        }
    }

    #[test]
    fn everything_else_is_refused() {
        for (method, path) in [
            // Deprecated Platform calls the app no longer makes, and batch / entities.
            ("POST", "/v1/memories/"),
            ("GET", "/v1/memories/"),
            ("POST", "/v1/memories/search/"),
            ("POST", "/v2/memories/search/"),
            ("POST", "/v2/memories/"),
            ("PUT", "/v1/batch/"),
            ("DELETE", "/v1/batch/"),
            ("GET", "/v1/entities/"),
            ("DELETE", "/v2/entities/user/alice/"),
            ("GET", "/v1/events/"),
            ("POST", "/v1/exports/"),
            ("GET", "/v1/ping"),
            ("POST", "/v1/ping/"),
            ("GET", "/v1/memories/not-a-uuid/"),
            ("GET", "/v1/memories/../ping/"),
            ("GET", "/v1/memories/%2e%2e/"),
            ("GET", "/v1/memories/3f2b6c1e-9a4d-4c7e-8b1a-0d2e4f6a8b9c%2F/"),
            ("POST", "/v1/memories/3f2b6c1e-9a4d-4c7e-8b1a-0d2e4f6a8b9c/"),
            ("DELETE", "/v1/memories/3f2b6c1e-9a4d-4c7e-8b1a-0d2e4f6a8b9c/history/"),
            ("GET", "/v1/event/../"),
            ("GET", "/v1/event/a.b/"),
            ("GET", "/v1/event//"),
            ("POST", "//v3/memories/add/"),
            ("POST", "/v3//memories/add/"),
            ("POST", "/_fake/reset/"),
            ("GET", "/"),
            ("GET", ""),
        ] {
            assert_eq!(route(Backend::Platform, &m(method), path), None, "{method} {path}");
        }
        for (method, path) in [
            ("POST", "/memories/"),
            ("GET", "/memories/"),
            ("POST", "/search/"),
            ("POST", "/reset"),
            ("GET", "/configure"),
            ("POST", "/configure"),
            ("GET", "/memories/not-a-uuid"),
            ("POST", "/memories/3f2b6c1e-9a4d-4c7e-8b1a-0d2e4f6a8b9c"),
            ("GET", "/memories/3f2b6c1e-9a4d-4c7e-8b1a-0d2e4f6a8b9c/"),
            ("DELETE", "/memories/3f2b6c1e-9a4d-4c7e-8b1a-0d2e4f6a8b9c/history"),
            ("GET", "/entities"),
            ("GET", "/api-keys"),
            ("POST", "/auth/login"),
            ("GET", "/docs"),
            ("GET", "/"),
            ("GET", "//memories"),
            ("GET", "/memories%2F"),
        ] {
            assert_eq!(route(Backend::SelfHosted, &m(method), path), None, "{method} {path}");
        }
    }
}
