//! Stopping a computation from outside: a flag the caller sets (from a timer, when the request
//! that asked is gone, at shutdown) and the engine reads between pieces of work.
//!
//! The core has no clock: a deadline is the caller's timer flipping the flag. The engine's
//! heavy operations read it between pieces of bounded cost (a candidate feature, a few
//! thousand edges of a big site, a rule's pair) and return [`Cancelled`] soon after it is set.
//!
//! ```
//! use std::sync::Arc;
//! use planmap_core::Cancel;
//!
//! let cancel = Arc::new(Cancel::new());
//! let timer = {
//!     let cancel = Arc::clone(&cancel);
//!     std::thread::spawn(move || {
//!         std::thread::sleep(std::time::Duration::from_millis(1));
//!         cancel.cancel(); // the request's time is up
//!     })
//! };
//! timer.join().unwrap();
//! assert!(cancel.check().is_err());
//! ```

use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::SiteError;

/// A cancellation flag, shared by reference (`&Cancel`, or in an `Arc`) between the thread
/// that computes and the one that may stop it. Setting it is permanent.
#[derive(Debug, Default)]
pub struct Cancel {
    flag: AtomicBool,
}

impl Cancel {
    /// A flag not set.
    pub const fn new() -> Cancel {
        Cancel {
            flag: AtomicBool::new(false),
        }
    }

    /// Asks every computation reading this flag to stop.
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }

    /// `Err(Cancelled)` once the flag is set: `cancel.check()?` between pieces of work.
    pub fn check(&self) -> Result<(), Cancelled> {
        if self.is_cancelled() {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }
}

/// A computation stopped because its [`Cancel`] was set: no result, partial or otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the computation was stopped before it finished (cancelled or out of time)")]
pub struct Cancelled;

/// Why a cancellable check gave no report: the site (the user's input), or the caller's
/// [`Cancel`] (not the site's fault: a server answers it as a time-out, not as a bad site).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Site(#[from] SiteError),
    #[error(transparent)]
    Cancelled(#[from] Cancelled),
}

/// The result of a cancellable operation run with a flag nobody else holds (so never set), as
/// the plain operation's result.
pub(crate) fn never<T>(r: Result<T, CheckError>) -> Result<T, SiteError> {
    r.map_err(|e| match e {
        CheckError::Site(e) => e,
        CheckError::Cancelled(_) => unreachable!("a flag nobody else holds is never set"),
    })
}
