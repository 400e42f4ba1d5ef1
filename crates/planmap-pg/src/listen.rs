//! The replica's LISTEN connection ([`listen`]): the ids of plans whose data changed, as
//! migration 3's triggers announce them at COMMIT.
//!
//! One dedicated connection (outside the pool) in `LISTEN planmap`. Notifications arriving
//! together are folded (a plan once). The connection is checked every few seconds (`SELECT
//! 1`, and TCP keepalives), so a half-open one is noticed; when it drops, it is made again
//! with a backoff of 0.5 s doubling to 5 s. Each time the connection is listening — the
//! first time too — the receiver gets [`Change::Resync`]: whatever changed before (since the
//! plans were loaded, or while the connection was down) was not announced, so every plan is
//! to be compared with the store.

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{sleep, timeout};
use tokio_postgres::{AsyncMessage, Client, Config, NoTls};

/// The channel migration 3 notifies on.
pub const CHANNEL: &str = "planmap";

/// What the LISTEN connection reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// This plan's data changed (committed).
    Plan(String),
    /// The connection is listening (first, or again after it was lost): changes before it
    /// were not heard, compare every plan with the store.
    Resync,
}

const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How long the connection may stay silent before it is checked.
const CHECK_EVERY: Duration = Duration::from_secs(5);
/// How long a check or a connect may take.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// Starts the LISTEN task on the current tokio runtime and returns its changes, a
/// [`Change::Resync`] first once it listens. The task ends when the receiver is dropped.
pub fn listen(cfg: Config) -> mpsc::Receiver<Change> {
    let (tx, rx) = mpsc::channel(256);
    tokio::spawn(run(cfg, tx));
    rx
}

async fn run(mut cfg: Config, tx: mpsc::Sender<Change>) {
    cfg.keepalives(true)
        .keepalives_idle(Duration::from_secs(10))
        .connect_timeout(ANSWER_WITHIN);
    let mut backoff = FIRST_BACKOFF;
    loop {
        if let Ok((client, notes)) = connect(&cfg).await {
            backoff = FIRST_BACKOFF;
            if tx.send(Change::Resync).await.is_err() {
                return;
            }
            if relay(&client, notes, &tx).await.is_err() {
                return; // the receiver is gone
            }
        }
        if tx.is_closed() {
            return;
        }
        sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// A connection in `LISTEN planmap`, its notifications' payloads on a channel that closes
/// when the connection ends.
async fn connect(
    cfg: &Config,
) -> Result<(Client, mpsc::UnboundedReceiver<String>), tokio_postgres::Error> {
    let (client, mut conn) = cfg.connect(NoTls).await?;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(m) = std::future::poll_fn(|cx| conn.poll_message(cx)).await {
            match m {
                Ok(AsyncMessage::Notification(n)) if n.channel() == CHANNEL => {
                    if tx.send(n.payload().to_string()).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    });
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    Ok((client, rx))
}

/// Passes the notifications on until the connection ends (`Ok`) or the receiver is gone
/// (`Err`).
async fn relay(
    client: &Client,
    mut notes: mpsc::UnboundedReceiver<String>,
    tx: &mpsc::Sender<Change>,
) -> Result<(), ()> {
    loop {
        match timeout(CHECK_EVERY, notes.recv()).await {
            Ok(Some(first)) => {
                let mut plans = BTreeSet::from([first]);
                while let Ok(p) = notes.try_recv() {
                    plans.insert(p);
                }
                for p in plans {
                    tx.send(Change::Plan(p)).await.map_err(|_| ())?;
                }
            }
            Ok(None) => return Ok(()),
            Err(_) => {
                if tx.is_closed() {
                    return Err(());
                }
                let alive = timeout(ANSWER_WITHIN, client.simple_query("SELECT 1")).await;
                if !matches!(alive, Ok(Ok(_))) {
                    return Ok(());
                }
            }
        }
    }
}
