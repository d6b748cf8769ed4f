//! Request validation as FastAPI (with pydantic 2) does it for the server's models, so a bad
//! request gets the same 422 `{"detail": [{type, loc, msg, input, ctx?}]}` the server sends:
//! the JSON body is decoded first (`json_invalid`), then each field is checked and coerced the
//! way pydantic's lax mode does (`"5"` is an int, `"yes"` a bool, `5` is not a string).

use axum::http::{header, HeaderMap};
use serde_json::{json, Map, Value};

use super::errors::ApiError;

/// What a model field holds.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Str,
    Bool,
    Int,
    Float,
    Dict,
    /// A list of `{role: str, content: str}` messages.
    Messages,
}

/// One field of a request model: its name, kind, and whether it must be present.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec(pub &'static str, pub Kind, pub bool);

/// One pydantic error item.
fn error(kind: &str, loc: Vec<Value>, msg: &str, input: &Value) -> Value {
    json!({"type": kind, "loc": loc, "msg": msg, "input": input})
}

/// The request body, read the way FastAPI does before anything else: an empty body is none,
/// a JSON (or untyped) body is parsed, any other content type is kept as text.
pub fn decode_body(headers: &HeaderMap, body: &[u8]) -> Result<Option<Value>, ApiError> {
    if body.is_empty() {
        return Ok(None);
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let is_json = content_type.is_none_or(|ct| {
        let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        essence.strip_prefix("application/").is_some_and(|sub| sub == "json" || sub.ends_with("+json"))
    });
    if !is_json {
        return Ok(Some(Value::String(String::from_utf8_lossy(body).into_owned())));
    }
    serde_json::from_slice::<Value>(body).map(Some).map_err(|e| json_invalid(body, &e))
}

/// `json_invalid`, with Python's wording for the kind of mistake and the character offset
/// (Python reports where the expected token starts; the offset here is where parsing stopped).
fn json_invalid(body: &[u8], e: &serde_json::Error) -> ApiError {
    let text = e.to_string();
    let reason = if text.starts_with("trailing characters") {
        "Extra data"
    } else if text.starts_with("key must be a string") || text.starts_with("trailing comma") {
        "Expecting property name enclosed in double quotes"
    } else if text.starts_with("expected `:`") {
        "Expecting ':' delimiter"
    } else if text.starts_with("expected `,`") {
        "Expecting ',' delimiter"
    } else if text.starts_with("EOF while parsing a string") {
        "Unterminated string starting at"
    } else if text.starts_with("control character") {
        "Invalid control character at"
    } else if text.starts_with("invalid escape") {
        "Invalid \\escape"
    } else {
        "Expecting value"
    };
    let source = String::from_utf8_lossy(body);
    let line_start: usize =
        source.split_inclusive('\n').take(e.line().saturating_sub(1)).map(|l| l.chars().count()).sum();
    let pos = line_start + e.column().saturating_sub(1);
    ApiError::Validation(vec![json!({
        "type": "json_invalid", "loc": ["body", pos], "msg": "JSON decode error", "input": {}, "ctx": {"error": reason}
    })])
}

/// Validates a body against a model; returns the fields present (coerced), or the 422.
pub fn validate_model(body: Option<&Value>, fields: &[FieldSpec]) -> Result<Map<String, Value>, ApiError> {
    let Some(body) = body else {
        return Err(ApiError::Validation(vec![error("missing", vec![json!("body")], "Field required", &Value::Null)]));
    };
    let Some(obj) = body.as_object() else {
        return Err(ApiError::Validation(vec![not_an_object(vec![json!("body")], body)]));
    };
    let mut errors = Vec::new();
    let mut out = Map::new();
    for &FieldSpec(name, kind, required) in fields {
        let loc = vec![json!("body"), json!(name)];
        match obj.get(name) {
            None if required => errors.push(error("missing", loc, "Field required", body)),
            None => {}
            Some(Value::Null) if !required => {
                out.insert(name.into(), Value::Null);
            }
            Some(v) => match coerce(v, kind, loc) {
                Ok(c) => {
                    out.insert(name.into(), c);
                }
                Err(mut e) => errors.append(&mut e),
            },
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::Validation(errors))
    }
}

fn not_an_object(loc: Vec<Value>, input: &Value) -> Value {
    error("model_attributes_type", loc, "Input should be a valid dictionary or object to extract fields from", input)
}

/// Coerces one value like pydantic's lax mode, or returns its error items.
fn coerce(v: &Value, kind: Kind, loc: Vec<Value>) -> Result<Value, Vec<Value>> {
    let fail = |t: &str, msg: &str| Err(vec![error(t, loc.clone(), msg, v)]);
    match kind {
        Kind::Str => match v {
            Value::String(_) => Ok(v.clone()),
            _ => fail("string_type", "Input should be a valid string"),
        },
        Kind::Dict => match v {
            Value::Object(_) => Ok(v.clone()),
            _ => fail("dict_type", "Input should be a valid dictionary"),
        },
        Kind::Bool => match v {
            Value::Bool(_) => Ok(v.clone()),
            Value::String(s) => match parse_bool(s) {
                Some(b) => Ok(json!(b)),
                None => fail("bool_parsing", "Input should be a valid boolean, unable to interpret input"),
            },
            Value::Number(n) => match n.as_f64() {
                Some(x) if x == 0.0 || x == 1.0 => Ok(json!(x == 1.0)),
                Some(x) if x.fract() == 0.0 => {
                    fail("bool_parsing", "Input should be a valid boolean, unable to interpret input")
                }
                _ => fail("bool_type", "Input should be a valid boolean"),
            },
            _ => fail("bool_type", "Input should be a valid boolean"),
        },
        Kind::Int => match v {
            Value::Bool(b) => Ok(json!(*b as i64)),
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(v.clone()),
            Value::Number(n) => match n.as_f64() {
                Some(x) if x.fract() != 0.0 => {
                    fail("int_from_float", "Input should be a valid integer, got a number with a fractional part")
                }
                Some(x) if x.abs() < 9.2e18 => Ok(json!(x as i64)),
                _ => fail("int_parsing_size", "Unable to parse input string as an integer, exceeded maximum size"),
            },
            Value::String(s) => match parse_int(s) {
                Some(i) => Ok(json!(i)),
                None => fail("int_parsing", "Input should be a valid integer, unable to parse string as an integer"),
            },
            _ => fail("int_type", "Input should be a valid integer"),
        },
        Kind::Float => match v {
            Value::Bool(b) => Ok(json!(if *b { 1.0 } else { 0.0 })),
            Value::Number(n) => Ok(json!(n.as_f64().unwrap_or(0.0))),
            Value::String(s) => match s.trim().replace('_', "").parse::<f64>() {
                Ok(x) => Ok(json!(x)),
                Err(_) => fail("float_parsing", "Input should be a valid number, unable to parse string as a number"),
            },
            _ => fail("float_type", "Input should be a valid number"),
        },
        Kind::Messages => {
            let Value::Array(items) = v else {
                return fail("list_type", "Input should be a valid list");
            };
            let mut errors = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let item_loc = [loc.clone(), vec![json!(i)]].concat();
                let Some(msg) = item.as_object() else {
                    errors.push(not_an_object(item_loc, item));
                    continue;
                };
                for field in ["role", "content"] {
                    let field_loc = [item_loc.clone(), vec![json!(field)]].concat();
                    match msg.get(field) {
                        None => errors.push(error("missing", field_loc, "Field required", item)),
                        Some(Value::String(_)) => {}
                        Some(other) => {
                            errors.push(error("string_type", field_loc, "Input should be a valid string", other))
                        }
                    }
                }
            }
            if errors.is_empty() {
                Ok(v.clone())
            } else {
                Err(errors)
            }
        }
    }
}

