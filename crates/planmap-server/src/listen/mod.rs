//! The server's own accept loop over hyper's HTTP/1 connections (axum::serve has no header
//! timeout, no connection limit): every connection in a [`table::Table`] with its deadline
//! — the head of a request within `header_timeout` (counted from the connection's start or
//! the request's first byte, so a silent socket or one sending a byte a second is closed),
//! `idle_timeout` between requests — and at most `max_connections` open: one more closes the
//! oldest connection that is not mid-request (an idle crowd cannot lock out a real request);
//! if every one is mid-request, new connections wait in the listen backlog. Memory freed by
//! closed connections is handed back to the system ([`os::trim`]).
//!
//! At shutdown the listener closes, quiet connections close at once, requests in flight are
//! cancelled and answered 503 ([`crate::guards::time_limit`]); connections left after
//! `shutdown_grace` are abandoned with the runtime.

mod conn;
mod os;
mod table;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::router::router;
use crate::state::AppState;
use conn::Shared;
use table::{Table, Timeouts};

/// Descriptors kept for everything but connections (plan and history files, GDAL, readers).
const RESERVED_FDS: u64 = 256;
/// Closed connections after which the allocator is asked to give memory back.
const TRIM_AFTER_CLOSED: usize = 512;

/// Raises the open-file limit to its hard limit; returns how many connections fit in it.
pub fn raise_limits() -> Option<usize> {
    os::raise_nofile().map(|n| n.saturating_sub(RESERVED_FDS).max(1) as usize)
}

/// The connection limit in force: the configured one, within the descriptors there are.
fn max_connections(state: &AppState) -> usize {
    let wanted = state.config().max_connections.max(1);
    match raise_limits() {
        Some(fit) if fit < wanted => {
            tracing::warn!(
                wanted,
                fit,
                "--max-connections is above what the open-file limit allows; using {fit}"
            );
            fit
        }
        _ => wanted,
    }
}

/// Serves `state` on `listener` until the state's shutdown begins; then stops accepting,
/// closes quiet connections and waits up to `shutdown_grace` for the others.
pub async fn run(listener: TcpListener, state: AppState) -> std::io::Result<()> {
    let local = listener.local_addr()?;
    state.set_local_addr(local);
    let max = max_connections(&state);
    let cfg = state.config();
    let grace = cfg.shutdown_grace;
    let shared = Arc::new(Shared {
        app: router(state.clone()),
        state: state.clone(),
        timeouts: Timeouts {
            header: cfg.header_timeout,
            idle: cfg.idle_timeout,
        },
    });
    let table = Arc::new(Table::default());
    tokio::spawn(trimmer(Arc::clone(&table), state.clone()));
    let stopping = state.shutdown().stopping();
    tokio::pin!(stopping);
    let mut warned_full = false;
    'accept: loop {
        while table.open() >= max {
            let freed = table.freed.notified();
            if !table.evict_oldest_quiet() && !warned_full {
                tracing::warn!(max, "every connection is mid-request: new ones wait");
                warned_full = true;
            }
            tokio::select! {
                _ = freed => {}
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
                _ = &mut stopping => break 'accept,
            }
        }
        warned_full = false;
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = &mut stopping => break,
        };
        match accepted {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                let entry = table.insert();
                tokio::spawn(conn::serve(stream, entry, Arc::clone(&shared)));
            }
            Err(e) => {
                // Out of descriptors (or a connection reset before it was accepted): make
                // room and retry shortly rather than spin.
                if matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) {
                    table.evict_oldest_quiet();
                }
                tracing::warn!("accept: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    drop(listener);
    tracing::info!(
        open = table.open(),
        "shutting down: no new connections; requests in flight cancelled"
    );
    table.wake_all();
    let deadline = tokio::time::Instant::now() + grace;
    while table.open() > 0 {
        let freed = table.freed.notified();
        tokio::select! {
            _ = freed => {}
            _ = tokio::time::sleep_until(deadline) => {
                tracing::warn!(open = table.open(), "shutdown grace over: connections abandoned");
                break;
            }
        }
    }
    Ok(())
}

/// Gives freed memory back to the system once enough connections closed.
async fn trimmer(table: Arc<Table>, state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !state.shutdown().is_stopping() {
        tick.tick().await;
        if table.take_closed(TRIM_AFTER_CLOSED) {
            let _ = tokio::task::spawn_blocking(os::trim).await;
        }
    }
}
