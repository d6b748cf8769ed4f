//! The pure request checks that run before any route: the proxy answers only to the host names
//! it serves ([`host`], against DNS rebinding), and `/api/…` takes only same-origin calls with
//! JSON bodies ([`origin`], against cross-site "simple" requests). The middlewares that apply
//! them are [`crate::http::guards`]; refused requests never reach an upstream.

pub mod host;
pub mod origin;
