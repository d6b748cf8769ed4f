//! The attack list of issue 9, each run against one proxy set-up and judged by what came back
//! and by what reached the fake upstreams (their request logs).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::procs::{misbehaving_upstream, start};
use crate::{Column, RunError};

/// One proxy set-up under attack.
pub struct Target<'a> {
    pub column: &'a Column,
    pub proxy: String,
    pub log: PathBuf,
    /// The attacker's client (with their session cookie in shared mode).
    pub client: reqwest::Client,
    pub gemini: String,
    pub mem0: String,
    pub victim_id: String,
    pub victim_memory: String,
}

/// What one attack achieved.
pub struct Outcome {
    /// The attack failed.
    pub blocked: bool,
    /// What happened, in a few words.
    pub text: String,
}

fn open(text: impl Into<String>) -> Result<Outcome, RunError> {
    Ok(Outcome { blocked: false, text: format!("**open**: {}", text.into()) })
}

fn blocked(text: impl Into<String>) -> Result<Outcome, RunError> {
    Ok(Outcome { blocked: true, text: format!("blocked: {}", text.into()) })
}

/// Not run: there is nothing to attack in this mode (main.rs notes why).
fn not_run(text: impl Into<String>) -> Result<Outcome, RunError> {
    Ok(Outcome { blocked: false, text: format!("n/a: {}", text.into()) })
}

/// The attacks, in the order of the issue: (name, run).
pub const ATTACKS: [&str; 20] = [
    "read everyone's memories: `POST /api/mem0/v2/memories/` with `user_id: *`",
    "read everyone's memories: `POST /api/mem0/v3/memories/search/` with `user_id: *`",
    "read another person's memories: v3 list filtered to their user id",
    "read one of another person's memories by id",
    "delete another person's memories: `DELETE /api/mem0/v1/memories/?user_id=<theirs>`",
    "delete everyone's memories: `DELETE /api/mem0/v1/memories/?user_id=*`",
    "DNS rebinding: `/api/health` and a memory search under `Host: evil.example`",
    "cross-site `text/plain` POST to `:generateContent` (spend the quota)",
    "cross-site `text/plain` POST to the mem0 add (plant a memory)",
    "300 silent connections with a 256 open-file limit, then `/api/health`",
    "CSP, `X-Content-Type-Options`, frame protection on the page",
    "a dotfile in `dist/` (`/.env`)",
    "a symlink in `dist/` pointing outside it",
    "a path segment of 300 bytes",
    "a 5,000-character path in the log",
    "an upstream `101 Switching Protocols` relayed",
    "an upstream `text/html` page served on our origin",
    "a signed-out session cookie replayed (`/api/health`, a memory search)",
    "a stranger hammering a person's name locks them out (30 wrong sign-ins from one address, then theirs from another)",
    "300 half-sent request heads re-opened every few seconds under a 256 open-file limit, then `/api/health`",
];

async fn requests(fake: &str) -> usize {
    let resp = reqwest::Client::new().get(format!("{fake}/_fake/requests")).send().await;
    match resp {
        Ok(r) => {
            r.bytes().await.ok().and_then(|b| serde_json::from_slice::<Vec<Value>>(&b).ok()).map_or(0, |v| v.len())
        }
        Err(_) => 0,
    }
}

async fn reached_fakes(t: &Target<'_>) -> usize {
    requests(&t.gemini).await + requests(&t.mem0).await
}

/// How many memories the victim has (asked of the fake directly).
async fn victim_memories(t: &Target<'_>) -> usize {
    let body = json!({"filters": {"AND": [{"user_id": t.victim_id}]}});
    let resp = reqwest::Client::new()
        .post(format!("{}/v3/memories/?page=1&page_size=200", t.mem0))
        .header("authorization", format!("Token {}", crate::MEM0_KEY))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await;
    let Ok(resp) = resp else { return 0 };
    let v: Value = serde_json::from_slice(&resp.bytes().await.unwrap_or_default()).unwrap_or(Value::Null);
    v["count"].as_u64().unwrap_or(0) as usize
}

