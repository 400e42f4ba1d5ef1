//! What keeps one client from taking the server down: a time limit on every request and a
//! bounded number of heavy requests (site checks, uploads, imports, report images) computing
//! at once. A heavy request that finds every slot busy waits a little for one, then gets 503
//! with `Retry-After` rather than piling up behind the others; a request over its time gets
//! 503 too. Both answers are JSON naming the limit, as every refusal here.
//!
//! Body size, vertices and parts of a site, and the features and unpacked size of uploads are
//! limited where those are read ([`crate::api`], [`crate::upload`]).

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use crate::error::ApiError;
use crate::state::AppState;

/// Seconds a client refused for load is told to wait.
pub const RETRY_AFTER_S: u64 = 2;

/// The slots for heavy requests and how long one waits for a slot.
#[derive(Debug)]
pub struct Gate {
    slots: Semaphore,
    size: usize,
    wait: Duration,
}

impl Gate {
    pub fn new(size: usize, wait: Duration) -> Gate {
        let size = size.max(1);
        Gate {
            slots: Semaphore::new(size),
            size,
            wait,
        }
    }
}

fn busy(message: String) -> Response {
    let mut r = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, message).into_response();
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_S));
    r
}

/// Every request: answered within the configured time, else 503.
pub async fn time_limit(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let limit = st.config().request_timeout;
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(r) => r,
        Err(_) => busy(format!(
            "the request took longer than the limit of {} s; try again later or send less",
            limit.as_secs_f64()
        ))
        .into_response(),
    }
}

/// Heavy requests: one of the gate's slots, else 503 with `Retry-After`.
pub async fn heavy(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let gate = st.gate();
    let permit = match gate.slots.try_acquire() {
        Ok(p) => Some(p),
        Err(_) => tokio::time::timeout(gate.wait, gate.slots.acquire())
            .await
            .ok()
            .and_then(Result::ok),
    };
    let Some(_permit) = permit else {
        tracing::warn!(path = %req.uri().path(), "heavy request refused: every slot busy");
        return busy(format!(
            "the server is busy: all {} slots for heavy requests (checks, uploads, imports) \
             are in use; retry after {RETRY_AFTER_S} s",
            gate.size
        ));
    };
    next.run(req).await
}
