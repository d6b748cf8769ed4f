//! Unit tests of [`super::bind`]: every call, both modes, both backends.

use serde_json::{json, Value};

use super::*;
use crate::mem0::MemoryOp;

const ME: &str = "w0-alice";
const UUID: &str = "3f2b6c1e-9a4d-4c7e-8b1a-0d2e4f6a8b9c";

/// The JSON body, or none for `null`.
fn body(v: Value) -> Bytes {
    if v.is_null() {
        return Bytes::new();
    }
    Bytes::from(serde_json::to_vec(&v).unwrap())
}

fn json_of(b: &Bound) -> Value {
    serde_json::from_slice(&b.body).unwrap()
}

fn shared(backend: Backend, call: Call, query: Option<&str>, v: Value) -> Result<Bound, BindError> {
    bind(backend, &call, Some(ME), query, &body(v))
}

fn personal(backend: Backend, call: Call, query: Option<&str>, v: Value) -> Result<Bound, BindError> {
    bind(backend, &call, None, query, &body(v))
}

#[test]
fn add_gets_the_persons_user_id() {
    for backend in [Backend::Platform, Backend::SelfHosted] {
        let msgs = json!([{"role": "user", "content": "I run on Sundays"}]);
        let b = shared(backend, Call::Add, None, json!({"messages": msgs, "metadata": {"turn": 3}})).unwrap();
        assert_eq!(json_of(&b), json!({"messages": msgs, "metadata": {"turn": 3}, "user_id": ME}));
        let b = shared(backend, Call::Add, None, json!({"messages": msgs, "user_id": ME})).unwrap();
        assert_eq!(json_of(&b)["user_id"], ME);
        for other in [
            json!({"messages": msgs, "user_id": "bob"}),
            json!({"messages": msgs, "user_id": "*"}),
            json!({"messages": msgs, "agent_id": "x"}),
            json!({"messages": msgs, "run_id": "x"}),
            json!({"messages": msgs, "app_id": "x"}),
            json!({"messages": msgs, "org_id": "x"}),
            json!({"messages": msgs, "metadata": {"user_id": "bob"}}),
            json!({"messages": msgs, "user_id": [ME]}),
        ] {
            let err = shared(backend, Call::Add, None, other.clone()).unwrap_err();
            assert!(err.is_forbidden(), "{other}: {err:?}");
        }
        assert_eq!(bind(backend, &Call::Add, Some(ME), None, &Bytes::from("not json")), Err(BindError::NotJson));
        // Personal mode too: a body the proxy cannot read is never forwarded unchecked, such as
        // a wildcard hidden behind a lone surrogate that a laxer parser upstream would accept.
        let smuggled = Bytes::from(r#"{"query": "q", "user_id": "*", "x": "\ud800"}"#);
        for person in [None, Some(ME)] {
            assert_eq!(bind(backend, &Call::Search, person, None, &smuggled), Err(BindError::NotJson));
            assert_eq!(bind(backend, &Call::Add, person, None, &Bytes::from("user_id=*")), Err(BindError::NotJson));
        }
        assert!(bind(backend, &Call::Ping, None, None, &Bytes::from("  ")).is_ok(), "an empty body is fine");
        assert_eq!(shared(backend, Call::Add, None, json!([1])).unwrap_err(), BindError::NotAnObject);
    }
}

#[test]
fn platform_search_and_list_are_filtered_to_the_person() {
    let client = json!({"OR": [{"categories": {"contains": "health"}}, {"created_at": {"gte": "2026-01-01"}}]});
    for call in [Call::Search, Call::List] {
        let b = shared(
            Backend::Platform,
            call.clone(),
            Some("page=2&page_size=200"),
            json!({"query": "sleep", "filters": client}),
        )
        .unwrap();
        let v = json_of(&b);
        assert_eq!(v["filters"], json!({"AND": [{"user_id": ME}, client]}), "{call:?}");
        assert_eq!(v["query"], "sleep");
        assert_eq!(b.query.as_deref(), Some("page=2&page_size=200"));
        // No filter at all, or the page's own (correct) one.
        let b = shared(Backend::Platform, call.clone(), None, json!({"query": "x"})).unwrap();
        assert_eq!(json_of(&b)["filters"], json!({"AND": [{"user_id": ME}]}));
        let mine = json!({"AND": [{"user_id": ME}]});
        let b = shared(Backend::Platform, call.clone(), None, json!({"filters": mine})).unwrap();
        assert_eq!(json_of(&b)["filters"], json!({"AND": [{"user_id": ME}, mine]}));
        let b = bind(Backend::Platform, &call, Some(ME), None, &Bytes::new()).unwrap();
        assert_eq!(json_of(&b)["filters"], json!({"AND": [{"user_id": ME}]}));
    }
}

#[test]
fn other_ids_and_wildcards_are_refused_anywhere_in_a_filter() {
    for backend in [Backend::Platform, Backend::SelfHosted] {
        for filters in [
            json!({"AND": [{"user_id": "*"}]}),
            json!({"AND": [{"user_id": "bob"}]}),
            json!({"user_id": "bob"}),
            json!({"OR": [{"user_id": ME}, {"user_id": "bob"}]}),
            json!({"AND": [{"OR": [{"NOT": [{"user_id": "bob"}]}]}]}),
            json!({"user_id": {"in": [ME, "bob"]}}),
            json!({"user_id": {"ne": ME}}),
            json!({"user_id": null}),
            json!({"agent_id": "*"}),
            json!({"AND": [{"user_id": ME}, {"run_id": "r1"}]}),
            json!({"metadata": {"user_id": "bob"}}),
            json!({"project_id": "other-project"}),
        ] {
            let err = shared(backend, Call::Search, None, json!({"query": "q", "filters": filters})).unwrap_err();
            assert!(err.is_forbidden(), "{backend:?} {filters}: {err:?}");
        }
        // Top-level ids too (the self-hosted server merges them into the filter).
        let err = shared(backend, Call::Search, None, json!({"query": "q", "user_id": "bob"})).unwrap_err();
        assert_eq!(err, BindError::NotYours("user_id"));
        let err = shared(backend, Call::Search, None, json!({"query": "q", "filters": "user_id=bob"})).unwrap_err();
        assert_eq!(err, BindError::BadFilters);
    }
}

#[test]
fn self_hosted_filters_and_queries_carry_only_the_person() {
    let b =
        shared(Backend::SelfHosted, Call::Search, None, json!({"query": "q", "filters": {"categories": "x"}})).unwrap();
    assert_eq!(json_of(&b)["filters"], json!({"categories": "x", "user_id": ME}));
    let b = shared(Backend::SelfHosted, Call::Search, None, json!({"query": "q"})).unwrap();
    assert_eq!(json_of(&b)["filters"], json!({"user_id": ME}));
    // List: the query names the person; other parameters stay.
    let b = shared(Backend::SelfHosted, Call::List, Some("top_k=1000&show_expired=false"), Value::Null).unwrap();
    assert_eq!(b.query.as_deref(), Some(&*format!("top_k=1000&show_expired=false&user_id={ME}")));
    let b = shared(Backend::SelfHosted, Call::List, None, Value::Null).unwrap();
    assert_eq!(b.query.as_deref(), Some(&*format!("user_id={ME}")));
    let b = shared(Backend::SelfHosted, Call::List, Some(&format!("user_id={ME}&top_k=5")), Value::Null).unwrap();
    assert_eq!(b.query.as_deref(), Some(&*format!("top_k=5&user_id={ME}")));
    for q in
        ["user_id=bob", "user_id=%2A", "user%5Fid=bob", "agent_id=a", &format!("user_id={ME}&user_id=bob"), "run_id=r"]
    {
        let err = shared(Backend::SelfHosted, Call::List, Some(q), Value::Null).unwrap_err();
        assert!(err.is_forbidden(), "{q}: {err:?}");
    }
}

#[test]
fn delete_all_is_scoped_to_the_person() {
    for backend in [Backend::Platform, Backend::SelfHosted] {
        let b = shared(backend, Call::DeleteAll, None, Value::Null).unwrap();
        assert_eq!(b.query.as_deref(), Some(&*format!("user_id={ME}")));
        let b = shared(backend, Call::DeleteAll, Some(&format!("user_id={ME}&extra=1")), Value::Null).unwrap();
        assert_eq!(b.query.as_deref(), Some(&*format!("user_id={ME}")));
        for q in ["user_id=*", "user_id=bob", "user_id=", "agent_id=x", "app_id=*"] {
            assert!(shared(backend, Call::DeleteAll, Some(q), Value::Null).unwrap_err().is_forbidden(), "{q}");
        }
    }
}

#[test]
fn calls_on_one_memory_or_event_are_checked_upstream() {
    let id = UUID.to_owned();
    for (backend, call) in [
        (Backend::Platform, Call::Memory(id.clone(), MemoryOp::Get)),
        (Backend::Platform, Call::Memory(id.clone(), MemoryOp::Update)),
        (Backend::SelfHosted, Call::Memory(id.clone(), MemoryOp::Delete)),
        (Backend::SelfHosted, Call::History(id.clone())),
    ] {
        let b = shared(backend, call, None, json!({"text": "new"})).unwrap();
        assert_eq!(b.check, OwnerCheck::Memory(id.clone()));
    }
    let b =
        shared(Backend::Platform, Call::Feedback, None, json!({"memory_id": UUID, "feedback": "POSITIVE"})).unwrap();
    assert_eq!(b.check, OwnerCheck::Memory(id.clone()));
    for bad in [json!({"feedback": "POSITIVE"}), json!({"memory_id": "../x"}), json!({"memory_id": 5})] {
        assert_eq!(shared(Backend::Platform, Call::Feedback, None, bad).unwrap_err(), BindError::NoMemoryId);
    }
    let b = shared(Backend::Platform, Call::Event(id.clone()), None, Value::Null).unwrap();
    assert_eq!(b.check, OwnerCheck::Event);
    // An edit cannot move a memory to someone else.
    let err =
        shared(Backend::Platform, Call::Memory(id, MemoryOp::Update), None, json!({"metadata": {"user_id": "bob"}}));
    assert!(err.unwrap_err().is_forbidden());
}

#[test]
fn personal_mode_forwards_as_is_but_refuses_empty_and_wildcard_ids() {
    let add = json!({"messages": [{"role": "user", "content": "hi *"}], "user_id": "alice"});
    let b = personal(Backend::Platform, Call::Add, None, add.clone()).unwrap();
    assert_eq!(b.body, body(add));
    assert_eq!(b.check, OwnerCheck::None);
    let search = json!({"query": "q", "filters": {"AND": [{"user_id": "alice"}]}});
    let b = personal(Backend::Platform, Call::Search, None, search.clone()).unwrap();
    assert_eq!(b.body, body(search));
    for v in [
        json!({"query": "q", "filters": {"AND": [{"user_id": "*"}]}}),
        json!({"query": "q", "filters": {"user_id": ""}}),
        json!({"query": "q", "filters": {"user_id": {"in": ["a", "*"]}}}),
        json!({"query": "q", "filters": {"OR": [{"agent_id": "a*"}]}}),
        json!({"query": "q", "user_id": "  "}),
    ] {
        let err = personal(Backend::Platform, Call::Search, None, v.clone()).unwrap_err();
        assert!(matches!(err, BindError::WildcardOrEmpty(_)), "{v}: {err:?}");
    }
    for q in ["user_id=*", "user_id=", "user_id=%2A", "user_id=a&agent_id=*"] {
        let err = personal(Backend::Platform, Call::DeleteAll, Some(q), Value::Null).unwrap_err();
        assert!(matches!(err, BindError::WildcardOrEmpty(_)), "{q}: {err:?}");
    }
    assert_eq!(personal(Backend::Platform, Call::DeleteAll, None, Value::Null), Err(BindError::NoUserId));
    assert_eq!(personal(Backend::SelfHosted, Call::List, Some("top_k=5"), Value::Null), Err(BindError::NoUserId));
    let b = personal(Backend::SelfHosted, Call::List, Some("user_id=alice&top_k=5"), Value::Null).unwrap();
    assert_eq!(b.query.as_deref(), Some("user_id=alice&top_k=5"));
    let b = personal(Backend::Platform, Call::Memory(UUID.into(), MemoryOp::Delete), None, Value::Null).unwrap();
    assert_eq!(b.check, OwnerCheck::None);
}
