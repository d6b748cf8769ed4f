//! Section 2: what shared mode costs. The same calls through the personal-mode proxy and
//! through a shared-mode proxy with a signed-in session, interleaved in one run: a Gemini
//! call (session check only), a memory search (session check and filter rewrite) and reading
//! one memory (session check and an ownership read upstream first). Also the time a sign-in
//! takes (Argon2id).

use std::sync::Arc;
use std::time::Instant;

use serde_json::{json, Value};

use crate::latency::{latency_run, merge, Latency, MakeRequest};
use crate::{ensure_loopback, row, Args, LoadError, MODEL};

/// Signs in; returns the `cookie` header value and the bound mem0 user id.
async fn sign_in(client: &reqwest::Client, base: &str, user: &str, password: &str) -> Result<String, LoadError> {
    // As the sign-in page does: the secret derived from the password (remembered after the first).
    let fields = wellness0_proxy::kdf::sign_in_fields(client, base, user, password).await;
    let fields = fields.map_err(|e| LoadError::Failed(format!("signing in as {user}: {e}")))?;
    let form = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&fields).finish();
    let resp = client
        .post(format!("{base}/auth/signin"))
        .header("origin", base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await?;
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{}=", wellness0_proxy::auth::session::COOKIE_NAME)))
        .map(|v| v.split(';').next().unwrap_or("").to_owned())
        .ok_or_else(|| LoadError::Failed(format!("signing in as {user} failed: {}", resp.status())))
}

/// Prints the comparison table.
pub async fn compare(args: &Args, client: &reqwest::Client) -> Result<(), LoadError> {
    let Some(shared) = args.shared_proxy.as_deref() else {
        return Ok(());
    };
    ensure_loopback(shared)?;
    // No redirects: a sign-in answers 303 with the cookie.
    let plain = reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build()?;
    let mut signins = Vec::new();
    let mut cookie = String::new();
    for _ in 0..20 {
        let t = Instant::now();
        cookie = sign_in(&plain, shared, &args.user, &args.password).await?;
        signins.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    signins.sort_by(f64::total_cmp);
    let health: Value = serde_json::from_slice(
        &client.get(format!("{shared}/api/health")).header("cookie", &cookie).send().await?.bytes().await?,
    )
    .unwrap_or(Value::Null);
    let user_id = health["auth"]["user"]["user_id"].as_str().unwrap_or_default().to_owned();
    // One memory of the person, stored at once (infer: false).
    let add = json!({"messages": [{"role": "user", "content": "I sleep better after a walk"}], "infer": false});
    let added: Value = serde_json::from_slice(
        &client
            .post(format!("{shared}/api/mem0/v3/memories/add/"))
            .header("cookie", &cookie)
            .header("content-type", "application/json")
            .body(add.to_string())
            .send()
            .await?
            .bytes()
            .await?,
    )
    .unwrap_or(Value::Null);
    let memory = added["results"][0]["id"].as_str().unwrap_or_default().to_owned();
    if user_id.is_empty() || memory.is_empty() {
        return Err(LoadError::Failed(format!("setting up the shared-mode run failed: {health} {added}")));
    }
    let generate = json!({"contents": [{"role": "user", "parts": [{"text": "How do I keep calm?"}]}]}).to_string();
    let search = json!({"query": "sleep walk", "filters": {"AND": [{"user_id": user_id}]}, "top_k": 8}).to_string();
    let calls: [(&str, &str, String, Option<String>); 3] = [
        ("generateContent", "POST", format!("/api/gemini/v1beta/models/{MODEL}:generateContent"), Some(generate)),
        ("memory search", "POST", "/api/mem0/v3/memories/search/".into(), Some(search)),
        ("one memory", "GET", format!("/api/mem0/v1/memories/{memory}/"), None),
    ];
    println!(
        "### What shared mode costs: personal vs shared (signed in), {} requests per call and mode, concurrency {}\n",
        args.requests / 2,
        args.concurrency
    );
    println!("| call, mode | ok | errors | req/s | mean ms | p50 ms | p90 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut added_rows = Vec::new();
    for (name, method, path, body) in calls {
        let make = |base: &str, cookie: Option<String>| -> MakeRequest {
            let (url, method, body) = (format!("{base}{path}"), method.to_owned(), body.clone());
            Arc::new(move |c: &reqwest::Client| {
                let mut r = c.request(method.parse().expect("a method"), &url);
                if let Some(b) = &body {
                    r = r.header("content-type", "application/json").body(b.clone());
                }
                match &cookie {
                    Some(k) => r.header("cookie", k),
                    None => r,
                }
            })
        };
        let personal = make(&args.proxy, None);
        let signed_in = make(shared, Some(cookie.clone()));
        for m in [&personal, &signed_in] {
            latency_run("warm-up", client, m.clone(), 100, args.concurrency).await?;
        }
        let mut runs: Vec<Latency> = Vec::new();
        for _ in 0..2 {
            runs.push(latency_run("personal", client, personal.clone(), args.requests / 4, args.concurrency).await?);
            runs.push(latency_run("shared", client, signed_in.clone(), args.requests / 4, args.concurrency).await?);
        }
        let mut p = merge("personal", runs.iter().filter(|r| r.name == "personal"));
        let mut s = merge("shared", runs.iter().filter(|r| r.name == "shared"));
        p.name = format!("{name}, personal");
        s.name = format!("{name}, shared");
        row(&p);
        row(&s);
        added_rows.push((name, s.pct(50.0) - p.pct(50.0), s.pct(99.0) - p.pct(99.0)));
    }
    println!();
    println!("| added by shared mode | p50 ms | p99 ms |");
    println!("|---|---:|---:|");
    for (name, p50, p99) in added_rows {
        println!("| {name} | {p50:+.2} | {p99:+.2} |");
    }
    let pct = |p: f64| signins[((p / 100.0) * (signins.len() - 1) as f64).round() as usize];
    println!(
        "\nA sign-in (Argon2id, m=19 MiB, t=2) took {:.1} ms p50, {:.1} ms max over {} sign-ins.\n",
        pct(50.0),
        pct(100.0),
        signins.len()
    );
    Ok(())
}
