//! The table of open connections: what each is doing (waiting for a request's head, idle,
//! mid-request), which deadline applies to it, and which to close when the table is full.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// Milliseconds since the first use (a monotonic clock the connections share as integers).
pub fn now_ms() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    EPOCH.get_or_init(Instant::now).elapsed().as_millis() as u64
}

/// The instant of [`now_ms`]'s `ms` (now, if that is past).
pub fn instant_of(ms: u64) -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_millis(ms.saturating_sub(now_ms()))
}

/// Waiting for a request's head (since the connection opened, or the first byte after idle).
const HEAD: u8 = 0;
/// Between requests, nothing received.
const IDLE: u8 = 1;

/// The timeouts of a connection.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub header: Duration,
    pub idle: Duration,
}

/// One connection's state, written by its own task, read by the accept loop.
#[derive(Debug)]
pub struct Conn {
    id: u64,
    /// Requests whose handler is running.
    handling: AtomicU32,
    /// Answers being written (handler done, body not yet all sent).
    sending: AtomicU32,
    /// [`HEAD`] or [`IDLE`] when nothing is in flight.
    phase: AtomicU8,
    /// When the phase began (ms of [`now_ms`]).
    since: AtomicU64,
    /// The last read or write of a byte.
    last_io: AtomicU64,
    evicted: AtomicBool,
    /// Woken when the state changes or the connection is to be closed.
    pub changed: Notify,
}

impl Conn {
    fn new(id: u64) -> Conn {
        let now = now_ms();
        Conn {
            id,
            handling: AtomicU32::new(0),
            sending: AtomicU32::new(0),
            phase: AtomicU8::new(HEAD),
            since: AtomicU64::new(now),
            last_io: AtomicU64::new(now),
            evicted: AtomicBool::new(false),
            changed: Notify::new(),
        }
    }

    /// Nothing in flight: the connection waits for a request (idle or reading a head).
    pub fn is_quiet(&self) -> bool {
        self.handling.load(Ordering::SeqCst) == 0 && self.sending.load(Ordering::SeqCst) == 0
    }

    /// Bytes were read: a quiet, idle connection starts reading a request's head.
    pub fn on_read(&self) {
        let now = now_ms();
        self.last_io.store(now, Ordering::Relaxed);
        if self.is_quiet() && self.phase.load(Ordering::SeqCst) == IDLE {
            self.since.store(now, Ordering::SeqCst);
            self.phase.store(HEAD, Ordering::SeqCst);
            self.changed.notify_one();
        }
    }

    pub fn on_write(&self) {
        self.last_io.store(now_ms(), Ordering::Relaxed);
    }

    /// A request's head was read and its handler called.
    pub fn request(self: &Arc<Self>) -> Handling {
        self.handling.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_one();
        Handling(Arc::clone(self))
    }

    fn settle(&self) {
        if self.is_quiet() {
            self.since.store(now_ms(), Ordering::SeqCst);
            self.phase.store(IDLE, Ordering::SeqCst);
        }
        self.changed.notify_one();
    }

    /// When the connection is to be closed if nothing happens meanwhile: a head not read
    /// within the header timeout, idle longer than the idle timeout, an answer whose writing
    /// stalled that long. `None` while a handler runs (the request's own limit applies).
    pub fn deadline(&self, t: Timeouts) -> Option<u64> {
        if self.handling.load(Ordering::SeqCst) > 0 {
            return None;
        }
        if self.sending.load(Ordering::SeqCst) > 0 {
            return Some(self.last_io.load(Ordering::Relaxed) + t.idle.as_millis() as u64);
        }
        let since = self.since.load(Ordering::SeqCst);
        Some(match self.phase.load(Ordering::SeqCst) {
            HEAD => since + t.header.as_millis() as u64,
            _ => since + t.idle.as_millis() as u64,
        })
    }

    /// Whether the accept loop asked this connection to close.
    pub fn is_evicted(&self) -> bool {
        self.evicted.load(Ordering::SeqCst)
    }
}

/// A running handler of a connection; when dropped (the handler returned or was dropped),
/// it becomes [`Sending`] or nothing.
#[derive(Debug)]
pub struct Handling(Arc<Conn>);

impl Handling {
    /// The handler answered: its body is now being written.
    pub fn answered(self) -> Sending {
        let c = Arc::clone(&self.0);
        c.sending.fetch_add(1, Ordering::SeqCst);
        drop(self);
        Sending(c)
    }
}

impl Drop for Handling {
    fn drop(&mut self) {
        self.0.handling.fetch_sub(1, Ordering::SeqCst);
        self.0.settle();
    }
}

