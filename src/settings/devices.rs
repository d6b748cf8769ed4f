//! Settings → "Signed-in devices" (behind a shared proxy): every browser signed in as this
//! person, when each was last used, and a button to sign any other one out — at once, on every
//! instance of the server (it keeps the sessions). The list and the wording are plain functions,
//! tested natively; the component only loads, shows and sends.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;

use super::proxy_detect::page_base;
use crate::web::fetch;
use crate::web::time::now_ms;

/// One signed-in device, as the proxy lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Device {
    /// The session's handle.
    pub id: String,
    /// The browser's name ("Firefox on Android").
    pub device: String,
    /// When it signed in (Unix seconds).
    pub created_at: i64,
    /// When it was last used (Unix seconds).
    pub last_seen: i64,
    /// Whether it is this browser.
    pub current: bool,
}

#[derive(Deserialize)]
struct Listed {
    devices: Vec<Device>,
}

/// The devices of a `GET /api/account/devices` answer, this one first.
pub fn parse_devices(json: &str) -> Option<Vec<Device>> {
    let mut devices = serde_json::from_str::<Listed>(json).ok()?.devices;
    devices.sort_by_key(|d| !d.current);
    Some(devices)
}

/// "Used just now", "used 5 minutes ago", "used 3 hours ago", "used 2 days ago".
pub fn last_used(now_secs: i64, last_seen: i64) -> String {
    let ago = (now_secs - last_seen).max(0);
    let (n, unit) = match ago {
        0..=59 => return "used just now".into(),
        60..=3599 => (ago / 60, "minute"),
        3600..=86_399 => (ago / 3600, "hour"),
        _ => (ago / 86_400, "day"),
    };
    format!("used {n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

async fn load() -> Result<Vec<Device>, String> {
    let url = format!("{}/api/account/devices", page_base());
    let refused = || "The list of devices could not be loaded. Try again later.".to_owned();
    let resp = fetch::send("GET", &url, &[("accept", "application/json")], None, None).await.map_err(|_| refused())?;
    if !resp.ok() {
        return Err(refused());
    }
    parse_devices(&fetch::text(&resp).await.map_err(|_| refused())?).ok_or_else(refused)
}

async fn sign_out(path: String, method: &'static str) -> bool {
    let url = format!("{}/api/account/devices{path}", page_base());
    matches!(fetch::send(method, &url, &[], None, None).await, Ok(r) if r.ok())
}

/// The list of this person's signed-in devices, with a way to sign the others out.
#[component]
pub fn DevicesSection() -> impl IntoView {
    // A plain signal and a task rather than a resource: this screen is mounted each time the
    // drawer opens, and the resource machinery cost the first load bytes it cannot spare.
    let devices = RwSignal::new(None::<Result<Vec<Device>, String>>);
    let reload = move || spawn_local(async move { devices.set(Some(load().await)) });
    reload();
    let note = RwSignal::new(String::new());
    let act = move |path: String, method: &'static str, done: &'static str| {
        spawn_local(async move {
            let ok = sign_out(path, method).await;
            note.set(if ok { done.into() } else { "That did not work. Try again.".into() });
            devices.set(Some(load().await));
        });
    };
    let rows = move || {
        let now = (now_ms() / 1000.0) as i64;
        devices.get().map(|loaded| match loaded {
            Err(message) => view! { <p class="hint" data-testid="devices-error">{message}</p> }.into_any(),
            Ok(list) => {
                let others = list.iter().filter(|d| !d.current).count();
                view! {
                    <ul class="devices" data-testid="devices">
                        {list.into_iter().map(|d| {
                            let label = format!("{}, {}", d.device, last_used(now, d.last_seen));
                            let id = d.id.clone();
                            view! {
                                <li data-testid="device">
                                    <span>{label}</span>
                                    {if d.current {
                                        view! { <span class="this-device">"This device"</span> }.into_any()
                                    } else {
                                        let name = format!("Sign out {}", d.device);
                                        view! {
                                            <button type="button" class="link" data-testid="device-sign-out" aria-label=name
                                                on:click=move |_| act(format!("/{id}"), "DELETE", "Signed out.")>"Sign out"</button>
                                        }.into_any()
                                    }}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    <Show when=move || { others > 1 }>
                        <button type="button" data-testid="devices-sign-out-others"
                            on:click=move |_| act("/sign-out-others".into(), "POST", "Every other device is signed out.")>
                            "Sign out all other devices"
                        </button>
                    </Show>
                }
                .into_any()
            }
        })
    };
    view! {
        <h3>"Signed-in devices"</h3>
        <p class="hint">"Signing a device out takes effect at its next step, wherever it is."</p>
        {move || rows().unwrap_or_else(|| view! { <p class="hint">"Loading…"</p> }.into_any())}
        <p class="hint" role="status" data-testid="devices-note">{move || note.get()}</p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_device_comes_first_and_bad_answers_are_none() {
        let json = r#"{"devices": [
            {"id": "a", "device": "Chrome on Android", "created_at": 1, "last_seen": 5, "current": false},
            {"id": "b", "device": "Firefox on Linux", "created_at": 2, "last_seen": 9, "current": true}]}"#;
        let list = parse_devices(json).unwrap();
        assert_eq!(list.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["b", "a"]);
        assert_eq!(parse_devices("{}"), None);
        assert_eq!(parse_devices("<html>"), None);
    }

    #[test]
    fn last_use_in_words() {
        assert_eq!(last_used(1000, 1000), "used just now");
        assert_eq!(last_used(1000, 2000), "used just now", "a clock behind the server's");
        assert_eq!(last_used(1000 + 60, 1000), "used 1 minute ago");
        assert_eq!(last_used(1000 + 59 * 60, 1000), "used 59 minutes ago");
        assert_eq!(last_used(1000 + 3600, 1000), "used 1 hour ago");
        assert_eq!(last_used(1000 + 5 * 3600 + 10, 1000), "used 5 hours ago");
        assert_eq!(last_used(1000 + 2 * 86_400, 1000), "used 2 days ago");
    }
}
