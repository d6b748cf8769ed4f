//! Fake Gemini Developer API (`v1beta`): generate, stream (SSE and JSON-array
//! modes), countTokens, embeddings and the model list, with Google-style error
//! envelopes and a scriptable FIFO of replies and faults. Wire formats follow
//! `/work/shared/api/gemini.md` (§2-§6, §10, §12.1).

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::control::{self, json_response, lock, ControlPlane, Controlled};

/// Content type of every JSON answer of the real API.
const JSON_CT: &str = "application/json; charset=UTF-8";
/// How long a `hang` step holds the connection by default.
const DEFAULT_HANG_MS: u64 = 120_000;
/// Top-level request fields the fake accepts on generate/stream calls.
const KNOWN_FIELDS: &[&str] = &[
    "contents",
    "systemInstruction",
    "system_instruction",
    "generationConfig",
    "generation_config",
    "safetySettings",
    "safety_settings",
    "tools",
    "toolConfig",
    "tool_config",
    "cachedContent",
    "cached_content",
    "serviceTier",
    "service_tier",
    "model",
];

/// Settings of the Gemini fake.
#[derive(Debug, Clone)]
pub struct GeminiConfig {
    /// The only API key accepted.
    pub api_key: String,
    /// Delay before the first streamed chunk (default replies).
    pub first_token_ms: u64,
    /// Delay between streamed chunks (default replies).
    pub chunk_ms: u64,
}

impl Default for GeminiConfig {
    fn default() -> Self {
        Self { api_key: "test-gemini-key".into(), first_token_ms: 0, chunk_ms: 0 }
    }
}

/// Shared state of the Gemini fake.
#[derive(Debug)]
pub struct GeminiState {
    cfg: GeminiConfig,
    control: ControlPlane,
    script: Mutex<VecDeque<Step>>,
}

impl GeminiState {
    /// New state with an empty script.
    pub fn new(cfg: GeminiConfig) -> Arc<Self> {
        Arc::new(Self { cfg, control: ControlPlane::default(), script: Mutex::new(VecDeque::new()) })
    }

    fn pop_step(&self) -> Option<Step> {
        lock(&self.script).pop_front()
    }
}

impl Controlled for GeminiState {
    fn control(&self) -> &ControlPlane {
        &self.control
    }

    fn reset_extra(&self) {
        lock(&self.script).clear();
    }

