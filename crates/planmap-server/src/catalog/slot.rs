//! A plan's place in memory: its loaded snapshot or none, loaded once however many requests
//! ask at the same time (single flight, on a blocking thread), and when it was last used
//! (for the least-recently-used eviction).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::snapshot::Snapshot;

/// The catalog's clock: one tick a use.
static CLOCK: AtomicU64 = AtomicU64::new(1);

#[derive(Default)]
pub struct Slot {
    snap: Mutex<Option<Arc<Snapshot>>>,
    /// Held while the plan loads: a second asker waits for the first's load.
    loading: tokio::sync::Mutex<()>,
    used: AtomicU64,
}

impl Slot {
    /// The loaded snapshot, if any.
    pub fn current(&self) -> Option<Arc<Snapshot>> {
        self.snap.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Serves `snap` (a load or a reload).
    pub fn set(&self, snap: Arc<Snapshot>) {
        *self.snap.lock().unwrap_or_else(|e| e.into_inner()) = Some(snap);
        self.touch();
    }

    /// Drops the loaded snapshot (requests in flight keep theirs); whether there was one.
    pub fn evict(&self) -> bool {
        self.snap
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .is_some()
    }

    fn touch(&self) {
        self.used
            .store(CLOCK.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
    }

    /// The tick of the last use (0: never used).
    pub fn last_used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// What the loaded snapshot holds in memory, bytes; `None` when not loaded.
    pub fn memory_bytes(&self) -> Option<u64> {
        self.current().map(|s| s.memory_bytes())
    }

    /// The loaded snapshot, or loads it with `load` on a blocking thread: concurrent first
    /// askers wait for one load. The bool says whether this call loaded it.
    pub async fn get_or_load<F>(&self, load: F) -> Result<(Arc<Snapshot>, bool), String>
    where
        F: FnOnce() -> Result<Snapshot, String> + Send + 'static,
    {
        if let Some(s) = self.current() {
            self.touch();
            return Ok((s, false));
        }
        let _one = self.loading.lock().await;
        if let Some(s) = self.current() {
            self.touch();
            return Ok((s, false));
        }
        let snap = tokio::task::spawn_blocking(load)
            .await
            .map_err(|e| format!("loading failed: {e}"))??;
        let snap = Arc::new(snap);
        self.set(Arc::clone(&snap));
        Ok((snap, true))
    }
}
