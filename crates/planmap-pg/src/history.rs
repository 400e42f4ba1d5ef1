//! [`PgHistory`]: the check history in `planmap.checks`, one audit trail for every replica.
//!
//! It mirrors planmap-history's SQLite writer (the same [`NewRecord`] checked into the same
//! [`Row`], the same [`Pending`] answers): [`PgHistory::submit`] queues a record; one writer
//! task takes every record waiting (up to [`MAX_BATCH`]) into one transaction — one multi-row
//! `INSERT … ON CONFLICT (check_key) DO NOTHING RETURNING id` — commits (at PostgreSQL's
//! `synchronous_commit = on`: the commit is flushed to the server's WAL) and only then answers
//! each record's [`Pending`]. A check whose record did not commit gets an error, never an id.
//!
//! A check key is unique across replicas: a check asked for again with its key (the same
//! site, data version and verdict), through this replica or another, answers with the first
//! row's id; a key already used by another check is dropped from the new row, as the SQLite
//! history does.
//!
//! A database that is away (no connection within the pool's wait, a connection refused or
//! closed, a statement timeout) is [`HistoryError::Unavailable`]: the caller answers 503.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use planmap_history::{
    batch_row, row, Answer, BatchRef, CommitStats, Filter, HistoryError, NewRecord, Pending, Query,
    Record, Row, MAX_LIMIT,
};
use serde_json::value::RawValue;
use tokio::sync::mpsc;
use tokio_postgres::types::ToSql;

use crate::error::PgError;
use crate::pool::Db;

/// Records one commit takes at most when more are waiting (as the SQLite writer).
pub const MAX_BATCH: usize = 256;

/// The columns a record is written to, in the order of [`Params`].
const COLUMNS: &str = "time, verdict, site_area_m2, \"overlaps\", data_version, source, project, \
                       applicant, site, geom, check_key, plan, batch_id, batch_file, batch_feature";

/// What a record is read back as (the time as planmap-history writes it: RFC 3339 UTC, ms).
const SELECT: &str =
    "SELECT id, to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
        verdict, site_area_m2, \"overlaps\"::text, data_version, source, project, applicant,
        site, plan, batch_id, batch_file, batch_feature
    FROM planmap.checks";

/// The filters of a listing or count: `$1`…`$6` are a [`Filter`]'s.
const WHERE: &str = "WHERE ($1::text IS NULL OR time >= $1::text::timestamptz)
      AND ($2::text IS NULL OR time < $2::text::timestamptz)
      AND ($3::text IS NULL OR verdict = $3::text) AND ($4::text IS NULL OR source = $4::text)
      AND ($5::text IS NULL OR plan = $5::text) AND ($6::text IS NULL OR batch_id = $6::text)";

/// The check history in PostgreSQL; cheap to clone (every clone shares the writer).
#[derive(Clone)]
pub struct PgHistory {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    tx: mpsc::UnboundedSender<Job>,
    counters: Arc<Counters>,
}

#[derive(Default)]
struct Counters {
    commits: AtomicU64,
    records: AtomicU64,
}

/// A checked row and where its answer goes (an [`Answer`] dropped unanswered answers with
/// an error, so no caller waits for ever).
struct Job {
    row: Row,
    answer: Answer,
}

impl std::fmt::Debug for PgHistory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgHistory")
            .field("at", &self.inner.db.at())
            .finish()
    }
}

impl PgHistory {
    /// The history over `db`'s pool, its writer task spawned on `runtime` (it ends when
    /// the last clone is dropped, after answering what it was given).
    pub fn start(db: Db, runtime: &tokio::runtime::Handle) -> PgHistory {
        let (tx, rx) = mpsc::unbounded_channel();
        let counters = Arc::new(Counters::default());
        runtime.spawn(run(db.clone(), rx, counters.clone()));
        PgHistory {
            inner: Arc::new(Inner { db, tx, counters }),
        }
    }

    /// `user@host:port/db` of the store.
    pub fn at(&self) -> &str {
        self.inner.db.at()
    }