    fn push_script(&self, steps: Vec<Value>) -> Result<usize, String> {
        let parsed = steps
            .into_iter()
            .enumerate()
            .map(|(i, v)| serde_json::from_value::<Step>(v).map_err(|e| format!("step {i}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        let mut q = lock(&self.script);
        q.extend(parsed);
        Ok(q.len())
    }

    fn down_response(&self) -> Response {
        ApiError::new(503, "The model is overloaded. Please try again later.").into_response()
    }
}

/// Timing and chunking knobs shared by the streaming steps.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Timing {
    /// Words per streamed chunk (default 3).
    pub chunk_words: Option<usize>,
    /// Delay before the first chunk (default `--first-token-ms`).
    pub first_delay_ms: Option<u64>,
    /// Delay between chunks (default `--chunk-ms`).
    pub chunk_delay_ms: Option<u64>,
}

/// One scripted behaviour, popped by each generate/stream call.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Step {
    /// A normal answer with the given text (default: the deterministic echo).
    Reply {
        text: Option<String>,
        #[serde(flatten)]
        timing: Timing,
    },
    /// An error envelope before any body byte.
    Error {
        #[serde(default = "default_error_status")]
        status: u16,
        message: Option<String>,
        retry_delay: Option<String>,
        quota_id: Option<String>,
    },
    /// `after_chunks` chunks without finishReason, then the body ends
    /// (cleanly, or by aborting the connection when `abort` is true).
    Cut {
        text: Option<String>,
        #[serde(default = "default_after_chunks")]
        after_chunks: usize,
        #[serde(default)]
        abort: bool,
        #[serde(flatten)]
        timing: Timing,
    },
    /// Chunks, then a raw pretty-printed error object (no `data:`), then the end.
    ErrorMidStream {
        text: Option<String>,
        #[serde(default = "default_after_chunks")]
        after_chunks: usize,
        #[serde(default = "default_mid_status")]
        status: u16,
        message: Option<String>,
        #[serde(flatten)]
        timing: Timing,
    },
    /// Chunks, then the connection stays open without data for `hang_ms`.
    Hang {
        text: Option<String>,
        #[serde(default = "default_hang_chunks")]
        after_chunks: usize,
        hang_ms: Option<u64>,
        #[serde(flatten)]
        timing: Timing,
    },
    /// 200 with `promptFeedback.blockReason` and no candidates.
    Blocked { reason: Option<String> },
}

fn default_error_status() -> u16 {
    500
}
fn default_after_chunks() -> usize {
    2
}
fn default_hang_chunks() -> usize {
    1
}
fn default_mid_status() -> u16 {
    503
}

/// The Gemini fake's router (control routes, CORS and recording included).
pub fn app(state: Arc<GeminiState>) -> Router {
    Router::new()
        .route("/v1beta/models", get(list_models))
        .route("/v1beta/models/{name}", get(get_model).post(model_action))
        .merge(control::control_routes::<GeminiState>())
        .fallback(fallback)
        .layer(middleware::from_fn_with_state(state.clone(), control::record_and_gate::<GeminiState>))
        .layer(control::cors_layer())
        .with_state(state)
}

// ---------------------------------------------------------------- errors

/// A Google API error (`google.rpc.Status` envelope).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code} {message}")]
pub struct ApiError {
    /// HTTP status and `error.code`.
    pub code: u16,
    /// `error.message`.
    pub message: String,
    /// `error.details` (omitted when empty).
    pub details: Vec<Value>,
    /// Wrap the envelope in a one-element array (JSON-array stream mode).
    pub in_array: bool,
}

impl ApiError {
    /// An error without details.
    pub fn new(code: u16, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), details: Vec::new(), in_array: false }
    }

    fn with_details(mut self, details: Vec<Value>) -> Self {
        self.details = details;
        self
    }

    /// The `{"error": {...}}` object.
    pub fn envelope(&self) -> Value {
        let mut err = Map::new();
        err.insert("code".into(), json!(self.code));
        err.insert("message".into(), json!(self.message));
        err.insert("status".into(), json!(status_name(self.code)));
        if !self.details.is_empty() {
            err.insert("details".into(), Value::Array(self.details.clone()));
        }
        json!({ "error": Value::Object(err) })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let env = if self.in_array { json!([self.envelope()]) } else { self.envelope() };
        let status = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        json_response(status, JSON_CT, pretty(&env))
    }
}

/// The canonical `google.rpc.Code` name for an HTTP status.
pub fn status_name(code: u16) -> &'static str {
    match code {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        500 => "INTERNAL",
        501 => "NOT_IMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        c if (400..500).contains(&c) => "FAILED_PRECONDITION",
        _ => "UNKNOWN",
    }
}

fn default_message(code: u16, model: &str) -> String {
    match code {
        400 => "Request contains an invalid argument.".into(),
        401 => "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.".into(),
        403 => "The caller does not have permission".into(),
        404 => not_found_message(model, "generateContent"),
        500 => "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting".into(),
        503 => "The model is overloaded. Please try again later.".into(),
        504 => "Deadline expired.".into(),
        _ => format!("Error {code}"),
    }
}

fn not_found_message(model: &str, method: &str) -> String {
    format!(
        "models/{model} is not found for API version v1beta, or is not supported for {method}. \
         Call ModelService.ListModels to see the list of available models and their supported methods."
    )
}

