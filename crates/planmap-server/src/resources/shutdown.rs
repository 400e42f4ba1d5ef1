//! The server's stop signal: set once (SIGTERM, Ctrl-C), seen by the accept loop (no new
//! connections, idle ones closed), by every request in flight (its work cancelled, a 503
//! answered) and by work that belongs to no request (the conflict scan), through a
//! [`Cancel`] flag the engine reads.

use std::sync::Arc;

use planmap_core::Cancel;
use tokio::sync::watch;

/// Whether the server is stopping.
#[derive(Debug)]
pub struct Shutdown {
    tx: watch::Sender<bool>,
    flag: Arc<Cancel>,
}

impl Default for Shutdown {
    fn default() -> Shutdown {
        Shutdown {
            tx: watch::Sender::new(false),
            flag: Arc::new(Cancel::new()),
        }
    }
}

impl Shutdown {
    /// Starts stopping (idempotent).
    pub fn begin(&self) {
        self.flag.cancel();
        self.tx.send_replace(true);
    }

    pub fn is_stopping(&self) -> bool {
        *self.tx.borrow()
    }

    /// Resolves once stopping began.
    pub fn stopping(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.tx.subscribe();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    }

    /// The flag work of no request reads (set when stopping begins).
    pub fn flag(&self) -> &Arc<Cancel> {
        &self.flag
    }
}