/// pydantic's words for true and false (any case).
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "on" | "t" | "true" | "y" | "yes" => Some(true),
        "0" | "off" | "f" | "false" | "n" | "no" => Some(false),
        _ => None,
    }
}

/// An integer from text: surrounding spaces, a sign and `_` separators allowed, `5.0` too.
pub fn parse_int(s: &str) -> Option<i64> {
    let t = s.trim().replace('_', "");
    let whole = match t.split_once('.') {
        Some((whole, fraction)) if fraction.chars().all(|c| c == '0') => whole,
        Some(_) => return None,
        None => t.as_str(),
    };
    whole.parse::<i64>().ok()
}

/// An optional integer query parameter within `min..=max` (FastAPI's `Query(ge=…, le=…)`).
pub fn query_int(raw: Option<&String>, name: &str, min: i64, max: i64) -> Result<Option<i64>, Value> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let loc = vec![json!("query"), json!(name)];
    let input = json!(raw);
    let n = parse_int(raw).ok_or_else(|| {
        error(
            "int_parsing",
            loc.clone(),
            "Input should be a valid integer, unable to parse string as an integer",
            &input,
        )
    })?;
    if n < min {
        let msg = format!("Input should be greater than or equal to {min}");
        return Err(json!({"type": "greater_than_equal", "loc": loc, "msg": msg, "input": input, "ctx": {"ge": min}}));
    }
    if n > max {
        let msg = format!("Input should be less than or equal to {max}");
        return Err(json!({"type": "less_than_equal", "loc": loc, "msg": msg, "input": input, "ctx": {"le": max}}));
    }
    Ok(Some(n))
}

