//! Tests of the real `wellness0-proxy` binary: the start-up banner, keys read from the seed's
//! `.env` format, no keys or message bodies in the logs, and a clean exit on SIGTERM.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::Value;

use common::*;

const BIN: &str = env!("CARGO_BIN_EXE_wellness0-proxy");

/// Starts the binary in `cwd` with a clean environment (only `extra_env` and PATH) and
/// returns it with its base URL, parsed from the banner.
fn start(cwd: &Path, args: &[&str], extra_env: &[(&str, &str)]) -> (Child, String) {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(["--port", "0", "--rate-limit-per-minute", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start wellness0-proxy");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let addr = line
        .trim_end()
        .strip_prefix("wellness0-proxy listening on http://")
        .unwrap_or_else(|| panic!("unexpected banner {line:?}"))
        .to_owned();
    let sock: std::net::SocketAddr = addr.parse().expect("banner has ADDR:PORT");
    assert_eq!(sock.ip().to_string(), "127.0.0.1");
    assert_ne!(sock.port(), 0);
    (child, format!("http://{addr}"))
}

/// Sends SIGTERM, waits for a clean exit, returns stderr.
fn stop(mut child: Child) -> String {
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "no exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(exit.success(), "exit {exit:?}; stderr:\n{err}");
    err
}

#[tokio::test]
async fn keys_come_from_the_seeds_dotenv_file() {
    let fakes = Fakes::start(0).await;
    let dir = temp_dir("dotenv");
    // The seed's format: two lines, the first quoted.
    std::fs::write(dir.join(".env"), format!("GEMINI_API_KEY=\"{GEMINI_KEY}\"\nMEM0_API_KEY={MEM0_KEY}\n")).unwrap();
    let (child, base) =
        start(&dir, &["--gemini-upstream", &fakes.gemini_url(), "--mem0-upstream", &fakes.mem0_url()], &[]);
    let c = client();
    let health: Value = c.get(format!("{base}/api/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["proxy"], true);
    assert_eq!(health["gemini"]["key"], true);
    assert_eq!(health["mem0"]["key"], true);
    let resp = c
        .post(format!("{base}/api/gemini/v1beta/models/gemini-3.5-flash:generateContent"))
        .json(&generate_body("hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = c.get(format!("{base}/api/mem0/v1/ping/")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(fakes.gemini_requests()[0].headers["x-goog-api-key"], GEMINI_KEY);
    assert_eq!(fakes.mem0_requests()[0].headers["authorization"], format!("Token {MEM0_KEY}"));
    stop(child);
}

#[tokio::test]
async fn dotenv_variants_and_environment_precedence() {
    let fakes = Fakes::start(0).await;
    let dir = temp_dir("dotenv2");
    // Single quotes, spaces, `export`, a comment, CRLF line ends (a file edited on Windows).
    std::fs::write(
        dir.join(".env"),
        format!("# keys\r\nexport GEMINI_API_KEY='wrong-from-file'\r\nMEM0_API_KEY = '{MEM0_KEY}'\r\n"),
    )
    .unwrap();
    // A real environment variable wins over the file.
    let (child, base) = start(
        &dir,
        &["--gemini-upstream", &fakes.gemini_url(), "--mem0-upstream", &fakes.mem0_url()],
        &[("GEMINI_API_KEY", GEMINI_KEY)],
    );
    let c = client();
    let resp = c.get(format!("{base}/api/gemini/v1beta/models")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let resp = c.get(format!("{base}/api/mem0/v1/ping/")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    stop(child);
}

#[test]
fn a_broken_dotenv_fails_without_echoing_its_content() {
    let dir = temp_dir("dotenv3");
    std::fs::write(dir.join(".env"), "GEMINI_API_KEY=\"unterminated-secret-value\n").unwrap();
    let out = Command::new(BIN).current_dir(&dir).env_clear().args(["--port", "0"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(".env"), "{err}");
    assert!(!err.contains("unterminated-secret-value"), "{err}");
}

#[tokio::test]
async fn logs_never_contain_keys_or_message_bodies() {
    let fakes = Fakes::start(0).await;
    let dir = temp_dir("logs");
    let secret_message = "my-private-worry-about-the-exam-7q3z";
    let client_key = "client-side-key-9x8y";
    for log in ["", "debug"] {
        let mut env = vec![("GEMINI_API_KEY", GEMINI_KEY), ("MEM0_API_KEY", MEM0_KEY)];
        if !log.is_empty() {
            env.push(("RUST_LOG", log));
        }
        let (child, base) =
            start(&dir, &["--gemini-upstream", &fakes.gemini_url(), "--mem0-upstream", &fakes.mem0_url()], &env);
        let c = client();
        let resp = c
            .post(format!(
                "{base}/api/gemini/v1beta/models/gemini-3.5-flash:streamGenerateContent?alt=sse&key={client_key}"
            ))
            .header("x-goog-api-key", client_key)
            .json(&generate_body(secret_message))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let mut body = resp.bytes_stream();
        let mut reply = Vec::new();
        while let Some(chunk) = body.next().await {
            reply.extend_from_slice(&chunk.unwrap());
        }
        // The fake echoes the message, so the reply carries it too.
        assert!(String::from_utf8_lossy(&reply).contains(secret_message));
        let resp = c
            .post(format!("{base}/api/mem0/v3/memories/add/"))
            .header("authorization", format!("Token {client_key}"))
            .json(&serde_json::json!({
                "messages": [{"role": "user", "content": secret_message}],
                "user_id": "alice"
            }))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success());
        // An error path too (upstream error body).
        fakes.script_gemini(serde_json::json!({"kind": "error", "status": 429}));
        let resp = c
            .post(format!("{base}/api/gemini/v1beta/models/gemini-3.5-flash:generateContent"))
            .json(&generate_body(secret_message))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 429);

        let logs = stop(child);
        // Something was logged: method, path without query, status.
        assert!(
            logs.contains("/api/gemini/v1beta/models/gemini-3.5-flash:streamGenerateContent"),
            "RUST_LOG={log:?}:\n{logs}"
        );
        assert!(logs.contains("status=200") && logs.contains("status=429"), "{logs}");
        assert!(logs.contains("method=POST"), "{logs}");
        for secret in [GEMINI_KEY, MEM0_KEY, client_key, secret_message, "alt=sse"] {
            assert!(!logs.contains(secret), "RUST_LOG={log:?}: logs contain {secret:?}:\n{logs}");
        }
    }
}

#[tokio::test]
async fn with_256_open_files_300_silent_connections_do_not_lock_out_a_health_check() {
    // The failure this guards against: with a 256 open-file limit, 300 silent connections used
    // to stop the proxy accepting anything, forever.
    let dir = temp_dir("fdlimit");
    let mut child = Command::new("sh")
        .current_dir(&dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(["-c", &format!("ulimit -n 256 && exec {BIN} --port 0 --rate-limit-per-minute 0 --dist .")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = format!("http://{}", line.trim_end().strip_prefix("wellness0-proxy listening on http://").unwrap());
    let addr = base.trim_start_matches("http://").to_owned();
    let mut silent = Vec::new();
    for _ in 0..300 {
        silent.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    let c = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build().unwrap();
    for _ in 0..3 {
        let started = Instant::now();
        let resp = c.get(format!("{base}/api/health")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert!(started.elapsed() < Duration::from_secs(2), "health took {:?}", started.elapsed());
    }
    drop(silent);
    let logs = stop(child);
    // (256 - 32 reserved) / 2 files per connection.
    assert!(logs.contains("max_connections=112"), "{logs}");
    assert!(!logs.contains("accept failed"), "the proxy ran out of open files:\n{logs}");
}

#[tokio::test]
async fn long_paths_are_cut_in_the_log() {
    let dir = temp_dir("longlog");
    let (child, base) = start(&dir, &["--dist", "."], &[]);
    let long = format!("/api/{}", "x".repeat(5000));
    let resp = client().get(format!("{base}{long}")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    let logs = stop(child);
    let line = logs.lines().find(|l| l.contains("/api/xxx")).expect("an access log line");
    assert!(line.contains(&format!("/api/{}…", "x".repeat(195))), "{line}");
    assert!(!line.contains(&"x".repeat(196)), "{line}");
}

/// Where [`users`] and the proxy find the database: a data directory (SQLite) or, with
/// `W0_TEST_DB=postgres`, a new PostgreSQL database.
async fn database_env(dir: &Path) -> (&'static str, String) {
    if common::people::on_postgres() {
        ("WELLNESS0_DATABASE_URL", common::people::fresh_database().await)
    } else {
        ("WELLNESS0_DATA_DIR", dir.join("state").to_string_lossy().into_owned())
    }
}

/// Runs `wellness0-proxy users …` in `dir` on the database `db` with `stdin`; returns
/// (success, stdout, stderr).
fn users(dir: &Path, db: &(&str, String), args: &[&str], stdin: &str) -> (bool, String, String) {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .current_dir(dir)
        .env_clear()
        .env(db.0, &db.1)
        .env("WELLNESS0_PUBLIC_URL", "https://wellness.example/")
        .arg("users")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn users_are_managed_from_the_command_line_and_can_sign_in() {
    let dir = temp_dir("users-cli");
    let db = database_env(&dir).await;
    let users = |args: &[&str], stdin: &str| users(&dir, &db, args, stdin);
    let (ok, out, err) = users(&["add", "alice", "--password-stdin"], "a long password here\n");
    assert!(ok, "{err}");
    assert!(out.contains("added alice") && out.contains("password set"), "{out}");
    if !common::people::on_postgres() {
        let file = std::fs::read(dir.join("state/wellness0.db")).unwrap();
        let text = String::from_utf8_lossy(&file);
        assert!(text.contains("$argon2id$") && !text.contains("a long password here"), "only the hash is stored");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(dir.join("state")).unwrap().permissions().mode() & 0o777, 0o700);
        }
    }
    let (ok, out, _) = users(&["add", "bob", "--user-id", "bob-old-memories"], "");
    assert!(ok);
    assert!(out.contains("https://wellness.example/auth/invite?token="), "{out}");
    let first_link = out.lines().find(|l| l.contains("token=")).unwrap().to_owned();
    let (ok, out, _) = users(&["invite", "bob", "--invite-hours", "1"], "");
    assert!(ok && out.contains("token=") && !out.contains(&first_link), "{out}");
    let (ok, out, _) = users(&["list"], "");
    assert!(ok);
    assert!(out.lines().any(|l| l.starts_with("alice") && l.contains(" set ")), "{out}");
    assert!(
        out.lines().any(|l| l.starts_with("bob") && l.contains("bob-old-memories") && l.contains("open, 1 h left")),
        "{out}"
    );
    // Refusals: taken names, short passwords, unknown people.
    let (ok, _, err) = users(&["add", "alice"], "");
    assert!(!ok && err.contains("already someone called"), "{err}");
    let (ok, _, err) = users(&["add", "carol", "--password-stdin"], "short\n");
    assert!(!ok && err.contains("at least 10"), "{err}");
    let (ok, _, err) = users(&["add", "carol", "--user-id", "*"], "");
    assert!(!ok && err.contains("never `*`"), "{err}");
    let (ok, out, _) = users(&["remove", "bob"], "");
    assert!(ok && out.contains("bob-old-memories"), "{out}");
    let (ok, _, err) = users(&["remove", "bob"], "");
    assert!(!ok && err.contains("nobody is called"), "{err}");
    let out = Command::new(BIN).current_dir(&dir).env_clear().args(["users", "list"]).output().unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("WELLNESS0_DATA_DIR"));

    // The proxy in shared mode takes alice's password.
    let (child, base) = start(&dir, &["--dist", "."], &[(db.0, &db.1)]);
    let resp = common::people::sign_in_raw(&base, "alice", "a long password here").await;
    assert_eq!(resp.status(), 303);
    let health: Value = common::people::with_cookie(&common::people::session_pair(&resp).unwrap())
        .get(format!("{base}/api/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["auth"]["user"]["name"], "alice");
    let logs = stop(child);
    assert!(!logs.contains("a long password here"), "{logs}");
}

#[test]
fn a_network_address_without_sign_in_is_refused_at_start() {
    let dir = temp_dir("nohost");
    let out = Command::new(BIN)
        .current_dir(&dir)
        .env_clear()
        .args(["--host", "0.0.0.0", "--port", "0", "--dist", "."])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refusing to listen on 0.0.0.0 without sign-in"), "{err}");
    assert!(out.stdout.is_empty(), "no banner");
}

#[test]
fn help_documents_the_flags_and_hides_key_values() {
    let out = Command::new(BIN)
        .arg("--help")
        .env("GEMINI_API_KEY", "visible-if-leaked-1")
        .env("MEM0_API_KEY", "visible-if-leaked-2")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in ["--dist", "--gemini-upstream", "--allowed-origins", "--port"] {
        assert!(help.contains(flag), "{flag}");
    }
    assert!(!help.contains("visible-if-leaked"), "{help}");
}
