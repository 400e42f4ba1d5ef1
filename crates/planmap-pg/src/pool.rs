//! [`Db`]: a replica's pool of connections to the store (deadpool over tokio-postgres, as
//! martin pools its PostgreSQL), with its limits: how many connections, how long a request
//! waits for one, a connect timeout and a statement timeout on every session.

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Timeouts};
use tokio_postgres::{Config, NoTls};

use crate::connect::describe;
use crate::error::PgError;

/// The pool's limits (`--db-pool` and the fixed timeouts of docs/postgis.md).
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// Connections a replica holds at most.
    pub size: usize,
    /// How long a caller waits for a free connection before the call is an error.
    pub wait: Duration,
    /// How long a new connection may take.
    pub connect: Duration,
    /// `statement_timeout` of every pooled session.
    pub statement: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            size: 16,
            wait: Duration::from_secs(1),
            connect: Duration::from_secs(2),
            statement: Duration::from_secs(5),
        }
    }
}

/// A pool of connections to one database, cheap to clone (every clone shares it).
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    at: String,
    options: PoolOptions,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("at", &self.at).finish()
    }
}

/// A connection taken from the pool (back to it on drop).
pub type Conn = deadpool_postgres::Object;

impl Db {
    /// A pool over `cfg`; no connection is made until one is asked for (see [`Db::ping`]).
    /// Needs a tokio runtime when connections are taken.
    pub fn new(cfg: &Config, options: PoolOptions) -> Result<Db, PgError> {
        let mut cfg = cfg.clone();
        cfg.connect_timeout(options.connect);
        let ms = options.statement.as_millis();
        cfg.options(format!("-c statement_timeout={ms}"));
        let at = describe(&cfg);
        let mgr = Manager::from_config(
            cfg,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(mgr)
            .max_size(options.size.max(1))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .timeouts(Timeouts {
                wait: Some(options.wait),
                create: Some(options.connect),
                recycle: Some(options.connect),
            })
            .build()
            .map_err(|e| PgError::Pool {
                at: at.clone(),
                why: e.to_string(),
            })?;
        Ok(Db { pool, at, options })
    }

    /// `user@host:port/db`, for messages.
    pub fn at(&self) -> &str {
        &self.at
    }

    pub fn options(&self) -> &PoolOptions {
        &self.options
    }

    /// A connection, waited for at most the pool's `wait`.
    pub async fn get(&self) -> Result<Conn, PgError> {
        self.pool.get().await.map_err(|e| match e {
            deadpool_postgres::PoolError::Backend(source) => PgError::Connect {
                at: self.at.clone(),
                source,
            },
            deadpool_postgres::PoolError::Timeout(_) => PgError::Timeout {
                at: self.at.clone(),
                secs: self.options.wait.as_secs().max(1),
            },
            other => PgError::Pool {
                at: self.at.clone(),
                why: other.to_string(),
            },
        })
    }

    /// Whether the database answers, and has this build's schema version.
    pub async fn ping(&self) -> Result<(), PgError> {
        let c = self.get().await?;
        let found = crate::migrate::schema_version(&c, &self.at).await?;
        if found != crate::schema::VERSION {
            return Err(PgError::Unmigrated {
                at: self.at.clone(),
                found,
                known: crate::schema::VERSION,
            });
        }
        Ok(())
    }

    /// [`Db::ping`], asked again every half second for up to `wait` while the database is
    /// away (not reachable, starting, shutting down, out of connections) or not initialised
    /// yet (a `planmap db init` may be on its way): replicas and their database started
    /// together. `waiting` is told of the first such failure. A failure that waiting cannot
    /// mend (a refused login, a newer schema) is returned at once.
    pub async fn ping_waiting(
        &self,
        wait: Duration,
        waiting: impl FnOnce(&PgError),
    ) -> Result<(), PgError> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut waiting = Some(waiting);
        loop {
            let e = match self.ping().await {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            let mendable = e.is_transient() || matches!(e, PgError::Unmigrated { .. });
            let next = tokio::time::Instant::now() + Duration::from_millis(500);
            if !mendable || next > deadline {
                return Err(e);
            }
            if let Some(tell) = waiting.take() {
                tell(&e);
            }
            tokio::time::sleep_until(next).await;
        }
    }

    /// The pool's size and idle connections now.
    pub fn status(&self) -> (usize, usize) {
        let s = self.pool.status();
        (s.size, s.available)
    }
}
