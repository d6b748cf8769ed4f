//! The sign-in routes (shared mode only): `GET`/`POST auth/signin`, `POST auth/signout`,
//! `GET`/`POST auth/invite`, `GET`/`POST auth/password` (change it), `POST auth/params` (a
//! name's salt, for the page's key derivation), `GET auth/style.css`, `auth/signin.js` and
//! `auth/keys.js` (the pages and the sign-in state they use are
//! [`crate::auth`]). The forms send the secret the page derived, never the password
//! ([`crate::kdf`]). Posts are accepted only from this site's own
//! pages (the same `Origin` / `Sec-Fetch-Site` rule as `/api/`), attempts are paced per client
//! address and per name from one address (so a stranger hammering a name locks out only
//! themselves: the right password from another address gets in at once), and a wrong name and a
//! wrong password get the same answer.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::guards::request_host;
use crate::accounts::sessions::{self, Current};
use crate::accounts::tokens::now_secs;
use crate::accounts::{self, invites, Account, PasswordChange};
use crate::auth::{pages, session, Person, Shared};
use crate::guard::origin;
use crate::kdf::{self, Kdf};
use crate::ratelimit::{request_ip, ClientKey};
use crate::AppState;

/// Largest sign-in form accepted.
const MAX_FORM_BYTES: usize = 8 * 1024;

/// The routes, for [`super::app`] to mount in shared mode.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/auth/signin", get(sign_in_page).post(sign_in))
        .route("/auth/signout", axum::routing::post(sign_out))
        .route("/auth/invite", get(invite_page).post(use_invite))
        .route("/auth/style.css", get(stylesheet))
        .route("/auth/signin.js", get(script))
        .route("/auth/params", axum::routing::post(params))
        .route("/auth/password", get(password_page).post(change_password))
        .route("/auth/keys.js", get(keys_script))
}

fn shared(state: &AppState) -> &Shared {
    state.auth.shared_parts().expect("sign-in routes are mounted only in shared mode")
}

/// One of the pages' own files.
fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

async fn stylesheet() -> Response {
    asset(pages::STYLESHEET, "text/css; charset=utf-8")
}

async fn script() -> Response {
    asset(pages::SCRIPT, "text/javascript; charset=utf-8")
}

async fn keys_script() -> Response {
    asset(pages::KEYS_SCRIPT, "text/javascript; charset=utf-8")
}

/// How the device of a name derives its keys: `{"salt", "iterations", "upgrade"}` (JSON). Every
/// name gets an answer (a made-up but stable salt for nobody). It costs one lookup and an HMAC,
/// so it is paced by the API's rate limit per address, not by the sign-in attempts.
async fn params(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let shared = shared(&state);
    let form = match read_form(&state, req).await {
        Ok(f) => f,
        Err(resp) => return resp,
    };
    let name = form.get("name").trim();
    if let Some(limiter) = &state.limiter {
        if let Err(wait) = limiter.check(ClientKey::Ip(form.ip), Instant::now()) {
            return too_many(StatusCode::TOO_MANY_REQUESTS.into_response(), wait.as_secs().max(1));
        }
    }
    match accounts::find(&shared.db, name).await {
        Ok(account) => {
            let (kdf, upgrade) = accounts::kdf_of(account.as_ref(), &shared.salt_secret, name);
            let body = serde_json::json!({ "salt": kdf.salt, "iterations": kdf.iterations, "upgrade": upgrade });
            super::no_store(axum::Json(body).into_response())
        }
        Err(e) => database_down(&e),
    }
}

/// A redirect to `to`, relative to the current URL (so a path prefix in front is kept).
fn see_other(to: &str) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    resp.headers_mut().insert(header::LOCATION, HeaderValue::from_str(to).expect("a plain relative path"));
    resp
}

async fn sign_in_page(State(state): State<Arc<AppState>>, req: Request) -> Response {
    if req.extensions().get::<Person>().is_some() {
        return see_other("../");
    }
    let _ = shared(&state);
    pages::sign_in(StatusCode::OK, "", None)
}

/// The fields of a posted form, after the same-origin check.
struct Form {
    fields: Vec<(String, String)>,
    ip: std::net::IpAddr,
    user_agent: String,
    /// The session this browser was signed in with, if any.
    previous: Option<Current>,
}

