//! Group commit: one writer thread owns the database's write connection; callers hand it
//! checked rows and wait. The writer takes every row waiting (up to a batch limit), writes
//! them in one transaction — each row in a savepoint, so one row's failure is that row's
//! alone — and commits once: one fsync of the write-ahead log (`synchronous=FULL`) for the
//! whole batch. Only then is each caller answered with its id. While a commit is on its way
//! to disk the next rows queue, so concurrent checks share commits instead of waiting for
//! each other's fsync; a lone check is committed at once, no timer.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;

use rusqlite::{params, Connection, TransactionBehavior};

use crate::error::HistoryError;
use crate::row::Row;

/// Rows one commit takes at most when more are waiting.
pub const DEFAULT_MAX_BATCH: usize = 256;

/// What the writer has done since the history was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitStats {
    /// Transactions committed (each one fsync of the log).
    pub commits: u64,
    /// Rows those commits answered (a repeated check's key answers without a new row).
    pub records: u64,
}

#[derive(Default)]
struct Counters {
    commits: AtomicU64,
    records: AtomicU64,
}

/// Where a caller's answer arrives.
#[derive(Default)]
struct Slot {
    state: Mutex<SlotState>,
    ready: Condvar,
}

#[derive(Default)]
struct SlotState {
    /// Answered (the result may have been taken since).
    done: bool,
    result: Option<Result<i64, HistoryError>>,
    waker: Option<Waker>,
}

impl Slot {
    fn fill(&self, r: Result<i64, HistoryError>) {
        let waker = {
            let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if s.done {
                return;
            }
            s.done = true;
            s.result = Some(r);
            s.waker.take()
        };
        self.ready.notify_all();
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// A record handed to the writer: its id once the commit holding it is on disk. Wait for
/// it on a thread that may block ([`Pending::wait`]) or `.await` it.
#[must_use = "a record is durable only once its Pending has answered"]
pub struct Pending {
    slot: Arc<Slot>,
}

impl Pending {
    /// Blocks until the record's commit is on disk (or failed).
    pub fn wait(self) -> Result<i64, HistoryError> {
        let mut s = self.slot.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(r) = s.result.take() {
                return r;
            }
            s = self.slot.ready.wait(s).unwrap_or_else(|p| p.into_inner());
        }
    }
}

impl Future for Pending {
    type Output = Result<i64, HistoryError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = self.slot.state.lock().unwrap_or_else(|p| p.into_inner());
        match s.result.take() {
            Some(r) => Poll::Ready(r),
            None => {
                s.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// Where one record's answer goes: [`Answer::send`] it once the commit holding the record
/// is durable. Dropped unanswered (its writer stopped), it answers with an error, so no
/// caller waits for ever. For writers of other stores (planmap-pg's `PgHistory`).
pub struct Answer {
    slot: Arc<Slot>,
}

impl Answer {
    /// Answers the [`Pending`] of this record.
    pub fn send(self, r: Result<i64, HistoryError>) {
        self.slot.fill(r);
    }
}

impl Drop for Answer {
    fn drop(&mut self) {
        self.slot.fill(Err(HistoryError::Write(
            "the history writer stopped".into(),
        )));
    }
}

/// A [`Pending`] and the [`Answer`] that fills it.
pub fn pending() -> (Pending, Answer) {
    let slot = Arc::new(Slot::default());
    (Pending { slot: slot.clone() }, Answer { slot })
}

/// A row and where its answer goes.
struct Job {
    row: Row,
    answer: Answer,
}

/// The writer thread and the way to it.
pub(crate) struct Writer {
    tx: Mutex<Option<Sender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    counters: Arc<Counters>,
}

impl Writer {
    /// Starts the writer thread on `conn` (WAL, `synchronous=FULL`, schema up to date).
    pub fn start(conn: Connection, max_batch: usize) -> std::io::Result<Writer> {
        let (tx, rx) = mpsc::channel();
        let counters = Arc::new(Counters::default());
        let c = counters.clone();
        let thread = std::thread::Builder::new()
            .name("history-writer".into())
            .spawn(move || run(conn, rx, max_batch.max(1), &c))?;
        Ok(Writer {
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
            counters,
        })
    }

    /// Queues a row for the next commit.
    pub fn submit(&self, row: Row) -> Pending {
        let (pending, answer) = pending();
        let job = Job { row, answer };
        let tx = self.tx.lock().unwrap_or_else(|p| p.into_inner());
        // A closed channel drops the job, which answers with an error.
        if let Some(tx) = tx.as_ref() {
            let _ = tx.send(job);
        }
        pending
    }

    pub fn stats(&self) -> CommitStats {
        CommitStats {
            commits: self.counters.commits.load(Ordering::Relaxed),
            records: self.counters.records.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Writer {
    /// Lets the writer finish what it was given, then closes its connection.
    fn drop(&mut self) {
        self.tx.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(t) = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = t.join();
        }
    }
}

fn run(mut conn: Connection, rx: Receiver<Job>, max_batch: usize, counters: &Counters) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let results = commit(&mut conn, &batch);
        counters.commits.fetch_add(1, Ordering::Relaxed);
        counters
            .records
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        for (job, r) in batch.into_iter().zip(results) {
            job.answer.send(r);
        }
    }
}

/// Writes a batch in one transaction; the result of each row, all failed if the commit did.
fn commit(conn: &mut Connection, batch: &[Job]) -> Vec<Result<i64, HistoryError>> {
    let failed = |e: &rusqlite::Error| {
        batch
            .iter()
            .map(|_| Err(HistoryError::Write(e.to_string())))
            .collect()
    };
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return failed(&e),
    };
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        let r = tx
            .savepoint()
            .and_then(|sp| {
                let id = insert(&sp, &job.row)?;
                sp.commit()?;
                Ok(id)
            })
            .map_err(HistoryError::from);
        results.push(r);
    }
    match tx.commit() {
        Ok(()) => results,
        Err(e) => failed(&e),
    }
}

/// Inserts one row; a key already recorded for the same site, data and verdict answers with
/// that record's id instead, and one recorded for another check is dropped from this row.
fn insert(sp: &Connection, row: &Row) -> rusqlite::Result<i64> {
    let mut key = row.key.as_deref();
    if let Some(k) = key {
        let seen: Option<(i64, String, String, String)> = sp
            .prepare_cached(
                "SELECT id, site, data_version, verdict FROM checks WHERE check_key = ?1",
            )?
            .query_row([k], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })?;
        match seen {
            Some((id, s, v, d)) if s == row.site && v == row.data_version && d == row.verdict => {
                return Ok(id)
            }
            Some(_) => key = None,
            None => {}
        }
    }
    sp.prepare_cached(
        "INSERT INTO checks (time, verdict, site_area_m2, overlaps, data_version, source,
                             project, applicant, site, check_key, plan,
                             batch_id, batch_file, batch_feature)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        row.time,
        row.verdict,
        row.site_area_m2,
        row.overlaps,
        row.data_version,
        row.source,
        row.project,
        row.applicant,
        row.site,
        key,
        row.plan,
        row.batch.as_ref().map(|b| &b.id),
        row.batch.as_ref().and_then(|b| b.file.as_ref()),
        row.batch.as_ref().map(|b| b.feature),
    ])?;
    Ok(sp.last_insert_rowid())
}
