//! The Gemini allow-list: which `(method, path)` pairs under `/api/gemini` are forwarded, and
//! the upstream path each maps to (mem0's, per backend, is in [`crate::mem0::routes`]), plus
//! the id checks both use. Pure functions on the raw (still percent-encoded) request path, so
//! encoded slashes or dots can never slip through: a path segment must match exactly, and the
//! only escape accepted is `%3A` for Gemini's `:` method separator.

use axum::http::Method;

/// Gemini model methods the app calls (`POST /v1beta/models/{model}:{method}`).
pub const GEMINI_ACTIONS: [&str; 3] = ["generateContent", "streamGenerateContent", "countTokens"];

/// Longest model id or mem0 id accepted.
const MAX_ID_LEN: usize = 128;

/// The upstream path (starting with `/v1beta/`) for a Gemini call, or `None` when the call is
/// not one the app makes. `path` is what follows `/api/gemini`.
pub fn gemini_path(method: &Method, path: &str) -> Option<String> {
    let rest = path.strip_prefix("/v1beta/models")?;
    if rest.is_empty() {
        return (method == Method::GET).then(|| "/v1beta/models".to_owned());
    }
    let segment = rest.strip_prefix('/')?;
    if method == Method::GET {
        return is_model_id(segment).then(|| format!("/v1beta/models/{segment}"));
    }
    if method != Method::POST {
        return None;
    }
    let (model, action) =
        segment.split_once(':').or_else(|| segment.split_once("%3A")).or_else(|| segment.split_once("%3a"))?;
    (is_model_id(model) && GEMINI_ACTIONS.contains(&action)).then(|| format!("/v1beta/models/{model}:{action}"))
}

/// A Gemini model id: `[A-Za-z0-9._-]+`, starting with a letter or digit (so never `.` or
/// `..`), at most 128 characters.
pub fn is_model_id(s: &str) -> bool {
    s.len() <= MAX_ID_LEN
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// A canonical UUID (`8-4-4-4-12` hex digits), as mem0 memory ids are.
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// An opaque id such as a mem0 event id: `[A-Za-z0-9_-]+`, starting with a letter or digit.
pub fn is_plain_id(s: &str) -> bool {
    s.len() <= MAX_ID_LEN
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
}

/// The query string to send upstream: the client's, minus every `key` parameter (the legacy
/// Gemini query-string key). `None` when nothing is left.
pub fn strip_key_param(query: Option<&str>) -> Option<String> {
    let kept: Vec<&str> = query?
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            let name = pair.split_once('=').map_or(*pair, |(k, _)| k);
            let name = name.replace('+', " ");
            let decoded = percent_encoding::percent_decode_str(&name).decode_utf8_lossy();
            !decoded.trim().eq_ignore_ascii_case("key")
        })
        .collect();
    (!kept.is_empty()).then(|| kept.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "3f2b6c1e-9a4d-4c7e-8b1a-0d2e4f6a8b9c";

    #[test]
    fn gemini_allowed_calls_map_to_v1beta() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(gemini_path(&get, "/v1beta/models").as_deref(), Some("/v1beta/models"));
        assert_eq!(
            gemini_path(&get, "/v1beta/models/gemini-2.5-flash").as_deref(),
            Some("/v1beta/models/gemini-2.5-flash")
        );
        for action in GEMINI_ACTIONS {
            assert_eq!(
                gemini_path(&post, &format!("/v1beta/models/gemini-3.5-flash:{action}")),
                Some(format!("/v1beta/models/gemini-3.5-flash:{action}"))
            );
        }
        assert_eq!(
            gemini_path(&post, "/v1beta/models/gemini-3.5-flash%3AgenerateContent").as_deref(),
            Some("/v1beta/models/gemini-3.5-flash:generateContent")
        );
    }

    #[test]
    fn gemini_everything_else_is_refused() {
        let get = Method::GET;
        let post = Method::POST;
        for (m, p) in [
            (&post, "/v1beta/models"),
            (&Method::DELETE, "/v1beta/models/gemini-2.5-flash"),
            (&post, "/v1beta/models/gemini-2.5-flash"),
            (&get, "/v1beta/models/gemini-2.5-flash:generateContent"),
            (&post, "/v1beta/models/gemini-2.5-flash:embedContent"),
            (&post, "/v1beta/models/gemini-2.5-flash:batchEmbedContents"),
            (&post, "/v1beta/models/:generateContent"),
            (&get, "/v1beta/models/"),
            (&get, "/v1beta/models/.."),
            (&get, "/v1beta/models/."),
            (&get, "/v1beta/models/../files"),
            (&get, "/v1beta/models/%2e%2e"),
            (&get, "/v1beta/models/a%2Fb"),
            (&get, "/v1beta/models/a/b"),
            (&get, "/v1beta/models/models/gemini-2.5-flash"),
            (&get, "/v1beta/models//gemini"),
            (&get, "/v1beta/files"),
            (&get, "/v1/models"),
            (&get, "/v1beta/modelsx"),
            (&get, "//evil.example/v1beta/models"),
            (&get, "/v1beta/models/@evil.example"),
            (&get, "/v1beta/models/gemini?x"),
            (&post, "/v1beta/tunedModels/x:generateContent"),
            (&post, "/v1beta/models/a:generateContent:x"),
            (&post, "/v1beta/models/a%3Ab%3AgenerateContent"),
            (&get, ""),
            (&get, "/"),
        ] {
            assert_eq!(gemini_path(m, p), None, "{m} {p} must be refused");
        }
        let long = format!("/v1beta/models/{}", "a".repeat(200));
        assert_eq!(gemini_path(&get, &long), None);
    }

    #[test]
    fn ids_are_validated() {
        assert!(is_model_id("gemini-2.5-flash"));
        assert!(is_model_id("gemini_x.y-Z9"));
        assert!(!is_model_id(""));
        assert!(!is_model_id(".."));
        assert!(!is_model_id(".hidden"));
        assert!(!is_model_id("a/b"));
        assert!(!is_model_id("a%2Fb"));
        assert!(!is_model_id("a b"));
        assert!(is_uuid(UUID));
        assert!(is_uuid(&UUID.to_uppercase()));
        assert!(!is_uuid(&UUID[1..]));
        assert!(!is_uuid("3f2b6c1e-9a4d-4c7e-8b1a-0d2e4f6a8b9g"));
        assert!(!is_uuid("3f2b6c1e99a4d-4c7e-8b1a-0d2e4f6a8b9c"));
        assert!(is_plain_id("evt_123-abc"));
        assert!(!is_plain_id("-x"));
        assert!(!is_plain_id("a.b"));
    }

    #[test]
    fn key_query_parameters_are_dropped() {
        assert_eq!(strip_key_param(None), None);
        assert_eq!(strip_key_param(Some("key=abc")), None);
        assert_eq!(strip_key_param(Some("alt=sse&key=abc")).as_deref(), Some("alt=sse"));
        assert_eq!(
            strip_key_param(Some("key=1&alt=sse&KEY=2&%6Bey=3&k%65y&pageSize=5")).as_deref(),
            Some("alt=sse&pageSize=5")
        );
        assert_eq!(strip_key_param(Some("keys=1&monkey=2&&")).as_deref(), Some("keys=1&monkey=2"));
    }
}
