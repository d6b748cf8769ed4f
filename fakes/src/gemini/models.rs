//! The static model table (late-2026 names) and the routes that read it:
//! `GET /v1beta/models`, `GET /v1beta/models/{model}` and the key-checked 404 fallback.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use super::errors::{check_key, not_found_message, ApiError};
use super::render::ok_json;
use super::GeminiState;
use crate::control;

/// One entry of the static model table.
#[derive(Debug, Clone, Copy)]
pub struct ModelInfo {
    /// Bare id, e.g. `gemini-3.5-flash`.
    pub id: &'static str,
    display: &'static str,
    version: &'static str,
    input: u32,
    output: u32,
    pub(super) methods: &'static [&'static str],
    thinking: bool,
    /// The concrete model reported as `modelVersion` (aliases point elsewhere).
    pub(super) model_version: &'static str,
    /// Set for retired models: the successor named in the 404 text.
    pub(super) retired_for: Option<&'static str>,
    stage: Option<&'static str>,
}

const CHAT: &[&str] = &["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"];
const EMBED: &[&str] = &["embedContent", "countTextTokens", "countTokens", "asyncBatchEmbedContent"];
const TTS: &[&str] = &["countTokens", "generateContent"];

const fn chat(id: &'static str, display: &'static str, version: &'static str, mv: &'static str) -> ModelInfo {
    ModelInfo {
        id,
        display,
        version,
        input: 1_048_576,
        output: 65_536,
        methods: CHAT,
        thinking: true,
        model_version: mv,
        retired_for: None,
        stage: None,
    }
}

/// The static model table (late-2026 names), in list order.
pub const MODELS: &[ModelInfo] = &[
    chat("gemini-flash-latest", "Gemini Flash Latest", "Gemini Flash Latest", "gemini-3.8-flash"),
    chat("gemini-flash-lite-latest", "Gemini Flash-Lite Latest", "Gemini Flash-Lite Latest", "gemini-3.1-flash-lite"),
    chat("gemini-3.8-flash", "Gemini 3.8 Flash", "3.8", "gemini-3.8-flash"),
    chat("gemini-3.6-flash", "Gemini 3.6 Flash", "3.6", "gemini-3.6-flash"),
    chat("gemini-3.5-flash", "Gemini 3.5 Flash", "3.5", "gemini-3.5-flash"),
    ModelInfo {
        stage: Some("PREVIEW"),
        ..chat("gemini-3.1-pro-preview", "Gemini 3.1 Pro Preview", "3.1-pro-preview-01-2026", "gemini-3.1-pro-preview")
    },
    chat("gemini-3.1-flash-lite", "Gemini 3.1 Flash-Lite", "3.1", "gemini-3.1-flash-lite"),
    ModelInfo {
        stage: Some("LEGACY"),
        ..chat("gemini-2.5-flash-lite", "Gemini 2.5 Flash-Lite", "001", "gemini-2.5-flash-lite")
    },
    ModelInfo {
        stage: Some("DEPRECATED"),
        retired_for: Some("gemini-3.8-flash"),
        ..chat("gemini-2.5-flash", "Gemini 2.5 Flash", "001", "gemini-2.5-flash")
    },
    ModelInfo {
        id: "gemini-2.5-flash-preview-tts",
        display: "Gemini 2.5 Flash Preview TTS",
        version: "gemini-2.5-flash-exp-tts-2025-05-19",
        input: 8192,
        output: 16384,
        methods: TTS,
        thinking: false,
        model_version: "gemini-2.5-flash-preview-tts",
        retired_for: None,
        stage: Some("PREVIEW"),
    },
    ModelInfo {
        id: "gemini-embedding-001",
        display: "Gemini Embedding 001",
        version: "001",
        input: 2048,
        output: 1,
        methods: EMBED,
        thinking: false,
        model_version: "gemini-embedding-001",
        retired_for: None,
        stage: None,
    },
];

/// Finds a model by bare id or `models/<id>`.
pub fn find_model(name: &str) -> Option<&'static ModelInfo> {
    let id = name.strip_prefix("models/").unwrap_or(name);
    MODELS.iter().find(|m| m.id == id)
}

fn model_json(m: &ModelInfo) -> Value {
    let mut o = Map::new();
    o.insert("name".into(), json!(format!("models/{}", m.id)));
    o.insert("version".into(), json!(m.version));
    o.insert("displayName".into(), json!(m.display));
    o.insert("description".into(), json!(m.display));
    o.insert("inputTokenLimit".into(), json!(m.input));
    o.insert("outputTokenLimit".into(), json!(m.output));
    o.insert("supportedGenerationMethods".into(), json!(m.methods));
    if m.methods.contains(&"generateContent") {
        o.insert("temperature".into(), json!(1));
        o.insert("topP".into(), json!(0.95));
        o.insert("topK".into(), json!(64));
        o.insert("maxTemperature".into(), json!(2));
    }
    if m.thinking {
        o.insert("thinking".into(), json!(true));
    }
    if let Some(stage) = m.stage {
        o.insert("modelStage".into(), json!(stage));
    }
    Value::Object(o)
}

pub(super) async fn list_models(
    State(s): State<Arc<GeminiState>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = control::parse_query(q.as_deref());
    if let Err(e) = check_key(&s.cfg, &headers, &query) {
        return e.into_response();
    }
    let page_size = match query.get("pageSize").map(|v| v.parse::<usize>()) {
        None => 50,
        Some(Ok(n)) => n.clamp(1, 1000),
        Some(Err(_)) => {
            return ApiError::new(400, "Invalid value at 'page_size' (TYPE_INT32)").into_response();
        }
    };
    let offset = match query.get("pageToken").filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => match t.strip_prefix("page-").and_then(|n| n.parse::<usize>().ok()) {
            Some(n) if n <= MODELS.len() => n,
            _ => return ApiError::new(400, "Invalid page token.").into_response(),
        },
    };
    let end = (offset + page_size).min(MODELS.len());
    let mut body = Map::new();
    body.insert("models".into(), MODELS[offset..end].iter().map(model_json).collect());
    if end < MODELS.len() {
        body.insert("nextPageToken".into(), json!(format!("page-{end}")));
    }
    ok_json(&Value::Object(body))
}

pub(super) async fn get_model(
    State(s): State<Arc<GeminiState>>,
    Path(name): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = control::parse_query(q.as_deref());
    if let Err(e) = check_key(&s.cfg, &headers, &query) {
        return e.into_response();
    }
    match find_model(&name) {
        Some(m) => ok_json(&model_json(m)),
        None => ApiError::new(404, not_found_message(&name, "generateContent")).into_response(),
    }
}

pub(super) async fn fallback(State(s): State<Arc<GeminiState>>, RawQuery(q): RawQuery, headers: HeaderMap) -> Response {
    let query = control::parse_query(q.as_deref());
    if let Err(e) = check_key(&s.cfg, &headers, &query) {
        return e.into_response();
    }
    ApiError::new(404, "Requested entity was not found.").into_response()
}
