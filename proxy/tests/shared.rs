//! Shared mode's sign-in, in process with real TCP: who gets what before signing in, the
//! sign-in and invite forms (CSRF, pacing, wrong passwords, invite reuse), session cookies
//! (attributes, tampering, expiry, removal, several instances), and refusing to listen on a
//! network address without sign-in.

mod common;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use wellness0_proxy::auth::session::Sessions;
use wellness0_proxy::auth::users::{now_secs, UsersFile};
use wellness0_proxy::{AppState, StartError};

use common::people::*;
use common::*;

#[tokio::test]
async fn nobody_signed_in_gets_the_sign_in_page_or_401_and_nothing_is_forwarded() {
    let fakes = Fakes::start(0).await;
    let proxy = spawn_proxy(&shared(fakes.config())).await;
    let c = no_redirects();
    for (path, to) in [("/", "auth/signin"), ("/index.html", "auth/signin"), ("/chat/42", "../auth/signin")] {
        let resp = c.get(format!("{proxy}{path}")).header("accept", "text/html").send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(resp.headers()["location"], to, "{path}");
    }
    let resp = c.get(format!("{proxy}/{WASM}")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    // Linked from another site: the Strict cookie was not sent, so the page reloads once.
    let resp = c
        .get(format!("{proxy}/"))
        .header("sec-fetch-site", "cross-site")
        .header("sec-fetch-dest", "document")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("<meta http-equiv=\"refresh\" content=\"0\">"));
    // The API.
    let resp = c
        .post(format!("{proxy}/api/mem0/v3/memories/search/"))
        .json(&json!({"query": "q", "filters": {"AND": [{"user_id": ALICE_ID}]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.json::<Value>().await.unwrap()["detail"].as_str().unwrap().contains("sign in"));
    let resp = c
        .post(format!("{proxy}/api/gemini/v1beta/models/gemini-3.5-flash:generateContent"))
        .json(&generate_body("hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(resp.json::<Value>().await.unwrap()["error"]["status"], "UNAUTHENTICATED");
    // Health answers, and says nobody is signed in.
    let health: Value = c.get(format!("{proxy}/api/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["auth"], json!({"mode": "shared", "user": null}));
    assert_nothing_reached(&fakes, "not signed in");
}

#[tokio::test]
async fn the_sign_in_page_is_plain_accessible_html_under_the_csp() {
    let proxy = spawn_proxy(&shared(config())).await;
    let c = no_redirects();
    let resp = c.get(format!("{proxy}/auth/signin")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let csp = resp.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("form-action 'self'") && csp.contains("style-src 'self'"), "{csp}");
    let html = resp.text().await.unwrap();
    for part in [
        "<html lang=\"en\">",
        "name=\"viewport\"",
        "<label for=\"name\">",
        "<label for=\"password\">",
        "autocomplete=\"current-password\"",
        "<form method=\"post\" action=\"signin\">",
        "href=\"style.css\"",
    ] {
        assert!(html.contains(part), "{part} missing:\n{html}");
    }
    assert!(!html.contains("<script") && !html.contains("style="), "{html}");
    let css = c.get(format!("{proxy}/auth/style.css")).send().await.unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert!(css.text().await.unwrap().contains("prefers-color-scheme: dark"));
    // Personal mode has no sign-in routes: the path is just one of the app's.
    let personal = spawn_proxy(&config()).await;
    let resp = c.get(format!("{personal}/auth/signin")).send().await.unwrap();
    assert!(!resp.text().await.unwrap().contains("<form"));
    let resp = c.post(format!("{personal}/auth/signin")).form(&[("name", ALICE)]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn sign_in_and_out() {
    let fakes = Fakes::start(0).await;
    let proxy = spawn_proxy(&shared(fakes.config())).await;
    // Wrong password and unknown name: the same answer, no cookie.
    for (name, pw) in [(ALICE, "wrong password!!"), ("mallory", PASSWORD), ("", "")] {
        let resp = sign_in_raw(&proxy, name, pw).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{name}");
        assert!(session_pair(&resp).is_none());
        assert!(resp.text().await.unwrap().contains("That name and password do not match."));
    }
    let resp = sign_in_raw(&proxy, "ALICE", PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "../");
    let set = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(set.contains(attr), "{attr}: {set}");
    }
    let alice = with_cookie(&session_pair(&resp).unwrap());
    let health: Value = alice.get(format!("{proxy}/api/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["auth"], json!({"mode": "shared", "user": {"name": "alice", "user_id": ALICE_ID}}));
    let page = alice.get(format!("{proxy}/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("wellness0-proxy"));
    // Already signed in: the sign-in page sends you to the app.
    let resp = alice.get(format!("{proxy}/auth/signin")).send().await.unwrap();
    assert_eq!(resp.headers()["location"], "../");
    // A forced sign-out from another site is refused; the app's own works.
    let resp = alice.post(format!("{proxy}/auth/signout")).header("origin", "http://evil.example").send().await;
    assert_eq!(resp.unwrap().status(), StatusCode::FORBIDDEN);
    let resp = alice.post(format!("{proxy}/auth/signout")).header("origin", &proxy).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "signin");
    assert!(resp.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
}

#[tokio::test]
async fn cross_site_and_non_form_sign_in_posts_are_refused() {
    let proxy = spawn_proxy(&shared(config())).await;
    let c = no_redirects();
    let form = [("name", ALICE), ("password", PASSWORD)];
    let resp = c.post(format!("{proxy}/auth/signin")).header("origin", "http://evil.example").form(&form).send().await;
    let resp = resp.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(session_pair(&resp).is_none());
    let resp = c.post(format!("{proxy}/auth/signin")).header("sec-fetch-site", "cross-site").form(&form).send().await;
    assert_eq!(resp.unwrap().status(), StatusCode::FORBIDDEN);
    // A sandboxed or file: page sends `Origin: null`; without Sec-Fetch-Site vouching, refused.
    let resp = c.post(format!("{proxy}/auth/signin")).header("origin", "null").form(&form).send().await;
    assert_eq!(resp.unwrap().status(), StatusCode::FORBIDDEN);
    let resp = c
        .post(format!("{proxy}/auth/signin"))
        .header("origin", "null")
        .header("sec-fetch-site", "cross-site")
        .form(&form)
        .send()
        .await;
    assert_eq!(resp.unwrap().status(), StatusCode::FORBIDDEN);
    // What a browser sends for our own form under `Referrer-Policy: no-referrer`.
    let resp = c
        .post(format!("{proxy}/auth/signin"))
        .header("origin", "null")
        .header("sec-fetch-site", "same-origin")
        .header("sec-fetch-mode", "navigate")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(session_pair(&resp).is_some());
    let resp = c
        .post(format!("{proxy}/auth/signin"))
        .header("origin", &proxy)
        .header("content-type", "text/plain")
        .body(format!("name={ALICE}&password={PASSWORD}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sign_in_attempts_are_paced_per_name_and_ip() {
    let mut cfg = shared(config());
    cfg.signin_attempts_per_minute = 3;
    let proxy = spawn_proxy(&cfg).await;
    for _ in 0..3 {
        assert_eq!(sign_in_raw(&proxy, ALICE, "guess guess guess").await.status(), StatusCode::UNAUTHORIZED);
    }
    // Even the right password waits now.
    let resp = sign_in_raw(&proxy, ALICE, PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(session_pair(&resp).is_none());
}

#[tokio::test]
async fn tampered_foreign_expired_and_revoked_sessions_are_refused() {
    let cfg = shared(config());
    let users = cfg.users_file.clone().unwrap();
    let proxy = spawn_proxy(&cfg).await;
    let resp = sign_in_raw(&proxy, ALICE, PASSWORD).await;
    let pair = session_pair(&resp).unwrap();
    let health = |pair: String| {
        let proxy = proxy.clone();
        async move {
            let v: Value =
                with_cookie(&pair).get(format!("{proxy}/api/health")).send().await.unwrap().json().await.unwrap();
            v["auth"]["user"].clone()
        }
    };
    assert_eq!(health(pair.clone()).await["user_id"], ALICE_ID);
    // Tampered: one character changed.
    let mut bytes = pair.clone().into_bytes();
    let i = bytes.len() - 3;
    bytes[i] = if bytes[i] == b'x' { b'y' } else { b'x' };
    assert_eq!(health(String::from_utf8(bytes).unwrap()).await, Value::Null);
    // Sealed with another secret (another deployment), or expired.
    let secret = UsersFile::load(&users).unwrap().secret().unwrap();
    let pair_of = |v: reqwest::header::HeaderValue| v.to_str().unwrap().split(';').next().unwrap().to_owned();
    let other = Sessions::new(&[9u8; 64], Duration::from_secs(3600)).unwrap();
    assert_eq!(health(pair_of(other.issue(ALICE, ALICE_ID, now_secs()))).await, Value::Null);
    let ours = Sessions::new(&secret, Duration::from_secs(3600)).unwrap();
    assert_eq!(health(pair_of(ours.issue(ALICE, ALICE_ID, now_secs() - 7200))).await, Value::Null);
    assert_eq!(health(pair_of(ours.issue(ALICE, ALICE_ID, now_secs()))).await["name"], ALICE);
    // A cookie naming someone with another user id is refused too.
    assert_eq!(health(pair_of(ours.issue(ALICE, BOB_ID, now_secs()))).await, Value::Null);
    // A new password (e.g. a used invite) signs older sessions out; so does removal.
    let mut f = UsersFile::load(&users).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    f.set_password(ALICE, wellness0_proxy::auth::password::hash("another long password").unwrap()).unwrap();
    f.save(&users).unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(health(pair.clone()).await, Value::Null);
    let bob = session_pair(&sign_in_raw(&proxy, BOB, PASSWORD).await).unwrap();
    assert_eq!(health(bob.clone()).await["name"], BOB);
    let mut f = UsersFile::load(&users).unwrap();
    f.remove(BOB).unwrap();
    f.save(&users).unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(health(bob).await, Value::Null);
}

#[tokio::test]
async fn instances_sharing_the_secret_accept_each_others_sessions() {
    let cfg = shared(config());
    let a = spawn_proxy(&cfg).await;
    let b = spawn_proxy(&cfg).await;
    let alice = signed_in(&a, ALICE).await;
    let v: Value = alice.get(format!("{b}/api/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["auth"]["user"]["name"], ALICE);
    // WELLNESS0_SESSION_SECRET overrides the file's: same env secret, different files.
    let secret = "an operator-chosen secret of more than 32 bytes";
    let mut c1 = shared(config());
    c1.session_secret = Some(secret.into());
    let mut c2 = shared(config());
    c2.session_secret = Some(secret.into());
    let (p1, p2) = (spawn_proxy(&c1).await, spawn_proxy(&c2).await);
    let alice = signed_in(&p1, ALICE).await;
    let v: Value = alice.get(format!("{p2}/api/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["auth"]["user"]["name"], ALICE);
    let v: Value = alice.get(format!("{a}/api/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["auth"]["user"], Value::Null, "another secret: not accepted");
    let mut short = shared(config());
    short.session_secret = Some("too short".into());
    assert!(matches!(AppState::new(&short), Err(StartError::Auth(_))));
}

#[tokio::test]
async fn an_invite_sets_a_password_once() {
    let cfg = shared(config());
    let users = cfg.users_file.clone().unwrap();
    let mut f = UsersFile::load(&users).unwrap();
    f.add("carol", None).unwrap();
    let token = f.invite("carol", 3600).unwrap();
    let expired = {
        f.add("dave", None).unwrap();
        f.invite("dave", 0).unwrap()
    };
    f.save(&users).unwrap();
    let proxy = spawn_proxy(&cfg).await;
    let c = no_redirects();
    let page = c.get(format!("{proxy}/auth/invite?token={token}")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Welcome, carol") && html.contains("autocomplete=\"new-password\""), "{html}");
    let post = |fields: Vec<(&'static str, String)>, origin: Option<&str>| {
        let mut req = c.post(format!("{proxy}/auth/invite")).form(&fields);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req.send()
    };
    let fields =
        |pw: &str, confirm: &str| vec![("token", token.clone()), ("password", pw.into()), ("confirm", confirm.into())];
    let resp = post(fields("a new long password", "a new long password"), Some("http://evil.example")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = post(fields("a new long password", "another long password"), Some(&proxy)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.text().await.unwrap().contains("differ"));
    let resp = post(fields("short", "short"), Some(&proxy)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.text().await.unwrap().contains("at least 10"));
    let resp = post(fields("a new long password", "a new long password"), Some(&proxy)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let carol = with_cookie(&session_pair(&resp).unwrap());
    let v: Value = carol.get(format!("{proxy}/api/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["auth"]["user"]["name"], "carol");
    let stored = UsersFile::load(&users).unwrap();
    let carol_entry = stored.find("carol").unwrap();
    assert!(carol_entry.password.as_deref().unwrap().starts_with("$argon2id$"));
    assert!(carol_entry.invite.is_none());
    // Used once: the link and a second post with it are dead.
    let resp = post(fields("yet another password", "yet another password"), Some(&proxy)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        c.get(format!("{proxy}/auth/invite?token={token}")).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.get(format!("{proxy}/auth/invite?token={expired}")).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(sign_in_raw(&proxy, "carol", "a new long password").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn api_calls_are_rate_limited_per_person() {
    let fakes = Fakes::start(0).await;
    let mut cfg = shared(fakes.config());
    cfg.rate_limit_per_minute = 6;
    cfg.rate_limit_burst = 2;
    let proxy = spawn_proxy(&cfg).await;
    let (alice, bob) = (signed_in(&proxy, ALICE).await, signed_in(&proxy, BOB).await);
    let models = format!("{proxy}/api/gemini/v1beta/models");
    for _ in 0..2 {
        assert_eq!(alice.get(&models).send().await.unwrap().status(), StatusCode::OK);
    }
    assert_eq!(alice.get(&models).send().await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
    // Bob, from the same IP, has his own allowance.
    assert_eq!(bob.get(&models).send().await.unwrap().status(), StatusCode::OK);
}

#[test]
fn a_network_address_needs_sign_in() {
    let mut cfg = config();
    cfg.host = "0.0.0.0".parse().unwrap();
    let err = AppState::new(&cfg).unwrap_err();
    assert!(matches!(err, StartError::NeedsSignIn(_)), "{err}");
    assert!(err.to_string().contains("WELLNESS0_USERS_FILE"));
    let cfg = shared(cfg);
    assert!(AppState::new(&cfg).unwrap().auth.is_shared());
    let mut missing = config();
    missing.users_file = Some(temp_dir("nousers").join("users.json"));
    assert!(matches!(AppState::new(&missing), Err(StartError::Auth(_))));
}
