//! The lock screen: the only thing on the page until the passcode is entered. A wrong passcode
//! decrypts nothing; a forgotten one can only be answered by erasing this device's data.

use super::storage;
use crate::db::Db;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[derive(Clone, Debug, PartialEq)]
enum Attempt {
    Idle,
    Unlocking,
    Wrong,
    Failed(String),
}

/// The lock screen; `on_unlocked` runs once the passcode opened the data.
#[component]
pub fn LockScreen(
    db: Db,
    #[prop(into)] on_unlocked: Callback<()>,
    /// Shown beside the form (help in a crisis, quick exit): the lock never stands in their way.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let input = NodeRef::<html::Input>::new();
    let attempt = RwSignal::new(Attempt::Idle);
    let forgot = RwSignal::new(false);
    let erase_confirm = RwSignal::new(false);
    let db = StoredValue::new_local(db);
    let unlock = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(field) = input.get() else { return };
        let passcode = field.value();
        if passcode.is_empty() || attempt.get_untracked() == Attempt::Unlocking {
            return;
        }
        attempt.set(Attempt::Unlocking);
        let db = db.get_value();
        spawn_local(async move {
            match db.unlock(&passcode).await {
                Ok(true) => {
                    field.set_value("");
                    storage::open_all().await;
                    on_unlocked.run(());
                }
                Ok(false) => {
                    attempt.set(Attempt::Wrong);
                    field.set_value("");
                    let _ = field.focus();
                }
                Err(e) => attempt.set(Attempt::Failed(e.to_string())),
            }
        });
    };
    let erase = move |_| {
        let db = db.get_value();
        spawn_local(async move {
            let _ = db.erase().await;
            storage::erase_all();
            super::reload();
        });
    };
    Effect::new(move |_| {
        if let Some(field) = input.get() {
            let _ = field.focus();
        }
    });
    view! {
        <main class="lock-screen" data-testid="lock-screen">
            <form class="lock-card" on:submit=unlock>
                <h1>"wellness0 is locked"</h1>
                <label for="passcode">"Passcode"</label>
                <input id="passcode" type="password" autocomplete="current-password" data-testid="unlock-passcode"
                    node_ref=input aria-describedby="unlock-status" required />
                <button type="submit" class="primary" data-testid="unlock"
                    disabled=move || attempt.get() == Attempt::Unlocking>
                    {move || if attempt.get() == Attempt::Unlocking { "Unlocking…" } else { "Unlock" }}
                </button>
                <p id="unlock-status" role="status" data-testid="unlock-status" class:error=move || matches!(attempt.get(), Attempt::Wrong | Attempt::Failed(_))>
                    {move || match attempt.get() {
                        Attempt::Wrong => "That passcode is not right. Nothing was unlocked.".to_owned(),
                        Attempt::Failed(e) => format!("The stored data could not be read: {e}."),
                        _ => String::new(),
                    }}
                </p>
                <button type="button" class="link" data-testid="forgot-passcode" aria-expanded=move || forgot.get().to_string()
                    on:click=move |_| forgot.update(|f| *f = !*f)>"Forgot your passcode?"</button>
                <Show when=move || forgot.get()>
                    <div class="forgot" data-testid="forgot-box">
                        <p>"Your sessions on this device are encrypted with the passcode, and nobody — not us, not your host — can open them without it."</p>
                        <p>"Your memories are kept by your memory service, not on this device: they are not affected. You can erase this device's wellness0 data and start again; to find your memories then, enter your user id again in Settings (the one you noted when you set the passcode)."</p>
                        <Show when=move || erase_confirm.get()
                            fallback=move || view! {
                                <button type="button" class="danger" data-testid="erase-device" on:click=move |_| erase_confirm.set(true)>
                                    "Erase this device's wellness0 data…"
                                </button>
                            }>
                            <p role="alert">"Erase every session, draft, setting and key of wellness0 on this device? This cannot be undone."</p>
                            <button type="button" class="danger" data-testid="erase-device-confirm" on:click=erase>"Erase everything"</button>
                            <button type="button" on:click=move |_| erase_confirm.set(false)>"Cancel"</button>
                        </Show>
                    </div>
                </Show>
            </form>
            {children.map(|c| c())}
        </main>
    }
}
