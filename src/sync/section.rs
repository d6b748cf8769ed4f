//! Sync as the person sees it: a notice with the recovery code the one time it is made, and
//! Settings → Sync (where it stands, what is waiting, the way to turn it on on this device, and
//! the recovery code when the password no longer opens the key).

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::engine::{use_sync, Status};
use crate::web::time::now_ms;

/// "Synced just now", "synced 4 minutes ago".
pub fn synced_line(now_ms: f64, at_ms: f64) -> String {
    let minutes = ((now_ms - at_ms).max(0.0) / 60_000.0) as u64;
    match minutes {
        0 => "Synced just now.".into(),
        1 => "Synced a minute ago.".into(),
        n => format!("Synced {n} minutes ago."),
    }
}

/// The recovery code, made on this device a moment ago: shown once, above everything, until the
/// person says it is written down.
#[component]
pub fn RecoveryCodeNotice() -> impl IntoView {
    let sync = use_sync();
    move || {
        sync.new_code.get().map(|code| {
            view! {
                <section class="confirm recovery" role="alertdialog" aria-labelledby="recovery-title" data-testid="recovery-notice">
                    <h2 id="recovery-title">"Your recovery code"</h2>
                    <p>"Your sessions now sync, end-to-end encrypted, to every device you sign in to. "
                       "If you forget your password, this code is the only way back to them: not even the people "
                       "who run this server can read or restore them."</p>
                    <p class="code" data-testid="recovery-code">{code}</p>
                    <p>"Write it down or print it, and keep it somewhere safe. It is shown only this once."</p>
                    <button type="button" class="primary" data-testid="recovery-noted" on:click=move |_| sync.code_noted()>
                        "I have written it down"
                    </button>
                </section>
            }
        })
    }
}

/// Settings → Sync (signed in to a wellness0 server).
#[component]
pub fn SyncSection(#[prop(into)] on_sign_in_again: Callback<()>) -> impl IntoView {
    let sync = use_sync();
    let typed = RwSignal::new(String::new());
    let recovery_error = RwSignal::new(None::<String>);
    let recover = move || {
        let code = typed.get_untracked();
        spawn_local(async move { recovery_error.set(sync.recover(&code).await) });
    };
    let state = move || {
        match sync.status.get() {
        Status::Unavailable => view! {
            <p data-testid="sync-unavailable">"Sync keeps your sessions on every device you use, end-to-end encrypted. "
                "It needs a wellness0 server you sign in to; here, your sessions stay in this browser only "
                "(export them from Settings to keep a copy)."</p>
        }
        .into_any(),
        Status::Starting => view! { <p class="hint">"Starting…"</p> }.into_any(),
        Status::NeedsSignIn => view! {
            <p data-testid="sync-needs-sign-in">"To sync on this device, sign in again: your password makes the key "
                "that encrypts your sessions, here on this device."</p>
            <button type="button" data-testid="sync-sign-in" on:click=move |_| on_sign_in_again.run(())>"Sign in again"</button>
        }
        .into_any(),
        Status::NeedsRecovery => view! {
            <p data-testid="sync-needs-recovery">"Your password opens this account but not your synced sessions "
                "(was it changed without the old one?). Enter the recovery code you wrote down when sync was set up."</p>
            <label for="recovery-code">"Recovery code"</label>
            <input id="recovery-code" data-testid="recovery-input" autocomplete="off" spellcheck="false"
                prop:value=move || typed.get() on:input:target=move |ev| typed.set(ev.target().value()) />
            <button type="button" data-testid="recovery-submit" on:click=move |_| recover()>"Unlock sync"</button>
            <p class="error" role="alert">{move || recovery_error.get()}</p>
        }
        .into_any(),
        Status::On => view! {
            <p data-testid="sync-on">"On: your sessions are end-to-end encrypted on this device and kept in step "
                "on every device you sign in to."</p>
            <p class="hint" data-testid="sync-state">{move || {
                let waiting = sync.waiting.get();
                let line = sync.synced_at.get().map(|at| synced_line(now_ms(), at)).unwrap_or_else(|| "Syncing…".into());
                if waiting > 0 { format!("{line} {waiting} changes waiting to be sent.") } else { line }
            }}</p>
        }
        .into_any(),
    }
    };
    view! {
        <fieldset data-testid="sync-section">
            <legend>"Sync"</legend>
            {state}
            <p class="error" role="status" data-testid="sync-problem">{move || sync.problem.get()}</p>
            <p class="hint">"The server keeps your sessions only encrypted. Without your password or your "
                "recovery code they cannot be read — by anyone, the people who run this server included."</p>
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_synced_line_counts_minutes() {
        assert_eq!(synced_line(10_000.0, 9_000.0), "Synced just now.");
        assert_eq!(synced_line(130_000.0, 0.0), "Synced 2 minutes ago.");
        assert_eq!(synced_line(60_000.0, 0.0), "Synced a minute ago.");
        assert_eq!(synced_line(0.0, 5_000.0), "Synced just now.", "a clock that went back");
    }
}