    /// Checks a record (planmap-history's rules) and queues it for the next commit; the
    /// [`Pending`] answers with its id once that commit is done.
    pub fn submit(&self, rec: &NewRecord) -> Result<Pending, HistoryError> {
        Ok(self.queue(row(rec)?))
    }

    /// [`PgHistory::submit`] for one site of a batch check.
    pub fn submit_in_batch(
        &self,
        rec: &NewRecord,
        batch: &BatchRef,
    ) -> Result<Pending, HistoryError> {
        Ok(self.queue(batch_row(rec, batch)?))
    }

    fn queue(&self, row: Row) -> Pending {
        let (pending, answer) = planmap_history::pending();
        // A stopped writer drops the job, which answers with an error.
        let _ = self.inner.tx.send(Job { row, answer });
        pending
    }

    /// Commits and records written since the start.
    pub fn stats(&self) -> CommitStats {
        CommitStats {
            commits: self.inner.counters.commits.load(Ordering::Relaxed),
            records: self.inner.counters.records.load(Ordering::Relaxed),
        }
    }

    /// The records `q` selects, newest first (by time, then id).
    pub async fn list(&self, q: &Query) -> Result<Vec<Record>, HistoryError> {
        let f = Filter::new(q)?;
        let limit = match q.limit {
            Some(n) if n > MAX_LIMIT => {
                return Err(HistoryError::Invalid(format!(
                    "limit {n} is above {MAX_LIMIT}"
                )))
            }
            Some(n) => Some(n as i64),
            None => None,
        };
        let offset = i64::try_from(q.offset)
            .map_err(|_| HistoryError::Invalid("offset is too large".into()))?;
        let sql = format!("{SELECT} {WHERE} ORDER BY time DESC, id DESC LIMIT $7 OFFSET $8");
        let c = self.inner.db.get().await.map_err(away)?;
        let params = filter_params(&f);
        let mut all: Vec<&(dyn ToSql + Sync)> = params.to_vec();
        all.push(&limit);
        all.push(&offset);
        let rows = c
            .query(&sql, &all)
            .await
            .map_err(|e| failed(&self.inner.db, "reading the history", e))?;
        rows.iter().map(record).collect()
    }

    /// How many records `q`'s filters select (its limit and offset aside).
    pub async fn count(&self, q: &Query) -> Result<u64, HistoryError> {
        let f = Filter::new(q)?;
        let c = self.inner.db.get().await.map_err(away)?;
        let sql = format!("SELECT count(*) FROM planmap.checks {WHERE}");
        let n: i64 = c
            .query_one(&sql, &filter_params(&f))
            .await
            .map_err(|e| failed(&self.inner.db, "counting the history", e))?
            .get(0);
        Ok(n as u64)
    }
}

fn filter_params(f: &Filter) -> [&(dyn ToSql + Sync); 6] {
    [&f.from, &f.to, &f.verdict, &f.source, &f.plan, &f.batch]
}

fn record(r: &tokio_postgres::Row) -> Result<Record, HistoryError> {
    let json = |i: usize| -> Box<RawValue> {
        RawValue::from_string(r.get(i))
            .unwrap_or_else(|_| RawValue::from_string("null".into()).expect("null is JSON"))
    };
    Ok(Record {
        id: r.get(0),
        time: r.get(1),
        verdict: r.get(2),
        site_area_m2: r.get(3),
        overlaps: json(4),
        data_version: r.get(5),
        source: r.get(6),
        project: r.get(7),
        applicant: r.get(8),
        site: json(9),
        plan: r.get(10),
        batch: r.get::<_, Option<String>>(11).map(|id| BatchRef {
            id,
            file: r.get(12),
            feature: r.get::<_, Option<i32>>(13).unwrap_or(0).into(),
        }),
    })
}