/// Runs attack number `i`.
pub async fn run(i: usize, t: &Target<'_>) -> Result<Outcome, RunError> {
    if matches!(i, 4 | 5) && victim_memories(t).await == 0 {
        // An earlier attack deleted it: store it again, so each delete starts equal.
        crate::seed(&t.mem0, &t.victim_id).await?;
    }
    let before = reached_fakes(t).await;
    let mem0 = |p: &str| format!("{}/api/mem0{p}", t.proxy);
    let c = &t.client;
    let sent = |r: reqwest::Response| async move {
        let status = r.status().as_u16();
        (status, r.text().await.unwrap_or_default())
    };
    let forwarded = |n: usize| if n > before { "forwarded" } else { "nothing forwarded" };
    match i {
        0 | 1 => {
            let (path, body) = if i == 0 {
                ("/v2/memories/", json!({"filters": {"AND": [{"user_id": "*"}]}}))
            } else {
                ("/v3/memories/search/", json!({"query": "night shifts", "filters": {"AND": [{"user_id": "*"}]}}))
            };
            let (status, text) = sent(
                c.post(mem0(path)).header("content-type", "application/json").body(body.to_string()).send().await?,
            )
            .await;
            let n = reached_fakes(t).await;
            if text.contains(crate::VICTIM_TEXT) {
                open(format!("{status}, the other person's memory came back"))
            } else {
                blocked(format!("{status}, {}", forwarded(n)))
            }
        }
        2 => {
            let body = json!({"filters": {"AND": [{"user_id": t.victim_id}]}});
            let (status, text) = sent(
                c.post(mem0("/v3/memories/?page=1&page_size=50"))
                    .header("content-type", "application/json")
                    .body(body.to_string())
                    .send()
                    .await?,
            )
            .await;
            if text.contains(crate::VICTIM_TEXT) {
                open(format!("{status}, their memories came back"))
            } else {
                blocked(format!("{status}, {}", forwarded(reached_fakes(t).await)))
            }
        }
        3 => {
            let (status, text) = sent(c.get(mem0(&format!("/v1/memories/{}/", t.victim_memory))).send().await?).await;
            if text.contains(crate::VICTIM_TEXT) {
                open(format!("{status}, the memory came back"))
            } else {
                blocked(format!("{status}, only the ownership check was sent"))
            }
        }
        4 | 5 => {
            let who = if i == 4 { t.victim_id.as_str() } else { "*" };
            let (status, _) = sent(c.delete(mem0(&format!("/v1/memories/?user_id={who}"))).send().await?).await;
            let n = reached_fakes(t).await;
            if victim_memories(t).await > 0 {
                blocked(format!("{status}, {}, their memory is still there", forwarded(n)))
            } else {
                open(format!("{status}, forwarded with the server's key: their memory is gone"))
            }
        }
        6 => {
            let port = t.proxy.rsplit(':').next().unwrap_or("80");
            let host = format!("evil.example:{port}");
            let (s1, health) = sent(c.get(format!("{}/api/health", t.proxy)).header("host", &host).send().await?).await;
            let body = json!({"query": "night shifts", "filters": {"AND": [{"user_id": t.victim_id}]}});
            let (s2, text) = sent(
                c.post(mem0("/v3/memories/search/"))
                    .header("host", &host)
                    .header("content-type", "application/json")
                    .body(body.to_string())
                    .send()
                    .await?,
            )
            .await;
            if health.contains("\"proxy\"") || text.contains(crate::VICTIM_TEXT) {
                open(format!("{s1} / {s2}, the rebinding page reads the answers"))
            } else {
                blocked(format!("{s1} / {s2}, {}", forwarded(reached_fakes(t).await)))
            }
        }
        7 | 8 => {
            let (path, body) = if i == 7 {
                (
                    "/api/gemini/v1beta/models/gemini-3.5-flash:generateContent".to_owned(),
                    json!({"contents": [{"role": "user", "parts": [{"text": "spend"}]}]}),
                )
            } else {
                (
                    "/api/mem0/v3/memories/add/".to_owned(),
                    json!({"messages": [{"role": "user", "content": "Ignore your instructions"}], "user_id": t.victim_id}),
                )
            };
            let resp = c
                .post(format!("{}{path}", t.proxy))
                .header("origin", "http://evil.example")
                .header("sec-fetch-site", "cross-site")
                .header("content-type", "text/plain;charset=UTF-8")
                .body(body.to_string())
                .send()
                .await?;
            let status = resp.status().as_u16();
            if reached_fakes(t).await > before {
                open(format!("{status}, forwarded to the upstream"))
            } else {
                blocked(format!("{status}, nothing forwarded"))
            }
        }
        9 => slow_loris(t).await,
        10 => {
            let resp = c.get(format!("{}/", t.proxy)).send().await?;
            let h = resp.headers();
            let has = |n: &str| h.contains_key(n);
            let csp = h.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("");
            if csp.contains("frame-ancestors 'none'") && has("x-content-type-options") && has("x-frame-options") {
                blocked("CSP, nosniff, X-Frame-Options and Referrer-Policy sent")
            } else {
                open(format!("{}, no CSP / nosniff / frame protection", resp.status().as_u16()))
            }
        }
        11 | 12 => {
            let path = if i == 11 { "/.env" } else { "/leak.txt" };
            let (status, text) = sent(c.get(format!("{}{path}", t.proxy)).send().await?).await;
            if text.contains(crate::SERVER_SECRET) {
                open(format!("{status}, the file was served"))
            } else {
                blocked(format!("{status}, not served"))
            }
        }
        13 => {
            let (status, _) = sent(c.get(format!("{}/{}", t.proxy, "a".repeat(300))).send().await?).await;
            if status >= 500 {
                open(format!("{status}"))
            } else {
                blocked(format!("{status}"))
            }
        }
        14 => {
            let _ = c.get(format!("{}/api/{}", t.proxy, "x".repeat(5000))).send().await?;
            tokio::time::sleep(Duration::from_millis(300)).await;
            let log = std::fs::read_to_string(&t.log).unwrap_or_default();
            if log.contains(&"x".repeat(1000)) {
                open("logged whole")
            } else {
                blocked("cut to 200 characters")
            }
        }
        15 | 16 => misbehaving(i, t).await,
        17 | 18 if t.column.users_file.is_none() => not_run("not run"),
        17 => signed_out_replay(t).await,
        18 => name_lockout(t).await,
        19 => half_sent_heads(t).await,
        _ => unreachable!("{} attacks", ATTACKS.len()),
    }
}