/// Builds the error a script step asks for, with realistic details.
fn scripted_error(
    code: u16,
    message: Option<String>,
    retry_delay: Option<String>,
    quota_id: Option<String>,
    model: &str,
) -> ApiError {
    if code == 429 {
        let delay = retry_delay.unwrap_or_else(|| "3s".into());
        let base = message.unwrap_or_else(|| {
            format!(
                "You exceeded your current quota, please check your plan and billing details. \
                 For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. \
                 To monitor your current usage, head to: https://ai.dev/rate-limit. \n\
                 * Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, \
                 limit: 20, model: {model}"
            )
        });
        let msg = if base.contains("Please retry in") { base } else { format!("{base}\nPlease retry in {delay}.") };
        let quota_id = quota_id.unwrap_or_else(|| "GenerateRequestsPerMinutePerProjectPerModel-FreeTier".into());
        return ApiError::new(429, msg).with_details(vec![
            json!({
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [{
                    "description": "Learn more about Gemini API quotas",
                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits"
                }]
            }),
            json!({
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [{
                    "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                    "quotaId": quota_id,
                    "quotaDimensions": {"location": "global", "model": model},
                    "quotaValue": "20"
                }]
            }),
            json!({
                "@type": "type.googleapis.com/google.rpc.RetryInfo",
                "retryDelay": delay
            }),
        ]);
    }
    ApiError::new(code, message.unwrap_or_else(|| default_message(code, model)))
}

fn invalid_key() -> ApiError {
    let msg = "API key not valid. Please pass a valid API key.";
    ApiError::new(400, msg).with_details(vec![
        json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
            "metadata": {"service": "generativelanguage.googleapis.com"}
        }),
        json!({
            "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
            "locale": "en-US",
            "message": msg
        }),
    ])
}

fn unknown_field(name: &str) -> ApiError {
    let msg = format!("Invalid JSON payload received. Unknown name \"{name}\": Cannot find field.");
    ApiError::new(400, msg.clone()).with_details(vec![json!({
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        "fieldViolations": [{"description": msg}]
    })])
}

/// Checks `x-goog-api-key` (or `?key=`).
fn check_key(cfg: &GeminiConfig, headers: &HeaderMap, query: &BTreeMap<String, String>) -> Result<(), ApiError> {
    let key = headers
        .get("x-goog-api-key")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .or_else(|| query.get("key").cloned());
    match key {
        None => Err(ApiError::new(
            403,
            "Method doesn't allow unregistered callers (callers without established identity). \
             Please use API Key or other form of API consumer identity to call this API.",
        )),
        Some(k) if k == cfg.api_key => Ok(()),
        Some(_) => Err(invalid_key()),
    }
}

// ---------------------------------------------------------------- models

/// One entry of the static model table.
#[derive(Debug, Clone, Copy)]
pub struct ModelInfo {
    /// Bare id, e.g. `gemini-3.5-flash`.
    pub id: &'static str,
    display: &'static str,
    version: &'static str,
    input: u32,
    output: u32,
    methods: &'static [&'static str],
    thinking: bool,
    /// The concrete model reported as `modelVersion` (aliases point elsewhere).
    model_version: &'static str,
    /// Set for retired models: the successor named in the 404 text.
    retired_for: Option<&'static str>,
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

async fn list_models(State(s): State<Arc<GeminiState>>, RawQuery(q): RawQuery, headers: HeaderMap) -> Response {
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

async fn get_model(
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

async fn fallback(State(s): State<Arc<GeminiState>>, RawQuery(q): RawQuery, headers: HeaderMap) -> Response {
    let query = control::parse_query(q.as_deref());
    if let Err(e) = check_key(&s.cfg, &headers, &query) {
        return e.into_response();
    }
    ApiError::new(404, "Requested entity was not found.").into_response()
}

// ---------------------------------------------------------------- JSON output

/// Pretty JSON with 2-space indent and a trailing newline, like the real API.
pub fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

/// Compact JSON with a space after each colon (the SSE payload style).
pub fn sse_json(v: &Value) -> String {
    struct SpacedColon;
    impl serde_json::ser::Formatter for SpacedColon {
        fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
            w.write_all(b": ")
        }
    }
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, SpacedColon);
    serde::Serialize::serialize(v, &mut ser).expect("serializing a Value cannot fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

fn ok_json(v: &Value) -> Response {
    json_response(StatusCode::OK, JSON_CT, pretty(v))
}

/// A response id: 20 URL-safe base64 characters.
pub fn response_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let a = uuid::Uuid::new_v4();
    let b = uuid::Uuid::new_v4();
    a.as_bytes().iter().chain(b.as_bytes()).take(20).map(|byte| ALPHABET[(*byte & 63) as usize] as char).collect()
}

// ---------------------------------------------------------------- prompt analysis

/// What the fake extracts from a generate request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prompt {
    /// Text of the last user turn.
    pub last_user_text: String,
    /// Number of user turns in `contents`.
    pub user_turns: usize,
    /// Text of `systemInstruction`.
    pub system_text: String,
    /// Prompt token estimate (words).
    pub tokens: usize,
}

