//! The `POST /v1beta/models/{model}:{method}` actions: generate, stream, countTokens and
//! the embeddings, each playing the next scripted step (or the deterministic echo reply).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::errors::{check_key, not_found_message, scripted_error, ApiError};
use super::models::{find_model, ModelInfo};
use super::prompt::{content_text, count_words, parse_body, split_chunks, validate_generate, Prompt};
use super::render::{ok_json, pretty, response_id, Ctx};
use super::script::{Step, Timing, DEFAULT_HANG_MS};
use super::stream::{content_type, first_chunks, stream_response, Emit, Framer, Framing};
use super::{GeminiState, JSON_CT};
use crate::control;

/// Routes `{model}:{method}` after the key check; every failure becomes an [`ApiError`].
pub(super) async fn model_action(
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
        Step::Blocked { reason, safety_ratings } => {
            let v = ctx.blocked(reason.as_deref().unwrap_or("SAFETY"), safety_ratings);
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
        Step::SafetyStop { text, after_chunks, reason, safety_ratings, timing } => {
            let text = text_or_default(text);
            let (words, first, between) = plan_timing(&timing);
            let reason = reason.as_deref().unwrap_or("SAFETY");
            let shown: usize = split_chunks(&text, words).iter().take(after_chunks).map(|c| count_words(c)).sum();
            let stop = ctx.safety_stop(reason, safety_ratings, shown);
            let Some(f) = framing else {
                // Non-streaming: the stop alone (what was generated before it is withheld).
                return Ok(ok_json(&stop));
            };
            let mut fr = Framer { framing: f, started: false };
            let mut plan = first_chunks(&ctx, &mut fr, &text, after_chunks, (words, first, between));
            plan.push(Emit::Sleep(between));
            plan.push(Emit::Data(fr.event(&stop)));
            plan.extend(fr.close().map(Emit::Data));
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
