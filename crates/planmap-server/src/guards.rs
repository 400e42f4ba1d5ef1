//! What stands before a handler, over the server's state: the data keeper's guard
//! ([`Keeper`]), a time limit on every request, the gate of heavy requests and the announced
//! body size. Their answers are JSON naming the limit, as every refusal here.
//!
//! Body size (as read), vertices and parts of a site, and the features and unpacked size of
//! uploads are limited where those are read ([`crate::http::body_bytes`], [`crate::upload`],
//! the engine).

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::resources::gate::{busy, RETRY_AFTER_S};
use crate::resources::token::{decide, Denied};
use crate::state::AppState;

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

/// Every request: answered within the configured time, else 503.
pub async fn time_limit(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let limit = st.config().request_timeout;
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(r) => r,
        Err(_) => busy(format!(
            "the request took longer than the limit of {} s; try again later or send less",
            limit.as_secs_f64()
        )),
    }
}

/// Heavy requests: one of the gate's slots, else 503 with `Retry-After`.
pub async fn heavy(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let gate = st.gate();
    let Some(_permit) = gate.acquire().await else {
        tracing::warn!(path = %req.uri().path(), "heavy request refused: every slot busy");
        return busy(format!(
            "the server is busy: all {} slots for heavy requests (checks, uploads, imports) \
             are in use; retry after {RETRY_AFTER_S} s",
            gate.size()
        ));
    };
    next.run(req).await
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
