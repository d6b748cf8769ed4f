//! Loading the `.env` file from the working directory into the environment before the
//! command line is parsed (real environment variables win).

use std::path::{Path, PathBuf};

/// Why `.env` could not be loaded. Never carries the file's content (it holds keys).
#[derive(Debug, thiserror::Error)]
pub enum DotenvError {
    /// The file exists but could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line could not be parsed.
    #[error("cannot parse {path} near byte {position} of a line (content not shown)")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Where in the line parsing failed.
        position: usize,
    },
}

/// Reads `KEY=value` pairs from a dotenv file (quotes, `export`, comments handled by `dotenvy`).
/// A missing file gives an empty list.
pub fn read_dotenv(path: &Path) -> Result<Vec<(String, String)>, DotenvError> {
    let iter = match dotenvy::from_path_iter(path) {
        Ok(iter) => iter,
        Err(dotenvy::Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(map_dotenv_error(path, e)),
    };
    iter.map(|item| item.map_err(|e| map_dotenv_error(path, e))).collect()
}

fn map_dotenv_error(path: &Path, e: dotenvy::Error) -> DotenvError {
    match e {
        dotenvy::Error::Io(source) => DotenvError::Io { path: path.to_owned(), source },
        dotenvy::Error::LineParse(_, position) => DotenvError::Parse { path: path.to_owned(), position },
        // `EnvVar` errors only come from `var()`, not from parsing a file.
        _ => DotenvError::Parse { path: path.to_owned(), position: 0 },
    }
}

/// Loads `.env` from the working directory (not its parents) into the process environment;
/// variables already set win. Call before any thread is started.
pub fn load_dotenv() -> Result<usize, DotenvError> {
    let pairs = read_dotenv(Path::new(".env"))?;
    let mut n = 0;
    for (k, v) in pairs {
        if std::env::var_os(&k).is_none() {
            // Called at the start of `main`, before the runtime starts any thread.
            std::env::set_var(&k, v);
            n += 1;
        }
    }
    Ok(n)
}
