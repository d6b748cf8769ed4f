//! Shared helpers of the proxy's integration tests: a throw-away `dist/`, in-process fakes,
//! an in-process proxy on port 0, and configuration builders.

#![allow(dead_code)]

pub mod oneshot;
pub mod people;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use wellness0_fakes::control::{Controlled, RecordedRequest};
use wellness0_fakes::gemini::{GeminiConfig, GeminiState};
use wellness0_fakes::mem0::{Mem0Config, Mem0State};
use wellness0_fakes::selfhosted::{SelfHostedConfig, SelfHostedState};
use wellness0_proxy::{AppState, Config};

/// The key the fake Gemini accepts (and the proxy is configured with).
pub const GEMINI_KEY: &str = "test-gemini-key";
/// The key the fake mem0 accepts (and the proxy is configured with).
pub const MEM0_KEY: &str = "test-mem0-key";
/// The admin key of the fake self-hosted mem0 server.
pub const SELFHOSTED_KEY: &str = "test-selfhosted-key-0123456789";
/// A port nothing listens on (TCP discard; refused on loopback).
pub const DEAD_UPSTREAM: &str = "http://127.0.0.1:9";
/// Hashed names like Trunk's.
pub const WASM: &str = "wellness0-a73f03ec1421f5b3_bg.wasm";
pub const JS: &str = "wellness0-a73f03ec1421f5b3.js";
pub const CSS: &str = "main-90ec1d33041cc199.css";
/// A real Trunk name whose hash lost a leading zero (15 digits).
pub const SHORT_HASH_JS: &str = "wellness0-9fb7b68917aa50e.js";
pub const INDEX: &str = "<!doctype html><html><head><title>wellness0</title></head><body>index</body></html>\n";