/// The writer: every job waiting (up to [`MAX_BATCH`]) in one transaction, then each
/// answered. The whole commit also runs under a tokio timeout, so a half-open connection
/// cannot hold the checks waiting on it.
async fn run(db: Db, mut rx: mpsc::UnboundedReceiver<Job>, counters: Arc<Counters>) {
    let limit = db.options().wait + db.options().statement * 2 + Duration::from_secs(1);
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let rows: Vec<&Row> = batch.iter().map(|j| &j.row).collect();
        let outcome = match tokio::time::timeout(limit, commit(&db, &rows)).await {
            Ok(r) => r,
            Err(_) => Err(Failure::Away(format!(
                "PostgreSQL at {}: no answer within {} s",
                db.at(),
                limit.as_secs()
            ))),
        };
        match outcome {
            Ok(ids) => {
                counters.commits.fetch_add(1, Ordering::Relaxed);
                counters
                    .records
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                for (job, id) in batch.into_iter().zip(ids) {
                    job.answer.send(Ok(id));
                }
            }
            Err(f) => {
                tracing::warn!("check history: {} records not written: {f}", batch.len());
                for job in batch {
                    job.answer.send(Err(f.error()));
                }
            }
        }
    }
}

/// Why a commit failed: the database away (try again soon) or the write itself refused.
#[derive(Debug)]
enum Failure {
    Away(String),
    Write(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Away(m) | Failure::Write(m) => f.write_str(m),
        }
    }
}

impl Failure {
    fn error(&self) -> HistoryError {
        match self {
            Failure::Away(m) => HistoryError::Unavailable(m.clone()),
            Failure::Write(m) => HistoryError::Write(m.clone()),
        }
    }
}

impl From<HistoryError> for Failure {
    fn from(e: HistoryError) -> Failure {
        match e {
            HistoryError::Unavailable(m) => Failure::Away(m),
            e => Failure::Write(e.to_string()),
        }
    }
}

/// A pool error: the database is away.
fn away(e: PgError) -> HistoryError {
    HistoryError::Unavailable(e.to_string())
}

/// A statement's error: away when the connection broke, the server is shutting down or
/// out of resources, or the statement timed out (SQLSTATE classes 08, 53, 57) or hit a
/// serialization failure (40); otherwise the statement itself was refused.
fn failed(db: &Db, step: &str, source: tokio_postgres::Error) -> HistoryError {
    let transient = match source.code() {
        None => true,
        Some(c) => ["08", "40", "53", "57"]
            .iter()
            .any(|class| c.code().starts_with(class)),
    };
    let m = PgError::Query {
        at: db.at().to_string(),
        step: step.to_string(),
        source,
    }
    .to_string();
    if transient {
        HistoryError::Unavailable(m)
    } else {
        HistoryError::Write(m)
    }
}

/// Writes `rows` in one transaction and returns each row's id, in order.
async fn commit(db: &Db, rows: &[&Row]) -> Result<Vec<i64>, Failure> {
    let mut conn = db.get().await.map_err(|e| Failure::Away(e.to_string()))?;
    let step = |s: &'static str| move |e| Failure::from(failed(db, s, e));
    let tx = conn.transaction().await.map_err(step("BEGIN"))?;
    let mut ids: Vec<Option<i64>> = vec![None; rows.len()];
    // A key's first row in the batch is inserted with it; a key seen again (in the batch or
    // in the table) is resolved below.
    let mut first_of: HashMap<&str, usize> = HashMap::new();
    let mut keyed_again = Vec::new();
    let mut insert_now = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        match r.key.as_deref() {
            Some(k) if first_of.contains_key(k) => keyed_again.push(i),
            Some(k) => {
                first_of.insert(k, i);
                insert_now.push((i, r.key.as_deref()));
            }
            None => insert_now.push((i, None)),
        }
    }
    let conflicted = insert(&tx, rows, &insert_now, &mut ids)
        .await
        .map_err(step("inserting the checks"))?;
    keyed_again.extend(conflicted);
    if !keyed_again.is_empty() {
        let keys: Vec<&str> = keyed_again
            .iter()
            .filter_map(|&i| rows[i].key.as_deref())
            .collect();
        let seen = tx
            .query(
                "SELECT check_key, id, site, data_version, verdict FROM planmap.checks
                 WHERE check_key = ANY($1::text[])",
                &[&keys],
            )
            .await
            .map_err(step("reading the checks' keys"))?;
        let seen: HashMap<String, (i64, String, String, String)> = seen
            .iter()
            .map(|r| (r.get(0), (r.get(1), r.get(2), r.get(3), r.get(4))))
            .collect();
        let mut without_key = Vec::new();
        for i in keyed_again {
            let r = rows[i];
            match r.key.as_deref().and_then(|k| seen.get(k)) {
                Some((id, site, version, verdict))
                    if *site == r.site && *version == r.data_version && *verdict == r.verdict =>
                {
                    ids[i] = Some(*id)
                }
                // The key names another check: this one is recorded without it.
                _ => without_key.push((i, None)),
            }
        }
        insert(&tx, rows, &without_key, &mut ids)
            .await
            .map_err(step("inserting the checks"))?;
    }
    tx.commit().await.map_err(step("COMMIT"))?;
    ids.into_iter()
        .map(|id| id.ok_or_else(|| Failure::Write("a check was left without an id".into())))
        .collect()
}

