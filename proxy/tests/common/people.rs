//! Shared mode for tests: a fresh database with two people, sign-in over HTTP, and a client
//! that carries one person's session cookie.
//!
//! The database is SQLite in a temporary folder, or, with `W0_TEST_DB=postgres`, a new database
//! on the PostgreSQL server at `W0_TEST_POSTGRES_URL` (scripts/test.sh starts a throwaway one and
//! runs the shared-mode tests on both).

use reqwest::header::{HeaderMap, HeaderValue, COOKIE};
use sqlx::Connection;
use wellness0_proxy::accounts::tokens::now_secs;
use wellness0_proxy::accounts::{self, NewAccount};
use wellness0_proxy::auth::session::COOKIE_NAME;
use wellness0_proxy::db::{sqlite_url, Db};
use wellness0_proxy::kdf::{self, Kdf, Verifier};
use wellness0_proxy::Config;

pub const ALICE: &str = "alice";
pub const ALICE_ID: &str = "w0-alice-memories";
pub const BOB: &str = "bob";
pub const BOB_ID: &str = "w0-bob-memories";
pub const PASSWORD: &str = "correct horse battery staple";

/// Whether these tests run on PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("W0_TEST_DB").is_ok_and(|v| v == "postgres")
}

/// The URL of a new, empty database of the engine under test.
pub async fn fresh_database() -> String {
    if !on_postgres() {
        return sqlite_url(&super::temp_dir("db").join("wellness0.db"));
    }
    let server = std::env::var("W0_TEST_POSTGRES_URL").expect("W0_TEST_DB=postgres needs W0_TEST_POSTGRES_URL");
    sqlx::any::install_default_drivers();
    let name = format!(
        "w0_test_{}",
        wellness0_proxy::accounts::tokens::random_token()[..16].to_ascii_lowercase().replace('-', "_")
    );
    let mut conn = sqlx::AnyConnection::connect(&server).await.expect("the test PostgreSQL server");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    let (base, _) = server.rsplit_once('/').expect("a URL with a database name");
    format!("{base}/{name}")
}

/// `cfg` in shared mode on a [`fresh_database`] with alice and bob (both with [`PASSWORD`]).
pub async fn shared(mut cfg: Config) -> Config {
    let url = fresh_database().await;
    let db = Db::open(&url).await.unwrap();
    static VERIFIER: std::sync::OnceLock<Verifier> = std::sync::OnceLock::new();
    // One salt for every test's alice and bob, so the sign-ins' derivations are remembered.
    let verifier = VERIFIER.get_or_init(|| verifier(PASSWORD));
    for (name, id) in [(ALICE, ALICE_ID), (BOB, BOB_ID)] {
        accounts::add(&db, NewAccount::now(name, Some(id), now_secs() - 10)).await.unwrap();
        accounts::set_password(&db, name, verifier, now_secs() - 10).await.unwrap();
    }
    db.close().await;
    cfg.database_url = Some(url);
    cfg
}

/// The database of a [`shared`] configuration, to change accounts behind the proxy's back.
pub async fn database(cfg: &Config) -> Db {
    Db::open(cfg.database_url.as_deref().expect("a shared configuration")).await.unwrap()
}

/// A client that never follows redirects.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// What the server stores for `password` (a fresh salt each call, as the `users` command makes).
pub fn verifier(password: &str) -> Verifier {
    wellness0_proxy::auth::password::verifier(password, Kdf::fresh()).unwrap()
}

/// The sign-in form's fields for `name` and `password`, as the sign-in page sends them (the
/// proxy at `proxy` is asked for the name's salt; the password goes along only to move an
/// account from before over).
pub async fn sign_in_form(proxy: &str, name: &str, password: &str) -> Vec<(&'static str, String)> {
    kdf::sign_in_fields(&no_redirects(), proxy, name, password).await.unwrap()
}

/// Signs `name` in with `password` through the form, as the page does; returns the response.
pub async fn sign_in_raw(proxy: &str, name: &str, password: &str) -> reqwest::Response {
    let form = sign_in_form(proxy, name, password).await;
    no_redirects()
        .post(format!("{proxy}/auth/signin"))
        .header("origin", proxy)
        .header("sec-fetch-site", "same-origin")
        .form(&form)
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
        .find(|v| v.starts_with(&format!("{COOKIE_NAME}=")))
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