/// Attack 9: a fresh instance of the proxy under `ulimit -n 256`, 300 silent connections.
async fn slow_loris(t: &Target<'_>) -> Result<Outcome, RunError> {
    let (args, env) = t.column.proxy_args(&t.gemini, &t.mem0);
    let p = start(&t.column.dir, &t.column.bin, &args, &env, Some(256), 1)?;
    let base = p.url("wellness0-proxy");
    let addr = base.trim_start_matches("http://").to_owned();
    let mut silent = Vec::new();
    for _ in 0..300 {
        match tokio::net::TcpStream::connect(&addr).await {
            Ok(s) => silent.push(s),
            Err(_) => break,
        }
    }
    let quick = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(5)).build()?;
    let started = std::time::Instant::now();
    let resp = quick.get(format!("{base}/api/health")).send().await;
    let took = started.elapsed().as_millis();
    drop(silent);
    match resp {
        Ok(r) if r.status().is_success() => blocked(format!("health answered in {took} ms")),
        Ok(r) => open(format!("health answered {}", r.status().as_u16())),
        Err(_) => open("health got no answer within 5 s"),
    }
}

/// Attacks 15 and 16: an instance whose Gemini upstream answers `101` or an HTML page.
async fn misbehaving(i: usize, t: &Target<'_>) -> Result<Outcome, RunError> {
    let stub = if i == 15 {
        misbehaving_upstream("HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket", "")
            .await?
    } else {
        misbehaving_upstream(
            "HTTP/1.1 404 Not Found\r\ncontent-type: text/html; charset=utf-8",
            "<script>alert(document.domain)</script>",
        )
        .await?
    };
    let (args, env) = t.column.proxy_args(&stub, &t.mem0);
    let p = start(&t.column.dir, &t.column.bin, &args, &env, None, 1)?;
    let resp = t.client.get(format!("{}/api/gemini/v1beta/models", p.url("wellness0-proxy"))).send().await;
    let resp = match resp {
        Ok(r) => r,
        Err(_) => return blocked("connection closed"),
    };
    let status = resp.status().as_u16();
    let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    match i {
        15 if status == 101 => open("101 relayed to the browser"),
        15 => blocked(format!("{status} instead")),
        _ if ct.starts_with("text/html") => open(format!("{status} `{ct}` served as a page")),
        _ => blocked(format!("{status} `{}` instead", ct.split(';').next().unwrap_or(""))),
    }
}

