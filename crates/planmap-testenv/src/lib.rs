//! Throwaway services for planmap's tests, started by the tests themselves from Debian's
//! packages under a temp dir on loopback ports, and stopped and removed when dropped.
//!
//! - [`PgCluster`]: a PostgreSQL cluster (`initdb` + `pg_ctl`, the newest
//!   `/usr/lib/postgresql/*/bin`, or `PLANMAP_PG_BIN`) with PostGIS available — what
//!   `bench/pg.py` does for `make bench`. `make deps` installs `postgresql` and `postgresql-postgis`.
//!
//! - [`Nginx`]: Debian's nginx in front of replicas, configured as README's deployment
//!   (`hash $plan consistent`, passive health checks, idempotent requests retried on the next
//!   replica) or round robin.
//! - [`Replica`]: a `planmap serve` child process on a free loopback port.
//!
//! Tests read the database back with `psql` ([`PgCluster::psql`]), a client independent of
//! the `tokio-postgres` code under test.

mod nginx;
mod pg;
mod port;
mod replica;

pub use nginx::{Balance, Nginx};
pub use pg::PgCluster;
pub use replica::Replica;
