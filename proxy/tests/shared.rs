//! Shared mode's sign-in, in process with real TCP, on SQLite (or PostgreSQL with
//! `W0_TEST_DB=postgres`): who gets what before signing in, the sign-in and invite forms (CSRF,
//! pacing, wrong passwords, invite reuse), sessions (cookie attributes, tampering, expiry,
//! sign-out and removal refused at once, several instances on one database, the device list),
//! the users file of earlier versions, and refusing to listen on a network address without
//! sign-in.

mod common;

use reqwest::StatusCode;
use serde_json::{json, Value};
use wellness0_proxy::accounts::tokens::now_secs;
use wellness0_proxy::accounts::{self, invites, sessions};
use wellness0_proxy::auth::password;
use wellness0_proxy::auth::session::COOKIE_NAME;
use wellness0_proxy::{AppState, StartError};

use common::people::*;
use common::*;

#[tokio::test]
async fn nobody_signed_in_gets_the_sign_in_page_or_401_and_nothing_is_forwarded() {
    let fakes = Fakes::start(0).await;
    let proxy = spawn_proxy(&shared(fakes.config()).await).await;
    let c = no_redirects();
    for (path, to) in [("/", "auth/signin"), ("/index.html", "auth/signin"), ("/chat/42", "../auth/signin")] {
        let resp = c.get(format!("{proxy}{path}")).header("accept", "text/html").send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(resp.headers()["location"], to, "{path}");
    }
    let resp = c.get(format!("{proxy}/{WASM}")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(resp.headers()["www-authenticate"], wellness0_proxy::error::SIGN_IN_CHALLENGE);
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
    assert_eq!(resp.headers()["www-authenticate"], wellness0_proxy::error::SIGN_IN_CHALLENGE, "the sign-in's own 401");
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
    assert_eq!(health, json!({"proxy": true, "auth": {"mode": "shared", "user": null}}), "nothing about the operator");
    assert_nothing_reached(&fakes, "not signed in");
}

#[tokio::test]
async fn the_sign_in_page_is_plain_accessible_html_under_the_csp() {
    let proxy = spawn_proxy(&shared(config()).await).await;
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
        "<form method=\"post\" action=\"signin\" data-derive>",
        "href=\"style.css\"",
        "<script src=\"signin.js\" defer></script>",
        "<noscript>",
    ] {
        assert!(html.contains(part), "{part} missing:\n{html}");
    }
    // The password field has no name: a browser never sends it, even where the script cannot run.
    assert!(!html.contains("name=\"password\"") && !html.contains("style="), "{html}");
    let js = c.get(format!("{proxy}/auth/signin.js")).send().await.unwrap();
    assert_eq!(js.headers()["content-type"], "text/javascript; charset=utf-8");
    assert!(js.text().await.unwrap().contains("PBKDF2"));
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
    let proxy = spawn_proxy(&shared(fakes.config()).await).await;
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
    assert!(set.starts_with("__Host-wellness0_session="), "{set}");
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/", "Max-Age=2592000"] {
        assert!(set.contains(attr), "{attr}: {set}");
    }
    assert!(!set.contains("Domain"), "{set}");
    let alice = with_cookie(&session_pair(&resp).unwrap());
    let health: Value = alice.get(format!("{proxy}/api/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["auth"], json!({"mode": "shared", "user": {"name": "alice", "user_id": ALICE_ID}}));
    assert!(health["version"].is_string() && health["mem0"]["backend"].is_string(), "{health}");
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
    // The server forgot the session: the same cookie, sent again (a copy kept elsewhere), is refused.
    let health: Value = alice.get(format!("{proxy}/api/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["auth"]["user"], Value::Null, "a signed-out cookie is refused at once");
    assert_eq!(alice.get(format!("{proxy}/{WASM}")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn no_cacheable_response_carries_a_cookie() {
    let proxy = spawn_proxy(&shared(config()).await).await;
    let alice = signed_in(&proxy, ALICE).await;
    for path in ["/", "/index.html", &format!("/{WASM}"), "/api/health"] {
        let resp = alice.get(format!("{proxy}{path}")).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        assert!(resp.headers().get("set-cookie").is_none(), "{path} sets a cookie: {:?}", resp.headers());
    }
}

#[tokio::test]
async fn cross_site_and_non_form_sign_in_posts_are_refused() {
    let proxy = spawn_proxy(&shared(config()).await).await;
    let c = no_redirects();
    let form = sign_in_form(&proxy, ALICE, PASSWORD).await;
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
        .body(url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&form).finish())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sign_in_attempts_are_paced_per_address_and_a_stranger_locks_out_only_themselves() {
    let mut cfg = shared(config()).await;
    cfg.signin_attempts_per_minute = 3;
    cfg.trust_forwarded_for = true;
    let proxy = spawn_proxy(&cfg).await;
    let from = |ip: &'static str, name: &'static str, pw: &'static str| {
        let proxy = proxy.clone();
        async move {
            let form = sign_in_form(&proxy, name, pw).await;
            no_redirects()
                .post(format!("{proxy}/auth/signin"))
                .header("origin", &proxy)
                .header("sec-fetch-site", "same-origin")
                .header("x-forwarded-for", ip)
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    let stranger = "203.0.113.7";
    for _ in 0..3 {
        assert_eq!(from(stranger, ALICE, "guess guess guess").await.status(), StatusCode::UNAUTHORIZED);
    }
    // The stranger's address waits now, even with the right password…
    let resp = from(stranger, ALICE, PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(session_pair(&resp).is_none());
    // …and for any name from it.
    assert_eq!(from(stranger, BOB, PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
    // Alice, from her own address, gets in at once.
    let resp = from("198.51.100.20", ALICE, PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(session_pair(&resp).is_some());
    // Guessing one name from one address is paced even when the address tries little else.
    let guesser = "198.51.100.99";
    for _ in 0..3 {
        assert_eq!(from(guesser, BOB, "not bob's password").await.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(from(guesser, BOB, PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn tampered_unknown_expired_and_revoked_sessions_are_refused_at_once() {
    let cfg = shared(config()).await;
    let db = database(&cfg).await;
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
    // A secret the database never issued, and the unprefixed cookie of earlier versions.
    let made_up = wellness0_proxy::accounts::tokens::random_token();
    assert_eq!(health(format!("{COOKIE_NAME}={made_up}")).await, Value::Null);
    assert_eq!(health(format!("wellness0_session={}", pair.split('=').nth(1).unwrap())).await, Value::Null);
    // Ended by idleness, or by its maximum age however active.
    let alice = accounts::find(&db, ALICE).await.unwrap().unwrap();
    let now = now_secs();
    let (idle, _) = sessions::start(&db, &alice, "old", now - 7200, 3600).await.unwrap().unwrap();
    assert_eq!(health(format!("{COOKIE_NAME}={idle}")).await, Value::Null, "idle past its end");
    let old = now - sessions::MAX_AGE_SECS - 10;
    let (aged, _) = sessions::start(&db, &alice, "old", old, 10 * sessions::MAX_AGE_SECS).await.unwrap().unwrap();
    assert_eq!(health(format!("{COOKIE_NAME}={aged}")).await, Value::Null, "past the maximum age");
    let (fresh, _) = sessions::start(&db, &alice, "new", now, 3600).await.unwrap().unwrap();
    assert_eq!(health(format!("{COOKIE_NAME}={fresh}")).await["name"], ALICE);
    // A new password (e.g. a used invite) signs every session out at once; so does removal.
    accounts::set_password(&db, ALICE, &verifier("another long password"), now).await.unwrap();
    assert_eq!(health(pair.clone()).await, Value::Null);
    // A sign-in whose password check began before the change gets no session after it.
    let stale = sessions::start(&db, &alice, "raced", now, 3600).await.unwrap();
    assert_eq!(stale, None, "checked against the old password: no session");
    assert_eq!(health(format!("{COOKIE_NAME}={fresh}")).await, Value::Null);
    let bob = session_pair(&sign_in_raw(&proxy, BOB, PASSWORD).await).unwrap();
    assert_eq!(health(bob.clone()).await["name"], BOB);
    accounts::remove(&db, BOB).await.unwrap();
    assert_eq!(health(bob).await, Value::Null);
}

#[tokio::test]
async fn instances_on_one_database_share_sessions_and_sign_outs() {
    let cfg = shared(config()).await;
    let a = spawn_proxy(&cfg).await;
    let b = spawn_proxy(&cfg).await;
    let resp = sign_in_raw(&a, ALICE, PASSWORD).await;
    let alice = with_cookie(&session_pair(&resp).unwrap());
    let v: Value = alice.get(format!("{b}/api/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["auth"]["user"]["name"], ALICE);
    // Signed out through one instance: refused by the other at once.
    let resp = alice.post(format!("{b}/auth/signout")).header("origin", &b).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let v: Value = alice.get(format!("{a}/api/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["auth"]["user"], Value::Null);
    // Another deployment's database knows nothing of this one's sessions.
    let other = spawn_proxy(&shared(config()).await).await;
    let alice = signed_in(&a, ALICE).await;
    let v: Value = alice.get(format!("{other}/api/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["auth"]["user"], Value::Null);
    // The session secret of earlier versions is accepted and ignored.
    let mut old = cfg.clone();
    old.session_secret = Some("too short, and no longer used".into());
    assert!(AppState::new(&old).await.is_ok());
}

#[tokio::test]
async fn the_device_list_names_each_browser_and_signs_any_of_them_out() {
    let proxy = spawn_proxy(&shared(config()).await).await;
    let sign_in_with = |ua: &'static str| {
        let proxy = proxy.clone();
        async move {
            let form = sign_in_form(&proxy, ALICE, PASSWORD).await;
            let resp = no_redirects()
                .post(format!("{proxy}/auth/signin"))
                .header("origin", &proxy)
                .header("user-agent", ua)
                .form(&form)
                .send()
                .await
                .unwrap();
            with_cookie(&session_pair(&resp).unwrap())
        }
    };
    let phone =
        sign_in_with("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36").await;
    let laptop = sign_in_with("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0").await;
    let tablet = sign_in_with("Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) Version/18.1 Safari/604.1").await;
    let bob = signed_in(&proxy, BOB).await;
    let devices = format!("{proxy}/api/account/devices");
    let list = |c: reqwest::Client| {
        let devices = devices.clone();
        async move {
            let resp = c.get(&devices).send().await.unwrap();
            assert_eq!(resp.headers()["cache-control"], "no-store");
            resp.json::<Value>().await.unwrap()["devices"].as_array().unwrap().clone()
        }
    };
    let seen = list(laptop.clone()).await;
    let names: Vec<&str> = seen.iter().map(|d| d["device"].as_str().unwrap()).collect();
    assert_eq!(seen.len(), 3, "{seen:?}");
    for name in ["Chrome on Android", "Firefox on Linux", "Safari on iOS"] {
        assert!(names.contains(&name), "{name}: {names:?}");
    }
    let current: Vec<&Value> = seen.iter().filter(|d| d["current"] == true).collect();
    assert_eq!((current.len(), current[0]["device"].as_str()), (1, Some("Firefox on Linux")));
    let phone_id = seen.iter().find(|d| d["device"] == "Chrome on Android").unwrap()["id"].as_str().unwrap().to_owned();
    // Bob cannot see or end alice's devices.
    assert_eq!(list(bob.clone()).await.len(), 1);
    let resp = bob.delete(format!("{devices}/{phone_id}")).header("origin", &proxy).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    // From another site: refused by the API guard.
    let resp = laptop.delete(format!("{devices}/{phone_id}")).header("origin", "http://evil.example").send().await;
    assert_eq!(resp.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(list(phone.clone()).await.len(), 3);
    // The laptop signs the phone out: its next request is refused.
    let resp = laptop.delete(format!("{devices}/{phone_id}")).header("origin", &proxy).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(phone.get(&devices).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    // Every other device at once.
    let resp = laptop.post(format!("{devices}/sign-out-others")).header("origin", &proxy).send().await.unwrap();
    assert_eq!(resp.json::<Value>().await.unwrap()["signed_out"], 1);
    assert_eq!(tablet.get(&devices).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(list(laptop).await.len(), 1);
    assert_eq!(list(bob).await.len(), 1, "bob's own session is untouched");
}

#[tokio::test]
async fn an_invite_sets_a_password_once() {
    let cfg = shared(config()).await;
    let db = database(&cfg).await;
    let now = now_secs();
    for name in ["carol", "dave"] {
        accounts::add(&db, accounts::NewAccount::now(name, None, now)).await.unwrap();
    }
    let token = invites::create(&db, "carol", 3600, now).await.unwrap();
    let expired = invites::create(&db, "dave", 0, now).await.unwrap();
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
    // The page sends the secret it derived with the salt the server gives carol, never the
    // password (its length and repetition are the page's to check).
    let secret = |pw: &'static str| {
        let proxy = proxy.clone();
        async move { sign_in_form(&proxy, "carol", pw).await.into_iter().find(|(k, _)| *k == "secret").unwrap().1 }
    };
    let fields = |secret: &str| vec![("token", token.clone()), ("secret", secret.to_owned())];
    let chosen = secret("a new long password").await;
    let resp = post(fields(&chosen), Some("http://evil.example")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = post(vec![("token", token.clone()), ("password", "a new long password".into())], Some(&proxy));
    let resp = resp.await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "a password, not a secret: refused");
    assert!(resp.text().await.unwrap().contains("needs JavaScript"));
    let resp = post(fields(&chosen), Some(&proxy)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let carol = with_cookie(&session_pair(&resp).unwrap());
    let v: Value = carol.get(format!("{proxy}/api/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["auth"]["user"]["name"], "carol");
    let carol_entry = accounts::find(&db, "carol").await.unwrap().unwrap();
    assert!(carol_entry.password_hash.as_deref().unwrap().starts_with("$argon2id$"));
    assert!(carol_entry.kdf.is_some(), "the salt the page derived with is kept");
    assert_eq!(invites::expiry(&db, carol_entry.id).await.unwrap(), None, "the invite is used up");
    // Used once: the link and a second post with it are dead.
    let resp = post(fields(&secret("yet another password").await), Some(&proxy)).await.unwrap();
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
    let mut cfg = shared(fakes.config()).await;
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

#[tokio::test]
async fn a_network_address_needs_sign_in() {
    let mut cfg = config();
    cfg.host = "0.0.0.0".parse().unwrap();
    let err = AppState::new(&cfg).await.unwrap_err();
    assert!(matches!(err, StartError::NeedsSignIn(_)), "{err}");
    assert!(err.to_string().contains("WELLNESS0_DATA_DIR"));
    let cfg = shared(cfg).await;
    assert!(AppState::new(&cfg).await.unwrap().auth.is_shared());
    // A data directory that does not exist yet is made (for the owner only).
    let mut fresh = config();
    fresh.data_dir = Some(temp_dir("datadir").join("new").join("state"));
    assert!(AppState::new(&fresh).await.unwrap().auth.is_shared());
    let dir = fresh.data_dir.unwrap();
    assert!(dir.join("wellness0.db").is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
        assert_eq!(std::fs::metadata(dir.join("wellness0.db")).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let mut bad = config();
    bad.database_url = Some("mysql://root@localhost/w0".into());
    assert!(matches!(AppState::new(&bad).await, Err(StartError::Auth(_))));
}

#[tokio::test]
async fn the_users_file_of_earlier_versions_is_imported_once_and_left_alone() {
    let dir = temp_dir("import");
    let file = dir.join("users.json");
    let hash = password::hash(PASSWORD).unwrap();
    let now = now_secs();
    let text = json!({
        "version": 1,
        "session_secret": "x".repeat(86),
        "users": [
            {"name": "Alice", "user_id": ALICE_ID, "password": hash, "created_at": now - 100,
             "sessions_valid_after": now - 100, "invite": null},
            {"name": "erin", "user_id": "w0-erin", "password": null, "created_at": now - 50,
             "sessions_valid_after": now - 50,
             "invite": {"token_sha256": wellness0_proxy::accounts::tokens::token_hash("erins-link"), "expires_at": now + 3600}}
        ]
    })
    .to_string();
    std::fs::write(&file, &text).unwrap();
    let mut cfg = config();
    cfg.users_file = Some(file.clone());
    // Without a database URL, the SQLite file sits beside the users file.
    let proxy = spawn_proxy(&cfg).await;
    assert!(dir.join("wellness0.db").is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("wellness0.db")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "owner only, also in a folder that was already there");
    }
    // The hash came along; it is of the password itself, so this first sign-in sends the
    // password once more and moves the account over to a derived secret.
    let db = wellness0_proxy::db::Db::open(&cfg.database().unwrap()).await.unwrap();
    assert_eq!(accounts::find(&db, ALICE).await.unwrap().unwrap().kdf, None);
    let form = sign_in_form(&proxy, ALICE, PASSWORD).await;
    assert!(form.iter().any(|(k, _)| *k == "password"), "{form:?}");
    assert_eq!(sign_in_raw(&proxy, ALICE, PASSWORD).await.status(), StatusCode::SEE_OTHER, "the hash came along");
    let moved = accounts::find(&db, ALICE).await.unwrap().unwrap();
    assert!(moved.kdf.is_some() && moved.password_hash.as_deref() != Some(hash.as_str()), "moved over");
    let form = sign_in_form(&proxy, ALICE, PASSWORD).await;
    assert!(!form.iter().any(|(k, _)| *k == "password"), "never again: {form:?}");
    let wrong = sign_in_raw(&proxy, ALICE, "not the password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let c = no_redirects();
    let page = c.get(format!("{proxy}/auth/invite?token=erins-link")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK, "the open invite came along");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text, "the file is left as it was");
    // Once: a person removed afterwards does not come back on the next start.
    accounts::remove(&db, "erin").await.unwrap();
    let again = spawn_proxy(&cfg).await;
    assert_eq!(accounts::list(&db).await.unwrap().len(), 1);
    assert_eq!(sign_in_raw(&again, ALICE, PASSWORD).await.status(), StatusCode::SEE_OTHER);
    // A broken file stops the start with a message that shows none of its content.
    let broken = temp_dir("import-broken").join("users.json");
    std::fs::write(&broken, "{\"version\": 1, \"users\": [{\"name\": \"secret-name\"").unwrap();
    let mut cfg = config();
    cfg.users_file = Some(broken);
    let err = AppState::new(&cfg).await.unwrap_err().to_string();
    assert!(err.contains("not a valid users file") && !err.contains("secret-name"), "{err}");
}

#[tokio::test]
async fn an_upstream_refusing_the_servers_key_is_not_taken_for_a_sign_out() {
    let fakes = Fakes::start(0).await;
    let mut cfg = shared(fakes.config()).await;
    cfg.mem0_api_key = Some("a key mem0 refuses".into());
    let proxy = spawn_proxy(&cfg).await;
    let alice = signed_in(&proxy, ALICE).await;
    let resp = alice
        .post(format!("{proxy}/api/mem0/v3/memories/search/"))
        .header("origin", &proxy)
        .json(&json!({"query": "q", "filters": {"AND": [{"user_id": ALICE_ID}]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "mem0's answer, relayed");
    assert!(resp.headers().get("www-authenticate").is_none(), "so the app does not send alice to sign in");
}