impl Form {
    fn get(&self, name: &str) -> &str {
        self.fields.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }
}

/// Reads a form post made from this site (`Err`: the answer to send instead).
async fn read_form(state: &AppState, req: Request) -> Result<Form, Response> {
    let refused = || pages::notice(StatusCode::FORBIDDEN, "Not allowed", "Sign-in forms must be sent from this site.");
    if origin::check_same_origin(req.headers(), request_host(&req), &[]).is_err() {
        tracing::warn!("refused a cross-site sign-in form post");
        return Err(refused());
    }
    let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(refused());
    }
    let ip = request_ip(&req, state.trust_forwarded_for);
    let user_agent = req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let previous = req.extensions().get::<Current>().cloned();
    let body: Bytes = axum::body::to_bytes(req.into_body(), MAX_FORM_BYTES).await.map_err(|_| refused())?;
    let fields = url::form_urlencoded::parse(&body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    Ok(Form { fields, ip, user_agent, previous })
}

/// Takes a sign-in attempt token for the client address and for the name from that address;
/// `Some(seconds)` to wait when either has none left.
fn pace(shared: &Shared, ip: std::net::IpAddr, name: &str) -> Option<u64> {
    let now = Instant::now();
    let by_ip = shared.attempts.check(format!("ip:{ip}"), now);
    let by_name = shared.attempts.check(format!("name:{}|{ip}", name.to_ascii_lowercase()), now);
    let wait = by_ip.and(by_name).err()?;
    let secs = wait.as_secs().max(1);
    tracing::warn!(retry_after = secs, "sign-in attempts paced");
    Some(secs)
}

/// A 500 page for a database failure (the cause is logged, never shown).
fn database_down(e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "the account database failed");
    pages::notice(StatusCode::SERVICE_UNAVAILABLE, "Something went wrong", "Try again in a minute.")
}

/// Signs `account` (as its password was checked) in on this browser: a new session, its
/// cookie, and off to the app. The browser's earlier session, if it had one, ends (it would sit
/// in the device list unused). A password changed since the check means no session.
async fn signed_in(shared: &Shared, account: &Account, form: &Form) -> Response {
    with_session(shared, account, form, see_other("../")).await
}

/// `resp` with the cookie of a new session of `account` on this browser (see [`signed_in`]).
async fn with_session(shared: &Shared, account: &Account, form: &Form, mut resp: Response) -> Response {
    if let Some(previous) = &form.previous {
        if let Err(e) = sessions::end(&shared.db, previous.person.account, &previous.id).await {
            return database_down(&e);
        }
    }
    let device = sessions::describe(&form.user_agent);
    match sessions::start(&shared.db, account, &device, now_secs(), shared.idle_secs).await {
        Ok(Some((secret, _))) => {
            resp.headers_mut().insert(header::SET_COOKIE, session::set(&secret));
            resp
        }
        Ok(None) => {
            tracing::warn!("a sign-in raced a password change and was refused");
            pages::sign_in(StatusCode::UNAUTHORIZED, &account.name, Some("That name and password do not match."))
        }
        Err(e) => database_down(&e),
    }
}

/// `page` as a 429 with `Retry-After`.
fn too_many(mut page: Response, secs: u64) -> Response {
    *page.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    page.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    page
}

/// The page to send when a form came without a derived secret (the script did not run).
fn needs_script(name: &str) -> Response {
    let msg = "Signing in needs JavaScript: your password is turned into a key on this device and never sent.";
    pages::sign_in(StatusCode::BAD_REQUEST, name, Some(msg))
}

