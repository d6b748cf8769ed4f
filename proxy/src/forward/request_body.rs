//! Reading a client's request body: at most `--max-body-bytes` (413 beyond), and no stall
//! longer than `--client-body-timeout-secs` between pieces (408), so a client trickling a
//! body cannot hold a request open forever.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::header;
use bytes::BytesMut;
use http_body_util::BodyExt;

use crate::error::{Api, AppError};

/// Reads the request body with a size limit and a stall timeout; `api` (an upstream's, or
/// `None` for the proxy's own calls) decides the format of the error.
pub async fn read_body(
    req: Request,
    api: impl Into<Option<Api>>,
    limit: usize,
    stall: Duration,
) -> Result<Bytes, AppError> {
    let api = api.into();
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(AppError::BodyTooLarge { api, limit });
    }
    let mut body = req.into_body();
    let mut buf = BytesMut::new();
    loop {
        let frame = match tokio::time::timeout(stall, body.frame()).await {
            Err(_) => return Err(AppError::BodyTimeout { api, after: stall }),
            Ok(None) => break,
            Ok(Some(Err(_))) => return Err(AppError::BodyRead(api)),
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return Err(AppError::BodyTooLarge { api, limit });
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}
