//! The plan of a request. [`route`] (a layer before routing) takes `/plans/{plan}` off a
//! request's path, so `/plans/{plan}/api/check` reaches the handler of `/api/check`, and
//! notes the plan ([`Addressed`]) and the prefix of the plan's own URLs; the root paths mean
//! the default plan. Handlers ask for [`PlanRef`] (the plan, not loaded) or [`Loaded`] (its
//! loaded snapshot, loading it first if needed).

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::Uri;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::plans::{known, PlanEntry};
use crate::error::{clip, ApiError};
use crate::http::PathPrefix;
use crate::snapshot::Snapshot;
use crate::state::AppState;

/// The plan a request named with `/plans/{plan}/…`.
#[derive(Clone)]
pub struct Addressed(pub Arc<PlanEntry>);

/// The 404 of a plan id the catalog does not hold, naming the known ones.
pub fn unknown_plan(id: &str, st: &AppState) -> ApiError {
    let plans = st.catalog().plans();
    ApiError::not_found(format!(
        "unknown plan '{}' (the plans served: {})",
        clip(id),
        known(&plans)
    ))
    .with("plan", clip(id))
    .with(
        "known",
        plans.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
    )
}

/// Serves `/plans/{plan}/REST` as `/REST` for that plan (`/plans/{plan}` and
/// `/plans/{plan}/`: the web app); an unknown plan is a 404 naming the known ones.
pub async fn route(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(rest) = req.uri().path().strip_prefix("/plans/") else {
        return next.run(req).await;
    };
    let (raw, tail) = rest.split_once('/').unwrap_or((rest, ""));
    let id = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
    let Some(entry) = st.catalog().find(&id) else {
        return unknown_plan(&id, &st).into_response();
    };
    let path = match req.uri().query() {
        Some(q) => format!("/{tail}?{q}"),
        None => format!("/{tail}"),
    };
    let Ok(uri) = path.parse::<Uri>() else {
        return ApiError::bad_request("the path is not a valid URL path").into_response();
    };
    *req.uri_mut() = uri;
    req.extensions_mut().insert(PathPrefix(entry.prefix()));
    req.extensions_mut().insert(Addressed(entry));
    next.run(req).await
}

/// The plan of the request, not loaded: the one `/plans/{plan}/` named, else the default.
pub struct PlanRef {
    pub plan: Arc<PlanEntry>,
    /// Whether the request named it (`/plans/{plan}/…`) rather than meaning the default.
    pub addressed: bool,
}

impl PlanRef {
    fn of(parts: &Parts, st: &AppState) -> PlanRef {
        match parts.extensions.get::<Addressed>() {
            Some(a) => PlanRef {
                plan: Arc::clone(&a.0),
                addressed: true,
            },
            None => PlanRef {
                plan: st.catalog().default_plan(),
                addressed: false,
            },
        }
    }
}

impl FromRequestParts<AppState> for PlanRef {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        Ok(PlanRef::of(parts, st))
    }
}

/// The loaded snapshot of the request's plan (loaded now if it was not; a request keeps the
/// snapshot it started with, through a reload or an eviction).
pub struct Loaded(pub Arc<Snapshot>);

impl FromRequestParts<AppState> for Loaded {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        let p = PlanRef::of(parts, st);
        load(st, &p.plan).await.map(Loaded)
    }
}

/// A plan's snapshot, loaded if needed; a plan that does not load (a broken folder, the
/// database away) is a 503 naming it, with `Retry-After`.
pub async fn load(st: &AppState, plan: &Arc<PlanEntry>) -> Result<Arc<Snapshot>, ApiError> {
    st.catalog().loaded(plan).await.map_err(|e| {
        ApiError::new(axum::http::StatusCode::SERVICE_UNAVAILABLE, e)
            .retry_after(crate::error::RETRY_AFTER_S)
            .with("plan", plan.id.clone())
    })
}
