//! Streaming bodies: a plan of sleeps, data and aborts played onto the connection, framed
//! as SSE events (`alt=sse`) or as one JSON array (no `alt`), including the raw error object
//! the real API writes mid-stream.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue};
use axum::response::Response;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::errors::ApiError;
use super::render::{pretty, sse_json, Ctx};
use super::{count_words, split_chunks, JSON_CT};

/// How a streaming call frames its events.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Framing {
    Sse,
    JsonArray,
}

/// The first `after_chunks` chunks of a reply, paced like a real stream (for the steps that then
/// cut, fail or hang). `timing` is (words per chunk, first delay, delay between chunks).
pub(super) fn first_chunks(
    ctx: &Ctx,
    fr: &mut Framer,
    text: &str,
    after_chunks: usize,
    timing: (usize, u64, u64),
) -> Vec<Emit> {
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

/// One step of a streamed body.
pub(super) enum Emit {
    Sleep(u64),
    Data(String),
    Abort,
}

/// Plays `plan` onto a streamed response body of `content_type`.
pub(super) fn stream_response(content_type: &'static str, plan: Vec<Emit>) -> Response {
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
pub(super) struct Framer {
    pub(super) framing: Framing,
    pub(super) started: bool,
}

impl Framer {
    pub(super) fn event(&mut self, v: &Value) -> String {
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
    pub(super) fn raw_error(&mut self, err: &ApiError) -> String {
        match self.framing {
            Framing::Sse => pretty(&err.envelope()),
            Framing::JsonArray => {
                let prefix = if self.started { ",\r\n" } else { "[" };
                self.started = true;
                format!("{prefix}{}]", serde_json::to_string_pretty(&err.envelope()).unwrap_or_default())
            }
        }
    }

    pub(super) fn close(&mut self) -> Option<String> {
        match self.framing {
            Framing::Sse => None,
            Framing::JsonArray if self.started => Some("]".into()),
            Framing::JsonArray => Some("[]".into()),
        }
    }
}

/// The content type of a streamed answer in this framing.
pub(super) fn content_type(f: Framing) -> &'static str {
    match f {
        Framing::Sse => "text/event-stream",
        Framing::JsonArray => JSON_CT,
    }
}
