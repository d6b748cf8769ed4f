//! Shared mode for tests: a users file with two people, sign-in over HTTP, and a client that
//! carries one person's session cookie.

use std::path::PathBuf;

use reqwest::header::{HeaderMap, HeaderValue, COOKIE};
use wellness0_proxy::auth::password;
use wellness0_proxy::auth::users::UsersFile;
use wellness0_proxy::Config;

pub const ALICE: &str = "alice";
pub const ALICE_ID: &str = "w0-alice-memories";
pub const BOB: &str = "bob";
pub const BOB_ID: &str = "w0-bob-memories";
pub const PASSWORD: &str = "correct horse battery staple";

/// A users file with alice and bob (both with [`PASSWORD`]); returns its path.
pub fn users_file() -> PathBuf {
    let path = super::temp_dir("users").join("users.json");
    let mut f = UsersFile::new();
    let hash = password::hash(PASSWORD).unwrap();
    for (name, id) in [(ALICE, ALICE_ID), (BOB, BOB_ID)] {
        f.add(name, Some(id)).unwrap();
        f.set_password(name, hash.clone()).unwrap();
    }
    f.save(&path).unwrap();
    path
}

/// `cfg` in shared mode with a fresh [`users_file`].
pub fn shared(mut cfg: Config) -> Config {
    cfg.users_file = Some(users_file());
    cfg
}

/// A client that never follows redirects.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Signs `name` in with `password` through the form; returns the response.
pub async fn sign_in_raw(proxy: &str, name: &str, password: &str) -> reqwest::Response {
    no_redirects()
        .post(format!("{proxy}/auth/signin"))
        .header("origin", proxy)
        .header("sec-fetch-site", "same-origin")
        .form(&[("name", name), ("password", password)])
        .send()
        .await
        .unwrap()
}

/// The `name=value` pair of a response's session cookie.
pub fn session_pair(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("wellness0_session="))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

/// Signs `name` in and returns a client sending their session cookie.
pub async fn signed_in(proxy: &str, name: &str) -> reqwest::Client {
    let resp = sign_in_raw(proxy, name, PASSWORD).await;
    assert_eq!(resp.status(), 303, "sign-in of {name} failed");
    with_cookie(&session_pair(&resp).expect("a session cookie"))
}

/// A client sending `pair` as its cookie.
pub fn with_cookie(pair: &str) -> reqwest::Client {
    let mut h = HeaderMap::new();
    h.insert(COOKIE, HeaderValue::from_str(pair).unwrap());
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(h)
        .build()
        .unwrap()
}
