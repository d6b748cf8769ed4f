//! The send pipeline: user message in, streamed reply out, with automatic retries for
//! transient failures and nothing lost on any error.
//!
//! 1. append the user message and an empty reply (saved at once) — or, to ask again or to send
//!    an edited message, add them as new versions beside the ones they replace (`tree.rs`);
//! 2. search mem0 for the message, within a deadline (on failure, go on without memory);
//! 3. build the request: persona and memories as system instruction, recent history of the
//!    reply's own branch as contents;
//! 4. stream the reply into its bubble; on a transient error before any text arrived, wait
//!    (Gemini's `RetryInfo`, or backoff with jitter) and try again; otherwise show the error in
//!    place, keeping any partial text, with a Retry button;
//! 5. when the reply is complete, queue this turn for mem0 (the outbox; never blocks the chat).

use super::conversation::{history_for, MessageState, ReplyNote, Role};
use super::retry::{next_step, Step};
use super::state::{ChatStore, MessageRow};
use super::tree::Parent;
use crate::gemini;
use crate::memory::usage::{Lookup, WriteState};
use crate::memory::Turn;
use crate::prompt::build_request;
use crate::web::time::{self, now_ms};
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
    #[error(
        "You're offline, so this can't be sent now. Your message is still in the box: send it when you're back online."
    )]
    Offline,
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

impl ChatStore {
    /// Sends a message and starts its reply.
    pub fn send(&self, text: &str) -> Result<(), ComposeError> {
        let text = validate(text)?;
        self.ready_to_ask()?;
        self.start_turn(self.end_of_transcript(), text);
        Ok(())
    }

    /// Sends an edited version of the person's message `user_id`: a new message beside it, with
    /// a new reply; the earlier one and what followed it stay a step away.
    pub fn edit(&self, user_id: u64, text: &str) -> Result<(), ComposeError> {
        let text = validate(text)?;
        self.ready_to_ask()?;
        let Some(old) = self.find(user_id).filter(|r| r.role == Role::User) else { return Ok(()) };
        self.start_turn(old.parent, text);
        Ok(())
    }

    /// Asks again for a reply: a new version of it, streamed beside the one it replaces.
    pub fn regenerate(&self, reply_id: u64) -> Result<(), ComposeError> {
        self.ready_to_ask()?;
        let Some(old) = self.find(reply_id).filter(|r| r.role == Role::Model) else { return Ok(()) };
        self.ask(old.parent, vec![]);
        Ok(())
    }

    /// Every earlier version the new reply replaces gives up a write still waiting (the one
    /// clicked is not the only one: asking again from version 1 replaces version 2 too).
    fn withdraw_replaced(&self, new_reply: u64) {
        for id in self.tree.with_untracked(|t| t.replaced_by(new_reply)) {
            if let Some(row) = self.find(id) {
                self.withdraw_memory_write(row);
            }
        }
    }

    /// Whether a reply may be asked for now.
    fn ready_to_ask(&self) -> Result<(), ComposeError> {
        if self.is_busy_untracked() {
            return Err(ComposeError::Busy);
        }
        if self.settings.settings.with_untracked(|s| s.model.trim().is_empty()) {
            return Err(ComposeError::NoModel);
        }
        // Nothing could reach Gemini: the message stays in the box rather than failing in place.
        if !crate::web::is_online() {
            return Err(ComposeError::Offline);
        }
        Ok(())
    }

    fn start_turn(&self, parent: Parent, text: &str) {
        self.ask(parent, vec![(Role::User, text.to_owned(), MessageState::Done)]);
    }

    /// Adds `before` after `parent`, then an empty reply after them, and streams the reply (what
    /// it replaces gives up a memory write still waiting).
    fn ask(&self, parent: Parent, mut before: Vec<(Role, String, MessageState)>) {
        before.push((Role::Model, String::new(), MessageState::Streaming));
        let reply_id = self.push(parent, before).last().expect("the reply was added").id;
        self.withdraw_replaced(reply_id);
        let chat = *self;
        spawn_local(async move { chat.run_reply(reply_id).await });
    }

    /// A reply is being replaced: its turn is not written to memory if the write has not gone
    /// out yet (what mem0 already took stays, and the reply keeps offering to forget it).
    fn withdraw_memory_write(&self, reply: MessageRow) {
        let pending = reply.memory.with_untracked(|m| m.as_ref().is_some_and(|m| m.write == WriteState::Pending));
        if pending && self.memory.withdraw_turn(self.session.with_untracked(|s| s.id), reply.id) {
            reply.memory.update(|m| m.iter_mut().for_each(|m| m.write = WriteState::Withdrawn));
            self.save_row(reply);
        }
    }

    /// Asks again for a reply that failed or was stopped.
    pub fn retry(&self, reply_id: u64) {
        if self.is_busy_untracked() {
            return;
        }
        if let Some(row) = self.find(reply_id) {
            row.state.set(MessageState::Streaming);
            let chat = *self;
            spawn_local(async move { chat.run_reply(reply_id).await });
        }
    }

