//! planmap-history: the check history, the planners' audit trail.
//!
//! Every site check the server answers is one row in an embedded SQLite database: when, the
//! site as submitted (GeoJSON, lon/lat), the verdict, the site's and each layer's overlap
//! areas, the data version it was checked against, where it came from, and the optional
//! project name and applicant the user gave.
//!
//! A record is evidence, so the store is built not to lose one:
//! - WAL journal and `synchronous=FULL`: when [`History::record`] returns an id, the row is
//!   committed and its commit fsynced; a process killed at any moment (`kill -9`) — or a power
//!   cut — loses no record whose id was returned (tests/durability.rs kills writers).
//! - Group commit ([`commit`]): one writer thread; concurrent records share one transaction
//!   and one fsync, and each caller gets its id once that commit is on disk.
//! - `PRAGMA integrity_check` on open; files that are not databases, databases of other
//!   programs and databases from a newer schema are refused with a clear error.
//! - Every user string is bound as a parameter, never put into SQL text; lengths are capped.
//!
//! [`History`] is `Send + Sync` and cheap to clone; reads go through their own connection
//! (WAL readers never wait for the writer). [`History::record`] blocks until the commit;
//! [`History::submit`] returns a [`Pending`] to wait for or `.await`. [`export`] turns records
//! into GeoJSON and CSV.

pub mod commit;
mod error;
pub mod export;
mod record;
mod row;
mod schema;
pub mod time;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, Connection, ErrorCode, OpenFlags};

use commit::Writer;
pub use commit::{pending, Answer, CommitStats, Pending};
use error::invalid;
pub use error::HistoryError;
pub use record::{BatchRef, NewRecord, Record, Source, MAX_NAME_CHARS, MAX_SITE_BYTES, VERDICTS};
pub use row::{batch_id, batch_ref, batch_row, check_key, clean_name, row, Row};
use serde_json::value::RawValue;

pub use schema::VERSION as SCHEMA_VERSION;

/// Most records one [`History::list`] call returns when a limit is given.
pub const MAX_LIMIT: usize = 10_000;
/// How long a write waits for another connection's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Which records [`History::list`] returns, newest first (by time, then id).
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// At most this many (≤ [`MAX_LIMIT`]); `None`: all.
    pub limit: Option<usize>,
    /// Skip this many of the newest first.
    pub offset: usize,
    /// From this time on (inclusive); RFC 3339 UTC or a date (its midnight, UTC).
    pub from: Option<String>,
    /// Before this time (exclusive); RFC 3339 UTC, or a date: up to the end of that day.
    pub to: Option<String>,
    /// Only this verdict (one of [`VERDICTS`]).
    pub verdict: Option<String>,
    /// Only checks from this source.
    pub source: Option<Source>,
    /// Only the verdicts of this plan.
    pub plan: Option<String>,
    /// Only the sites of this batch ([`History::submit_in_batch`]).
    pub batch: Option<String>,
}

/// How a history is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Most records one commit takes when more are waiting ([`commit::DEFAULT_MAX_BATCH`]);
    /// 1 is one commit a record, as without group commit.
    pub max_batch: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            max_batch: commit::DEFAULT_MAX_BATCH,
        }
    }
}

/// The durability a history runs with, as read back from its write connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Durability {
    pub path: PathBuf,
    /// `wal`.
    pub journal_mode: String,
    /// SQLite's `synchronous` level: 2 = FULL (the log fsynced at every commit).
    pub synchronous: i64,
    /// Most records a commit takes.
    pub max_batch: usize,
}

impl std::fmt::Display for Durability {
    /// `check history FILE: WAL journal, synchronous=FULL (…), group commit (…)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sync = match self.synchronous {
            0 => "OFF",
            1 => "NORMAL",
            2 => "FULL",
            3 => "EXTRA",
            _ => "?",
        };
        write!(
            f,
            "check history {}: {} journal, synchronous={sync}{}, ",
            self.path.display(),
            self.journal_mode.to_uppercase(),
            if self.synchronous >= 2 {
                " (fsync at every commit)"
            } else {
                ""
            }
        )?;
        if self.max_batch > 1 {
            write!(
                f,
                "group commit (one writer, up to {} records a commit; a check is answered once \
                 its commit is on disk)",
                self.max_batch
            )
        } else {
            write!(f, "one commit a record")
        }
    }
}

/// The check history: one SQLite database file (plus its `-wal` and `-shm` files).
#[derive(Clone)]
pub struct History {
    inner: Arc<Inner>,
}