/// `INDEX` as the proxy serves it: the proxy marker right after `<head>`.
pub fn served_index() -> String {
    INDEX.replacen("<head>", "<head><meta name=\"wellness0-proxy\" content=\"1\">", 1)
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh empty temp directory.
pub fn temp_dir(tag: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("wellness0-proxy-test-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A `dist/` with an index, a hashed wasm/js/css and an unhashed file.
pub fn make_dist() -> PathBuf {
    let dir = temp_dir("dist");
    std::fs::write(dir.join("index.html"), INDEX).unwrap();
    // Compressible but not trivial: a wasm header and repeated text.
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    wasm.extend("wellness0 memory and chat ".repeat(400).as_bytes());
    std::fs::write(dir.join(WASM), wasm).unwrap();
    std::fs::write(dir.join(JS), "export default function init() {}\n".repeat(20)).unwrap();
    std::fs::write(dir.join(SHORT_HASH_JS), "export {};\n").unwrap();
    std::fs::write(dir.join(CSS), "body { margin: 0; }\n".repeat(20)).unwrap();
    std::fs::write(dir.join("robots.txt"), "User-agent: *\n").unwrap();
    dir
}

/// Defaults for tests: dead upstreams, no keys, no rate limit, a fresh dist.
pub fn config() -> Config {
    let mut c = Config::defaults();
    c.port = 0;
    c.dist = make_dist();
    c.gemini_upstream = DEAD_UPSTREAM.into();
    c.mem0_base_url = Some(DEAD_UPSTREAM.into());
    c.rate_limit_per_minute = 0;
    c.connect_timeout_secs = 2;
    c
}

/// Both fakes, in process.
pub struct Fakes {
    pub gemini: Arc<GeminiState>,
    pub mem0: Arc<Mem0State>,
    pub gemini_addr: SocketAddr,
    pub mem0_addr: SocketAddr,
}

impl Fakes {
    /// Starts the fakes; `chunk_ms` paces default streamed replies.
    pub async fn start(chunk_ms: u64) -> Self {
        let gemini = GeminiState::new(GeminiConfig { api_key: GEMINI_KEY.into(), first_token_ms: 0, chunk_ms });
        let mem0 = Mem0State::new(Mem0Config { api_key: MEM0_KEY.into(), ..Mem0Config::default() });
        let gemini_addr = wellness0_fakes::spawn(wellness0_fakes::gemini::app(gemini.clone())).await;
        let mem0_addr = wellness0_fakes::spawn(wellness0_fakes::mem0::app(mem0.clone())).await;
        Self { gemini, mem0, gemini_addr, mem0_addr }
    }

    pub fn gemini_url(&self) -> String {
        format!("http://{}", self.gemini_addr)
    }

    pub fn mem0_url(&self) -> String {
        format!("http://{}", self.mem0_addr)
    }

    /// Config pointing at these fakes, with the keys they accept.
    pub fn config(&self) -> Config {
        let mut c = config();
        c.gemini_upstream = self.gemini_url();
        c.mem0_base_url = Some(self.mem0_url());
        c.gemini_api_key = Some(GEMINI_KEY.into());
        c.mem0_api_key = Some(MEM0_KEY.into());
        c
    }

    pub fn gemini_requests(&self) -> Vec<RecordedRequest> {
        self.gemini.control().requests()
    }

    pub fn mem0_requests(&self) -> Vec<RecordedRequest> {
        self.mem0.control().requests()
    }

    /// Queues Gemini script steps.
    pub fn script_gemini(&self, steps: serde_json::Value) {
        let steps = match steps {
            serde_json::Value::Array(a) => a,
            one => vec![one],
        };
        self.gemini.push_script(steps).unwrap();
    }

    /// Queues mem0 fault rules.
    pub fn script_mem0(&self, rules: serde_json::Value) {
        let rules = match rules {
            serde_json::Value::Array(a) => a,
            one => vec![one],
        };
        self.mem0.push_script(rules).unwrap();
    }
}

/// The fake self-hosted mem0 server, in process.
pub struct SelfHosted {
    pub state: Arc<SelfHostedState>,
    pub addr: SocketAddr,
}

impl SelfHosted {
    /// Starts it with [`SELFHOSTED_KEY`] as its admin key.
    pub async fn start() -> Self {
        let state = SelfHostedState::new(SelfHostedConfig { api_key: SELFHOSTED_KEY.into(), ..Default::default() });
        let addr = wellness0_fakes::spawn(wellness0_fakes::selfhosted::app(state.clone())).await;
        Self { state, addr }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.control().requests()
    }

    /// `fakes.config()` switched to this self-hosted server with its key.
    pub fn config(&self, fakes: &Fakes) -> Config {
        let mut c = fakes.config();
        c.mem0_backend = wellness0_proxy::mem0::Backend::SelfHosted;
        c.mem0_base_url = Some(self.url());
        c.mem0_api_key = Some(SELFHOSTED_KEY.into());
        c
    }
}

/// Serves the proxy in process on 127.0.0.1:0; returns its base URL.
pub async fn spawn_proxy(cfg: &Config) -> String {
    let state = AppState::new(cfg).await.expect("valid config");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(wellness0_proxy::serve(listener, state, std::future::pending(), std::time::Duration::from_secs(1)));
    format!("http://{addr}")
}

/// A reqwest client for talking to the proxy or the fakes.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// A small valid generateContent body.
pub fn generate_body(text: &str) -> serde_json::Value {
    serde_json::json!({"contents": [{"role": "user", "parts": [{"text": text}]}]})
}

/// Asserts that neither fake received any request (for refused attempts).
pub fn assert_nothing_reached(fakes: &Fakes, what: &str) {
    let g = fakes.gemini_requests();
    let m = fakes.mem0_requests();
    assert!(g.is_empty() && m.is_empty(), "{what}: {} Gemini and {} mem0 requests reached the fakes", g.len(), m.len());
}

/// Sends raw HTTP/1.1 bytes to `base` (`http://ADDR`) and returns the whole answer as text
/// (the request should say `Connection: close`).
pub async fn raw_http(base: &str, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    String::from_utf8_lossy(&buf).into_owned()
}