fn content_text(c: &Value) -> String {
    match c {
        Value::String(s) => s.clone(),
        _ => c
            .get("parts")
            .and_then(Value::as_array)
            .map(|parts| {
                parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join("")
            })
            .unwrap_or_default(),
    }
}

/// Counts tokens the fake way: whitespace-separated words.
pub fn count_words(s: &str) -> usize {
    s.split_whitespace().count()
}

impl Prompt {
    /// Extracts the prompt facts from a (validated) request body.
    pub fn from_request(body: &Value) -> Self {
        let mut p = Prompt::default();
        if let Some(contents) = body.get("contents").and_then(Value::as_array) {
            for c in contents {
                let text = content_text(c);
                p.tokens += count_words(&text);
                let role = c.get("role").and_then(Value::as_str).unwrap_or("user");
                if role == "user" {
                    p.user_turns += 1;
                    p.last_user_text = text;
                }
            }
        }
        if let Some(si) = body.get("systemInstruction").or_else(|| body.get("system_instruction")) {
            p.system_text = content_text(si);
            p.tokens += count_words(&p.system_text);
        }
        p
    }

    /// Bullet lines (`- …`) under a heading line that mentions "memories".
    pub fn memories(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut in_section = false;
        for line in self.system_text.lines() {
            let t = line.trim();
            if let Some(item) = t.strip_prefix("- ") {
                if in_section && !item.trim().is_empty() {
                    out.push(item.trim().to_string());
                }
            } else if !t.is_empty() {
                in_section = t.to_lowercase().contains("memories");
            }
        }
        out
    }

    /// The deterministic default reply.
    pub fn default_reply(&self) -> String {
        let said: String = self.last_user_text.chars().take(200).collect();
        let mut s = format!("I hear you. You said: \"{said}\"\n\n**Turns so far:** {}", self.user_turns);
        let mems = self.memories();
        if !mems.is_empty() {
            s.push_str(&format!("\n\nI remember: {}", mems.join("; ")));
        }
        s
    }
}

/// Validates a generate/stream body like the real API (lightly).
pub fn validate_generate(body: &Value) -> Result<(), ApiError> {
    let obj =
        body.as_object().ok_or_else(|| ApiError::new(400, "Invalid JSON payload received. Expected an object."))?;
    if let Some(k) = obj.keys().find(|k| !KNOWN_FIELDS.contains(&k.as_str())) {
        return Err(unknown_field(k));
    }
    let contents = match obj.get("contents") {
        Some(Value::Array(a)) if !a.is_empty() => a,
        Some(Value::Array(_)) | None | Some(Value::Null) => {
            return Err(ApiError::new(
                400,
                "* GenerateContentRequest.contents: contents is not specified\n",
            ))
        }
        Some(_) => {
            return Err(ApiError::new(
                400,
                "Invalid JSON payload received. Unknown name \"contents\": Proto field is not repeating, cannot start list.",
            ))
        }
    };
    for (i, c) in contents.iter().enumerate() {
        match c.get("role").and_then(Value::as_str) {
            None | Some("user") | Some("model") => {}
            Some(_) => return Err(ApiError::new(400, "Please use a valid role: user, model.")),
        }
        let parts_ok = c.get("parts").and_then(Value::as_array).is_some_and(|p| !p.is_empty());
        if !parts_ok {
            return Err(ApiError::new(
                400,
                format!("* GenerateContentRequest.contents[{i}].parts: contents.parts must not be empty.\n"),
            ));
        }
    }
    Ok(())
}