async fn sign_in(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let shared = shared(&state);
    let form = match read_form(&state, req).await {
        Ok(f) => f,
        Err(resp) => return resp,
    };
    let name = form.get("name").trim().to_owned();
    if let Some(secs) = pace(shared, form.ip, &name) {
        let page = pages::sign_in(StatusCode::OK, &name, Some("Too many attempts. Wait a minute, then try again."));
        return too_many(page, secs);
    }
    let secret = form.get("secret").to_owned();
    if !kdf::well_formed_secret(&secret) {
        return needs_script(&name);
    }
    let account = match accounts::find(&shared.db, &name).await {
        Ok(a) => a,
        Err(e) => return database_down(&e),
    };
    let hash = account.as_ref().and_then(|a| a.password_hash.clone());
    // An account from before checks the password (sent this once), then moves to the secret.
    let legacy = account.as_ref().is_some_and(|a| a.kdf.is_none());
    let proof = if legacy { form.get("password").to_owned() } else { secret.clone() };
    // Always spend the same work, known name or not.
    let ok = shared.hasher.verify(hash, proof).await;
    let account = match account.filter(|_| ok) {
        Some(account) if legacy => match upgrade(shared, &account, secret).await {
            Ok(Some(upgraded)) => upgraded,
            Ok(None) => return mismatch(&name),
            Err(resp) => return resp,
        },
        Some(account) => account,
        None => {
            tracing::warn!("a sign-in attempt failed");
            return mismatch(&name);
        }
    };
    tracing::info!("signed in");
    signed_in(shared, &account, &form).await
}

fn mismatch(name: &str) -> Response {
    pages::sign_in(StatusCode::UNAUTHORIZED, name, Some("That name and password do not match."))
}

/// Moves an account from before to `secret`, derived with the salt [`params`] answered for it.
async fn upgrade(shared: &Shared, account: &Account, secret: String) -> Result<Option<Account>, Response> {
    let (kdf, _) = accounts::kdf_of(Some(account), &shared.salt_secret, &account.name);
    let hash = shared.hasher.hash_secret(secret).await.map_err(|e| database_down(&e))?;
    let moved = accounts::upgrade(&shared.db, account, &kdf::Verifier { hash, kdf }).await;
    let moved = moved.map_err(|e| database_down(&e))?;
    if moved.is_some() {
        tracing::info!("an account from before now signs in with a derived secret");
    }
    Ok(moved)
}

async fn sign_out(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let shared = shared(&state);
    // Signing out needs no form fields, but must come from this site (no forced sign-outs).
    if origin::check_same_origin(req.headers(), request_host(&req), &[]).is_err() || req.method() != Method::POST {
        return pages::notice(StatusCode::FORBIDDEN, "Not allowed", "Sign out from the app itself.");
    }
    if let Some(current) = req.extensions().get::<Current>() {
        if let Err(e) = sessions::end(&shared.db, current.person.account, &current.id).await {
            return database_down(&e);
        }
    }
    let mut resp = see_other("signin");
    resp.headers_mut().insert(header::SET_COOKIE, session::clear());
    resp
}

async fn password_page(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let _ = shared(&state);
    match req.extensions().get::<Person>() {
        Some(person) => pages::change_password(StatusCode::OK, &person.name, &Kdf::fresh().salt, kdf::ITERATIONS, None),
        None => see_other("signin"),
    }
}

