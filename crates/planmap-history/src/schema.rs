//! The schema and its migrations. The database's `PRAGMA user_version` is the number of
//! migrations applied; `PRAGMA application_id` marks the file as planmap's.
//!
//! To change the schema, append a migration to [`MIGRATIONS`] — never edit one that has
//! shipped: databases in the field have run it already.

use std::path::Path;

use rusqlite::Connection;

use crate::error::HistoryError;

/// "pmhi" — marks a planmap check-history database.
pub const APPLICATION_ID: i32 = 0x706d_6869;

/// Migration `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: the checks table. AUTOINCREMENT: an id is never reused, even after the newest rows
    // are gone, so an id quoted in a letter names one check for good.
    "CREATE TABLE checks (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        time          TEXT NOT NULL,
        verdict       TEXT NOT NULL,
        site_area_m2  REAL NOT NULL,
        overlaps      TEXT NOT NULL,
        data_version  TEXT NOT NULL,
        source        TEXT NOT NULL,
        project       TEXT,
        applicant     TEXT,
        site          TEXT NOT NULL,
        check_key     TEXT
    );
    CREATE INDEX checks_time ON checks (time, id);
    CREATE UNIQUE INDEX checks_key ON checks (check_key);",
    // 2: the plan a check's verdict is of (a catalog serves many; NULL: recorded before).
    "ALTER TABLE checks ADD COLUMN plan TEXT;
    CREATE INDEX checks_plan ON checks (plan, time, id);",
    // 3: batch checks — every site of a batch (`POST /api/check/batch`) is its own row with
    // the batch's id, the uploaded file's name and the feature's 1-based number in it;
    // single checks leave them null. Self-contained: it touches only these columns.
    "ALTER TABLE checks ADD COLUMN batch_id TEXT;
    ALTER TABLE checks ADD COLUMN batch_file TEXT;
    ALTER TABLE checks ADD COLUMN batch_feature INTEGER;
    CREATE INDEX checks_batch ON checks (batch_id, id) WHERE batch_id IS NOT NULL;",
];

/// The schema version this build writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database at `path` up to [`VERSION`], refusing files that are not ours or that
/// a newer planmap wrote. Each migration is one transaction with its version bump.
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<(), HistoryError> {
    let open = |source| HistoryError::Open {
        path: path.to_path_buf(),
        source,
    };
    let app: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(open)?;
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(open)?;
    let objects: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .map_err(open)?;
    if app != APPLICATION_ID && (app != 0 || objects > 0) {
        return Err(HistoryError::NotADatabase {
            path: path.to_path_buf(),
            why: "an SQLite database of something else (it has other tables)".into(),
        });
    }
    if version > VERSION {
        return Err(HistoryError::NewerSchema {
            path: path.to_path_buf(),
            found: version,
            known: VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction().map_err(open)?;
        tx.execute_batch(sql).map_err(open)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)
            .map_err(open)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(open)?;
        tx.commit().map_err(open)?;
    }
    Ok(())
}
