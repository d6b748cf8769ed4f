//! `proxy-attacks`: runs the attack list of issue 9 against proxy builds and prints a table
//! (not a test; loopback only, against the fakes). Columns: an older build in personal and in
//! shared mode (`--before`, optional), this build in personal mode, and this build in shared
//! mode with the attacker signed in as another person. Exits non-zero if an attack gets through
//! this build where it must not: anything in shared mode; in personal mode anything but the
//! calls that act on named memories (there the one person at the keyboard owns all of them) and
//! the sign-in attacks (nobody signs in there).
//!
//! `proxy/attacks.sh` builds the binaries and runs it.

mod attacks;
mod procs;

use std::path::{Path, PathBuf};

use clap::Parser;
use serde_json::{json, Value};

use attacks::{Target, ATTACKS};
use procs::start;

/// What a memory of the victim says (looked for in answers).
pub const VICTIM_TEXT: &str = "Works night shifts at the hospital and sleeps badly";
/// What the server's private files say (looked for in answers).
pub const SERVER_SECRET: &str = "server-private-file-contents-3141";
const GEMINI_KEY: &str = "test-gemini-key";
pub const MEM0_KEY: &str = "test-mem0-key";
pub const ATTACKER_PASSWORD: &str = "mallory's long password";
/// The victim's password (the sign-in attacks need one; nobody else knows it).
pub const VICTIM_PASSWORD: &str = "bob's own long password";
/// Attacks that act on named memories: by design in personal mode.
const PERSONAL_BY_DESIGN: [usize; 3] = [2, 3, 4];
/// Attacks on sign-in: personal mode has none (the attack is not run there).
pub const PERSONAL_NO_SIGNIN: [usize; 2] = [17, 18];

/// Runs issue 9's attack list against wellness0-proxy builds (loopback only).
#[derive(Debug, Parser)]
struct Args {
    /// The proxy binary to attack.
    #[arg(long)]
    after: PathBuf,
    /// An older proxy binary for the "before" column (personal mode only).
    #[arg(long)]
    before: Option<PathBuf>,
    /// The `fakes` binary.
    #[arg(long)]
    fakes: PathBuf,
}

/// Why a run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Setting something up failed.
    #[error("{0}")]
    Setup(String),
    /// An I/O step failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The error.
        source: std::io::Error,
    },
    /// An HTTP call failed outright.
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
}

impl RunError {
    fn io(what: &'static str) -> impl Fn(std::io::Error) -> RunError {
        move |source| RunError::Io { what, source }
    }
}

/// One column of the table: a build and a mode.
pub struct Column {
    pub title: &'static str,
    pub bin: PathBuf,
    pub dir: PathBuf,
    /// Shared mode's users file (the attacker is in it).
    pub users_file: Option<PathBuf>,
}

