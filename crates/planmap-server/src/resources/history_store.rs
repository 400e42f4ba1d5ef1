//! [`HistoryStore`]: where checks are recorded — the SQLite file of one server
//! (`--history FILE`) or PostgreSQL's `planmap.checks`, shared by every replica (`--db`). Both
//! take planmap-history's records (its row checks, the one definition) and answer with a
//! [`Pending`] that resolves once the record is committed.

use planmap_history::{BatchRef, History, HistoryError, NewRecord, Pending, Query, Record};
use planmap_pg::PgHistory;

/// The check history a server keeps; cheap to clone.
#[derive(Debug, Clone)]
pub enum HistoryStore {
    /// One server's SQLite file.
    Sqlite(History),
    /// The store's `planmap.checks`, one audit trail for every replica.
    Pg(PgHistory),
}

impl HistoryStore {
    /// Checks a record and hands it to the store's writer (see [`History::submit`]).
    pub fn submit(&self, rec: &NewRecord) -> Result<Pending, HistoryError> {
        match self {
            HistoryStore::Sqlite(h) => h.submit(rec),
            HistoryStore::Pg(h) => h.submit(rec),
        }
    }

    /// [`HistoryStore::submit`] for one site of a batch.
    pub fn submit_in_batch(
        &self,
        rec: &NewRecord,
        batch: &BatchRef,
    ) -> Result<Pending, HistoryError> {
        match self {
            HistoryStore::Sqlite(h) => h.submit_in_batch(rec, batch),
            HistoryStore::Pg(h) => h.submit_in_batch(rec, batch),
        }
    }

    /// The records `q` selects, newest first, and how many its filters select in all.
    /// SQLite is read on a blocking thread, PostgreSQL through the pool.
    pub async fn page(&self, q: Query) -> Result<(Vec<Record>, u64), HistoryError> {
        match self {
            HistoryStore::Sqlite(h) => {
                let h = h.clone();
                let read = move || Ok::<_, HistoryError>((h.list(&q)?, h.count(&q)?));
                tokio::task::spawn_blocking(read)
                    .await
                    .map_err(|e| HistoryError::Write(format!("the reader failed: {e}")))?
            }
            HistoryStore::Pg(h) => Ok((h.list(&q).await?, h.count(&q).await?)),
        }
    }

    /// The records `q` selects, newest first.
    pub async fn list(&self, q: Query) -> Result<Vec<Record>, HistoryError> {
        match self {
            HistoryStore::Sqlite(h) => {
                let h = h.clone();
                tokio::task::spawn_blocking(move || h.list(&q))
                    .await
                    .map_err(|e| HistoryError::Write(format!("the reader failed: {e}")))?
            }
            HistoryStore::Pg(h) => h.list(&q).await,
        }
    }

    /// What `planmap serve` prints about the history at start.
    pub fn describe(&self) -> String {
        match self {
            HistoryStore::Sqlite(h) => h.settings().to_string(),
            HistoryStore::Pg(h) => format!(
                "check history in PostgreSQL at {} (planmap.checks, one for every replica): \
                 group commit (up to {} records a transaction; a check is answered once its \
                 commit is done)",
                h.at(),
                planmap_pg::HISTORY_MAX_BATCH
            ),
        }
    }
}
