//! The decision after each attempt at a reply (pure): done, stopped, wait and try again by
//! itself, or fail in place with a Retry button. Only a transient failure before any text
//! arrived is retried automatically: text already shown is never thrown away.

use crate::gemini::stream::Finished;
use crate::gemini::{GeminiError, Recovery};
use std::time::Duration;

#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// The reply is complete.
    Finished(Finished),
    /// The user pressed Stop.
    Stopped,
    /// Wait this long, then try again.
    RetryAfter(Duration, GeminiError),
    /// Show the error; `cut` marks a reply whose text ended early.
    Failed { error: GeminiError, cut: bool },
}

/// What to do after attempt number `attempt` (from 1) ended with `result`.
/// `received_text`: some reply text arrived; `jitter` is in `0.0..1.0`.
pub fn next_step(
    result: Result<Finished, GeminiError>,
    received_text: bool,
    stop_requested: bool,
    attempt: u32,
    jitter: f64,
) -> Step {
    let error = match result {
        Ok(finished) => return Step::Finished(finished),
        Err(GeminiError::Aborted) => return Step::Stopped,
        Err(error) => error,
    };
    if !received_text && !stop_requested {
        if let Recovery::RetryAfter(wait) = error.recovery(attempt, jitter) {
            return Step::RetryAfter(wait, error);
        }
    }
    let cut = matches!(error, GeminiError::StreamCut) || received_text;
    Step::Failed { error, cut }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemini::error::ApiError;

    fn error(code: u16) -> GeminiError {
        GeminiError::Api(ApiError::plain(code, "x"))
    }

    fn after(code: u16, received: bool, stop: bool, attempt: u32) -> Step {
        next_step(Err(error(code)), received, stop, attempt, 1.0)
    }

    #[test]
    fn success_and_stop() {
        let done = Finished { finish_reason: "STOP".into(), dangerous: false };
        assert_eq!(next_step(Ok(done.clone()), true, false, 1, 0.5), Step::Finished(done));
        assert_eq!(next_step(Err(GeminiError::Aborted), true, true, 1, 0.5), Step::Stopped);
    }

    #[test]
    fn transient_failures_before_any_text_wait_and_retry_then_give_up() {
        assert_eq!(after(503, false, false, 1), Step::RetryAfter(Duration::from_secs(1), error(503)));
        assert_eq!(after(503, false, false, 2), Step::RetryAfter(Duration::from_secs(2), error(503)));
        assert_eq!(after(503, false, false, 3), Step::Failed { error: error(503), cut: false });
        let offline = Err(GeminiError::Network("down".into()));
        assert!(matches!(next_step(offline, false, false, 1, 0.0), Step::RetryAfter(..)));
    }

    #[test]
    fn text_already_shown_is_never_retried_over() {
        assert_eq!(after(503, true, false, 1), Step::Failed { error: error(503), cut: true });
        let cut = next_step(Err(GeminiError::StreamCut), false, false, 1, 0.0);
        assert_eq!(cut, Step::Failed { error: GeminiError::StreamCut, cut: true });
    }

    #[test]
    fn a_stop_during_the_wait_or_a_fix_needed_fails_at_once() {
        assert_eq!(after(503, false, true, 1), Step::Failed { error: error(503), cut: false });
        assert_eq!(after(400, false, false, 1), Step::Failed { error: error(400), cut: false });
        assert_eq!(after(404, false, false, 1), Step::Failed { error: error(404), cut: false });
    }
}