/// A password change: the current password's secret checked (paced like a sign-in), then the
/// new verifier and the re-wrapped sync key stored together, every other device signed out and
/// this browser signed in anew.
async fn change_password(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let shared = shared(&state);
    let form = match read_form(&state, req).await {
        Ok(f) => f,
        Err(resp) => return resp,
    };
    let Some(person) = form.previous.as_ref().map(|c| c.person.clone()) else {
        return see_other("signin");
    };
    let again = |status: StatusCode, msg: &str| {
        pages::change_password(status, &person.name, &Kdf::fresh().salt, kdf::ITERATIONS, Some(msg))
    };
    if let Some(secs) = pace(shared, form.ip, &person.name) {
        return too_many(again(StatusCode::OK, "Too many attempts. Wait a minute, then try again."), secs);
    }
    let account = match accounts::find(&shared.db, &person.name).await {
        Ok(Some(account)) if account.id == person.account => account,
        Ok(_) => return see_other("signin"),
        Err(e) => return database_down(&e),
    };
    let (secret, salt) = (form.get("secret"), form.get("salt"));
    let key_version = form.get("key_version").parse::<i64>().ok().filter(|v| *v >= 0);
    // An account from before checks the password itself (sent this once), as at sign-in.
    let legacy = account.kdf.is_none();
    let proof = if legacy { form.get("password") } else { form.get("current") };
    // The page derives with the iteration count it was given: only today's is stored.
    let iterations_ours = form.get("iterations") == kdf::ITERATIONS.to_string();
    let (Some(key_version), true, true, true, true) = (
        key_version,
        kdf::well_formed_secret(secret),
        kdf::well_formed_salt(salt),
        legacy || kdf::well_formed_secret(proof),
        iterations_ours,
    ) else {
        let msg = "Changing the password needs JavaScript: it is turned into a key on this device and never sent.";
        return again(StatusCode::BAD_REQUEST, msg);
    };
    let key = match form.get("key") {
        "" => None,
        text => match serde_json::from_str(text).map_err(|e| e.to_string()).and_then(|v| super::sync::key_body(&v)) {
            Ok(body) => Some(body),
            Err(_) => {
                return again(StatusCode::BAD_REQUEST, "The page sent a sync key this server cannot read. Reload it.")
            }
        },
    };
    if !shared.hasher.verify(account.password_hash.clone(), proof.to_owned()).await {
        tracing::warn!("a password change gave a wrong current password");
        return again(StatusCode::UNAUTHORIZED, "That is not your current password.");
    }
    let verifier = match shared.hasher.hash_secret(secret.to_owned()).await {
        Ok(hash) => kdf::Verifier { hash, kdf: Kdf { salt: salt.to_owned(), iterations: kdf::ITERATIONS } },
        Err(e) => return database_down(&e),
    };
    match accounts::change_password(&shared.db, &account, &verifier, key_version, key.as_deref(), now_secs()).await {
        Ok(PasswordChange::Changed(account)) => {
            tracing::info!(rewrapped = key.is_some(), "a password was changed");
            with_session(shared, &account, &form, pages::password_changed()).await
        }
        Ok(PasswordChange::PasswordMoved) => see_other("signin"),
        Ok(PasswordChange::KeyMoved) => {
            again(StatusCode::CONFLICT, "Your sync key changed on another device just now. Try again.")
        }
        Err(e) => database_down(&e),
    }
}

fn invalid_invite() -> Response {
    pages::notice(
        StatusCode::NOT_FOUND,
        "This invite link does not work",
        "It was already used, has expired, or was replaced by a newer one. Ask for a new link.",
    )
}

async fn invite_page(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let shared = shared(&state);
    let token = url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    match invites::invited(&shared.db, &token, now_secs()).await {
        Ok(Some(account)) => pages::invite(StatusCode::OK, &account.name, &token, None),
        Ok(None) => invalid_invite(),
        Err(e) => database_down(&e),
    }
}

async fn use_invite(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let shared = shared(&state);
    let form = match read_form(&state, req).await {
        Ok(f) => f,
        Err(resp) => return resp,
    };
    let token = form.get("token").to_owned();
    let user = match invites::invited(&shared.db, &token, now_secs()).await {
        Ok(Some(account)) => account,
        Ok(None) => return invalid_invite(),
        Err(e) => return database_down(&e),
    };
    if let Some(secs) = pace(shared, form.ip, &user.name) {
        return too_many(
            pages::invite(StatusCode::OK, &user.name, &token, Some("Too many attempts. Wait a minute.")),
            secs,
        );
    }
    // The page checked the password's length and its repetition; only the secret comes here.
    let secret = form.get("secret").to_owned();
    if !kdf::well_formed_secret(&secret) {
        let msg = "Setting a password needs JavaScript: it is turned into a key on this device and never sent.";
        return pages::invite(StatusCode::BAD_REQUEST, &user.name, &token, Some(msg));
    }
    let (kdf, _) = accounts::kdf_of(Some(&user), &shared.salt_secret, &user.name);
    let verifier = match shared.hasher.hash_secret(secret).await {
        Ok(hash) => kdf::Verifier { hash, kdf },
        Err(e) => return database_down(&e),
    };
    // Checked again as the link is used: each link works once, on every instance.
    match invites::redeem(&shared.db, &token, &user.name, &verifier, now_secs()).await {
        Ok(Some(account)) => {
            tracing::info!("an invite was used to set a password");
            signed_in(shared, &account, &form).await
        }
        Ok(None) => invalid_invite(),
        Err(e) => database_down(&e),
    }
}