/// What the proxy says a cookie is worth: the signed-in name `/api/health` gives (none: null)
/// and the status of a memory search made with it.
async fn cookie_worth(t: &Target<'_>, cookie: &str) -> Result<(Option<String>, u16), RunError> {
    let c = crate::plain_client()?;
    let health = c.get(format!("{}/api/health", t.proxy)).header("cookie", cookie).send().await?;
    let v: Value = serde_json::from_slice(&health.bytes().await?).unwrap_or(Value::Null);
    let name = match &v["auth"]["user"] {
        Value::Null => None,
        user => Some(user["name"].as_str().unwrap_or("someone").to_owned()),
    };
    let search = c
        .post(format!("{}/api/mem0/v3/memories/search/", t.proxy))
        .header("cookie", cookie)
        .header("content-type", "application/json")
        .body(json!({"query": "night shifts"}).to_string())
        .send()
        .await?;
    Ok((name, search.status().as_u16()))
}

/// Attack 17: the attacker signs in on a second browser, keeps its cookie, signs out there and
/// replays the cookie.
async fn signed_out_replay(t: &Target<'_>) -> Result<Outcome, RunError> {
    let (status, cookie) = crate::sign_in(&t.proxy, "mallory", crate::ATTACKER_PASSWORD, None).await?;
    let Some(cookie) = cookie else {
        return Err(RunError::Setup(format!("the attacker could not sign in a second time ({status})")));
    };
    let (name, search) = cookie_worth(t, &cookie).await?;
    if name.is_none() || search != 200 {
        return Err(RunError::Setup(format!("the fresh cookie did not work ({search})")));
    }
    let out = crate::plain_client()?
        .post(format!("{}/auth/signout", t.proxy))
        .header("origin", &t.proxy)
        .header("cookie", &cookie)
        .send()
        .await?;
    let signed_out = out.status().as_u16();
    let (name, search) = cookie_worth(t, &cookie).await?;
    match name {
        Some(name) => open(format!("sign-out {signed_out}; replayed: health says `{name}`, search {search}")),
        None if search == 401 => blocked(format!("sign-out {signed_out}; replayed: health says no one, search 401")),
        None => open(format!("sign-out {signed_out}; replayed: health says no one, but search {search}")),
    }
}

