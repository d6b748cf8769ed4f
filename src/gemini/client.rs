//! Browser client for the Gemini REST API: streamed replies and the model list.

use super::endpoint::Endpoint;
use super::error::{ApiError, GeminiError};
use super::stream::{Finished, ReplyStream};
use super::wire::{GenerateContentRequest, ModelList};
use crate::web::fetch::{self as http, BodyReader, FetchError};
use web_sys::AbortSignal;

impl From<FetchError> for GeminiError {
    fn from(e: FetchError) -> Self {
        match e {
            FetchError::Aborted => GeminiError::Aborted,
            FetchError::Network(msg) => GeminiError::Network(msg),
        }
    }
}

/// The result of a streamed reply: what arrived (kept even on failure) and how it ended.
pub struct StreamOutcome {
    pub reply: ReplyStream,
    pub result: Result<Finished, GeminiError>,
}

/// Streams `streamGenerateContent?alt=sse`, calling `on_text` with each new piece of answer.
pub async fn stream_generate(
    endpoint: &Endpoint,
    model: &str,
    request: &GenerateContentRequest,
    signal: &AbortSignal,
    mut on_text: impl FnMut(&str),
) -> StreamOutcome {
    let mut reply = ReplyStream::new();
    let result = async {
        let body = serde_json::to_string(request).map_err(|e| GeminiError::BadResponse(e.to_string()))?;
        let url = endpoint.url(&format!("models/{}:streamGenerateContent?alt=sse", model.trim()));
        let response = http::send("POST", &url, &endpoint.headers(), Some(&body), Some(signal)).await?;
        if response.status() != 200 {
            let text = http::text(&response).await?;
            return Err(GeminiError::Api(ApiError::from_body(response.status(), &text)));
        }
        // A captive portal or a static host's fallback page answers 200 with HTML.
        let content_type = response.headers().get("content-type").ok().flatten().unwrap_or_default();
        if content_type.contains("text/html") {
            return Err(GeminiError::BadResponse("a web page instead of a reply stream: check the base URL".into()));
        }
        let mut body = BodyReader::new(&response).ok_or(GeminiError::StreamCut)?;
        while let Some(chunk) = body.next().await.map_err(|e| match e {
            FetchError::Network(_) => GeminiError::StreamCut,
            other => other.into(),
        })? {
            let added = reply.feed(&chunk)?;
            if !added.is_empty() {
                on_text(&added);
            }
        }
        let (added, finished) = reply.finish()?;
        if !added.is_empty() {
            on_text(&added);
        }
        Ok(finished)
    }
    .await;
    StreamOutcome { reply, result }
}

/// Lists the chat models the key can use (every page), ids without the `models/` prefix.
pub async fn list_models(endpoint: &Endpoint) -> Result<Vec<String>, GeminiError> {
    let mut ids = Vec::new();
    let mut page_token: Option<String> = None;
    for _ in 0..10 {
        let mut path = "models?pageSize=1000".to_owned();
        if let Some(token) = &page_token {
            path.push_str(&format!("&pageToken={}", String::from(js_sys::encode_uri_component(token))));
        }
        let response = http::send("GET", &endpoint.url(&path), &endpoint.headers(), None, None).await?;
        let text = http::text(&response).await?;
        if response.status() != 200 {
            return Err(GeminiError::Api(ApiError::from_body(response.status(), &text)));
        }
        let page: ModelList = serde_json::from_str(&text).map_err(|e| GeminiError::BadResponse(e.to_string()))?;
        ids.extend(page.models.iter().filter(|m| m.is_chat_model()).map(|m| m.id().to_owned()));
        match page.next_page_token.filter(|t| !t.is_empty()) {
            Some(token) => page_token = Some(token),
            None => break,
        }
    }
    Ok(ids)
}
