//! Talking to mem0 on the user's behalf: the per-message lookup (with a deadline), the outbox
//! worker that writes finished turns, and the coalesced re-list that keeps the sidebar live.

use super::outbox::PendingWrite;
use super::store::ListStatus;
use super::usage::{Lookup, MemoryUse, UsedMemory, WriteState};
use crate::app::AppCtx;
use crate::http::{self, now_ms};
use crate::mem0::wire::{add_body, TurnMessage};
use crate::mem0::{Mem0Error, MemoryApi};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;
use std::time::Duration;
use web_sys::AbortController;

/// Searches mem0 for memories relevant to `query`, giving up after the configured deadline.
/// Never fails: a problem becomes `Lookup::Unavailable` and the reply goes ahead.
pub async fn lookup(ctx: AppCtx, query: &str) -> MemoryUse {
    let settings = ctx.settings.get_untracked();
    if !settings.use_memory {
        return MemoryUse { lookup: Lookup::Off, write: WriteState::None };
    }
    let client = match ctx.memory_client() {
        Ok(client) => client,
        Err(_) => return MemoryUse { lookup: Lookup::NotConfigured, write: WriteState::None },
    };
    // One controller for both the deadline and the user's Stop.
    let controller = AbortController::new().expect("AbortController is available");
    let abort = controller.clone();
    set_timeout(move || abort.abort(), Duration::from_millis(settings.memory_deadline_ms.into()));
    ctx.chat.begin_request(controller.clone());
    let result = client.search(&settings.user_id, query, Some(&controller.signal())).await;
    ctx.chat.end_request();
    let lookup = match result {
        Ok(found) => {
            set_error(ctx, None);
            Lookup::Found { memories: found.iter().map(UsedMemory::from).collect() }
        }
        Err(error) => {
            let reason = match error {
                Mem0Error::Timeout => {
                    let ms = settings.memory_deadline_ms;
                    format!(
                        "The memory search took longer than {}.{} s; replied without memory.",
                        ms / 1000,
                        ms % 1000 / 100
                    )
                }
                other => other.user_message(),
            };
            set_error(ctx, Some(reason.clone()));
            Lookup::Unavailable { reason }
        }
    };
    MemoryUse { lookup, write: WriteState::None }
}

/// Queues this turn (and only this turn) for mem0 under the user id the reply was asked for,
/// and starts the worker. `turn` is (user id, (message id, text), (reply id, text)).
pub fn record_turn(ctx: AppCtx, turn: (&str, (u64, &str), (u64, &str))) {
    let (user_id, user, reply) = turn;
    let turn = [
        TurnMessage { role: "user".into(), content: user.1.to_owned() },
        TurnMessage { role: "assistant".into(), content: reply.1.to_owned() },
    ];
    let metadata = json!({"app": "wellness0", "user_message_id": user.0, "reply_message_id": reply.0});
    let body = add_body(user_id, &turn, metadata, true);
    ctx.memory.update_outbox(|o| o.enqueue(Some(reply.0), body, now_ms()));
    kick(ctx);
}

/// Starts the outbox worker unless it is running.
pub fn kick(ctx: AppCtx) {
    if ctx.memory.worker_running.get_value() {
        return;
    }
    ctx.memory.worker_running.set_value(true);
    spawn_local(async move {
        drain(ctx).await;
        ctx.memory.worker_running.set_value(false);
        schedule_wake(ctx);
    });
}

/// Sends every due write, oldest first, one at a time.
async fn drain(ctx: AppCtx) {
    loop {
        let Some(write) = ctx.memory.outbox.with_untracked(|o| o.next_due(now_ms()).cloned()) else { return };
        let Ok(client) = ctx.memory_client() else {
            // Not set up (any more): keep the writes for when it is.
            ctx.memory.update_outbox(|o| o.failed(write.id, &Mem0Error::NoKey, now_ms(), js_sys::Math::random()));
            continue;
        };
        match client.add(&write.body).await {
            Ok(event_id) => {
                ctx.memory.update_outbox(|o| o.succeeded(write.id));
                set_error(ctx, None);
                set_write_state(ctx, &write, WriteState::Saved);
                spawn_local(refresh_when_processed(ctx, event_id));
            }
            Err(error) => {
                set_error(ctx, Some(format!("Memory writes are waiting: {}", error.user_message())));
                ctx.memory.update_outbox(|o| o.failed(write.id, &error, now_ms(), js_sys::Math::random()));
                if !error.is_transient() {
                    set_write_state(ctx, &write, WriteState::Failed);
                }
            }
        }
    }
}