struct Inner {
    writer: Writer,
    reader: Mutex<Connection>,
    durability: Durability,
}

impl std::fmt::Debug for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("History")
            .field("path", &self.inner.durability.path)
            .finish()
    }
}

impl History {
    /// Opens the history at `path`, creating the file (and its folders) if missing, checking
    /// its integrity and bringing its schema up to date, with the default [`Options`].
    pub fn open(path: impl AsRef<Path>) -> Result<History, HistoryError> {
        History::open_with(path, Options::default())
    }

    /// [`History::open`] with `options`.
    pub fn open_with(path: impl AsRef<Path>, options: Options) -> Result<History, HistoryError> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| HistoryError::Folder {
                path: path.clone(),
                source,
            })?;
        }
        let open = |source| HistoryError::Open {
            path: path.clone(),
            source,
        };
        let mut conn = connect(&path).map_err(open)?;
        // The first read of the file: a file that is not a database fails here.
        if let Err(e) = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
            r.get::<_, i64>(0)
        }) {
            return Err(match e.sqlite_error_code() {
                Some(ErrorCode::NotADatabase) => HistoryError::NotADatabase {
                    path,
                    why: "the file is not an SQLite database".into(),
                },
                _ => open(e),
            });
        }
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0))
            .map_err(open)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(open(rusqlite::Error::InvalidParameterName(format!(
                "the journal cannot be switched to WAL (it is {mode})"
            ))));
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open)?;
        let report = integrity(&conn).map_err(open)?;
        if report != "ok" {
            return Err(HistoryError::Damaged { path, report });
        }
        schema::migrate(&mut conn, &path)?;
        let durability = Durability {
            path: path.clone(),
            journal_mode: conn
                .pragma_query_value(None, "journal_mode", |r| r.get(0))
                .map_err(open)?,
            synchronous: conn
                .pragma_query_value(None, "synchronous", |r| r.get(0))
                .map_err(open)?,
            max_batch: options.max_batch.max(1),
        };
        let reader = connect(&path).map_err(open)?;
        let writer = Writer::start(conn, durability.max_batch).map_err(|e| {
            open(rusqlite::Error::InvalidParameterName(format!(
                "cannot start the writer thread: {e}"
            )))
        })?;
        Ok(History {
            inner: Arc::new(Inner {
                writer,
                reader: Mutex::new(reader),
                durability,
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.durability.path
    }

    /// The read connection. A panic while it was held cannot have left anything half done
    /// (it only reads), so a poisoned lock is taken as is.
    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.inner.reader.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a check and returns its id once the row is committed and on disk.
    ///
    /// With a [`NewRecord::key`] already recorded for the same site, data version and
    /// verdict, nothing is written and that record's id is returned: the same check asked for
    /// twice is one record. A key seen before with another site is not reused: the check is
    /// recorded as a new row without a key. So every distinct check is recorded, whatever
    /// the client sends.
    pub fn record(&self, rec: &NewRecord) -> Result<i64, HistoryError> {
        self.submit(rec)?.wait()
    }

    /// Checks a record and hands it to the writer: a bad record is refused here; the
    /// [`Pending`] answers with the id once the commit holding the record is on disk (wait
    /// for it before answering the check). See [`History::record`].
    pub fn submit(&self, rec: &NewRecord) -> Result<Pending, HistoryError> {
        Ok(self.inner.writer.submit(row(rec)?))
    }

    /// [`History::submit`] for one site of a batch check: the record also keeps the batch's
    /// id, the file's name and the feature's number ([`Query::batch`] selects them).
    pub fn submit_in_batch(
        &self,
        rec: &NewRecord,
        batch: &BatchRef,
    ) -> Result<Pending, HistoryError> {
        Ok(self.inner.writer.submit(batch_row(rec, batch)?))
    }

    /// Commits and records written since the history was opened (records per commit is the
    /// group commit's batching).
    pub fn stats(&self) -> CommitStats {
        self.inner.writer.stats()
    }

    /// The records `q` selects, newest first.
    pub fn list(&self, q: &Query) -> Result<Vec<Record>, HistoryError> {
        let f = Filter::new(q)?;
        let limit = match q.limit {
            Some(n) if n > MAX_LIMIT => {
                return Err(invalid(format!("limit {n} is above {MAX_LIMIT}")))
            }
            Some(n) => n as i64,
            None => -1,
        };
        let offset = i64::try_from(q.offset).map_err(|_| invalid("offset is too large"))?;
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, time, verdict, site_area_m2, overlaps, data_version, source, project,
                    applicant, site, plan, batch_id, batch_file, batch_feature
             FROM checks
             WHERE (?1 IS NULL OR time >= ?1) AND (?2 IS NULL OR time < ?2)
               AND (?3 IS NULL OR verdict = ?3) AND (?4 IS NULL OR source = ?4)
               AND (?7 IS NULL OR plan = ?7) AND (?8 IS NULL OR batch_id = ?8)
             ORDER BY time DESC, id DESC
             LIMIT ?5 OFFSET ?6",
        )?;
        let rows = stmt.query_map(
            params![f.from, f.to, f.verdict, f.source, limit, offset, f.plan, f.batch],
            |r| {
                Ok((
                    Record {
                        id: r.get(0)?,
                        time: r.get(1)?,
                        verdict: r.get(2)?,
                        site_area_m2: r.get(3)?,
                        overlaps: RawValue::from_string("null".into()).expect("null is JSON"),
                        data_version: r.get(5)?,
                        source: r.get(6)?,
                        project: r.get(7)?,
                        applicant: r.get(8)?,
                        plan: r.get(10)?,
                        site: RawValue::from_string("null".into()).expect("null is JSON"),
                        batch: r.get::<_, Option<String>>(11)?.map(|id| BatchRef {
                            id,
                            file: r.get(12).ok().flatten(),
                            feature: r.get(13).ok().flatten().unwrap_or(0),
                        }),
                    },
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(9)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (mut rec, overlaps, site) = row?;
            // Both were checked as JSON on the way in; a hand-edited row reads as null.
            rec.overlaps = RawValue::from_string(overlaps).unwrap_or_else(|_| null());
            rec.site = RawValue::from_string(site).unwrap_or_else(|_| null());
            out.push(rec);
        }
        Ok(out)
    }

    /// How many records `q`'s filters select (its limit and offset aside).
    pub fn count(&self, q: &Query) -> Result<u64, HistoryError> {
        let f = Filter::new(q)?;
        let n: i64 = self.conn().query_row(
            "SELECT count(*) FROM checks
             WHERE (?1 IS NULL OR time >= ?1) AND (?2 IS NULL OR time < ?2)
               AND (?3 IS NULL OR verdict = ?3) AND (?4 IS NULL OR source = ?4)
               AND (?5 IS NULL OR plan = ?5) AND (?6 IS NULL OR batch_id = ?6)",
            params![f.from, f.to, f.verdict, f.source, f.plan, f.batch],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    /// `PRAGMA integrity_check`'s report: `"ok"` for a sound database.
    pub fn integrity_check(&self) -> Result<String, HistoryError> {
        Ok(integrity(&self.conn())?)
    }

    /// The write connection's journal mode and `synchronous` level (2 = FULL), as set by
    /// [`History::open`].
    pub fn durability(&self) -> Result<(String, i64), HistoryError> {
        let d = &self.inner.durability;
        Ok((d.journal_mode.clone(), d.synchronous))
    }

    /// The durability this history runs with (what `planmap serve` prints at start).
    pub fn settings(&self) -> &Durability {
        &self.inner.durability
    }
}

fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

fn integrity(conn: &Connection) -> rusqlite::Result<String> {
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let lines: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(lines.join("; "))
}

fn null() -> Box<RawValue> {
    RawValue::from_string("null".into()).expect("null is JSON")
}

/// A [`Query`]'s filters checked and in stored form (times canonical RFC 3339 UTC), for
/// every store's reader.
#[derive(Debug, Clone)]
pub struct Filter {
    pub from: Option<String>,
    pub to: Option<String>,
    pub verdict: Option<String>,
    pub source: Option<&'static str>,
    pub plan: Option<String>,
    pub batch: Option<String>,
}

impl Filter {
    pub fn new(q: &Query) -> Result<Filter, HistoryError> {
        if let Some(v) = &q.verdict {
            if !VERDICTS.contains(&v.as_str()) {
                return Err(invalid(format!(
                    "verdict {:?} is not one of {}",
                    time::clip(v),
                    VERDICTS.join(", ")
                )));
            }
        }
        if let Some(b) = &q.batch {
            batch_id(b)?;
        }
        Ok(Filter {
            from: q.from.as_deref().map(time::canonical).transpose()?,
            to: q.to.as_deref().map(time::canonical_end).transpose()?,
            verdict: q.verdict.clone(),
            source: q.source.map(Source::as_str),
            plan: q.plan.clone(),
            batch: q.batch.clone(),
        })
    }
}
