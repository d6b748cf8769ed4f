//! Browser glue: `fetch`, storage, timers and downloads. No app logic lives here; everything
//! above it reaches the browser through these few functions.

pub mod download;
pub mod fetch;
pub mod storage;
pub mod time;