/// One row's parameters, owned for the statement.
struct Params<'a> {
    row: &'a Row,
    key: Option<&'a str>,
    batch_id: Option<&'a str>,
    batch_file: Option<&'a str>,
    batch_feature: Option<i64>,
}

/// Inserts `which` (a row's index and the key it is written with) in one statement, fills
/// their ids, and returns the indexes whose key was already taken (not inserted).
async fn insert(
    tx: &tokio_postgres::Transaction<'_>,
    rows: &[&Row],
    which: &[(usize, Option<&str>)],
    ids: &mut [Option<i64>],
) -> Result<Vec<usize>, tokio_postgres::Error> {
    if which.is_empty() {
        return Ok(Vec::new());
    }
    let params: Vec<Params> = which
        .iter()
        .map(|&(i, key)| {
            let row = rows[i];
            let b = row.batch.as_ref();
            Params {
                row,
                key,
                batch_id: b.map(|b| b.id.as_str()),
                batch_file: b.and_then(|b| b.file.as_deref()),
                batch_feature: b.map(|b| b.feature),
            }
        })
        .collect();
    let mut values = Vec::with_capacity(which.len());
    let mut args: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(which.len() * 14);
    for p in &params {
        let n = args.len();
        let a = |k: usize| n + k;
        values.push(format!(
            "(${}::text::timestamptz, ${}::text, ${}::float8, ${}::text::jsonb, ${}::text, \
             ${}::text, ${}::text, ${}::text, ${}::text, \
             ST_SetSRID(ST_GeomFromGeoJSON(${}::text), 4326), ${}::text, ${}::text, ${}::text, \
             ${}::text, ${}::int8)",
            a(1),
            a(2),
            a(3),
            a(4),
            a(5),
            a(6),
            a(7),
            a(8),
            a(9),
            a(9),
            a(10),
            a(11),
            a(12),
            a(13),
            a(14)
        ));
        let r = p.row;
        args.extend_from_slice(&[
            &r.time,
            &r.verdict,
            &r.site_area_m2,
            &r.overlaps,
            &r.data_version,
            &r.source,
            &r.project,
            &r.applicant,
            &r.site,
            &p.key,
            &r.plan,
            &p.batch_id,
            &p.batch_file,
            &p.batch_feature,
        ]);
    }
    // Ids are drawn in the order the rows are inserted, which is the VALUES' order: the
    // keyless rows' ids, sorted, are theirs in order; a keyed row is found by its key.
    let sql = format!(
        "INSERT INTO planmap.checks ({COLUMNS}) VALUES {} \
         ON CONFLICT (check_key) DO NOTHING RETURNING id, check_key",
        values.join(", ")
    );
    let got = tx.query(&sql, &args).await?;
    let mut by_key: HashMap<String, i64> = HashMap::new();
    let mut keyless: Vec<i64> = Vec::new();
    for r in &got {
        match r.get::<_, Option<String>>(1) {
            Some(k) => {
                by_key.insert(k, r.get(0));
            }
            None => keyless.push(r.get(0)),
        }
    }
    keyless.sort_unstable();
    let mut keyless = keyless.into_iter();
    let mut conflicted = Vec::new();
    for &(i, key) in which {
        match key {
            Some(k) => match by_key.get(k) {
                Some(&id) => ids[i] = Some(id),
                None => conflicted.push(i),
            },
            None => ids[i] = keyless.next(),
        }
    }
    Ok(conflicted)
}