impl Column {
    /// The proxy's command line and environment for these upstreams.
    pub fn proxy_args(&self, gemini: &str, mem0: &str) -> (Vec<String>, Vec<(&'static str, String)>) {
        let args = ["--host", "127.0.0.1", "--port", "0", "--dist", "dist", "--rate-limit-per-minute", "0"]
            .into_iter()
            .map(str::to_owned)
            .chain(["--gemini-upstream".into(), gemini.into(), "--mem0-upstream".into(), mem0.into()])
            .collect();
        let mut env = vec![("GEMINI_API_KEY", GEMINI_KEY.to_owned()), ("MEM0_API_KEY", MEM0_KEY.to_owned())];
        if let Some(f) = &self.users_file {
            env.push(("WELLNESS0_USERS_FILE", f.display().to_string()));
        }
        (args, env)
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Args::parse()).await {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("proxy-attacks: an attack got through");
            std::process::ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("proxy-attacks: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// A working directory with a site that holds a dotfile and a symlink to a private file.
fn make_dir() -> Result<PathBuf, RunError> {
    let dir = std::env::temp_dir().join(format!("wellness0-attacks-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let dist = dir.join("dist");
    std::fs::create_dir_all(&dist).map_err(RunError::io("make dist"))?;
    let io = RunError::io("write the site");
    std::fs::write(dist.join("index.html"), "<!doctype html><html><head><title>w</title></head><body></body></html>")
        .map_err(&io)?;
    std::fs::write(dist.join(".env"), format!("GEMINI_API_KEY={SERVER_SECRET}\n")).map_err(&io)?;
    std::fs::write(dir.join("private.txt"), SERVER_SECRET).map_err(&io)?;
    std::os::unix::fs::symlink(dir.join("private.txt"), dist.join("leak.txt")).map_err(&io)?;
    Ok(dir)
}

/// Adds the attacker and the victim (each with a password; the victim's memories under
/// `victim`) to a new users file `file` with `bin users add` (this build imports it into the
/// database beside it; an older build keeps the file itself).
fn make_users(bin: &Path, dir: &Path, file: PathBuf, victim: &str) -> Result<PathBuf, RunError> {
    use std::io::Write;
    for (name, extra, stdin) in [
        ("mallory", vec!["--password-stdin"], format!("{ATTACKER_PASSWORD}\n")),
        ("bob", vec!["--user-id", victim, "--password-stdin"], format!("{VICTIM_PASSWORD}\n")),
    ] {
        let mut child = std::process::Command::new(bin)
            .current_dir(dir)
            .env_clear()
            .env("WELLNESS0_USERS_FILE", &file)
            .args(["users", "add", name])
            .args(extra)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .map_err(RunError::io("run users add"))?;
        child.stdin.take().expect("piped").write_all(stdin.as_bytes()).map_err(RunError::io("write a password"))?;
        if !child.wait().map_err(RunError::io("users add"))?.success() {
            return Err(RunError::Setup(format!("users add {name} failed")));
        }
    }
    Ok(file)
}

/// Stores the victim's memory straight in the fake; returns its id.
pub async fn seed(mem0: &str, victim: &str) -> Result<String, RunError> {
    let body = json!({"messages": [{"role": "user", "content": VICTIM_TEXT}], "user_id": victim, "infer": false});
    let resp = reqwest::Client::new()
        .post(format!("{mem0}/v3/memories/add/"))
        .header("authorization", format!("Token {MEM0_KEY}"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await?;
    let v: Value = serde_json::from_slice(&resp.bytes().await?).unwrap_or(Value::Null);
    v["results"][0]["id"].as_str().map(str::to_owned).ok_or(RunError::Setup("seeding the fake failed".into()))
}

/// Runs every attack against one column; returns the outcomes.
async fn run_column(col: &Column, fakes_bin: &Path, victim: &str) -> Result<Vec<attacks::Outcome>, RunError> {
    let args: Vec<String> =
        ["--gemini-port", "0", "--mem0-port", "0", "--gemini-key", GEMINI_KEY, "--mem0-key", MEM0_KEY]
            .into_iter()
            .map(str::to_owned)
            .collect();
    let fakes = start(&col.dir, fakes_bin, &args, &[], None, 2)?;
    let (gemini, mem0) = (fakes.url("gemini"), fakes.url("mem0"));
    let victim_memory = seed(&mem0, victim).await?;
    let (pargs, env) = col.proxy_args(&gemini, &mem0);
    let proxy = start(&col.dir, &col.bin, &pargs, &env, None, 1)?;
    let base = proxy.url("wellness0-proxy");
    let client = attacker_client(col, &base).await?;
    let target = Target {
        column: col,
        proxy: base,
        log: proxy.log.clone(),
        client,
        gemini,
        mem0,
        victim_id: victim.into(),
        victim_memory,
    };
    let mut out = Vec::new();
    for i in 0..ATTACKS.len() {
        out.push(attacks::run(i, &target).await?);
    }
    Ok(out)
}

/// A client that follows no redirects and gives up on a call after 15 s.
pub fn plain_client() -> Result<reqwest::Client, RunError> {
    let builder = reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none());
    Ok(builder.timeout(std::time::Duration::from_secs(15)).build()?)
}

/// Posts the sign-in form of `base` (from its own origin, as its page does), optionally as
/// coming through a proxy from `forwarded_for`; returns the status and the session cookie
/// (`name=value`) when one was set.
pub async fn sign_in(
    base: &str,
    name: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> Result<(u16, Option<String>), RunError> {
    // As the sign-in page does: the secret derived from the password, never the password.
    let fields = wellness0_proxy::kdf::sign_in_fields(&plain_client()?, base, name, password).await;
    let fields = fields.map_err(|e| RunError::Setup(format!("sign-in parameters: {e}")))?;
    let form = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&fields).finish();
    let mut req = plain_client()?
        .post(format!("{base}/auth/signin"))
        .header("origin", base)
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(ip) = forwarded_for {
        req = req.header("x-forwarded-for", ip);
    }
    let resp = req.body(form).send().await?;
    let cookie = resp
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .filter(|c| c.split_once('=').is_some_and(|(_, v)| !v.is_empty()))
        .map(str::to_owned);
    Ok((resp.status().as_u16(), cookie))
}

/// The attacker's client: in shared mode signed in as mallory.
async fn attacker_client(col: &Column, base: &str) -> Result<reqwest::Client, RunError> {
    let builder = || reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none());
    if col.users_file.is_none() {
        return Ok(builder().build()?);
    }
    let (_, cookie) = sign_in(base, "mallory", ATTACKER_PASSWORD, None).await?;
    let cookie = cookie.ok_or(RunError::Setup("the attacker could not sign in".into()))?;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, cookie.parse().map_err(|_| RunError::Setup("bad cookie".into()))?);
    Ok(builder().default_headers(headers).build()?)
}

async fn run(mut args: Args) -> Result<bool, RunError> {
    // The processes run in a work directory: make the paths absolute first.
    let absolute = |p: &Path| std::fs::canonicalize(p).map_err(RunError::io("find a binary"));
    args.after = absolute(&args.after)?;
    args.fakes = absolute(&args.fakes)?;
    args.before = args.before.as_deref().map(absolute).transpose()?;
    let dir = make_dir()?;
    let victim = "w0-bob";
    let mut columns = Vec::new();
    if let Some(before) = &args.before {
        columns.push(Column {
            title: "before, personal mode",
            bin: before.clone(),
            dir: dir.clone(),
            users_file: None,
        });
        // Its own users file, in the older build's format (made by that build).
        let old = dir.join("before");
        std::fs::create_dir_all(&old).map_err(RunError::io("make the older build's directory"))?;
        let users_file = Some(make_users(before, &dir, old.join("users.json"), victim)?);
        columns.push(Column {
            title: "before, shared mode (signed in as another person)",
            bin: before.clone(),
            dir: dir.clone(),
            users_file,
        });
    }
    columns.push(Column { title: "after, personal mode", bin: args.after.clone(), dir: dir.clone(), users_file: None });
    let users_file = Some(make_users(&args.after, &dir, dir.join("users.json"), victim)?);
    columns.push(Column {
        title: "after, shared mode (signed in as another person)",
        bin: args.after.clone(),
        dir: dir.clone(),
        users_file,
    });
    let mut results = Vec::new();
    for col in &columns {
        eprintln!("attacking: {}", col.title);
        results.push(run_column(col, &args.fakes, victim).await?);
    }
    println!("| attack | {} |", columns.iter().map(|c| c.title).collect::<Vec<_>>().join(" | "));
    println!("|---|{}", "---|".repeat(columns.len()));
    let mut ok = true;
    for (i, name) in ATTACKS.iter().enumerate() {
        let mut row = format!("| {} | ", i + 1);
        row.push_str(name);
        for (col, res) in columns.iter().zip(&results) {
            let o = &res[i];
            let personal = col.users_file.is_none();
            let one_owner = personal && PERSONAL_BY_DESIGN.contains(&i);
            let no_signin = personal && PERSONAL_NO_SIGNIN.contains(&i);
            let is_after = col.bin == args.after;
            if is_after && !o.blocked && !one_owner && !no_signin {
                ok = false;
            }
            let note = match (o.blocked, one_owner, no_signin) {
                (false, true, _) => " (one owner: by design)",
                (false, _, true) => " (personal mode has no sign-in: by design)",
                _ => "",
            };
            row.push_str(&format!(" | {}{note}", o.text));
        }
        println!("{row} |");
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(ok)
}
