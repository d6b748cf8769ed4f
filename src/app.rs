//! The app shell, and the one place the parts are put together: it opens the database (behind
//! the lock screen when a passcode protects it), creates the stores (storage, settings, memory,
//! chat, sessions — each a narrow handle, provided as context), moves the earlier version's data
//! in, finds out whether the page is behind the proxy, listens to other tabs, and lays out the
//! top bar, session list, chat pane, memory sidebar and settings drawer.

use crate::care::{AboutSection, FirstRunNotice, HelpButton, QuickExit};
use crate::chat::persist::recover_unsaved;
use crate::chat::{ChatStore, Composer, MessageList};
use crate::db::{self, Change, Db, Storage, StorageError};
use crate::memory::{ForgetNotes, MemorySidebar, MemorySources, MemoryStore};
use crate::pwa::{Pwa, PwaNotices};
use crate::sessions::transfer::utc_time;
use crate::sessions::{migrate, SessionList, SessionsStore, StorageSection};
use crate::settings::routing::{ProxyAuth, ProxyInfo};
use crate::settings::{proxy_detect, Mode, SettingsPanel, SettingsStore};
use crate::sync::{RecoveryCodeNotice, SyncSection, SyncStore};
use crate::vault::{self, LockScreen, PasscodeSection, Vault};
use crate::web;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The database as it opened, and whether a passcode still keeps it locked.
#[derive(Clone)]
struct Opened {
    db: Result<Db, StorageError>,
    protected: bool,
    locked: bool,
}

/// The whole page: the lock screen while a passcode keeps the data locked, then the app.
#[component]
pub fn App() -> impl IntoView {
    // The service worker and the connection, on the lock screen too.
    provide_context(Pwa::start());
    let opened = RwSignal::new_local(None::<Opened>);
    spawn_local(async move {
        let db = Db::open().await;
        let protected = match &db {
            // Unsure whether a passcode protects the data: the lock screen, never the data unlocked.
            Ok(db) => db.has_passcode().await.unwrap_or(true),
            Err(_) => false,
        };
        opened.set(Some(Opened { db, protected, locked: protected }));
    });
    move || match opened.get() {
        None => view! { <div class="app" data-ready="false"></div> }.into_any(),
        Some(Opened { db: Ok(db), locked: true, .. }) => view! {
            <LockScreen db=db on_unlocked=move |()| opened.update(|o| o.iter_mut().for_each(|o| o.locked = false))>
                // Help and the way out do not wait for the passcode.
                <div class="care-actions lock-care"><HelpButton /><QuickExit /></div>
            </LockScreen>
        }
        .into_any(),
        Some(Opened { db, protected, .. }) => view! { <Workspace db=db protected=protected /> }.into_any(),
    }
}

