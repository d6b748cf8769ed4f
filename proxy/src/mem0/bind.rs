//! Binding each mem0 call to the person making it. In shared mode the proxy, not the page,
//! decides whose memories a call touches: every add gets the person's `user_id`; every search
//! and list is filtered to it (`{"AND": [{"user_id": <bound>}, <the page's filter>]}` on the
//! Platform; `user_id` set in the filter on self-hosted, where ids must sit at its top level);
//! list and delete-all queries carry only it; any other user, agent, app, run, org or project
//! id — or `*` — anywhere in a body or query is refused before anything is sent. Calls on one
//! memory or event are checked upstream first ([`crate::http::mem0::owner`]).
//!
//! In personal mode (one person owns the whole memory store) nothing is rewritten, but empty
//! ids and ids containing `*` are still refused: on the Platform `user_id=*` reaches every
//! user's memories, and a delete-all with it deletes them.

use axum::body::Bytes;
use serde_json::{json, Map, Value};
use url::form_urlencoded;

use super::{Backend, Call};
use crate::allow::is_uuid;

/// Keys that select whose memories a call touches (mem0's entity ids, and the Platform's
/// organisation and project selectors).
pub const ID_KEYS: [&str; 7] = ["user_id", "agent_id", "app_id", "run_id", "session_id", "org_id", "project_id"];

/// A call after binding: what to send upstream, and what to check there first.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    /// The query string to send (`None`: none).
    pub query: Option<String>,
    /// The body to send.
    pub body: Bytes,
    /// What must be confirmed upstream before (or, for events, after) forwarding.
    pub check: OwnerCheck,
}

/// An ownership check made upstream with the server's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerCheck {
    /// Nothing to check.
    None,
    /// The memory with this id must belong to the person.
    Memory(String),
    /// The event answered must belong to the person.
    Event,
}

/// Why a call was refused before anything was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BindError {
    /// The body is not a JSON object (shared mode must read and rewrite it).
    #[error("the request body must be a JSON object")]
    NotAnObject,
    /// The body is not JSON the proxy can read.
    #[error("the request body is not valid JSON")]
    NotJson,
    /// `filters` is not an object.
    #[error("filters must be a JSON object")]
    BadFilters,
    /// An empty id or one with `*`.
    #[error("{0} must be a real id: empty ids and ids with `*` are refused (user_id=* reaches every user's memories)")]
    WildcardOrEmpty(&'static str),
    /// A list or delete-all without a user id.
    #[error("this call needs a user_id")]
    NoUserId,
    /// Another person's id, or an id kind the app never uses.
    #[error("{0} is bound to the signed-in person by wellness0-proxy; other values are refused")]
    NotYours(&'static str),
    /// Feedback without a memory id.
    #[error("memory_id is missing or not a memory id")]
    NoMemoryId,
}

impl BindError {
    /// Whether this is a refusal of someone else's data (403) rather than a bad request (400).
    pub fn is_forbidden(&self) -> bool {
        matches!(self, BindError::NotYours(_))
    }
}

/// Binds `call` for `person` (`None`: personal mode). `query` and `body` are the client's.
pub fn bind(
    backend: Backend,
    call: &Call,
    person: Option<&str>,
    query: Option<&str>,
    body: &Bytes,
) -> Result<Bound, BindError> {
    let check_value = |key: &'static str, v: &Value| check_id(person, key, v);
    check_query(query, &check_value)?;
    let parsed = parse_body(body)?;
    if let Some(v) = &parsed {
        walk_ids(v, &check_value)?;
    }
    let mut out = Bound { query: query.map(str::to_owned), body: body.clone(), check: OwnerCheck::None };
    let needs_user_in_query =
        matches!(call, Call::DeleteAll) || (backend == Backend::SelfHosted && *call == Call::List);
    if needs_user_in_query && !query_has_user(query) && person.is_none() {
        return Err(BindError::NoUserId);
    }
    let Some(person) = person else {
        return Ok(out);
    };
    let mut obj = match parsed {
        Some(Value::Object(o)) => o,
        Some(_) => return Err(BindError::NotAnObject),
        None => Map::new(),
    };
    match call {
        Call::Ping => {}
        Call::Add => {
            obj.insert("user_id".into(), json!(person));
            out.body = to_bytes(obj);
        }
        Call::Search => out.body = with_bound_filters(backend, person, obj)?,
        Call::List if backend == Backend::Platform => out.body = with_bound_filters(backend, person, obj)?,
        Call::List => out.query = Some(rebuild_query(query, person, true)),
        Call::DeleteAll => out.query = Some(rebuild_query(query, person, false)),
        Call::Memory(id, _) | Call::History(id) => out.check = OwnerCheck::Memory(id.clone()),
        Call::Feedback => {
            let id = obj.get("memory_id").and_then(Value::as_str).filter(|id| is_uuid(id));
            out.check = OwnerCheck::Memory(id.ok_or(BindError::NoMemoryId)?.to_owned());
        }
        Call::Event(_) => out.check = OwnerCheck::Event,
    }
    Ok(out)
}

/// One id value: in personal mode no empty text and no `*` anywhere in it; in shared mode
/// exactly the person's id, and only as `user_id`.
fn check_id(person: Option<&str>, key: &str, v: &Value) -> Result<(), BindError> {
    let key = static_key(key);
    match person {
        None if has_wildcard_or_empty(v) => Err(BindError::WildcardOrEmpty(key)),
        None => Ok(()),
        Some(p) if key == "user_id" && v.as_str() == Some(p) => Ok(()),
        Some(_) => Err(BindError::NotYours(key)),
    }
}

fn static_key(key: &str) -> &'static str {
    ID_KEYS.iter().copied().find(|k| *k == key).unwrap_or("id")
}

