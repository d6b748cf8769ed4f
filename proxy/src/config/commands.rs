//! The proxy's subcommands as `clap` parses them ([`Command`], [`UsersAction`]): part of the
//! command line; what they do is in [`crate::cli`].

/// Default lifetime of an invite link.
pub const INVITE_HOURS: u64 = 72;

/// The proxy's subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Manage who may sign in (shared mode); needs --data-dir, --database-url or --users-file.
    Users {
        /// What to do.
        #[command(subcommand)]
        action: UsersAction,
    },
}

/// `users …`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum UsersAction {
    /// Add a person (creates the database if needed). Prints an invite link that lets them set
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
