//! A plan's place in memory: its loaded snapshot or none, loaded once however many requests
//! ask at the same time (single flight, on a blocking thread), and when it was last used
//! (for the least-recently-used eviction).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::snapshot::Snapshot;

/// The catalog's clock: one tick a use.
static CLOCK: AtomicU64 = AtomicU64::new(1);

/// A plan's place: generic over what is loaded (a [`Snapshot`]; tests load something
/// smaller).
pub struct Slot<T = Snapshot> {
    snap: Mutex<Option<Arc<T>>>,
    /// Held while the plan loads: a second asker waits for the first's load.
    loading: tokio::sync::Mutex<()>,
    used: AtomicU64,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot {
            snap: Mutex::new(None),
            loading: tokio::sync::Mutex::new(()),
            used: AtomicU64::new(0),
        }
    }
}

impl Slot<Snapshot> {
    /// What the loaded snapshot holds in memory, bytes; `None` when not loaded.
    pub fn memory_bytes(&self) -> Option<u64> {
        self.current().map(|s| s.memory_bytes())
    }
}

impl<T: Send + Sync + 'static> Slot<T> {
    /// The loaded snapshot, if any.
    pub fn current(&self) -> Option<Arc<T>> {
        self.snap.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Serves `snap` (a load or a reload).
    pub fn set(&self, snap: Arc<T>) {
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

    /// The loaded snapshot, or loads it with `load` on a blocking thread: concurrent first
    /// askers wait for one load. The bool says whether this call loaded it.
    pub async fn get_or_load<F>(&self, load: F) -> Result<(Arc<T>, bool), String>
    where
        F: FnOnce() -> Result<T, String> + Send + 'static,
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_first_askers_share_one_load_and_an_eviction_loads_again() {
        let slot: Arc<Slot<String>> = Arc::new(Slot::default());
        let loads = Arc::new(AtomicUsize::new(0));
        let ask = |slot: Arc<Slot<String>>, loads: Arc<AtomicUsize>| async move {
            slot.get_or_load(move || {
                loads.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(100));
                Ok("plan".to_string())
            })
            .await
        };
        let askers: Vec<_> = (0..16)
            .map(|_| tokio::spawn(ask(Arc::clone(&slot), Arc::clone(&loads))))
            .collect();
        let mut fresh = 0;
        for a in askers {
            let (got, loaded) = a.await.unwrap().unwrap();
            assert_eq!(*got, "plan");
            fresh += usize::from(loaded);
        }
        assert_eq!((loads.load(Ordering::SeqCst), fresh), (1, 1));
        let used = slot.last_used();
        assert!(used > 0);
        assert!(slot.evict());
        assert!(!slot.evict());
        let (_, loaded) = ask(Arc::clone(&slot), Arc::clone(&loads)).await.unwrap();
        assert!(loaded);
        assert_eq!(loads.load(Ordering::SeqCst), 2);
        assert!(slot.last_used() > used);
        // A load that fails leaves the slot empty, with the error.
        let empty: Slot<String> = Slot::default();
        let e = empty.get_or_load(|| Err("broken manifest".into())).await;
        assert_eq!(e.unwrap_err(), "broken manifest");
        assert!(empty.current().is_none());
    }
}
