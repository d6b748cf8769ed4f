//! The send pipeline: user message in, streamed reply out, with automatic retries for
//! transient failures and nothing lost on any error.
//!
//! 1. append the user message and an empty reply (saved at once);
//! 2. search mem0 for the message, within a deadline (on failure, go on without memory);
//! 3. build the request: persona and memories as system instruction, recent history as contents;
//! 4. stream the reply into its bubble; on a transient error before any text arrived, wait
//!    (Gemini's `RetryInfo`, or backoff with jitter) and try again; otherwise show the error in
//!    place, keeping any partial text, with a Retry button;
//! 5. when the reply is complete, queue this turn for mem0 (the outbox; never blocks the chat).

use super::conversation::{history_for, MessageState, Role};
use crate::app::AppCtx;
use crate::gemini::error::human_secs;
use crate::gemini::{self, GeminiError, Recovery};
use crate::http::{self, now_ms};
use crate::memory::sync as memory_sync;
use crate::memory::usage::{Lookup, WriteState};
use crate::prompt::build_request;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::time::Duration;
use web_sys::AbortController;

/// Longest message we send. Gemini takes far more, but a chat message this long is almost
/// always a mistaken paste; the user is told and nothing is sent or lost.
pub const MAX_MESSAGE_CHARS: usize = 20_000;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ComposeError {
    #[error("Type a message first — even a few words is fine.")]
    Empty,
    #[error("That message is {chars} characters long; the limit is {max}. Shorten it or send it in parts — your text is still in the box.")]
    TooLong { chars: usize, max: usize },
    #[error("Wait for the reply to finish, or press Stop.")]
    Busy,
    #[error("Choose a model in Settings first.")]
    NoModel,
}

/// Checks a message before sending; returns it trimmed.
pub fn validate(text: &str) -> Result<&str, ComposeError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(ComposeError::Empty);
    }
    // Counting stops early past the limit, so a huge paste costs little.
    let chars = trimmed.chars().take(MAX_MESSAGE_CHARS + 1).count();
    if chars > MAX_MESSAGE_CHARS {
        return Err(ComposeError::TooLong { chars: trimmed.chars().count(), max: MAX_MESSAGE_CHARS });
    }
    Ok(trimmed)
}

/// Sends a message and starts its reply.
pub fn send(ctx: AppCtx, text: &str) -> Result<(), ComposeError> {
    let text = validate(text)?;
    if ctx.chat.is_busy_untracked() {
        return Err(ComposeError::Busy);
    }
    if ctx.settings.with_untracked(|s| s.model.trim().is_empty()) {
        return Err(ComposeError::NoModel);
    }
    ctx.chat.push(Role::User, text.to_owned(), MessageState::Done);
    let reply = ctx.chat.push(Role::Model, String::new(), MessageState::Streaming);
    ctx.chat.save();
    spawn_local(run_reply(ctx, reply.id));
    Ok(())
}

/// Asks again for a reply that failed or was stopped.
pub fn retry(ctx: AppCtx, reply_id: u64) {
    if ctx.chat.is_busy_untracked() {
        return;
    }
    if let Some((_, row)) = ctx.chat.find(reply_id) {
        row.state.set(MessageState::Streaming);
        spawn_local(run_reply(ctx, reply_id));
    }
}

