//! The behaviours tests queue with `POST /_fake/script`: each generate or stream call pops
//! one step (a reply, an error, a cut or failing stream, a hang, a safety block).

use serde::Deserialize;
use serde_json::Value;

/// How long a `hang` step holds the connection by default.
pub(super) const DEFAULT_HANG_MS: u64 = 120_000;

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
    /// 200 with `promptFeedback.blockReason` and no candidates; `safety_ratings` replaces the
    /// default prompt ratings (e.g. to mark `HARM_CATEGORY_DANGEROUS_CONTENT` as the blocked one).
    Blocked { reason: Option<String>, safety_ratings: Option<Vec<Value>> },
    /// `after_chunks` chunks of text, then a last chunk with no content, `finishReason` (default
    /// `SAFETY`) and the candidate's `safetyRatings`: a reply Gemini stopped part-way.
    SafetyStop {
        text: Option<String>,
        #[serde(default = "default_after_chunks")]
        after_chunks: usize,
        reason: Option<String>,
        safety_ratings: Option<Vec<Value>>,
        #[serde(flatten)]
        timing: Timing,
    },
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
