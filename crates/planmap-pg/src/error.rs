//! [`PgError`]: why the database could not be used, naming the database (never its password)
//! and the step.

/// An error of the PostgreSQL store.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// The URL is not a PostgreSQL connection string (the user's to fix).
    #[error("--db {url}: not a PostgreSQL URL ({why}); expected postgres://USER@HOST:PORT/DB")]
    Url { url: String, why: String },
    /// The server could not be reached or refused us.
    #[error("PostgreSQL at {at}: {source}")]
    Connect {
        at: String,
        #[source]
        source: tokio_postgres::Error,
    },
    /// The server did not answer in time.
    #[error("PostgreSQL at {at}: no answer within {secs} s")]
    Timeout { at: String, secs: u64 },
    /// A statement failed.
    #[error("PostgreSQL at {at}, {step}: {}", db_message(.source))]
    Query {
        at: String,
        step: String,
        #[source]
        source: tokio_postgres::Error,
    },
    /// A newer planmap has migrated this database.
    #[error(
        "PostgreSQL at {at}: schema version {found} is newer than this planmap's {known}; \
         upgrade planmap"
    )]
    NewerSchema { at: String, found: i32, known: i32 },
    /// An applied migration is not the one this build has under its number.
    #[error(
        "PostgreSQL at {at}: migration {version} ({name}) was applied with other SQL than \
         this planmap's; the database was migrated by another build"
    )]
    Edited {
        at: String,
        version: i32,
        name: String,
    },
    /// The pool could not be built or used.
    #[error("PostgreSQL at {at}: connection pool: {why}")]
    Pool { at: String, why: String },
    /// The database has not been initialised to this build's schema (`planmap db init`).
    #[error(
        "PostgreSQL at {at}: schema version {found}, this planmap needs {known}; run \
         `planmap db init --db …` first"
    )]
    Unmigrated { at: String, found: i32, known: i32 },
    /// No plan of that id in the store.
    #[error("no plan '{id}' in the database (planmap db load DIR puts plan folders in)")]
    NoPlan { id: String },
    /// What the store holds does not read (a manifest, a geometry, a feature's attributes).
    #[error("PostgreSQL at {at}: {what}")]
    Data { at: String, what: String },
    /// A plan folder to load does not read.
    #[error("{0}")]
    Folder(String),
    /// A layer or plan given to write is not one the store can take.
    #[error("{0}")]
    Invalid(String),
    /// The runtime for the blocking calls could not start.
    #[error("PostgreSQL: {0}")]
    Runtime(std::io::Error),
}

impl PgError {
    /// Whether the database is away rather than refusing: no connection (refused, closed,
    /// timed out) or SQLSTATE class 08 (connection), 53 (out of resources) or 57 (shutting
    /// down, starting up, a statement cancelled). Asking again later may succeed.
    pub fn is_transient(&self) -> bool {
        let class = |e: &tokio_postgres::Error| match e.code() {
            None => true,
            Some(c) => ["08", "53", "57"].iter().any(|k| c.code().starts_with(k)),
        };
        match self {
            PgError::Connect { source, .. } | PgError::Query { source, .. } => class(source),
            PgError::Timeout { .. } => true,
            _ => false,
        }
    }
}

/// The server's own message (with its detail and hint) when there is one, else the
/// driver's.
fn db_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut m = db.message().to_string();
            if let Some(d) = db.detail() {
                m = format!("{m} ({d})");
            }
            if let Some(h) = db.hint() {
                m = format!("{m}; hint: {h}");
            }
            m
        }
        None => e.to_string(),
    }
}

/// The error of a statement that failed at `step` (for `map_err`).
pub(crate) fn query_err(
    at: &str,
    step: impl Into<String>,
) -> impl FnOnce(tokio_postgres::Error) -> PgError {
    let (at, step) = (at.to_string(), step.into());
    move |source| PgError::Query { at, step, source }
}