/// An answer being written; dropped when its body was all sent (or the connection closed).
#[derive(Debug)]
pub struct Sending(Arc<Conn>);

impl Sending {
    /// A chunk of the answer went out.
    pub fn progress(&self) {
        self.0.on_write();
    }
}

impl Drop for Sending {
    fn drop(&mut self) {
        self.0.sending.fetch_sub(1, Ordering::SeqCst);
        self.0.settle();
    }
}

/// Every open connection, oldest first.
#[derive(Debug, Default)]
pub struct Table {
    conns: Mutex<BTreeMap<u64, Arc<Conn>>>,
    next: AtomicU64,
    open: AtomicUsize,
    /// Connections closed since the allocator was last asked to return memory.
    closed: AtomicUsize,
    /// Woken when a connection closes.
    pub freed: Notify,
}

impl Table {
    /// Connections open now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    /// Registers a new connection; it leaves the table when the [`Entry`] is dropped.
    pub fn insert(self: &Arc<Self>) -> Entry {
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        let conn = Arc::new(Conn::new(id));
        self.conns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, Arc::clone(&conn));
        self.open.fetch_add(1, Ordering::SeqCst);
        Entry {
            table: Arc::clone(self),
            conn,
        }
    }

    /// Asks the oldest connection with nothing in flight to close; `false` when every open
    /// connection is mid-request.
    pub fn evict_oldest_quiet(&self) -> bool {
        let conns = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        let victim = conns
            .values()
            .find(|c| c.is_quiet() && !c.is_evicted())
            .cloned();
        drop(conns);
        match victim {
            Some(c) => {
                c.evicted.store(true, Ordering::SeqCst);
                c.changed.notify_one();
                true
            }
            None => false,
        }
    }

    /// Asks every quiet connection to close (shutdown); the others close after their answer.
    pub fn wake_all(&self) {
        for c in self
            .conns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
        {
            c.changed.notify_one();
        }
    }

    /// Whether at least `n` connections closed since this last said yes.
    pub fn take_closed(&self, n: usize) -> bool {
        self.closed
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |c| {
                (c >= n).then_some(0)
            })
            .is_ok()
    }
}

/// A connection's place in the table.
#[derive(Debug)]
pub struct Entry {
    table: Arc<Table>,
    pub conn: Arc<Conn>,
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.table
            .conns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.conn.id);
        self.table.open.fetch_sub(1, Ordering::SeqCst);
        self.table.closed.fetch_add(1, Ordering::SeqCst);
        self.table.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timeouts = Timeouts {
        header: Duration::from_secs(10),
        idle: Duration::from_secs(30),
    };

    #[test]
    fn deadlines_follow_what_the_connection_does() {
        let table = Arc::new(Table::default());
        let e = table.insert();
        let c = &e.conn;
        let opened = c.since.load(Ordering::SeqCst);
        assert_eq!(
            c.deadline(T),
            Some(opened + 10_000),
            "a new connection owes a head"
        );
        let h = c.request();
        assert_eq!(
            c.deadline(T),
            None,
            "a handler runs under the request's own limit"
        );
        let s = h.answered();
        assert!(
            c.deadline(T).is_some(),
            "an answer being written may stall only so long"
        );
        drop(s);
        let idle = c.since.load(Ordering::SeqCst);
        assert_eq!(c.deadline(T), Some(idle + 30_000), "idle between requests");
        c.on_read();
        let head = c.since.load(Ordering::SeqCst);
        assert_eq!(
            c.deadline(T),
            Some(head + 10_000),
            "a new request's head started"
        );
    }

    #[test]
    fn the_oldest_quiet_connection_is_evicted_first() {
        let table = Arc::new(Table::default());
        let a = table.insert();
        let b = table.insert();
        let c = table.insert();
        let _busy = a.conn.request();
        assert!(table.evict_oldest_quiet());
        assert!(!a.conn.is_evicted(), "mid-request: kept");
        assert!(b.conn.is_evicted(), "the oldest quiet one");
        assert!(!c.conn.is_evicted());
        assert!(table.evict_oldest_quiet());
        assert!(c.conn.is_evicted());
        assert!(
            !table.evict_oldest_quiet(),
            "only a connection mid-request is left"
        );
        assert_eq!(table.open(), 3);
        drop((b, c));
        assert_eq!(table.open(), 1);
        assert!(!table.take_closed(3));
        assert!(table.take_closed(2));
        assert!(!table.take_closed(1), "counted again from zero");
    }
}
