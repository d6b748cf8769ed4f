//! mem0's filter expressions, shared by both mem0 fakes: `AND` / `OR` / `NOT` lists, entity
//! ids (a plain value, `"*"` for "any value", or an operator object such as `{"in": [...]}`),
//! `categories` and `metadata` (Platform), and any other field the store knows.

use serde_json::{json, Value};

/// Entity ids of the Platform (the self-hosted server has no `app_id`).
pub const ENTITY_KEYS: [&str; 4] = ["user_id", "agent_id", "app_id", "run_id"];

/// What a filter key names on a stored memory.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    /// A field the store has: its text, if set.
    Known(Option<String>),
    /// A key the store does not filter on: the condition is ignored.
    Unknown,
}

/// A stored memory, as filters see it.
pub trait Filterable {
    /// The value of a scalar field.
    fn field(&self, key: &str) -> Field;
    /// The memory's categories (Platform).
    fn categories(&self) -> &[String] {
        &[]
    }
    /// One value of the memory's metadata (Platform's `{"metadata": {...}}` condition).
    fn metadata(&self, _key: &str) -> Option<&Value> {
        None
    }
}

/// Whether `m` satisfies the filter expression `f` (a non-object filter matches everything).
pub fn matches<M: Filterable>(m: &M, f: &Value) -> bool {
    let Some(obj) = f.as_object() else {
        return true;
    };
    obj.iter().all(|(k, v)| match k.as_str() {
        "AND" => v.as_array().is_none_or(|a| a.iter().all(|x| matches(m, x))),
        "OR" => v.as_array().is_none_or(|a| a.is_empty() || a.iter().any(|x| matches(m, x))),
        "NOT" => v.as_array().is_none_or(|a| !a.iter().any(|x| matches(m, x))),
        "categories" => categories_match(m.categories(), v),
        "metadata" => v.as_object().is_none_or(|want| want.iter().all(|(mk, mv)| m.metadata(mk) == Some(mv))),
        key => match m.field(key) {
            Field::Known(actual) => value_matches(actual.as_deref(), v),
            Field::Unknown => true,
        },
    })
}

fn categories_match(have: &[String], cond: &Value) -> bool {
    match cond {
        Value::Object(ops) => ops.iter().all(|(op, x)| match op.as_str() {
            "contains" => x.as_str().is_some_and(|c| have.iter().any(|h| h == c)),
            "in" => x.as_array().is_some_and(|a| a.iter().any(|c| have.iter().any(|h| Some(h.as_str()) == c.as_str()))),
            _ => true,
        }),
        Value::String(c) => have.contains(c),
        _ => true,
    }
}

/// A scalar condition: a value, `"*"` (any value), `null` (unset), or operators.
fn value_matches(actual: Option<&str>, cond: &Value) -> bool {
    match cond {
        Value::String(s) if s == "*" => actual.is_some(),
        Value::String(s) => actual == Some(s.as_str()),
        Value::Null => actual.is_none(),
        Value::Object(ops) => ops.iter().all(|(op, v)| {
            let want = scalar_text(v);
            match op.as_str() {
                "eq" => actual == want.as_deref(),
                "in" => v
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| actual.is_some() && scalar_text(x).as_deref() == actual)),
                "nin" => v.as_array().is_none_or(|a| !a.iter().any(|x| scalar_text(x).as_deref() == actual)),
                "ne" => actual != want.as_deref(),
                "gte" => actual.zip(want.as_deref()).is_some_and(|(a, b)| a >= b),
                "gt" => actual.zip(want.as_deref()).is_some_and(|(a, b)| a > b),
                // A date bound covers the whole day: compare only as much of the timestamp.
                "lte" => actual.zip(want.as_deref()).is_some_and(|(a, b)| a[..b.len().min(a.len())] <= *b),
                "lt" => actual.zip(want.as_deref()).is_some_and(|(a, b)| a < b),
                "icontains" | "contains" => {
                    actual.zip(want.as_deref()).is_some_and(|(a, b)| a.to_lowercase().contains(&b.to_lowercase()))
                }
                _ => true,
            }
        }),
        other => actual == scalar_text(other).as_deref(),
    }
}

/// A JSON scalar as the text it is compared with.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// The effective filter of a Platform request: its `filters` and any top-level entity ids, ANDed.
pub fn effective_filter(body: &Value) -> Value {
    let mut clauses = Vec::new();
    if let Some(f) = body.get("filters").filter(|f| !f.is_null()) {
        clauses.push(f.clone());
    }
    for k in ENTITY_KEYS {
        if let Some(v) = body.get(k).filter(|v| !v.is_null()) {
            clauses.push(json!({ k: v }));
        }
    }
    json!({ "AND": clauses })
}

/// Whether a filter names at least one entity id (at its top level or inside `AND` / `OR`).
pub fn has_entity(f: &Value) -> bool {
    match f {
        Value::Object(o) => o
            .iter()
            .any(|(k, v)| ENTITY_KEYS.contains(&k.as_str()) || (matches!(k.as_str(), "AND" | "OR") && has_entity(v))),
        Value::Array(a) => a.iter().any(has_entity),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct M(&'static str, Option<&'static str>);

    impl Filterable for M {
        fn field(&self, key: &str) -> Field {
            match key {
                "user_id" => Field::Known(Some(self.0.to_string())),
                "run_id" => Field::Known(self.1.map(str::to_string)),
                _ => Field::Unknown,
            }
        }
    }

    #[test]
    fn wildcard_matches_any_set_value() {
        assert!(matches(&M("alice", None), &json!({"user_id": "*"})));
        assert!(!matches(&M("alice", None), &json!({"run_id": "*"})));
        assert!(matches(&M("alice", Some("r")), &json!({"AND": [{"user_id": "alice"}, {"run_id": "*"}]})));
    }

    #[test]
    fn logic_and_operators() {
        let m = M("bob", Some("r1"));
        assert!(matches(&m, &json!({"OR": [{"user_id": "x"}, {"user_id": "bob"}]})));
        assert!(!matches(&m, &json!({"NOT": [{"user_id": "bob"}]})));
        assert!(matches(&m, &json!({"user_id": {"in": ["a", "bob"]}})));
        assert!(matches(&m, &json!({"user_id": {"nin": ["a"]}, "run_id": {"ne": "r2"}})));
        assert!(matches(&m, &json!({"unknown_key": "ignored"})));
    }

    #[test]
    fn entity_detection() {
        assert!(has_entity(&json!({"AND": [{"user_id": "u"}]})));
        assert!(has_entity(&effective_filter(&json!({"user_id": "u"}))));
        assert!(!has_entity(&json!({"AND": [{"categories": {"in": ["x"]}}]})));
    }
}