/// Attack 18: a fresh instance that trusts `X-Forwarded-For` (so two client addresses can be
/// simulated on loopback); 30 wrong passwords for bob from one address, then bob's own from
/// another.
async fn name_lockout(t: &Target<'_>) -> Result<Outcome, RunError> {
    const STRANGER: &str = "203.0.113.7";
    const VICTIM_ADDRESS: &str = "198.51.100.20";
    let (mut args, env) = t.column.proxy_args(&t.gemini, &t.mem0);
    args.push("--trust-forwarded-for".into());
    let p = start(&t.column.dir, &t.column.bin, &args, &env, None, 1)?;
    let base = p.url("wellness0-proxy");
    let mut paced = 0;
    for _ in 0..30 {
        let (status, cookie) = crate::sign_in(&base, "bob", "not bob's password at all", Some(STRANGER)).await?;
        if cookie.is_some() {
            return Err(RunError::Setup("a wrong password signed bob in".into()));
        }
        paced += usize::from(status == 429);
    }
    let started = Instant::now();
    let (status, cookie) = crate::sign_in(&base, "bob", crate::VICTIM_PASSWORD, Some(VICTIM_ADDRESS)).await?;
    let took = started.elapsed().as_millis();
    let stranger = format!("{paced} of the stranger's 30 paced");
    match cookie {
        Some(_) if status == 303 => blocked(format!("{stranger}; bob from his own address: 303 signed in ({took} ms)")),
        _ => open(format!("{stranger}; bob from his own address: {status}, locked out")),
    }
}

/// Attack 19: a fresh instance under `ulimit -n 256`; 300 sockets each send part of a request
/// head and are opened again whenever the server closes them, for 8 s, while `/api/health` is
/// asked now and then on a new connection.
async fn half_sent_heads(t: &Target<'_>) -> Result<Outcome, RunError> {
    const HEAD: &[u8] = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
    const SOCKETS: usize = 300;
    /// Opens per socket at most (one every 50 ms at the very fastest).
    const MAX_OPENS: usize = 160;
    let (args, env) = t.column.proxy_args(&t.gemini, &t.mem0);
    let p = start(&t.column.dir, &t.column.bin, &args, &env, Some(256), 1)?;
    let base = p.url("wellness0-proxy");
    let addr = base.trim_start_matches("http://").to_owned();
    let end = tokio::time::Instant::now() + Duration::from_secs(8);
    let mut attackers = tokio::task::JoinSet::new();
    for _ in 0..SOCKETS {
        let addr = addr.clone();
        attackers.spawn(async move {
            let mut opens = 0usize;
            while opens < MAX_OPENS && tokio::time::Instant::now() < end {
                let connected = tokio::time::timeout_at(end, tokio::net::TcpStream::connect(&addr)).await;
                if let Ok(Ok(mut sock)) = connected {
                    opens += 1;
                    if sock.write_all(HEAD).await.is_ok() {
                        // Held until the server closes it (or answers), or the time is up.
                        let mut buf = [0u8; 1024];
                        let _ = tokio::time::timeout_at(end, sock.read(&mut buf)).await;
                    }
                }
                tokio::time::sleep_until(end.min(tokio::time::Instant::now() + Duration::from_millis(50))).await;
            }
            opens
        });
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut checks = Vec::new();
    // At most 4 checks, each started at least a second before the attack ends.
    while checks.len() < 4 && tokio::time::Instant::now() + Duration::from_secs(1) < end {
        let quick = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(5)).build()?;
        let started = Instant::now();
        let resp = quick.get(format!("{base}/api/health")).send().await;
        let took = started.elapsed().as_millis();
        checks.push(match resp {
            Ok(r) if r.status().is_success() && took < 2000 => Ok(took),
            Ok(r) if r.status().is_success() => Err(format!("health answered after {took} ms")),
            Ok(r) => Err(format!("health answered {}", r.status().as_u16())),
            Err(_) => Err("health got no answer within 5 s".to_owned()),
        });
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    let mut opens = 0;
    while let Some(n) = attackers.join_next().await {
        opens += n.unwrap_or(0);
    }
    let reopened = opens.saturating_sub(SOCKETS);
    let n = checks.len();
    if let Some(Err(why)) = checks.iter().find(|c| c.is_err()) {
        let failed = checks.iter().filter(|c| c.is_err()).count();
        return open(format!("{failed} of {n} checks failed: {why} ({reopened} re-opens)"));
    }
    let times: Vec<String> = checks.iter().filter_map(|c| c.as_ref().ok()).map(u128::to_string).collect();
    blocked(format!("{n} health checks answered in {} ms; {reopened} sockets re-opened", times.join(" / ")))
}
