//! Lists: the current `POST /v3/memories/?page=&page_size=` (always the paginated envelope,
//! pages of at most 200) and the deprecated `GET /v1/memories/` and `POST /v2/memories/`.
//!
//! Pagination works like the Django REST framework's page-number pagination the Platform is
//! built on: a page past the end (or not a number) is a 404 `Invalid page.`, and the `next` /
//! `previous` links are the request URL with `page` replaced (query keys sorted).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::Json;
use serde_json::{json, Map, Value};

use super::errors::{parse_json, ApiError};
use super::search::{reject_top_level_ids, required_filters};
use super::store::Memory;
use super::Mem0State;
use crate::control::{self, lock};
use crate::filters::{effective_filter, ENTITY_KEYS};

/// Largest v3 page (the OpenAPI file's `maximum` for `page_size`).
const MAX_V3_PAGE_SIZE: usize = 200;
/// Page size when none is asked for.
const DEFAULT_PAGE_SIZE: usize = 100;
/// Where the v2 list's 400 for missing filters points (captured from the Platform).
const V2_LIST_DOCS: &str = "https://docs.mem0.ai/api-reference/memory/v2-get-memories";
const V3_LIST_DOCS: &str = "https://docs.mem0.ai/api-reference/memory/get-memories";

/// One page of `all`, with its links.
struct Page {
    number: usize,
    size: usize,
}

impl Page {
    /// Resolves the page number against the item count (DRF: `last` is the last page; a
    /// number outside 1..=pages is an invalid page, except page 1 of an empty list).
    fn resolve(raw: Option<&str>, size: usize, count: usize) -> Result<Self, ApiError> {
        let pages = count.div_ceil(size).max(1);
        let number = match raw.map(str::trim) {
            None | Some("") => 1,
            Some("last") => pages,
            Some(n) => n.parse::<usize>().map_err(|_| ApiError::InvalidPage)?,
        };
        if number < 1 || number > pages {
            return Err(ApiError::InvalidPage);
        }
        Ok(Self { number, size })
    }

    fn envelope(&self, all: Vec<Value>, url: &RequestUrl) -> Value {
        let count = all.len();
        let start = (self.number - 1) * self.size;
        let results: Vec<Value> = all.into_iter().skip(start).take(self.size).collect();
        let next = (start + self.size < count).then(|| url.with_page(self.number + 1));
        let previous = (self.number > 1).then(|| url.with_page(self.number - 1));
        json!({"count": count, "next": next, "previous": previous, "results": results})
    }
}

/// The absolute URL a list request came to, for the page links.
struct RequestUrl {
    base: String,
    query: BTreeMap<String, String>,
}

impl RequestUrl {
    fn new(headers: &HeaderMap, path: &str, query: &BTreeMap<String, String>) -> Self {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
        Self { base: format!("http://{host}{path}"), query: query.clone() }
    }

    /// The URL with `page` set.
    fn with_page(&self, page: usize) -> String {
        let mut q = self.query.clone();
        q.insert("page".into(), page.to_string());
        format!("{}?{}", self.base, form_urlencoded::Serializer::new(String::new()).extend_pairs(&q).finish())
    }
}

fn listed(s: &Mem0State, filter: &Value, render: fn(&Memory) -> Value) -> Vec<Value> {
    lock(&s.store).matching(filter).into_iter().map(render).collect()
}

/// `POST /v3/memories/`: `{count, next, previous, results}`; `page` and `page_size` come from
/// the query (or, failing that, the body).
pub(super) async fn list_v3(
    State(s): State<Arc<Mem0State>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body = parse_json(&body)?;
    reject_top_level_ids(&body)?;
    let filter = required_filters(&body, V3_LIST_DOCS)?;
    let query = control::parse_query(q.as_deref());
    let from_body = |k: &str| body.get(k).map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string));
    let raw_size = query.get("page_size").cloned().or_else(|| from_body("page_size"));
    let size =
        match raw_size.as_deref().map(str::trim) {
            None => DEFAULT_PAGE_SIZE,
            Some(v) => v.parse::<usize>().ok().filter(|n| (1..=MAX_V3_PAGE_SIZE).contains(n)).ok_or_else(|| {
                ApiError::bad(format!("page_size must be an integer between 1 and {MAX_V3_PAGE_SIZE}."))
            })?,
        };
    let show_expired = body.get("show_expired").and_then(Value::as_bool).unwrap_or(false);
    let all: Vec<Value> = lock(&s.store)
        .matching(&filter)
        .into_iter()
        .filter(|m| show_expired || !m.expired())
        .map(Memory::v3_json)
        .collect();
    let raw_page = query.get("page").cloned().or_else(|| from_body("page"));
    let page = Page::resolve(raw_page.as_deref(), size, all.len())?;
    Ok(Json(page.envelope(all, &RequestUrl::new(&headers, "/v3/memories/", &query))))
}

/// `POST /v2/memories/` (deprecated): paginated with `page` / `page_size`, else a bare list.
pub(super) async fn list_v2(
    State(s): State<Arc<Mem0State>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body = parse_json(&body)?;
    let filter = required_filters(&body, V2_LIST_DOCS)?;
    let all = listed(&s, &filter, |m| m.legacy_json(None));
    let query = control::parse_query(q.as_deref());
    if !query.contains_key("page") && !query.contains_key("page_size") {
        return Ok(Json(Value::Array(all)));
    }
    let size = match query.get("page_size") {
        None => DEFAULT_PAGE_SIZE,
        Some(v) => v.trim().parse::<usize>().ok().filter(|n| *n >= 1).ok_or(ApiError::InvalidPage)?.min(1000),
    };
    let page = Page::resolve(query.get("page").map(String::as_str), size, all.len())?;
    Ok(Json(page.envelope(all, &RequestUrl::new(&headers, "/v2/memories/", &query))))
}

/// `GET /v1/memories/?user_id=…` (deprecated): a bare list.
pub(super) async fn list_v1(State(s): State<Arc<Mem0State>>, RawQuery(q): RawQuery) -> Json<Value> {
    let query = control::parse_query(q.as_deref());
    let ids: Map<String, Value> =
        ENTITY_KEYS.iter().filter_map(|k| query.get(*k).map(|v| (k.to_string(), json!(v)))).collect();
    Json(Value::Array(listed(&s, &effective_filter(&Value::Object(ids)), |m| m.legacy_json(None))))
}
