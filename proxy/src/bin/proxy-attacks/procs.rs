//! The processes an attack run needs: the fake upstreams, proxies (any build: the one under
//! test, or an older one for the "before" column), and tiny misbehaving upstreams.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::RunError;

/// A started process (killed when dropped) and the URLs its banner named.
pub struct Started {
    child: Child,
    /// `name → http://ADDR:PORT` from the `<name> listening on …` lines.
    pub urls: Vec<(String, String)>,
    /// Where its stderr goes.
    pub log: PathBuf,
}

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Started {
    /// The URL the banner gave for `name`.
    pub fn url(&self, name: &str) -> String {
        self.urls.iter().find(|(n, _)| n == name).map(|(_, u)| u.clone()).unwrap_or_default()
    }
}

/// Starts `program args…` in `dir` with exactly `env` (plus PATH), optionally under an
/// open-file limit, and waits for `banners` banner lines.
pub fn start(
    dir: &Path,
    program: &Path,
    args: &[String],
    env: &[(&str, String)],
    fd_limit: Option<u32>,
    banners: usize,
) -> Result<Started, RunError> {
    let log = dir.join(format!("{}-{}.log", program.file_name().unwrap_or_default().to_string_lossy(), rand_tag()));
    let mut cmd = match fd_limit {
        Some(n) => {
            let mut c = Command::new("sh");
            c.arg("-c").arg(format!("ulimit -n {n} && exec \"$0\" \"$@\"")).arg(program).args(args);
            c
        }
        None => {
            let mut c = Command::new(program);
            c.args(args);
            c
        }
    };
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).map_err(RunError::io("log file"))?);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().map_err(RunError::io("start a process"))?;
    let mut out = BufReader::new(child.stdout.take().expect("piped"));
    let mut started = Started { child, urls: Vec::new(), log };
    while started.urls.len() < banners {
        let mut line = String::new();
        // Blocks until a line or exit; the programs print their banner at once.
        if out.read_line(&mut line).map_err(RunError::io("read a banner"))? == 0 {
            return Err(RunError::Setup(format!("{} exited: see {}", program.display(), started.log.display())));
        }
        if let Some((name, url)) = line.split_once(" listening on ") {
            started.urls.push((name.trim().to_owned(), url.trim().to_owned()));
        }
    }
    Ok(started)
}

fn rand_tag() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// A one-file upstream that answers every request with `head` (status line and headers) and
/// `body`, then keeps the connection a moment: an HTML error page, or a `101`.
pub async fn misbehaving_upstream(head: &'static str, body: &'static str) -> Result<String, RunError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(RunError::io("bind a stub"))?;
    let url = format!("http://{}", listener.local_addr().map_err(RunError::io("stub address"))?);
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 8192];
                let _ = sock.read(&mut buf).await;
                let answer = format!("{head}\r\ncontent-length: {}\r\n\r\n{body}", body.len());
                let _ = sock.write_all(answer.as_bytes()).await;
                tokio::time::sleep(Duration::from_secs(2)).await;
            });
        }
    });
    Ok(url)
}
