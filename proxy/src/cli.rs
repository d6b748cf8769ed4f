//! What `wellness0-proxy users add|invite|remove|list` does (the subcommands themselves are
//! parsed by [`crate::config::commands`]): managing shared mode's people in the database from the
//! command line (any instance's database URL works, SQLite or PostgreSQL). Passwords are never
//! taken as arguments (other local users can read command lines): either `--password-stdin`, or
//! an invite link the person opens to set it themselves.

use std::io::{BufRead, Write};

use crate::accounts::import::import_once;
use crate::accounts::tokens::now_secs;
use crate::accounts::{self, invites, AccountError, NewAccount};
use crate::auth::password::{self, PasswordError};
use crate::auth::AuthError;
use crate::config::commands::UsersAction;
use crate::db::Db;
use crate::kdf::Kdf;
use crate::Config;

/// Why a `users` command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// No database configured.
    #[error("set --data-dir (WELLNESS0_DATA_DIR) or --database-url (WELLNESS0_DATABASE_URL)")]
    NoDatabase,
    /// The database cannot be opened or the users file imported.
    #[error(transparent)]
    Open(#[from] AuthError),
    /// The change was refused.
    #[error(transparent)]
    Account(#[from] AccountError),
    /// The password was refused.
    #[error("password refused: {0}")]
    Password(#[from] PasswordError),
    /// Reading stdin or writing stdout failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The link for an invite token.
pub fn invite_link(public_url: Option<&str>, token: &str) -> String {
    let base = public_url.map(|u| u.trim().trim_end_matches('/')).unwrap_or("");
    format!("{base}/auth/invite?token={token}")
}

/// Runs `action` against the configured database, printing to `out`.
pub async fn run(
    cfg: &Config,
    action: &UsersAction,
    out: &mut impl Write,
    stdin: impl BufRead,
) -> Result<(), CliError> {
    let url = cfg.database().ok_or(CliError::NoDatabase)?;
    let db = Db::open(&url).await.map_err(AuthError::from)?;
    if let Some(path) = &cfg.users_file {
        if let Some(n) = import_once(&db, path, now_secs()).await.map_err(AuthError::from)? {
            writeln!(out, "imported {n} people from {}", path.display())?;
        }
    }
    let result = act(cfg, &db, action, out, stdin).await;
    db.close().await;
    result
}

async fn act(
    cfg: &Config,
    db: &Db,
    action: &UsersAction,
    out: &mut impl Write,
    stdin: impl BufRead,
) -> Result<(), CliError> {
    let hours = |h: u64| i64::try_from(h.saturating_mul(3600)).unwrap_or(i64::MAX);
    let print_link = |out: &mut dyn Write, token: &str| -> std::io::Result<()> {
        writeln!(out, "{}", invite_link(cfg.public_url.as_deref(), token))?;
        if cfg.public_url.is_none() {
            writeln!(out, "(put your site's address in front, or set WELLNESS0_PUBLIC_URL to have it printed)")?;
        }
        Ok(())
    };
    match action {
        UsersAction::Add { name, user_id, password_stdin, invite_hours } => {
            let password = if *password_stdin { Some(read_password(stdin)?) } else { None };
            let now = now_secs();
            let account = accounts::add(db, NewAccount::now(name, user_id.as_deref(), now)).await?;
            writeln!(out, "added {name}; their memories live under mem0 user id {}", account.user_id)?;
            match password {
                Some(p) => {
                    // The device derives the same secret from the password and this salt at sign-in.
                    let verifier = tokio::task::spawn_blocking(move || password::verifier(&p, Kdf::fresh()))
                        .await
                        .map_err(|_| PasswordError::Hash)??;
                    accounts::set_password(db, name, &verifier, now).await?;
                    writeln!(out, "password set")?;
                }
                None => {
                    let token = invites::create(db, name, hours(*invite_hours), now).await?;
                    writeln!(out, "invite link (works once, for {invite_hours} h):")?;
                    print_link(out, &token)?;
                }
            }
        }
        UsersAction::Invite { name, invite_hours } => {
            let token = invites::create(db, name, hours(*invite_hours), now_secs()).await?;
            writeln!(out, "invite link for {name} (works once, for {invite_hours} h):")?;
            print_link(out, &token)?;
        }
        UsersAction::Remove { name } => {
            let gone = accounts::remove(db, name).await?;
            writeln!(out, "removed {}; their memories stay in mem0 under user id {}", gone.name, gone.user_id)?;
        }
        UsersAction::List => {
            let now = now_secs();
            writeln!(out, "{:<24} {:<32} {:<9} invite", "name", "mem0 user id", "password")?;
            for a in accounts::list(db).await? {
                let invite = match invites::expiry(db, a.id).await? {
                    Some(end) if end > now => format!("open, {} h left", (end - now + 3599) / 3600),
                    Some(_) => "expired".into(),
                    None => "-".into(),
                };
                let pw = if a.password_hash.is_some() { "set" } else { "not set" };
                writeln!(out, "{:<24} {:<32} {:<9} {invite}", a.name, a.user_id, pw)?;
            }
        }
    }
    Ok(())
}

fn read_password(mut stdin: impl BufRead) -> Result<String, CliError> {
    let mut line = String::new();
    stdin.read_line(&mut line)?;
    let p = line.trim_end_matches(['\r', '\n']).to_owned();
    password::check_new(&p)?;
    Ok(p)
}
