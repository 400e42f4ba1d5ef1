//! The slots of heavy requests (site checks, uploads, imports, report images): a bounded
//! number compute at once. A heavy request that finds every slot busy waits a little for one,
//! then gets 503 with `Retry-After` rather than piling up behind the others
//! ([`crate::guards::heavy`]). A slot is an owned permit: the request's blocking work keeps it
//! ([`crate::work::holding`]) until the work really stopped, not until the answer was sent.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::ApiError;

pub use crate::error::RETRY_AFTER_S;

/// The slots for heavy requests and how long one waits for a slot.
#[derive(Debug)]
pub struct Gate {
    slots: Arc<Semaphore>,
    size: usize,
    wait: Duration,
}

impl Gate {
    pub fn new(size: usize, wait: Duration) -> Gate {
        let size = size.max(1);
        Gate {
            slots: Arc::new(Semaphore::new(size)),
            size,
            wait,
        }
    }

    /// A slot now, or within the wait; `None` when every slot stayed busy.
    pub async fn acquire(&self) -> Option<OwnedSemaphorePermit> {
        match Arc::clone(&self.slots).try_acquire_owned() {
            Ok(p) => Some(p),
            Err(_) => tokio::time::timeout(self.wait, Arc::clone(&self.slots).acquire_owned())
                .await
                .ok()
                .and_then(Result::ok),
        }
    }

    /// Slots free just now.
    pub fn free(&self) -> usize {
        self.slots.available_permits()
    }

    /// How many requests may compute at once.
    pub fn size(&self) -> usize {
        self.size
    }
}

/// A 503 with `Retry-After`: the server is too busy (or the request too slow) just now.
pub fn busy(message: String) -> Response {
    let mut r = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, message).into_response();
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_S));
    r
}
