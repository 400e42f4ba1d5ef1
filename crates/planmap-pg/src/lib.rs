//! planmap's PostgreSQL/PostGIS store (`--db postgres://…`, docs/postgis.md).
//!
//! This first slice holds the connection ([`connect`]) and the versioned schema
//! ([`init`], what `planmap db init` runs): the migrations of [`schema`], applied in order,
//! each in one transaction with its row in the ledger `planmap.migrations`, under an advisory
//! lock so replicas starting together apply each once. Running it again is a no-op; a
//! database that a newer planmap migrated, or whose applied migration differs from this
//! build's text, is refused.

mod connect;
mod error;
mod history;
mod migrate;
mod pool;
pub mod schema;

pub use connect::{connect, describe, parse_url};
pub use error::PgError;
pub use history::{PgHistory, MAX_BATCH as HISTORY_MAX_BATCH};
pub use migrate::{init, init_blocking, schema_version, Applied, InitReport};
pub use pool::{Conn, Db, PoolOptions};
pub use schema::VERSION;
/// A parsed connection string ([`parse_url`]).
pub use tokio_postgres::Config;
