//! `wellness0-proxy users add|invite|remove|list`: managing the users file from the command
//! line. Passwords are never taken as arguments (other local users can read command lines):
//! either `--password-stdin`, or an invite link the person opens to set it themselves.

use std::io::{BufRead, Write};

use super::password::{self, PasswordError};
use super::users::{now_secs, UsersError, UsersFile};
use crate::Config;

/// Default lifetime of an invite link.
pub const INVITE_HOURS: u64 = 72;

/// The proxy's subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Manage who may sign in (shared mode); needs --users-file / WELLNESS0_USERS_FILE.
    Users {
        /// What to do.
        #[command(subcommand)]
        action: UsersAction,
    },
}

/// `users …`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum UsersAction {
    /// Add a person (creates the file if needed). Prints an invite link that lets them set
    /// their password once, unless --password-stdin gives one.
    Add {
        /// The name they sign in with.
        name: String,
        /// The mem0 user id their memories live under (default: a new random id). Give their
        /// existing id to keep memories they already have.
        #[arg(long)]
        user_id: Option<String>,
        /// Read the password from the first line of standard input instead of inviting.
        #[arg(long)]
        password_stdin: bool,
        /// Hours the invite link works.
        #[arg(long, default_value_t = INVITE_HOURS)]
        invite_hours: u64,
    },
    /// Print a new invite link for someone (to set a forgotten password; earlier links stop
    /// working, and their old password keeps working until the link is used).
    Invite {
        /// Their name.
        name: String,
        /// Hours the link works.
        #[arg(long, default_value_t = INVITE_HOURS)]
        invite_hours: u64,
    },
    /// Remove someone: they are signed out at their next request. Their memories stay in mem0.
    Remove {
        /// Their name.
        name: String,
    },
    /// List everyone (never passwords).
    List,
}

/// Why a `users` command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// No users file configured.
    #[error("set --users-file or WELLNESS0_USERS_FILE to the users file")]
    NoUsersFile,
    /// The file or the change was refused.
    #[error(transparent)]
    Users(#[from] UsersError),
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

/// Runs `action` against the configured users file, printing to `out`.
pub fn run(cfg: &Config, action: &UsersAction, out: &mut impl Write, stdin: impl BufRead) -> Result<(), CliError> {
    let path = cfg.users_file.as_deref().ok_or(CliError::NoUsersFile)?;
    let link_note = |out: &mut dyn Write| -> std::io::Result<()> {
        if cfg.public_url.is_none() {
            writeln!(out, "(put your site's address in front, or set WELLNESS0_PUBLIC_URL to have it printed)")?;
        }
        Ok(())
    };
    match action {
        UsersAction::Add { name, user_id, password_stdin, invite_hours } => {
            let mut file = UsersFile::load_or_new(path)?;
            let password = if *password_stdin { Some(read_password(stdin)?) } else { None };
            let user_id = file.add(name, user_id.as_deref())?.user_id.clone();
            writeln!(out, "added {name}; their memories live under mem0 user id {user_id}")?;
            match password {
                Some(p) => {
                    file.set_password(name, password::hash(&p)?)?;
                    file.save(path)?;
                    writeln!(out, "password set")?;
                }
                None => {
                    let token = file.invite(name, invite_hours * 3600)?;
                    file.save(path)?;
                    writeln!(out, "invite link (works once, for {invite_hours} h):")?;
                    writeln!(out, "{}", invite_link(cfg.public_url.as_deref(), &token))?;
                    link_note(out)?;
                }
            }
        }
        UsersAction::Invite { name, invite_hours } => {
            let mut file = UsersFile::load(path)?;
            let token = file.invite(name, invite_hours * 3600)?;
            file.save(path)?;
            writeln!(out, "invite link for {name} (works once, for {invite_hours} h):")?;
            writeln!(out, "{}", invite_link(cfg.public_url.as_deref(), &token))?;
            link_note(out)?;
        }
        UsersAction::Remove { name } => {
            let mut file = UsersFile::load(path)?;
            let gone = file.remove(name)?;
            file.save(path)?;
            writeln!(out, "removed {}; their memories stay in mem0 under user id {}", gone.name, gone.user_id)?;
        }
        UsersAction::List => {
            let file = UsersFile::load(path)?;
            let now = now_secs();
            writeln!(out, "{:<24} {:<32} {:<9} invite", "name", "mem0 user id", "password")?;
            for u in &file.users {
                let invite = match &u.invite {
                    Some(i) if i.expires_at > now => format!("open, {} h left", (i.expires_at - now).div_ceil(3600)),
                    Some(_) => "expired".into(),
                    None => "-".into(),
                };
                let pw = if u.password.is_some() { "set" } else { "not set" };
                writeln!(out, "{:<24} {:<32} {:<9} {invite}", u.name, u.user_id, pw)?;
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
