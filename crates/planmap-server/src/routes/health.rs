//! The probes of a load balancer or orchestrator: `/healthz` (the process answers) and
//! `/readyz` (it can answer checks: with `--db`, the database answers within 2 s with this
//! build's schema; the server listens only once its default plan is loaded). Not part of
//! `/api`.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::ApiError;
use crate::state::AppState;

/// How long `/readyz` waits for the database.
const DB_WAIT: Duration = Duration::from_secs(2);

#[derive(Serialize)]
struct Ready {
    ready: bool,
    /// `"ok"`, `"off"` (no `--db`) or why the database is not ready.
    database: String,
}

/// `GET /healthz`: 200 while the process serves requests.
pub async fn healthz() -> Response {
    (
        StatusCode::OK,
        axum::Json(serde_json::json!({"live": true})),
    )
        .into_response()
}

/// `GET /readyz`: 200 when this server can answer checks, else 503 with `Retry-After: 2`.
pub async fn readyz(State(st): State<AppState>) -> Response {
    let database = match st.db() {
        None => "off".to_string(),
        Some(db) => match tokio::time::timeout(DB_WAIT, db.ping()).await {
            Ok(Ok(())) => "ok".to_string(),
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("PostgreSQL at {}: no answer within 2 s", db.at()),
        },
    };
    if database == "ok" || database == "off" {
        let body = Ready {
            ready: true,
            database,
        };
        return (StatusCode::OK, axum::Json(body)).into_response();
    }
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, database)
        .with("ready", false)
        .retry_after(2)
        .into_response()
}