fn has_wildcard_or_empty(v: &Value) -> bool {
    match v {
        Value::String(s) => s.trim().is_empty() || s.contains('*'),
        Value::Array(a) => a.iter().any(has_wildcard_or_empty),
        Value::Object(o) => o.values().any(has_wildcard_or_empty),
        _ => false,
    }
}

/// Calls `check` on every id key anywhere in `v` (filters nest under `AND`/`OR`/`NOT`, ids may
/// hide in `metadata`), without descending into an id's own value.
fn walk_ids(v: &Value, check: &impl Fn(&'static str, &Value) -> Result<(), BindError>) -> Result<(), BindError> {
    match v {
        Value::Object(o) => o.iter().try_for_each(|(k, val)| match ID_KEYS.iter().find(|id| *id == k) {
            Some(id) => check(id, val),
            None => walk_ids(val, check),
        }),
        Value::Array(a) => a.iter().try_for_each(|x| walk_ids(x, check)),
        _ => Ok(()),
    }
}

fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn check_query(
    query: Option<&str>,
    check: &impl Fn(&'static str, &Value) -> Result<(), BindError>,
) -> Result<(), BindError> {
    for (k, v) in query_pairs(query) {
        if let Some(id) = ID_KEYS.iter().find(|id| **id == k) {
            check(id, &Value::String(v))?;
        }
    }
    Ok(())
}

fn query_has_user(query: Option<&str>) -> bool {
    query_pairs(query).iter().any(|(k, _)| k == "user_id")
}

/// The query with every id replaced by the person's `user_id`; other parameters are kept when
/// `keep_others` (a list's `top_k`), dropped otherwise (delete-all takes nothing else).
fn rebuild_query(query: Option<&str>, person: &str, keep_others: bool) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    if keep_others {
        for (k, v) in query_pairs(query).iter().filter(|(k, _)| !ID_KEYS.contains(&k.as_str())) {
            out.append_pair(k, v);
        }
    }
    out.append_pair("user_id", person);
    out.finish()
}

/// The body with its `filters` replaced by the person's filter combined with the page's.
fn with_bound_filters(backend: Backend, person: &str, mut obj: Map<String, Value>) -> Result<Bytes, BindError> {
    let client = obj.remove("filters");
    obj.insert("filters".into(), bound_filters(backend, person, client)?);
    Ok(to_bytes(obj))
}

/// The person's filter combined with the page's.
fn bound_filters(backend: Backend, person: &str, client: Option<Value>) -> Result<Value, BindError> {
    let client = match client {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(o)) => o,
        Some(_) => return Err(BindError::BadFilters),
    };
    Ok(match backend {
        Backend::Platform if client.is_empty() => json!({"AND": [{"user_id": person}]}),
        Backend::Platform => json!({"AND": [{"user_id": person}, Value::Object(client)]}),
        // The open-source server needs an id at the top level of `filters`; its keys are ANDed.
        Backend::SelfHosted => {
            let mut f = client;
            f.insert("user_id".into(), json!(person));
            Value::Object(f)
        }
    })
}

/// The body as JSON (`None` when empty). A body that is not JSON is refused in both modes: one
/// the proxy cannot read (a lone surrogate escape, say, which a laxer parser upstream might take)
/// could carry an id it never checked.
fn parse_body(body: &Bytes) -> Result<Option<Value>, BindError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice::<Value>(body).map(Some).map_err(|_| BindError::NotJson)
}

fn to_bytes(obj: Map<String, Value>) -> Bytes {
    Bytes::from(serde_json::to_vec(&Value::Object(obj)).expect("a JSON value serialises"))
}

#[cfg(test)]
#[path = "bind_tests.rs"]
mod tests;
