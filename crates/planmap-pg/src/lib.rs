//! planmap's PostgreSQL/PostGIS store (`--db postgres://…`, docs/postgis.md).
//!
//! The connection ([`connect`]) and the versioned schema ([`init`], what `planmap db init`
//! runs): the migrations of [`schema`], applied in order, each in one transaction with its row
//! in the ledger `planmap.migrations`, under an advisory lock so replicas starting together
//! apply each once; a database that a newer planmap migrated, or whose applied migration
//! differs from this build's text, is refused. Through the pool ([`Db`]): plans read into a
//! [`PgPlan`] (a `LayerStore`, [`Db::read_plan`]), plan folders loaded ([`load_dir`]) and a
//! layer's new version written and switched to ([`import_layer`]); old versions removed
//! ([`prune`]) and the store described ([`status`]); layers kept in the data keeper's own
//! tables (`[layers.postgis]`, `keeper.rs`) read in the plan's transaction.

mod connect;
mod error;
pub mod geom;
mod history;
mod import;
mod keeper;
mod listen;
mod load;
mod migrate;
mod plan;
mod pool;
mod prune;
pub mod schema;
mod status;

pub use connect::{connect, describe, parse_url};
pub use error::PgError;
pub use history::{PgHistory, MAX_BATCH as HISTORY_MAX_BATCH};
pub use import::{digest, import_layer, Imported, LAYER_SRID};
pub use keeper::lonlat_srid;
pub use listen::{listen, Change, CHANNEL};
pub use load::{load_dir, LoadedLayer, LoadedPlan};
pub use migrate::{init, init_blocking, schema_version, Applied, InitReport};
pub use plan::PgPlan;
pub use pool::{Conn, Db, PoolOptions};
pub use prune::{prune, Pruned};
pub use schema::VERSION;
pub use status::{status, LayerStatus, PlanStatus, Status};
/// A parsed connection string ([`parse_url`]).
pub use tokio_postgres::Config;