    async fn run_reply(&self, reply_id: u64) {
        let settings = self.settings.settings.get_untracked();
        let endpoint = self.settings.gemini_endpoint();
        let Some(row) = self.find(reply_id) else { return };
        let Parent::Of(user_id) = row.parent else { return };
        let Some(user) = self.find(user_id).filter(|u| u.role == Role::User) else { return };
        let user_text = user.text.get_untracked();
        self.begin_reply();
        time::start_marks("w0:send");
        row.text.set(String::new());
        row.memory.set(None);
        // Its own controller: the lookup's deadline must never abort the reply's stream.
        let lookup_controller = AbortController::new().expect("AbortController is available");
        self.begin_request(lookup_controller.clone());
        let memory = self.memory.lookup(&user_text, &lookup_controller).await;
        self.end_request();
        let Some(row) = self.find(reply_id) else { return }; // session ended meanwhile
        if self.stop_requested() {
            row.state.set(MessageState::Stopped);
            self.save_row(row);
            return;
        }
        let memories: Vec<String> = memory.used().iter().map(|m| m.text.clone()).collect();
        // Without a mem0 set-up there is nothing to say under each reply.
        row.memory.set((memory.lookup != Lookup::NotConfigured).then_some(memory));

        let mut attempt = 1;
        loop {
            // Gone if the session ended. The history is the reply's own branch: the messages above
            // it, not the versions beside them.
            let Some(row) = self.find(reply_id) else { return };
            let branch = self.path_messages(user_id);
            let Some(user_index) = branch.len().checked_sub(1) else { return };
            let history = history_for(&branch, user_index, settings.history_budget_chars);
            let request = build_request(&settings.persona, &memories, history);

            row.text.set(String::new());
            row.note.set(None);
            row.state.set(MessageState::Streaming);
            let controller = AbortController::new().expect("AbortController is available");
            self.begin_request(controller.clone());
            let mut first_chunk = true;
            let chat = *self;
            let outcome =
                gemini::stream_generate(&endpoint, &settings.model, &request, &controller.signal(), |delta| {
                    if std::mem::take(&mut first_chunk) {
                        time::mark("w0:first-chunk");
                    }
                    time::mark("w0:chunk");
                    row.text.update(|t| t.push_str(delta));
                    chat.save_throttled(row);
                })
                .await;
            self.end_request();
            let Some(row) = self.find(reply_id) else { return }; // session ended meanwhile
            row.parts.set_value(outcome.reply.parts.clone());
            // Text that arrived in the same read as an error (or in an unterminated last event) was
            // never passed to `on_text`: show everything that arrived.
            if row.text.with_untracked(|t| *t != outcome.reply.text) {
                row.text.set(outcome.reply.text.clone());
            }
            let received = !outcome.reply.text.is_empty();
            let step = next_step(outcome.result, received, self.stop_requested(), attempt, js_sys::Math::random());
            match step {
                Step::Finished(finished) => {
                    time::mark("w0:done");
                    if finished.finish_reason != "STOP" {
                        let (reason, dangerous) = (finished.finish_reason, finished.dangerous);
                        row.note.set(Some(ReplyNote::Finish { reason, dangerous }));
                    }
                    row.state.set(MessageState::Done);
                    let writes_memory = row.memory.with_untracked(|m| {
                        m.as_ref().is_some_and(|m| matches!(m.lookup, Lookup::Found { .. }) || m.lookup.failed())
                    });
                    // Incognito switched on while the reply streamed: respect it.
                    if writes_memory && self.settings.settings.with_untracked(|s| s.use_memory) {
                        row.memory.update(|m| m.iter_mut().for_each(|m| m.write = WriteState::Pending));
                        self.memory.record_turn(Turn {
                            user_id: &settings.user_id,
                            session_id: self.session.with_untracked(|s| s.id),
                            user: (user_id, &user_text),
                            reply: (reply_id, &outcome.reply.text),
                        });
                    }
                }
                Step::Stopped => row.state.set(MessageState::Stopped),
                Step::RetryAfter(wait, error) => {
                    row.state.set(MessageState::Waiting {
                        problem: error.problem(endpoint.key_held_by_site()),
                        wait_ms: wait.as_millis() as u64,
                        retry_at_ms: now_ms() + wait.as_secs_f64() * 1000.0,
                    });
                    self.save_row(row);
                    if self.wait_unless_stopped(wait).await {
                        attempt += 1;
                        continue;
                    }
                    match self.find(reply_id) {
                        Some(row) => row.state.set(MessageState::Stopped),
                        None => return,
                    }
                }
                Step::Failed { error, cut } => {
                    row.state.set(MessageState::Failed { problem: error.problem(endpoint.key_held_by_site()), cut });
                }
            }
            self.save_row(row);
            return;
        }
    }

    /// Sleeps for `wait`, in short steps so that Stop (or ending the session) takes effect at once.
    /// Returns whether the wait ran to its end.
    async fn wait_unless_stopped(&self, wait: Duration) -> bool {
        let until = now_ms() + wait.as_secs_f64() * 1000.0;
        while now_ms() < until {
            if self.stop_requested() {
                return false;
            }
            time::sleep_ms(((until - now_ms()).clamp(0.0, 200.0)) as u32).await;
        }
        !self.stop_requested()
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