fn parse_body(body: &Bytes) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::new(400, format!("Invalid JSON payload received. Unexpected token.\n{e}")))
}

/// Splits text into chunks of `words` words; concatenating them gives the text back.
pub fn split_chunks(text: &str, words: usize) -> Vec<String> {
    let words = words.max(1);
    let mut chunks = Vec::new();
    let mut cur = String::new();
    let mut count = 0;
    let mut prev_ws = true;
    for ch in text.chars() {
        let ws = ch.is_whitespace();
        if !ws && prev_ws {
            if count == words {
                chunks.push(std::mem::take(&mut cur));
                count = 0;
            }
            count += 1;
        }
        cur.push(ch);
        prev_ws = ws;
    }
    if !cur.is_empty() || chunks.is_empty() {
        chunks.push(cur);
    }
    chunks
}

// ---------------------------------------------------------------- generate

/// Per-call facts used to render response objects.
struct Ctx {
    model_version: String,
    response_id: String,
    prompt_tokens: usize,
}

impl Ctx {
    fn usage(&self, cand: usize) -> Value {
        json!({
            "promptTokenCount": self.prompt_tokens,
            "candidatesTokenCount": cand,
            "totalTokenCount": self.prompt_tokens + cand,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": self.prompt_tokens}]
        })
    }

    fn chunk(&self, text: &str, finish: Option<&str>, cand: usize) -> Value {
        let mut cand_obj = Map::new();
        cand_obj.insert("content".into(), json!({"parts": [{"text": text}], "role": "model"}));
        if let Some(f) = finish {
            cand_obj.insert("finishReason".into(), json!(f));
        }
        cand_obj.insert("index".into(), json!(0));
        json!({
            "candidates": [Value::Object(cand_obj)],
            "usageMetadata": self.usage(cand),
            "modelVersion": self.model_version,
            "responseId": self.response_id
        })
    }

    fn blocked(&self, reason: &str) -> Value {
        json!({
            "promptFeedback": {
                "blockReason": reason,
                "safetyRatings": [
                    {"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "probability": "NEGLIGIBLE"},
                    {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE"},
                    {"category": "HARM_CATEGORY_HARASSMENT", "probability": "MEDIUM"},
                    {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "NEGLIGIBLE"}
                ]
            },
            "usageMetadata": {
                "promptTokenCount": self.prompt_tokens,
                "totalTokenCount": self.prompt_tokens,
                "promptTokensDetails": [{"modality": "TEXT", "tokenCount": self.prompt_tokens}]
            },
            "modelVersion": self.model_version,
            "responseId": self.response_id
        })
    }
}

/// How a streaming call frames its events.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Framing {
    Sse,
    JsonArray,
}

/// One step of a streamed body.
/// The first `after_chunks` chunks of a reply, paced like a real stream (for the steps that then
/// cut, fail or hang). `timing` is (words per chunk, first delay, delay between chunks).
fn first_chunks(ctx: &Ctx, fr: &mut Framer, text: &str, after_chunks: usize, timing: (usize, u64, u64)) -> Vec<Emit> {
    let (words, first, between) = timing;
    let mut plan = Vec::new();
    let mut so_far = 0;
    for (i, c) in split_chunks(text, words).iter().take(after_chunks).enumerate() {
        plan.push(Emit::Sleep(if i == 0 { first } else { between }));
        so_far += count_words(c);
        plan.push(Emit::Data(fr.event(&ctx.chunk(c, None, so_far))));
    }
    plan
}

enum Emit {
    Sleep(u64),
    Data(String),
    Abort,
}

fn stream_response(content_type: &'static str, plan: Vec<Emit>) -> Response {
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    tokio::spawn(async move {
        for e in plan {
            match e {
                Emit::Sleep(0) => {}
                Emit::Sleep(ms) => {
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(ms)) => {}
                        _ = tx.closed() => return,
                    }
                }
                Emit::Data(s) => {
                    if tx.send(Ok(Bytes::from(s))).await.is_err() {
                        return;
                    }
                }
                Emit::Abort => {
                    let _ = tx.send(Err(std::io::Error::other("stream cut by the fake"))).await;
                    return;
                }
            }
        }
    });
    let mut resp = Response::new(Body::from_stream(ReceiverStream::new(rx)));
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