/// Wakes the worker when the next write falls due (one timer at a time).
fn schedule_wake(ctx: AppCtx) {
    let Some(at) = ctx.memory.outbox.with_untracked(|o| o.next_wake_ms()) else { return };
    if at >= ctx.memory.wake_scheduled_for.get_value() {
        return;
    }
    ctx.memory.wake_scheduled_for.set_value(at);
    let delay = (at - now_ms()).max(0.0);
    set_timeout(
        move || {
            ctx.memory.wake_scheduled_for.set_value(f64::INFINITY);
            kick(ctx);
        },
        Duration::from_millis(delay as u64),
    );
}

fn set_write_state(ctx: AppCtx, write: &PendingWrite, state: WriteState) {
    let Some((_, row)) = write.reply_id.and_then(|id| ctx.chat.find(id)) else { return };
    row.memory.update(|m| {
        if let Some(m) = m {
            m.write = state;
        }
    });
    ctx.chat.save();
}

/// An async add is processed in the background: follow its event, then re-list.
async fn refresh_when_processed(ctx: AppCtx, event_id: Option<String>) {
    if let (Some(event_id), Ok(client)) = (event_id, ctx.memory_client()) {
        // Processing takes a moment: ask after it, not at once (a first poll is always PENDING).
        for _ in 0..20 {
            http::sleep_ms(500).await;
            match client.event_status(&event_id).await.as_deref() {
                Ok("SUCCEEDED") | Ok("FAILED") | Err(_) => break,
                Ok(_) => {}
            }
        }
    }
    schedule_refresh(ctx);
}

/// Re-lists the memories soon; several requests in a burst make one call.
pub fn schedule_refresh(ctx: AppCtx) {
    if ctx.memory.refresh_queued.get_value() {
        return;
    }
    ctx.memory.refresh_queued.set_value(true);
    set_timeout(
        move || {
            ctx.memory.refresh_queued.set_value(false);
            spawn_local(refresh(ctx));
        },
        Duration::from_millis(150),
    );
}

/// Lists the user's memories now.
pub async fn refresh(ctx: AppCtx) {
    let Ok(client) = ctx.memory_client() else {
        ctx.memory.status.set(ListStatus::Idle);
        return;
    };
    let user_id = ctx.settings.with_untracked(|s| s.user_id.clone());
    if ctx.memory.status.get_untracked() == ListStatus::Idle {
        ctx.memory.status.set(ListStatus::Loading);
    }
    let generation = ctx.memory.list_generation.get_value() + 1;
    ctx.memory.list_generation.set_value(generation);
    let result = client.list_all(&user_id).await;
    // A newer list call, or another user id, has taken over: this answer is stale.
    if ctx.memory.list_generation.get_value() != generation || ctx.settings.with_untracked(|s| s.user_id != user_id) {
        return;
    }
    match result {
        Ok(memories) => {
            ctx.memory.set_items(memories);
            set_error(ctx, None);
            ctx.memory.status.set(ListStatus::Ready);
        }
        Err(error) => {
            set_error(ctx, Some(error.user_message()));
            ctx.memory.status.set(ListStatus::Failed);
        }
    }
}

/// Shows (or clears) the sidebar's mem0 problem; the same text is not set again, so a screen
/// reader does not announce it at every retry.
pub fn set_error(ctx: AppCtx, error: Option<String>) {
    if ctx.memory.error.with_untracked(|e| *e != error) {
        ctx.memory.error.set(error);
    }
}
