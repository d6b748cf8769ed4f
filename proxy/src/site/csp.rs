//! The security headers the proxy puts on every response: the one Content-Security-Policy
//! ([`content_security_policy`], built here and nowhere else) and the fixed headers
//! ([`FIXED_HEADERS`]). The middleware that adds them is [`crate::http::security`].
//!
//! The policy, and why each part:
//! - `default-src 'none'`: nothing loads unless listed below.
//! - `script-src 'self' 'wasm-unsafe-eval' 'sha256-…'`: the app's own JS files, compiling its
//!   wasm, and the inline start-up script(s) of `index.html` by hash (computed from the served
//!   file, see [`super::index`]). No other inline script, no `eval`.
//! - `style-src 'self'`: the app's stylesheet; no inline styles.
//! - `img-src 'self' data:`: the app's icons and small inline images.
//! - `connect-src 'self'`: behind the proxy the page talks only to `/api/…` on its own origin.
//! - `manifest-src 'self'; worker-src 'self'`: the web app manifest and the service worker.
//! - `frame-ancestors 'none'`: no other site may frame the app (clickjacking).
//! - `base-uri 'none'`: an injected `<base>` cannot redirect relative URLs.
//! - `form-action 'self'`: only because of the sign-in form (shared mode), which posts to the
//!   proxy itself; the app has no forms that submit anywhere.

/// The Content-Security-Policy for the given inline-script hashes (`'sha256-…'` sources).
pub fn content_security_policy(script_hashes: &[String]) -> String {
    let mut script_src = String::from("'self' 'wasm-unsafe-eval'");
    for h in script_hashes {
        script_src.push(' ');
        script_src.push_str(h);
    }
    format!(
        "default-src 'none'; script-src {script_src}; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
         manifest-src 'self'; worker-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
}

/// Powerful features no part of the app uses, switched off for every frame.
pub const PERMISSIONS_POLICY: &str = "accelerometer=(), autoplay=(), camera=(), display-capture=(), \
     geolocation=(), gyroscope=(), hid=(), magnetometer=(), microphone=(), midi=(), payment=(), \
     publickey-credentials-get=(), serial=(), usb=(), xr-spatial-tracking=()";

/// The fixed headers (everything but the CSP).
pub const FIXED_HEADERS: [(&str, &str); 6] = [
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("permissions-policy", PERMISSIONS_POLICY),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
];

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn policy_lists_the_hashes_in_script_src_only() {
        let csp = content_security_policy(&["'sha256-abc='".into(), "'sha256-def='".into()]);
        assert!(
            csp.starts_with("default-src 'none'; script-src 'self' 'wasm-unsafe-eval' 'sha256-abc=' 'sha256-def=';")
        );
        for part in [
            "style-src 'self';",
            "img-src 'self' data:;",
            "connect-src 'self';",
            "frame-ancestors 'none';",
            "base-uri 'none';",
            "form-action 'self'",
        ] {
            assert!(csp.contains(part), "{part} missing from {csp}");
        }
        assert!(!csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"));
        assert!(HeaderValue::from_str(&csp).is_ok());
        assert!(HeaderValue::from_str(PERMISSIONS_POLICY).is_ok());
    }
}
