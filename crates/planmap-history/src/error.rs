//! [`HistoryError`]: why the history could not be opened, read or written.

use std::path::PathBuf;

/// Why the history could not be opened, read or written.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("check history {}: cannot create its folder: {source}", path.display())]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("check history {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("check history {}: not a planmap check-history database: {why}", path.display())]
    NotADatabase { path: PathBuf, why: String },
    #[error(
        "check history {}: written by a newer planmap (schema version {found}; this build knows up to {known})",
        path.display()
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("check history {}: the database is damaged: {report}", path.display())]
    Damaged { path: PathBuf, report: String },
    /// A record or query the caller got wrong (a 4xx for a server).
    #[error("{0}")]
    Invalid(String),
    /// A commit of records failed (every record of it is unwritten).
    #[error("check history: the records could not be written: {0}")]
    Write(String),
    /// The store cannot be reached just now (a database server away, its pool exhausted, a
    /// statement timed out): nothing was written; try again in a moment.
    #[error("check history: the database is unavailable: {0}")]
    Unavailable(String),
    #[error("check history: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// A record or query the caller got wrong.
pub(crate) fn invalid(msg: impl Into<String>) -> HistoryError {
    HistoryError::Invalid(msg.into())
}
