//! Work off the async threads, bounded by the request that asked for it.
//!
//! Every request runs inside a [`Job`] ([`crate::guards::time_limit`] opens it): a cancel
//! flag the engine reads between pieces of work ([`planmap_core::Cancel`]), flipped at the
//! request's deadline, at shutdown, and when the request's future is dropped (the client went
//! away). A heavy request also holds a slot of the gate ([`crate::guards::heavy`]).
//! [`blocking`] runs a closure on a blocking thread with both: the closure gets the job, and
//! the slot stays held until the closure returns — not merely until the 503 is sent.
//!
//! The job also decides who answers. Before a check is recorded, its work [`Job::claim`]s the
//! answer; the deadline (or the client's departure) cancels the job only if nobody claimed it
//! first. So a check is recorded only if its recording began while the request was live,
//! and once it began, the deadline waits for the answer (a commit: milliseconds) instead of
//! answering 503 over a recorded verdict.

use std::any::Any;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use axum::http::StatusCode;
use planmap_core::Cancel;

use crate::error::{ApiError, ApiResult};

const RUNNING: u8 = 0;
const CANCELLED: u8 = 1;
const CLAIMED: u8 = 2;

/// One request's work: its cancel flag and who answers it.
#[derive(Debug, Default)]
pub struct Job {
    flag: Cancel,
    state: AtomicU8,
}

impl Job {
    pub fn new() -> Job {
        Job::default()
    }

    /// The flag to hand to the engine's `*_cancellable` calls.
    pub fn flag(&self) -> &Cancel {
        &self.flag
    }

    /// Stops the work, unless its answer was claimed: `true` when the job is (now or
    /// already) cancelled, `false` when the work had claimed the answer first.
    pub fn cancel(&self) -> bool {
        match self
            .state
            .compare_exchange(RUNNING, CANCELLED, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) | Err(CANCELLED) => {
                self.flag.cancel();
                true
            }
            Err(_) => false,
        }
    }

    /// Whether the work was told to stop.
    pub fn is_cancelled(&self) -> bool {
        self.state.load(Ordering::SeqCst) == CANCELLED
    }

    /// `Err` (a 503 no client will see: the request was already answered or is gone) once
    /// the job is cancelled.
    pub fn check(&self) -> ApiResult<()> {
        if self.is_cancelled() {
            Err(stopped())
        } else {
            Ok(())
        }
    }

    /// Claims the answer: from now on the deadline does not cancel the job, the request
    /// waits for it. `Err` when the job was cancelled first (then nothing is to be recorded).
    pub fn claim(&self) -> ApiResult<()> {
        match self
            .state
            .compare_exchange(RUNNING, CLAIMED, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) | Err(CLAIMED) => Ok(()),
            Err(_) => Err(stopped()),
        }
    }

    /// Whether the work claimed the answer.
    pub fn is_claimed(&self) -> bool {
        self.state.load(Ordering::SeqCst) == CLAIMED
    }
}

/// The answer of work stopped by its job (never seen by a client: the request timed out,
/// the server is stopping or the client left).
pub fn stopped() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "the computation was stopped: the request ran out of time or was abandoned",
    )
}

/// What a request holds while its work runs (the gate's slot); released when the request
/// and every blocking closure it started are done.
pub type Hold = Arc<dyn Any + Send + Sync>;

/// The request's hold, until [`release`] lets it go.
type Held = Arc<std::sync::Mutex<Option<Hold>>>;

tokio::task_local! {
    static JOB: Arc<Job>;
    static HOLD: Held;
}

/// The request's hold as it is now (`None`: none, or released).
fn held() -> Option<Hold> {
    HOLD.try_with(|h| h.lock().unwrap_or_else(|e| e.into_inner()).clone())
        .ok()
        .flatten()
}

/// Lets the request's hold go (its gate slot) before the request ends: once every blocking
/// closure it started has returned, the slot is free. A check calls it when its computing is
/// done and only the wait for its record's commit is left.
pub fn release() {
    let _ = HOLD.try_with(|h| h.lock().unwrap_or_else(|e| e.into_inner()).take());
}

