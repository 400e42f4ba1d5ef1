//! [`init`]: brings a database to [`VERSION`] — what `planmap db init` runs, and what a
//! replica will check at start.

use std::time::Duration;

use tokio_postgres::Config;

use crate::connect::{connect, describe};
use crate::error::PgError;
use crate::schema::{MIGRATIONS, VERSION};

/// The advisory lock `init` holds for its transaction ("pmdb"): replicas started together
/// apply each migration once, one after the other.
const LOCK_KEY: i64 = 0x706d_6462;

/// A migration may build indexes over big tables.
const MIGRATION_TIMEOUT: Duration = Duration::from_secs(600);

/// The ledger, created before migration 1 (in the same transaction).
const LEDGER: &str = "
CREATE SCHEMA IF NOT EXISTS planmap;
CREATE TABLE IF NOT EXISTS planmap.migrations (
    version     integer PRIMARY KEY CHECK (version > 0),
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);";

/// One migration applied by this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub version: i32,
    pub name: &'static str,
}

/// What [`init`] did: the version found, the version now, the migrations it applied (none
/// when the database was current).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitReport {
    pub database: String,
    pub before: i32,
    pub after: i32,
    pub applied: Vec<Applied>,
}

/// Applies every pending migration in one transaction (all of them with their ledger rows,
/// or none), after checking that the applied ones are this build's.
pub async fn init(cfg: &Config) -> Result<InitReport, PgError> {
    let at = describe(cfg);
    let mut client = connect(cfg, MIGRATION_TIMEOUT).await?;
    let q = |step: &str| {
        let (at, step) = (at.clone(), step.to_string());
        move |source| PgError::Query { at, step, source }
    };
    let tx = client.transaction().await.map_err(q("BEGIN"))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await
        .map_err(q("taking the migration lock"))?;
    tx.batch_execute(LEDGER)
        .await
        .map_err(q("creating the migration ledger"))?;
    let before: i32 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM planmap.migrations",
            &[],
        )
        .await
        .map_err(q("reading the migration ledger"))?
        .get(0);
    if before > VERSION {
        return Err(PgError::NewerSchema {
            at: at.clone(),
            found: before,
            known: VERSION,
        });
    }
    let versions: Vec<i32> = (1..=VERSION).collect();
    let sqls: Vec<&str> = MIGRATIONS.iter().map(|m| m.sql).collect();
    let edited = tx
        .query(
            "SELECT m.version FROM planmap.migrations m \
             JOIN unnest($1::int4[], $2::text[]) AS s(version, sql) USING (version) \
             WHERE m.checksum <> md5(s.sql) ORDER BY m.version LIMIT 1",
            &[&versions, &sqls],
        )
        .await
        .map_err(q("comparing the applied migrations"))?;
    if let Some(row) = edited.first() {
        let version: i32 = row.get(0);
        return Err(PgError::Edited {
            at: at.clone(),
            version,
            name: MIGRATIONS[version as usize - 1].name.to_string(),
        });
    }
    let mut applied = Vec::new();
    for (i, m) in MIGRATIONS.iter().enumerate().skip(before as usize) {
        let version = i as i32 + 1;
        tx.batch_execute(m.sql)
            .await
            .map_err(q(&format!("migration {version} ({})", m.name)))?;
        tx.execute(
            "INSERT INTO planmap.migrations (version, name, checksum) VALUES ($1, $2, md5($3::text))",
            &[&version, &m.name, &m.sql],
        )
        .await
        .map_err(q("recording a migration"))?;
        applied.push(Applied {
            version,
            name: m.name,
        });
    }
    tx.commit().await.map_err(q("COMMIT"))?;
    Ok(InitReport {
        database: at,
        before,
        after: VERSION,
        applied,
    })
}

/// [`init`] on a current-thread runtime of its own (the CLI's `planmap db init`).
pub fn init_blocking(cfg: &Config) -> Result<InitReport, PgError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(PgError::Runtime)?
        .block_on(init(cfg))
}

/// The schema version of the database `c` is connected to (0: never initialised).
pub async fn schema_version(c: &tokio_postgres::Client, at: &str) -> Result<i32, PgError> {
    let failed = |source| PgError::Query {
        at: at.to_string(),
        step: "reading the schema version".into(),
        source,
    };
    // Two statements: a table named in a statement must exist when it is parsed, whatever
    // branch a CASE takes (a database not initialised has no ledger: version 0).
    let ledger = c
        .query_one("SELECT to_regclass('planmap.migrations') IS NOT NULL", &[])
        .await
        .map_err(failed)?;
    if !ledger.get::<_, bool>(0) {
        return Ok(0);
    }
    let row = c
        .query_one(
            "SELECT coalesce(max(version), 0) FROM planmap.migrations",
            &[],
        )
        .await
        .map_err(failed)?;
    Ok(row.get(0))
}
