//! The proxy's own pages for shared mode: sign in, set a password from an invite, change it, and a few
//! short notices. Plain HTML forms whose password fields have no name (the browser never sends
//! them) and one script of our own ([`SCRIPT`], allowed by the CSP's `script-src 'self'`) that
//! turns the password into the secret the form sends ([`crate::kdf`]); labels
//! tied to their fields, errors announced (`role="alert"`) and linked with
//! `aria-describedby`, and a stylesheet ([`STYLESHEET`]) that follows the light/dark setting and
//! fits a phone. Links are relative, so the pages also work under a path prefix.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::password::MIN_PASSWORD_CHARS;

/// The pages' stylesheet, served at `auth/style.css`.
pub const STYLESHEET: &str = include_str!("signin.css");
/// The pages' script, served at `auth/signin.js`.
pub const SCRIPT: &str = include_str!("signin.js");
/// The app's own key module, served at `auth/keys.js` for the password page to wrap the sync
/// data key anew with (one implementation of the key format, not two).
pub const KEYS_SCRIPT: &str = include_str!("../../../src/sync/keys.js");

/// Said where the script cannot run.
const NEEDS_SCRIPT: &str = "<noscript><p class=\"error\">Signing in needs JavaScript: your password is turned into a \
    key on this device and never sent.</p></noscript>\n";

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page linking `stylesheet` (relative to the page).
fn page(status: StatusCode, title: &str, stylesheet: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n<title>{title} · wellness0</title>\n\
         <link rel=\"stylesheet\" href=\"{stylesheet}\">\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n",
        title = escape(title),
    );
    let mut resp = (status, Html(html)).into_response();
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn error_block(error: Option<&str>) -> String {
    match error {
        Some(e) => format!("<p class=\"error\" id=\"form-error\" role=\"alert\">{}</p>\n", escape(e)),
        None => String::new(),
    }
}

fn described_by(error: Option<&str>) -> &'static str {
    if error.is_some() {
        " aria-describedby=\"form-error\" aria-invalid=\"true\""
    } else {
        ""
    }
}

/// The sign-in page (served at `auth/signin`).
pub fn sign_in(status: StatusCode, name: &str, error: Option<&str>) -> Response {
    let body = format!(
        "<h1>Sign in</h1>\n<p>This wellness0 is shared. Sign in to reach your own conversations and memories.</p>\n\
         {NEEDS_SCRIPT}{error_block}<form method=\"post\" action=\"signin\" data-derive>\n\
         <label for=\"name\">Name</label>\n\
         <input type=\"text\" id=\"name\" name=\"name\" value=\"{name}\" autocomplete=\"username\" \
         autocapitalize=\"none\" spellcheck=\"false\" required maxlength=\"64\"{aria}>\n\
         <label for=\"password\">Password</label>\n\
         <input type=\"password\" id=\"password\" autocomplete=\"current-password\" required{aria}>\n\
         <button type=\"submit\">Sign in</button>\n</form>\n<script src=\"signin.js\" defer></script>",
        error_block = error_block(error),
        name = escape(name),
        aria = described_by(error),
    );
    page(status, "Sign in", "style.css", &body)
}

/// A new password's two fields (`#password`, with its length hint, and `#confirm`), as the
/// invite and the change pages ask for it.
fn new_password_fields(repeat_label: &str, error: Option<&str>) -> String {
    format!(
        "<label for=\"password\">New password</label>\n\
         <input type=\"password\" id=\"password\" autocomplete=\"new-password\" required \
         minlength=\"{min}\" aria-describedby=\"password-hint{err_id}\">\n\
         <p class=\"hint\" id=\"password-hint\">At least {min} characters.</p>\n\
         <label for=\"confirm\">{repeat_label}</label>\n\
         <input type=\"password\" id=\"confirm\" autocomplete=\"new-password\" required \
         minlength=\"{min}\"{aria}>\n",
        min = MIN_PASSWORD_CHARS,
        err_id = if error.is_some() { " form-error" } else { "" },
        aria = described_by(error),
    )
}