/// An optional boolean query parameter.
pub fn query_bool(raw: Option<&String>, name: &str) -> Result<Option<bool>, Value> {
    match raw {
        None => Ok(None),
        Some(r) => parse_bool(r).map(Some).ok_or_else(|| {
            error(
                "bool_parsing",
                vec![json!("query"), json!(name)],
                "Input should be a valid boolean, unable to interpret input",
                &json!(r),
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &[FieldSpec] = &[
        FieldSpec("messages", Kind::Messages, true),
        FieldSpec("user_id", Kind::Str, false),
        FieldSpec("infer", Kind::Bool, false),
    ];

    fn errors(r: Result<Map<String, Value>, ApiError>) -> Vec<Value> {
        match r {
            Err(ApiError::Validation(e)) => e,
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn missing_body_and_fields() {
        assert_eq!(
            errors(validate_model(None, MODEL))[0],
            json!({"type": "missing", "loc": ["body"], "msg": "Field required", "input": null})
        );
        let e = errors(validate_model(Some(&json!({})), MODEL));
        assert_eq!(
            e,
            vec![json!({"type": "missing", "loc": ["body", "messages"], "msg": "Field required", "input": {}})]
        );
        assert_eq!(errors(validate_model(Some(&json!([1])), MODEL))[0]["type"], "model_attributes_type");
    }

    #[test]
    fn lax_coercion_and_type_errors() {
        let ok = validate_model(Some(&json!({"messages": [], "infer": "Yes", "user_id": null})), MODEL).unwrap();
        assert_eq!(ok["infer"], json!(true));
        let e = errors(validate_model(
            Some(&json!({"messages": [{"role": "user", "content": 5}, {"role": 1}], "user_id": 7, "infer": "maybe"})),
            MODEL,
        ));
        let kinds: Vec<(&str, Value)> = e.iter().map(|x| (x["type"].as_str().unwrap(), x["loc"].clone())).collect();
        assert_eq!(
            kinds,
            vec![
                ("string_type", json!(["body", "messages", 0, "content"])),
                ("string_type", json!(["body", "messages", 1, "role"])),
                ("missing", json!(["body", "messages", 1, "content"])),
                ("string_type", json!(["body", "user_id"])),
                ("bool_parsing", json!(["body", "infer"])),
            ]
        );
    }

    #[test]
    fn numbers_like_pydantic() {
        let spec = &[FieldSpec("n", Kind::Int, false), FieldSpec("x", Kind::Float, false)];
        let ok = validate_model(Some(&json!({"n": " 7 ", "x": "0.5"})), spec).unwrap();
        assert_eq!((ok["n"].clone(), ok["x"].clone()), (json!(7), json!(0.5)));
        assert_eq!(errors(validate_model(Some(&json!({"n": 2.5})), spec))[0]["type"], "int_from_float");
        assert_eq!(query_int(Some(&"1001".to_string()), "top_k", 0, 1000).unwrap_err()["ctx"], json!({"le": 1000}));
    }

    #[test]
    fn json_errors_use_pythons_words() {
        let headers = HeaderMap::new();
        let Err(ApiError::Validation(e)) = decode_body(&headers, b"{\"a\" 1}") else { panic!("expected a 422") };
        assert_eq!(e[0]["ctx"]["error"], "Expecting ':' delimiter");
        assert_eq!(e[0]["loc"][0], "body");
    }
}
