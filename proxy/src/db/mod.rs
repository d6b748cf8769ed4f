//! The proxy's database (shared mode): accounts, invites, sign-in sessions and the memory events
//! each person's adds created. One code path for both engines through sqlx's `Any` driver, with
//! queries checked at run time (written with `$1`-style parameters, which both accept):
//!
//! - **SQLite** by default: one file in the data directory, nothing to start, WAL journal, for
//!   one proxy instance;
//! - **PostgreSQL** for a `postgres://` URL: several instances behind a load balancer share it.
//!
//! Each engine has its own migrations folder (`proxy/migrations/{sqlite,postgres}`, the same
//! tables in each dialect), embedded in the binary and run at start; PostgreSQL's migrator takes
//! an advisory lock, so instances starting together do not race.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// The SQLite file a data directory holds.
pub const SQLITE_FILE: &str = "wellness0.db";

/// Which engine a database runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// One file, one instance.
    Sqlite,
    /// A server several instances share.
    Postgres,
}

/// Why the database could not be opened or used.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A URL of neither engine.
    #[error("the database URL must start with sqlite:// or postgres:// (not {0}:)")]
    Scheme(String),
    /// The SQLite file or its directory cannot be made.
    #[error("cannot prepare {dir}: {source}")]
    Dir {
        /// The directory.
        dir: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Connecting or a query failed.
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    /// A migration failed.
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// An open, migrated database.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    engine: Engine,
}

/// The URL of the SQLite file at `path` (created when missing).
pub fn sqlite_url(path: &Path) -> String {
    const PATH: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS.add(b'?').add(b'#').add(b'%').add(b' ');
    format!("sqlite://{}?mode=rwc", percent_encoding::utf8_percent_encode(&path.to_string_lossy(), PATH))
}

/// The engine a URL names.
pub fn engine_of(url: &str) -> Result<Engine, DbError> {
    let scheme = url.split(':').next().unwrap_or("").to_ascii_lowercase();
    match scheme.as_str() {
        "sqlite" => Ok(Engine::Sqlite),
        "postgres" | "postgresql" => Ok(Engine::Postgres),
        // Only the scheme: anything after it may hold a password.
        _ => Err(DbError::Scheme(scheme)),
    }
}

/// Makes the SQLite file's directory (owner only) when it is missing, and the file itself
/// readable and writable by its owner only (SQLite gives its `-wal` and `-shm` files the same
/// permissions): it holds password hashes and sessions.
fn prepare_sqlite_file(url: &str) -> Result<(), DbError> {
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?;
    let file = options.get_filename();
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty() && !d.is_dir()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(|source| DbError::Dir { dir: dir.to_path_buf(), source })?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let io = |source| DbError::Dir { dir: file.to_path_buf(), source };
        let opened = std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(file).map_err(io)?;
        opened.set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    }
    Ok(())
}

impl Db {
    /// Connects to `url` (`sqlite://…` or `postgres://…`) and runs the migrations.
    pub async fn open(url: &str) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let engine = engine_of(url)?;
        if engine == Engine::Sqlite {
            prepare_sqlite_file(url)?;
        }
        let options = AnyConnectOptions::from_str(url)?;
        let pool = match engine {
            // One writer at a time: more connections only wait on SQLite's lock.
            Engine::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(4)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Engine::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?
            }
        };
        if engine == Engine::Sqlite {
            // Persistent in the file: readers never wait on the writer.
            pool.execute("PRAGMA journal_mode = WAL").await?;
        }
        match engine {
            Engine::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            Engine::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        Ok(Self { pool, engine })
    }

    /// The connection pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The engine.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// A value of the `meta` table.
    pub async fn meta(&self, key: &str) -> Result<Option<String>, DbError> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = $1").bind(key).fetch_optional(&self.pool).await?)
    }

    /// Closes every connection (at shutdown, so SQLite folds its WAL back into the file).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_engine() {
        assert_eq!(engine_of("sqlite:///tmp/a.db").unwrap(), Engine::Sqlite);
        assert_eq!(engine_of("postgres://u@localhost/db").unwrap(), Engine::Postgres);
        assert_eq!(engine_of("postgresql://u@localhost/db").unwrap(), Engine::Postgres);
        let err = engine_of("pg://u:hunter2@host/db").unwrap_err().to_string();
        assert!(!err.contains("hunte"), "a refused URL is not echoed: {err}");
        let err = engine_of("mysql://root:secret@host/db").unwrap_err().to_string();
        assert!(!err.contains("secret"), "a refused URL is not echoed whole: {err}");
        assert_eq!(sqlite_url(Path::new("/srv/a b/w0#1.db")), "sqlite:///srv/a%20b/w0%231.db?mode=rwc");
    }
}