/// The page that sets a password from an invite (served at `auth/invite`).
pub fn invite(status: StatusCode, name: &str, token: &str, error: Option<&str>) -> Response {
    let body = format!(
        "<h1>Welcome, {name}</h1>\n<p>Choose a password for signing in to this wellness0.</p>\n\
         {NEEDS_SCRIPT}{error_block}<form method=\"post\" action=\"invite\" data-derive>\n\
         <input type=\"hidden\" name=\"token\" value=\"{token}\">\n\
         <input type=\"text\" name=\"name\" value=\"{name}\" autocomplete=\"username\" hidden>\n\
         {fields}<button type=\"submit\">Set password and sign in</button>\n</form>\n<script src=\"signin.js\" defer></script>",
        name = escape(name),
        token = escape(token),
        error_block = error_block(error),
        fields = new_password_fields("Repeat the password", error),
    );
    page(status, "Set your password", "style.css", &body)
}

/// A short notice with a link back to the sign-in page.
pub fn notice(status: StatusCode, title: &str, text: &str) -> Response {
    let body =
        format!("<h1>{}</h1>\n<p>{}</p>\n<p><a href=\"signin\">Go to sign in</a></p>", escape(title), escape(text));
    page(status, title, "style.css", &body)
}

/// Said once a password change went through; its script hands the new password's wrapping key
/// (kept aside by the change page until now) to the app.
pub fn password_changed() -> Response {
    let body = "<h1 data-password-changed>Your password is changed</h1>\n<p>Your other devices are signed out: \
        sign in on them with the new password.</p>\n<p><a href=\"../\">Back to wellness0</a></p>\n\
        <script src=\"signin.js\" defer></script>";
    page(StatusCode::OK, "Your password is changed", "style.css", body)
}

/// The page that changes the signed-in person's password (served at `auth/password`). `salt`
/// is the new password's, made by the server; the script wraps the sync data key anew.
pub fn change_password(status: StatusCode, name: &str, salt: &str, iterations: u32, error: Option<&str>) -> Response {
    let body = format!(
        "<h1>Change your password</h1>\n<p>Signed in as {name}. Your other devices are signed out when it \
         changes; sign in there with the new password. Your synced sessions stay as they are: their key \
         is wrapped again for the new password, and your recovery code still opens them.</p>\n\
         {NEEDS_SCRIPT}{error_block}<form method=\"post\" action=\"password\" data-derive=\"change\">\n\
         <input type=\"hidden\" name=\"salt\" value=\"{salt}\">\n\
         <input type=\"hidden\" name=\"iterations\" value=\"{iterations}\">\n\
         <input type=\"text\" name=\"name\" value=\"{name}\" autocomplete=\"username\" hidden>\n\
         <label for=\"current\">Current password</label>\n\
         <input type=\"password\" id=\"current\" autocomplete=\"current-password\" required{aria}>\n\
         {fields}<button type=\"submit\">Change password</button>\n</form>\n\
         <p><a href=\"../\">Back to wellness0</a></p>\n<script src=\"signin.js\" defer></script>",
        name = escape(name),
        salt = escape(salt),
        error_block = error_block(error),
        fields = new_password_fields("Repeat the new password", error),
        aria = described_by(error),
    );
    page(status, "Change your password", "style.css", &body)
}

/// Served instead of a page when another site linked here: a `SameSite=Strict` cookie is not
/// sent with such a navigation, so the page reloads itself once (now a same-site navigation,
/// cookie included) before concluding nobody is signed in.
pub fn same_site_reload() -> Response {
    let html = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
        <meta http-equiv=\"refresh\" content=\"0\">\n<meta name=\"color-scheme\" content=\"light dark\">\n\
        <title>wellness0</title>\n</head>\n<body>\n<p><a href=\"\">Continue to wellness0</a></p>\n</body>\n</html>\n";
    let mut resp = Html(html).into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }
}