/// Runs `fut` (a request) as `job`: [`blocking`] calls inside it get the job.
pub async fn with_job<F: std::future::Future>(job: Arc<Job>, fut: F) -> F::Output {
    JOB.scope(job, fut).await
}

/// Runs `fut` holding `hold`: [`blocking`] calls inside it keep `hold` until they return.
pub async fn holding<F: std::future::Future>(hold: Hold, fut: F) -> F::Output {
    HOLD.scope(Arc::new(std::sync::Mutex::new(Some(hold))), fut)
        .await
}

/// The current request's job (a job nobody cancels outside a request).
pub fn current() -> Arc<Job> {
    JOB.try_with(Arc::clone).unwrap_or_default()
}

/// Runs `f` on a blocking thread with the current request's job, keeping what the request
/// holds (its gate slot) until `f` returns, even if the request is gone by then.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce(&Job) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let job = current();
    let hold = held();
    tokio::task::spawn_blocking(move || {
        let _hold = hold;
        f(&job)
    })
    .await
    .map_err(|e| {
        tracing::error!("blocking work failed: {e}");
        ApiError::internal("internal error: the request could not be completed")
    })?
}

/// Starts `f` on a blocking thread at once with `job` (not the request's: work that outlives
/// its handler, as a streamed answer's), keeping what the request holds (its gate slot)
/// until `f` returns. Call it from the request's handler.
pub fn spawn_blocking_as<T: Send + 'static>(
    job: Arc<Job>,
    f: impl FnOnce(&Job) -> T + Send + 'static,
) -> tokio::task::JoinHandle<T> {
    let hold = held();
    tokio::task::spawn_blocking(move || {
        let _hold = hold;
        f(&job)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_of_claim_and_cancel_wins() {
        let j = Job::new();
        assert!(j.claim().is_ok());
        assert!(!j.cancel(), "a claimed job is not cancelled");
        assert!(!j.flag().is_cancelled());
        assert!(j.check().is_ok());

        let j = Job::new();
        assert!(j.cancel());
        assert!(j.flag().is_cancelled());
        assert!(j.claim().is_err(), "a cancelled job records nothing");
        assert!(j.check().is_err());
    }

    #[tokio::test]
    async fn blocking_work_keeps_the_hold_until_it_returns() {
        let hold: Hold = Arc::new(());
        let weak = Arc::downgrade(&hold);
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let req = holding(hold, async move {
            blocking(move |_| {
                started_tx.send(()).unwrap();
                go_rx.recv().unwrap();
                Ok(())
            })
            .await
        });
        let task = tokio::spawn(req);
        tokio::task::spawn_blocking(move || started_rx.recv().unwrap())
            .await
            .unwrap();
        task.abort(); // the request is gone (timed out, client left)
        let _ = task.await;
        assert!(weak.upgrade().is_some(), "the work still holds the slot");
        go_tx.send(()).unwrap();
        for _ in 0..200 {
            if weak.upgrade().is_none() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        panic!("the slot was not released when the work ended");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_released_hold_goes_once_the_work_it_started_returns() {
        let hold: Hold = Arc::new(());
        let weak = Arc::downgrade(&hold);
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let (wait_tx, wait_rx) = tokio::sync::oneshot::channel::<()>();
        let req = holding(hold, async move {
            // Work started, then the hold released while the work still runs.
            let work = spawn_blocking_as(Arc::default(), move |_| go_rx.recv().unwrap());
            release();
            let _ = wait_rx.await; // the request waits on (a commit, say)
            work.await.unwrap();
        });
        let task = tokio::spawn(req);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(
            weak.upgrade().is_some(),
            "the running work still holds the slot"
        );
        go_tx.send(()).unwrap();
        for _ in 0..200 {
            if weak.upgrade().is_none() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert!(
            weak.upgrade().is_none(),
            "released, and the work is done: the slot is free"
        );
        assert!(!task.is_finished(), "…while the request still waits");
        wait_tx.send(()).unwrap();
        task.await.unwrap();
    }
}
