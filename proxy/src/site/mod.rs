//! What the proxy knows about the site it serves, without serving it (that is
//! [`crate::http::site`]): its `index.html` as served, with the proxy marker and the hashes of
//! its inline scripts ([`index`]), and the Content-Security-Policy and other security headers
//! built from them ([`csp`]).

pub mod csp;
pub mod index;
