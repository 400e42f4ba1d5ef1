//! What stands before a handler, over the server's state: the data keeper's guard
//! ([`Keeper`]), a time limit on every request (its work cancelled with it, [`crate::work`]),
//! the gate of heavy requests and the announced body size. Their answers are JSON naming the
//! limit, as every refusal here.
//!
//! Body size (as read), vertices and parts of a site, and the features and unpacked size of
//! uploads are limited where those are read ([`crate::http::body_bytes`], [`crate::upload`],
//! the engine).

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::resources::gate::{busy, RETRY_AFTER_S};
use crate::resources::token::{decide, Denied};
use crate::state::AppState;
use crate::work::{self, Job};

/// An extractor that lets a handler run only for the data keeper. Put it first among a
/// handler's arguments so nothing (not even the body) is read before access is decided.
#[derive(Debug, Clone, Copy)]
pub struct Keeper;

impl FromRequestParts<AppState> for Keeper {
    type Rejection = Denied;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Keeper, Denied> {
        let r = decide(
            st.config().admin_token.as_ref(),
            parts.headers.get(header::AUTHORIZATION),
        );
        if let Err(d) = r {
            tracing::warn!(path = %parts.uri.path(), denied = ?d, "admin access refused");
        }
        r.map(|()| Keeper)
    }
}

/// Cancels a request's job when the request's future is dropped (the client went away) or
/// done (a streamed answer's job: when its body is dropped).
pub(crate) struct CancelOnDrop(pub(crate) Arc<Job>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// Every request: answered within the configured time, else 503; its [`Job`] is cancelled at
/// that deadline, at shutdown and when the client goes away, so its work stops too. Work
/// that claimed the answer (a check being recorded) is waited for instead.
pub async fn time_limit(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let limit = st.config().request_timeout;
    let job = Arc::new(Job::new());
    let _gone = CancelOnDrop(Arc::clone(&job));
    let run = work::with_job(Arc::clone(&job), next.run(req));
    tokio::pin!(run);
    let message = tokio::select! {
        r = &mut run => return r,
        _ = tokio::time::sleep(limit) => format!(
            "the request took longer than the limit of {} s; try again later or send less",
            limit.as_secs_f64()
        ),
        _ = st.shutdown().stopping() => "the server is shutting down; try again shortly".to_string(),
    };
    if job.cancel() {
        return busy(message);
    }
    // The answer was claimed (a check is being recorded): it goes out.
    run.await
}

/// Heavy requests: one of the gate's slots, else 503 with `Retry-After`. The slot is held by
/// the request's blocking work ([`work::blocking`]) until that work returns.
pub async fn heavy(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let gate = st.gate();
    let Some(permit) = gate.acquire().await else {
        tracing::warn!(path = %req.uri().path(), "heavy request refused: every slot busy");
        return busy(format!(
            "the server is busy: all {} slots for heavy requests (checks, uploads, imports) \
             are in use; retry after {RETRY_AFTER_S} s",
            gate.size()
        ));
    };
    work::holding(Arc::new(permit), next.run(req)).await
}

/// A body announced larger than the limit: 413 at once, before any of it is read (so a
/// client sending `Expect: 100-continue` is told before it sends the body).
pub async fn body_size(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let limit = st.config().body_limit;
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match announced {
        Some(n) if n > limit as u64 => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body is larger than the limit of {limit} bytes"),
        )
        .with("limit_bytes", limit)
        .into_response(),
        _ => next.run(req).await,
    }
}