async fn run_reply(ctx: AppCtx, reply_id: u64) {
    let settings = ctx.settings.get_untracked();
    let endpoint = ctx.gemini_endpoint();
    let key_on_server = endpoint.api_key.is_none() && matches!(ctx.mode.get_untracked(), crate::app::Mode::Proxy(_));
    let Some((index, row)) = ctx.chat.find(reply_id) else { return };
    let user = index.checked_sub(1).and_then(|i| ctx.chat.rows.with_untracked(|rows| rows.get(i).copied()));
    let Some(user) = user else { return };
    let (user_id, user_text) = (user.id, user.text.get_untracked());
    ctx.chat.begin_reply();
    http::start_marks("w0:send");
    row.text.set(String::new());
    row.memory.set(None);
    let memory = memory_sync::lookup(ctx, &user_text).await;
    if ctx.chat.stop_requested() {
        row.state.set(MessageState::Stopped);
        ctx.chat.save();
        return;
    }
    let memories: Vec<String> = memory.used().iter().map(|m| m.text.clone()).collect();
    // Without a mem0 set-up there is nothing to say under each reply.
    row.memory.set((memory.lookup != Lookup::NotConfigured).then_some(memory));

    let mut attempt = 1;
    loop {
        let Some((index, row)) = ctx.chat.find(reply_id) else { return }; // session ended
        let Some(user_index) = index.checked_sub(1) else { return };
        let history = history_for(&ctx.chat.snapshot().messages, user_index, settings.history_budget_chars);
        let request = build_request(&settings.persona, &memories, history);

        row.text.set(String::new());
        row.note.set(None);
        row.state.set(MessageState::Streaming);
        let controller = AbortController::new().expect("AbortController is available");
        ctx.chat.begin_request(controller.clone());
        let mut first_chunk = true;
        let outcome = gemini::stream_generate(&endpoint, &settings.model, &request, &controller.signal(), |delta| {
            if std::mem::take(&mut first_chunk) {
                http::mark("w0:first-chunk");
            }
            http::mark("w0:chunk");
            row.text.update(|t| t.push_str(delta));
            ctx.chat.save_throttled();
        })
        .await;
        ctx.chat.end_request();
        row.parts.set_value(outcome.reply.parts.clone());
        // Text that arrived in the same read as an error (or in an unterminated last event) was
        // never passed to `on_text`: show everything that arrived.
        if row.text.with_untracked(|t| *t != outcome.reply.text) {
            row.text.set(outcome.reply.text.clone());
        }

        let error = match outcome.result {
            Ok(finished) => {
                http::mark("w0:done");
                if finished.finish_reason != "STOP" {
                    row.note.set(Some(finish_note(&finished.finish_reason)));
                }
                row.state.set(MessageState::Done);
                let writes_memory = row.memory.with_untracked(|m| {
                    m.as_ref().is_some_and(|m| matches!(m.lookup, Lookup::Found { .. } | Lookup::Unavailable { .. }))
                });
                // Incognito switched on while the reply streamed: respect it.
                if writes_memory && ctx.settings.with_untracked(|s| s.use_memory) {
                    row.memory.update(|m| m.iter_mut().for_each(|m| m.write = WriteState::Pending));
                    let turn = (&*settings.user_id, (user_id, &*user_text), (reply_id, &*outcome.reply.text));
                    memory_sync::record_turn(ctx, turn);
                }
                ctx.chat.save();
                return;
            }
            Err(GeminiError::Aborted) => {
                row.state.set(MessageState::Stopped);
                ctx.chat.save();
                return;
            }
            Err(error) => error,
        };
        let nothing_received = outcome.reply.text.is_empty();
        if nothing_received && !ctx.chat.stop_requested() {
            if let Recovery::RetryAfter(wait) = error.recovery(attempt, js_sys::Math::random()) {
                row.state.set(MessageState::Waiting {
                    message: format!("{} Trying again in {}…", error.user_message_for(key_on_server), human_secs(wait)),
                    retry_at_ms: now_ms() + wait.as_secs_f64() * 1000.0,
                });
                ctx.chat.save();
                if wait_unless_stopped(ctx, wait).await {
                    attempt += 1;
                    continue;
                }
                row.state.set(MessageState::Stopped);
                ctx.chat.save();
                return;
            }
        }
        let cut = matches!(error, GeminiError::StreamCut) || !nothing_received;
        row.state.set(MessageState::Failed { message: error.user_message_for(key_on_server), cut });
        ctx.chat.save();
        return;
    }
}

/// Sleeps for `wait`, in short steps so that Stop (or ending the session) takes effect at once.
/// Returns whether the wait ran to its end.
async fn wait_unless_stopped(ctx: AppCtx, wait: Duration) -> bool {
    let until = now_ms() + wait.as_secs_f64() * 1000.0;
    while now_ms() < until {
        if ctx.chat.stop_requested() {
            return false;
        }
        http::sleep_ms(((until - now_ms()).clamp(0.0, 200.0)) as u32).await;
    }
    !ctx.chat.stop_requested()
}

fn finish_note(reason: &str) -> String {
    match reason {
        "MAX_TOKENS" => "The reply reached the length limit and may be incomplete.".into(),
        "SAFETY" | "PROHIBITED_CONTENT" | "BLOCKLIST" | "SPII" => {
            "Gemini stopped this reply for safety reasons.".into()
        }
        "RECITATION" => "Gemini stopped this reply because it was repeating a source.".into(),
        other => format!("The reply ended early ({other})."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_blank_messages_are_refused() {
        assert_eq!(validate(""), Err(ComposeError::Empty));
        assert_eq!(validate(" \n\t "), Err(ComposeError::Empty));
        assert_eq!(validate("  hi  "), Ok("hi"));
    }

    #[test]
    fn a_megabyte_paste_is_refused_with_its_size() {
        let huge = "é".repeat(1_000_000);
        assert_eq!(validate(&huge), Err(ComposeError::TooLong { chars: 1_000_000, max: MAX_MESSAGE_CHARS }));
        let at_limit = "a".repeat(MAX_MESSAGE_CHARS);
        assert!(validate(&at_limit).is_ok());
        let message = ComposeError::TooLong { chars: 1_000_000, max: MAX_MESSAGE_CHARS }.to_string();
        assert!(message.contains("still in the box"));
    }
}