/// Renders stream events in one framing, tracking the JSON-array brackets.
struct Framer {
    framing: Framing,
    started: bool,
}

impl Framer {
    fn event(&mut self, v: &Value) -> String {
        match self.framing {
            Framing::Sse => format!("data: {}\r\n\r\n", sse_json(v)),
            Framing::JsonArray => {
                let body = serde_json::to_string_pretty(v).unwrap_or_default();
                let prefix = if self.started { ",\r\n" } else { "[" };
                self.started = true;
                format!("{prefix}{body}")
            }
        }
    }

    /// The raw error object written mid-stream (no `data:` prefix).
    fn raw_error(&mut self, err: &ApiError) -> String {
        match self.framing {
            Framing::Sse => pretty(&err.envelope()),
            Framing::JsonArray => {
                let prefix = if self.started { ",\r\n" } else { "[" };
                self.started = true;
                format!("{prefix}{}]", serde_json::to_string_pretty(&err.envelope()).unwrap_or_default())
            }
        }
    }

    fn close(&mut self) -> Option<String> {
        match self.framing {
            Framing::Sse => None,
            Framing::JsonArray if self.started => Some("]".into()),
            Framing::JsonArray => Some("[]".into()),
        }
    }
}

async fn model_action(
    State(s): State<Arc<GeminiState>>,
    Path(name): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query = control::parse_query(q.as_deref());
    match handle_action(&s, &name, &query, &headers, &body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn handle_action(
    s: &GeminiState,
    name: &str,
    query: &BTreeMap<String, String>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, ApiError> {
    check_key(&s.cfg, headers, query)?;
    let Some((model_name, method)) = name.rsplit_once(':') else {
        return Err(ApiError::new(404, "Requested entity was not found."));
    };
    let array_mode = method == "streamGenerateContent" && query.get("alt").map(String::as_str) != Some("sse");
    let wrap = |mut e: ApiError| {
        e.in_array = array_mode;
        e
    };
    let needed = match method {
        "generateContent" | "streamGenerateContent" => "generateContent",
        "countTokens" => "countTokens",
        "embedContent" | "batchEmbedContents" => "embedContent",
        _ => return Err(ApiError::new(404, "Requested entity was not found.")),
    };
    let model = match find_model(model_name) {
        Some(m) if m.methods.contains(&needed) => m,
        _ => {
            let bare = model_name.strip_prefix("models/").unwrap_or(model_name);
            return Err(wrap(ApiError::new(404, not_found_message(bare, method))));
        }
    };
    if let Some(successor) = model.retired_for {
        return Err(wrap(ApiError::new(
            404,
            format!(
                "This model models/{} is no longer available to new users. Please update your code to use \
                 models/{successor} for the latest features and improvements. We recommend you to use the \
                 Interactions API (https://ai.google.dev/gemini-api/docs/get-started).",
                model.id
            ),
        )));
    }
    let body = parse_body(body).map_err(wrap)?;
    match method {
        "countTokens" => Ok(count_tokens(&body)),
        "embedContent" => Ok(ok_json(&json!({"embedding": embed(&body)}))),
        "batchEmbedContents" => {
            let reqs = body.get("requests").and_then(Value::as_array).cloned().unwrap_or_default();
            if reqs.is_empty() {
                return Err(ApiError::new(400, "* BatchEmbedContentsRequest.requests: requests is not specified\n"));
            }
            let embs: Vec<Value> = reqs.iter().map(embed).collect();
            Ok(ok_json(&json!({ "embeddings": embs })))
        }
        _ => {
            validate_generate(&body).map_err(wrap)?;
            let framing = match method {
                "generateContent" => None,
                _ if array_mode => Some(Framing::JsonArray),
                _ => Some(Framing::Sse),
            };
            Ok(generate(s, model, &body, framing).await.map_err(wrap)?)
        }
    }
}

fn count_tokens(body: &Value) -> Response {
    let req = body.get("generateContentRequest").unwrap_or(body);
    let n = Prompt::from_request(req).tokens;
    ok_json(&json!({
        "totalTokens": n,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": n}]
    }))
}

/// A deterministic bag-of-words embedding, L2-normalised.
fn embed(req: &Value) -> Value {
    let dim = req
        .get("outputDimensionality")
        .or_else(|| req.get("output_dimensionality"))
        .and_then(Value::as_u64)
        .unwrap_or(3072)
        .clamp(1, 3072) as usize;
    let text = req.get("content").map(content_text).unwrap_or_default();
    let mut v = vec![0f64; dim];
    for w in text.split_whitespace() {
        let d = md5::compute(w.to_lowercase().as_bytes()).0;
        let idx = u32::from_le_bytes([d[0], d[1], d[2], d[3]]) as usize % dim;
        v[idx] += if d[4] & 1 == 0 { 1.0 } else { -1.0 };
    }
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm == 0.0 {
        v[0] = 1.0;
    } else {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    json!({ "values": v })
}

async fn generate(
    s: &GeminiState,
    model: &ModelInfo,
    body: &Value,
    framing: Option<Framing>,
) -> Result<Response, ApiError> {
    let prompt = Prompt::from_request(body);
    let ctx = Ctx {
        model_version: model.model_version.to_string(),
        response_id: response_id(),
        prompt_tokens: prompt.tokens,
    };
    let step = s.pop_step().unwrap_or(Step::Reply { text: None, timing: Timing::default() });
    let text_or_default = |t: Option<String>| t.unwrap_or_else(|| prompt.default_reply());
    let plan_timing = |t: &Timing| {
        (
            t.chunk_words.unwrap_or(3),
            t.first_delay_ms.unwrap_or(s.cfg.first_token_ms),
            t.chunk_delay_ms.unwrap_or(s.cfg.chunk_ms),
        )
    };

    match step {
        Step::Error { status, message, retry_delay, quota_id } => {
            Err(scripted_error(status, message, retry_delay, quota_id, model.id))
        }
        Step::Blocked { reason } => {
            let v = ctx.blocked(reason.as_deref().unwrap_or("SAFETY"));
            Ok(match framing {
                None => ok_json(&v),
                Some(f) => {
                    let mut fr = Framer { framing: f, started: false };
                    let mut plan = vec![Emit::Data(fr.event(&v))];
                    plan.extend(fr.close().map(Emit::Data));
                    stream_response(content_type(f), plan)
                }
            })
        }
        Step::Reply { text, timing } => {
            let text = text_or_default(text);
            let (words, first, between) = plan_timing(&timing);
            Ok(match framing {
                None => {
                    tokio::time::sleep(Duration::from_millis(first)).await;
                    ok_json(&ctx.chunk(&text, Some("STOP"), count_words(&text)))
                }
                Some(f) => {
                    let chunks = split_chunks(&text, words);
                    let n = chunks.len();
                    let mut fr = Framer { framing: f, started: false };
                    let mut plan = Vec::new();
                    let mut so_far = 0;
                    for (i, c) in chunks.iter().enumerate() {
                        plan.push(Emit::Sleep(if i == 0 { first } else { between }));
                        so_far += count_words(c);
                        let finish = (i + 1 == n).then_some("STOP");
                        plan.push(Emit::Data(fr.event(&ctx.chunk(c, finish, so_far))));
                    }
                    plan.extend(fr.close().map(Emit::Data));
                    stream_response(content_type(f), plan)
                }
            })
        }
        Step::Cut { text, after_chunks, abort, timing } => {
            let text = text_or_default(text);
            let (words, first, between) = plan_timing(&timing);
            let f = framing.unwrap_or(Framing::Sse);
            let mut fr = Framer { framing: f, started: false };
            let mut plan = Vec::new();
            if framing.is_none() {
                // Non-streaming: half a JSON body, then a dropped connection.
                let full = pretty(&ctx.chunk(&text, Some("STOP"), count_words(&text)));
                let half: String = full.chars().take(full.chars().count() / 2).collect();
                plan.push(Emit::Sleep(first));
                plan.push(Emit::Data(half));
                plan.push(Emit::Abort);
                return Ok(stream_response(JSON_CT, plan));
            }
            plan.extend(first_chunks(&ctx, &mut fr, &text, after_chunks, (words, first, between)));
            if abort {
                plan.push(Emit::Abort);
            }
            Ok(stream_response(content_type(f), plan))
        }
        Step::ErrorMidStream { text, after_chunks, status, message, timing } => {
            let err = scripted_error(status, message, None, None, model.id);
            let Some(f) = framing else {
                return Err(err);
            };
            let text = text_or_default(text);
            let (words, first, between) = plan_timing(&timing);
            let mut fr = Framer { framing: f, started: false };
            let mut plan = Vec::new();
            plan.extend(first_chunks(&ctx, &mut fr, &text, after_chunks, (words, first, between)));
            plan.push(Emit::Sleep(between));
            plan.push(Emit::Data(fr.raw_error(&err)));
            Ok(stream_response(content_type(f), plan))
        }
        Step::Hang { text, after_chunks, hang_ms, timing } => {
            let hang = hang_ms.unwrap_or(DEFAULT_HANG_MS);
            let text = text_or_default(text);
            let (words, first, between) = plan_timing(&timing);
            let Some(f) = framing else {
                // Non-streaming: no answer at all until the hang ends.
                tokio::time::sleep(Duration::from_millis(hang)).await;
                return Ok(ok_json(&ctx.chunk(&text, Some("STOP"), count_words(&text))));
            };
            let mut fr = Framer { framing: f, started: false };
            let mut plan = Vec::new();
            plan.extend(first_chunks(&ctx, &mut fr, &text, after_chunks, (words, first, between)));
            plan.push(Emit::Sleep(hang));
            Ok(stream_response(content_type(f), plan))
        }
    }
}

fn content_type(f: Framing) -> &'static str {
    match f {
        Framing::Sse => "text/event-stream",
        Framing::JsonArray => JSON_CT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_rejoin_to_the_text() {
        let t = "I hear you.  You said: \"hi there\"\n\n**Turns so far:** 1";
        let c = split_chunks(t, 3);
        assert_eq!(c.concat(), t);
        assert!(c.len() > 2);
        assert_eq!(split_chunks("", 3), vec![String::new()]);
        assert_eq!(split_chunks("  lead", 3).concat(), "  lead");
    }

    #[test]
    fn memories_are_read_under_their_heading() {
        let p = Prompt {
            system_text:
                "You are kind.\n\n## What you remember (memories)\n- Likes tea\n\n- Is a veteran\n## Other\n- not this"
                    .into(),
            ..Prompt::default()
        };
        assert_eq!(p.memories(), vec!["Likes tea", "Is a veteran"]);
    }

    #[test]
    fn sse_json_has_space_after_colon_only() {
        let v = json!({"a": [{"b": 1}], "c": "x:y"});
        assert_eq!(sse_json(&v), r#"{"a": [{"b": 1}],"c": "x:y"}"#);
    }

    #[test]
    fn response_ids_are_url_safe() {
        let id = response_id();
        assert_eq!(id.len(), 20);
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }
}
