//! The "Passcode" part of Settings: set one (saying plainly what a forgotten one costs, with an
//! export offered first), change it, remove it, choose when the app locks itself, lock now.

use super::idle::{describe, IDLE_CHOICES};
use super::passcode::check_new;
use super::{storage, use_vault, ITERATIONS};
use crate::db::{self, use_storage, Change};
use leptos::html;
use leptos::prelude::*;

/// What the passcode form is asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Job {
    Set,
    Change,
    Remove,
}

/// The passcode section; `on_export` downloads every session.
#[component]
pub fn PasscodeSection(
    #[prop(into)] on_export: Callback<()>,
    /// The memory service's user id: what to note down before setting a passcode.
    #[prop(into)]
    user_id: Signal<String>,
) -> impl IntoView {
    let vault = use_vault();
    let storage_handle = use_storage();
    let current = NodeRef::<html::Input>::new();
    let first = NodeRef::<html::Input>::new();
    let again = NodeRef::<html::Input>::new();
    let value = |field: NodeRef<html::Input>| field.get_untracked().map(|f| f.value()).unwrap_or_default();
    let clear = move || {
        for field in [current, first, again] {
            if let Some(f) = field.get_untracked() {
                f.set_value("");
            }
        }
    };
    let run = Action::new_local(move |job: &Job| {
        let job = *job;
        let (old, new, repeat) = (value(current), value(first), value(again));
        let db = storage_handle.db();
        async move {
            let db = db.ok_or_else(|| {
                "This browser does not let wellness0 store anything, so there is nothing to lock.".to_owned()
            })?;
            if job != Job::Remove {
                check_new(&new, &repeat).map_err(|e| e.to_string())?;
            }
            if job != Job::Set && !db.unlock(&old).await.map_err(|e| e.to_string())? {
                return Err("That is not your current passcode.".to_owned());
            }
            let next = (job != Job::Remove).then_some(new.as_str());
            db.rekey(next, ITERATIONS).await.map_err(|e| format!("Nothing was changed: {e}."))?;
            storage::reseal_all().await;
            vault.protected.set(job != Job::Remove);
            // Other tabs hold the old key (or none): they lock, and open with the new passcode.
            db::announce(&Change::Vault.to_string());
            clear();
            Ok(match job {
                Job::Set => "Passcode set. Everything wellness0 keeps on this device is now encrypted with it.",
                Job::Change => "Passcode changed. Everything was encrypted again with the new one.",
                Job::Remove => "Passcode removed. What wellness0 keeps on this device is no longer encrypted.",
            })
        }
    });
    let busy = run.pending();
    // The section sits inside the settings form: Enter here sets or changes the passcode rather
    // than saving the other settings.
    let on_enter = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && !busy.get_untracked() {
            ev.prevent_default();
            run.dispatch_local(if vault.protected.get_untracked() { Job::Change } else { Job::Set });
        }
    };
    let outcome = move || run.value().get();
    view! {
        <fieldset data-testid="passcode-section">
            <legend>"Passcode"</legend>
            <p class="hint">
                {move || if vault.protected.get() {
                    "A passcode protects this device: sessions, drafts, memory writes waiting to be sent, settings and remembered keys are encrypted with it."
                } else {
                    "Lock wellness0 with a passcode: everything it keeps on this device — sessions, drafts, memory writes waiting to be sent, settings and remembered keys — is then encrypted with it, and it opens on a lock screen."
                }}
            </p>
            <Show when=move || !vault.protected.get()>
                <div class="warning" data-testid="passcode-warning">
                    <p>"If you forget the passcode, what is stored on this device cannot be recovered by anyone. Export your sessions first to keep a copy."</p>
                    <button type="button" data-testid="passcode-export" on:click=move |_| on_export.run(())>"Export all sessions"</button>
                    <p>"Your memories are kept by your memory service, not on this device: a passcode does not encrypt or change them. They are filed under your user id — "
                        <strong data-testid="passcode-user-id">{move || user_id.get()}</strong>
                        ": note it down. If you ever erase this device's data, enter it again in Settings to find them."</p>
                </div>
            </Show>
            <Show when=move || vault.protected.get()>
                <label class="field">"Current passcode"
                    <input type="password" autocomplete="current-password" data-testid="passcode-current" node_ref=current on:keydown=on_enter />
                </label>
            </Show>
            <label class="field">{move || if vault.protected.get() { "New passcode" } else { "Passcode (at least 6 characters; a few words are best)" }}
                <input type="password" autocomplete="new-password" data-testid="passcode-new" node_ref=first on:keydown=on_enter />
            </label>
            <label class="field">"The same passcode again"
                <input type="password" autocomplete="new-password" data-testid="passcode-again" node_ref=again on:keydown=on_enter />
            </label>
            <div class="row-actions">
                <Show when=move || vault.protected.get()
                    fallback=move || view! {
                        <button type="button" class="primary" data-testid="passcode-set" disabled=busy
                            on:click=move |_| { run.dispatch_local(Job::Set); }>"Set passcode"</button>
                    }>
                    <button type="button" data-testid="passcode-change" disabled=busy
                        on:click=move |_| { run.dispatch_local(Job::Change); }>"Change passcode"</button>
                    <button type="button" class="danger" data-testid="passcode-remove" disabled=busy
                        on:click=move |_| { run.dispatch_local(Job::Remove); }>"Remove passcode"</button>
                </Show>
            </div>
            <p role="status" data-testid="passcode-status" class:error=move || matches!(outcome(), Some(Err(_)))>
                {move || if busy.get() {
                    if vault.protected.get() { "Working… (keep this page open)" } else { "Encrypting… (keep this page open)" }.to_owned()
                } else {
                    match outcome() {
                        Some(Ok(done)) => done.to_owned(),
                        Some(Err(problem)) => problem,
                        None => String::new(),
                    }
                }}
            </p>
            <Show when=move || vault.protected.get()>
                <label class="field">"Lock by itself"
                    <select data-testid="lock-after"
                        on:change=move |ev| vault.set_idle_minutes(super::idle::parse_minutes(Some(&event_target_value(&ev))))>
                        {IDLE_CHOICES.into_iter().map(|m| view! {
                            <option value=m.to_string() selected=move || vault.idle_minutes.get() == m>{describe(m)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <button type="button" data-testid="lock-now-settings" on:click=move |_| vault.lock_all()>"Lock now"</button>
            </Show>
        </fieldset>
    }
}