/// The app, unlocked.
#[component]
fn Workspace(db: Result<Db, StorageError>, protected: bool) -> impl IntoView {
    let storage = Storage::new();
    let settings = SettingsStore::load();
    let memory = MemoryStore::new(settings, storage);
    let chat = ChatStore::new(settings, memory, storage);
    let sessions = SessionsStore::new(chat, storage);
    let sync = SyncStore::new(storage, sessions);
    provide_context(sync);
    provide_context(storage);
    provide_context(settings);
    provide_context(memory);
    provide_context(chat);
    provide_context(sessions);
    // A memory's "from" link: the session's title, and opening it at the message.
    provide_context(MemorySources {
        title: Callback::new(move |id: u64| {
            sessions.list.with(|l| {
                l.iter().find(|s| s.id == id).map(|s| format!("{}, {}", s.shown_title(), &utc_time(s.created_ms)[..10]))
            })
        }),
        open: Callback::new(move |(session, message): (u64, u64)| {
            memory.open.set(false);
            if chat.session.with_untracked(|s| s.id) == session {
                chat.highlight(Some(message));
            } else {
                spawn_local(async move { sessions.open_session(session, Some(message)).await });
            }
        }),
    });
    let settings_open = RwSignal::new(false);
    // Locking stores what is unsaved, then starts the page again on the lock screen.
    let vault = Vault::new(
        protected,
        Callback::new(move |()| {
            spawn_local(async move {
                chat.store_now().await;
                vault::reload();
            })
        }),
    );
    provide_context(vault);
    // Not while a reply arrives, nor while someone reads the help lines.
    vault::lock_when_idle(vault, move || {
        chat.is_busy_untracked() || crate::care::help_state::help_open().get_untracked()
    });

    spawn_local(async move {
        // Saved data first: the earlier version's, moved in once; waiting memory writes; sessions.
        storage.opened(db);
        let migrated = match storage.db() {
            Some(db) => {
                // Asked at start, not only when Settings shows it: the browser may then keep the
                // sessions when it clears storage of sites not opened for a while.
                spawn_local(async {
                    crate::db::persist().await;
                });
                storage.report(recover_unsaved(&db).await);
                storage.report(migrate::from_local_storage(&db).await).flatten()
            }
            None => None,
        };
        memory.reload_outbox().await;
        memory.resume_forgets().await;
        // Ready once the first session shows (tests and the lock screen wait for that), while the
        // proxy is looked for below; the search index is built after.
        spawn_local(async move {
            sessions.open_first(migrated).await;
            storage.ready.set(true);
            sessions.build_index().await;
        });
        // Then whether we are behind the proxy; then memories, and waiting writes go out.
        let mode = match proxy_detect::detect(storage.db().as_ref()).await {
            Some(info) => Mode::Proxy(info),
            None => Mode::Direct,
        };
        // Signed in to a shared proxy: memories are kept under the id it binds to this person,
        // and when the sign-in runs out the page goes back to the sign-in page.
        if let Mode::Proxy(ProxyInfo { auth: ProxyAuth { user: Some(person), .. }, .. }) = &mode {
            settings.settings.update(|s| s.user_id = person.user_id.clone());
            let base = proxy_detect::page_base();
            web::fetch::redirect_on_401(&format!("{base}/api/"), &format!("{base}/auth/signin"));
            let name = person.name.clone();
            spawn_local(async move { sync.start(&base, &name).await });
        }
        settings.mode.set(mode);
        // First visit without any way to reach Gemini: open Settings so the way forward is obvious.
        if settings.needs_gemini_key() {
            settings_open.set(true);
        }
        memory.refresh().await;
        memory.kick();
    });
    // What other tabs changed: read it back.
    db::listen(move |message| match message.parse() {
        Ok(Change::Session(id)) => spawn_local(async move { sessions.changed_elsewhere(id).await }),
        Ok(Change::Deleted) => spawn_local(async move { sessions.deleted_elsewhere().await }),
        Ok(Change::Outbox) => spawn_local(async move { memory.reload_outbox().await }),
        // Another tab set, changed or removed the passcode: this one holds the old key.
        Ok(Change::Vault) => vault::reload(),
        Ok(Change::Lock) => vault.lock.run(()),
        Ok(Change::Keys) => settings.forget_keys(),
        Err(()) => {}
    });
    // Leaving or reloading the page: store the draft at once (not after the typing pause) and
    // whatever a streaming reply has received so far.
    let _pagehide = window_event_listener(leptos::ev::pagehide, move |_| {
        chat.save_draft_now();
        if let Some(row) = chat.active_row() {
            chat.save_row_now(row);
        }
    });
    // Escape closes whichever drawer is open (a dialog open above it closes first, by itself).
    let _escape = window_event_listener(leptos::ev::keydown, move |ev| {
        let dialog_open = document().query_selector("dialog[open]").ok().flatten().is_some();
        if ev.key() == "Escape" && !dialog_open {
            settings_open.set(false);
            memory.open.set(false);
            sessions.open.set(false);
        }
    });
    // Back online: waiting memory writes go out now rather than at their next backoff.
    let _online = window_event_listener(leptos::ev::online, move |_| memory.back_online());

    let mode_name = move || match settings.mode.get() {
        Mode::Detecting => "detecting",
        Mode::Direct => "direct",
        Mode::Proxy(_) => "proxy",
    };
    view! {
        <div class="app" data-mode=mode_name data-ready=move || storage.ready.get().to_string()>
            <header class="topbar">
                <button type="button" class="sessions-toggle" data-testid="open-sessions"
                    aria-expanded=move || sessions.open.get().to_string()
                    on:click=move |_| sessions.open.update(|o| *o = !*o)>
                    "Sessions"
                </button>
                <h1 class="brand">"wellness0"</h1>
                <span class="model-name" data-testid="model-name">{move || settings.settings.with(|s| s.model.clone())}</span>
                <nav class="actions">
                    <button type="button" class="new-session" data-testid="new-session" aria-label="New session"
                        on:click=move |_| sessions.new_session() disabled=move || chat.rows.with(Vec::is_empty)>
                        <span aria-hidden="true">"+"</span><span class="label">" New session"</span>
                    </button>
                    <button type="button" class="memory-toggle" data-testid="open-memory"
                        aria-expanded=move || memory.open.get().to_string()
                        on:click=move |_| memory.open.update(|o| *o = !*o)>
                        "Memory"
                    </button>
                    <Show when=move || vault.protected.get()>
                        <button type="button" data-testid="lock-now" title="Lock wellness0 (your passcode opens it again)"
                            on:click=move |_| vault.lock_all()>"Lock"</button>
                    </Show>
                    <button type="button" data-testid="open-settings" aria-expanded=move || settings_open.get().to_string()
                        on:click=move |_| settings_open.update(|o| *o = !*o)>
                        "Settings"
                    </button>
                </nav>
                <div class="care-actions">
                    <HelpButton />
                    <QuickExit />
                </div>
            </header>
            <PwaNotices />
            <RecoveryCodeNotice />
            {move || storage.problem.get().map(|problem| view! {
                <p class="confirm" role="alert" data-testid="save-failed">
                    {format!("This browser refused to store your conversation ({problem}). wellness0 keeps working in this tab, \
                              but a reload would lose what was not stored. Free some site storage, or export your sessions from Settings.")}
                </p>
            })}
            <div class="panes">
                <SessionList />
                <main class="chat">
                    <FirstRunNotice />
                    <MessageList />
                    <Composer />
                </main>
                <MemorySidebar />
            </div>
            <ForgetNotes />
            <SettingsPanel open=settings_open on_saved=move |()| memory.settings_changed()>
                <SyncSection on_sign_in_again=move |()| spawn_local(crate::settings::panel::sign_out()) />
                <StorageSection open=settings_open />
                <PasscodeSection on_export=move |()| spawn_local(async move { sessions.download_all().await })
                    user_id=Signal::derive(move || settings.settings.with(|s| s.user_id.clone())) />
                <AboutSection />
            </SettingsPanel>
        </div>
    }
}
