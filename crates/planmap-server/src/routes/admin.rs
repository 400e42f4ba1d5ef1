//! `POST /api/admin/reload`: the data keeper has the plan folder read again now (the watch of
//! [`crate::reload`] does so within seconds of a change anyway).

use axum::extract::State;
use axum::Json;

use crate::catalog::extract::PlanRef;
use crate::error::{ApiResult, ErrorBody};
use crate::guards::Keeper;
use crate::query::{NoParams, Query};
use crate::reload::{reload_now, Reloaded};
use crate::routes::schemas::KeeperRefusals;
use crate::state::AppState;

/// `POST /api/admin/reload`: reloads the plan folder now.
#[utoipa::path(post, path = "/api/admin/reload", tag = "admin", security(("keeper" = [])),
    responses((status = 200, description = "The folder was read again and is served", body = Reloaded),
        (status = 400, description = "A parameter was given", body = ErrorBody),
        KeeperRefusals,
        (status = 404, description = "No token on this server", body = ErrorBody),
        (status = 422, description = "The folder does not load; the old data is still served", body = ErrorBody)))]
pub async fn reload(
    _: Keeper,
    State(st): State<AppState>,
    plan: PlanRef,
    _: Query<NoParams>,
) -> ApiResult<Json<Reloaded>> {
    reload_now(&st, &plan.plan).await.map(Json)
}
