//! The check history for the data keeper: `/api/history`, `/api/history.geojson`,
//! `/api/history.csv`, behind [`Keeper`]. Checks are recorded by
//! [`crate::resources::recorder`].

use axum::extract::State;
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use planmap_history::{export, HistoryError, Record, Source, VERDICTS};
use serde::{Deserialize, Serialize};

use crate::catalog::extract::PlanRef;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::guards::Keeper;
use crate::http::{blocking, json_bytes};
use crate::query::Query;
use crate::resources::history_store::HistoryStore;
use crate::routes::schemas::KeeperRefusals;
use crate::state::AppState;

/// Records one page of `GET /api/history` holds unless `limit` says otherwise; the most
/// `limit` may ask of any history endpoint (an export without `limit` holds every record
/// selected).
const PAGE: u64 = 100;
const MAX_PAGE: u64 = 1000;

/// The filters of a listing or export.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// At most this many records, 1 to 1000 (default: 100 on a page, every selected record in
    /// an export).
    pub limit: Option<u64>,
    /// Skip this many of the newest first.
    pub offset: Option<u64>,
    /// From this time on: RFC 3339 UTC or a date.
    pub from: Option<String>,
    /// Before this time: RFC 3339 UTC, or a date (that whole day included).
    pub to: Option<String>,
    /// Only this verdict: 不通过, 需论证 or 通过.
    pub verdict: Option<String>,
    /// Only checks from this source: api, web or cli.
    pub source: Option<String>,
    /// Only the verdicts of this plan (its id); under `/plans/{plan}/` always that plan.
    pub plan: Option<String>,
    /// Only the sites of this batch (the `batch_id` of `POST /api/check/batch`'s answer).
    pub batch: Option<String>,
}

/// The history and the store's query of a listing (`page`) or export request.
fn request(
    st: &AppState,
    q: HistoryQuery,
    page: bool,
    via: &PlanRef,
) -> ApiResult<(HistoryStore, planmap_history::Query)> {
    let h = st.history().cloned().ok_or_else(|| {
        ApiError::not_found(
            "the check history is off on this server (start it with --history FILE)",
        )
        .with("reason", "no history")
    })?;
    // Checked here to name the parameter; the store reads them itself.
    let time = |name: &str, v: Option<String>, end: bool| -> ApiResult<Option<String>> {
        if let Some(v) = &v {
            let t = if end {
                planmap_history::time::canonical_end(v)
            } else {
                planmap_history::time::canonical(v)
            };
            t.map_err(|e| ApiError::parameter(name, e))?;
        }
        Ok(v)
    };
    if let Some(v) = &q.verdict {
        if !VERDICTS.contains(&v.as_str()) {
            return Err(ApiError::parameter(
                "verdict",
                format!("not one of: {}", VERDICTS.join(", ")),
            ));
        }
    }
    let source = q
        .source
        .as_deref()
        .map(|s| {
            Source::parse(s)
                .ok_or_else(|| ApiError::parameter("source", "not one of: api, web, cli"))
        })
        .transpose()?;
    if let Some(b) = &q.batch {
        planmap_history::batch_id(b).map_err(|e| ApiError::parameter("batch", e))?;
    }
    let limit = match q.limit {
        Some(n) if !(1..=MAX_PAGE).contains(&n) => {
            return Err(ApiError::parameter(
                "limit",
                format!("{n} is not from 1 to {MAX_PAGE}"),
            ))
        }
        Some(n) => Some(n as usize),
        None if page => Some(PAGE as usize),
        None => None,
    };
    let offset = q.offset.unwrap_or(0);
    let plan = match (via.addressed, q.plan) {
        (false, plan) => plan,
        (true, Some(p)) if p != via.plan.id => {
            return Err(ApiError::parameter(
                "plan",
                format!(
                    "'{}' is not the plan of this path ({})",
                    crate::error::clip(&p),
                    via.plan.id
                ),
            ))
        }
        (true, _) => Some(via.plan.id.clone()),
    };
    let query = planmap_history::Query {
        limit,
        offset: usize::try_from(offset).map_err(|_| ApiError::parameter("offset", "too large"))?,
        from: time("from", q.from, false)?,
        to: time("to", q.to, true)?,
        verdict: q.verdict,
        source,
        plan,
        batch: q.batch,
    };
    Ok((h, query))
}

fn store_error(e: HistoryError) -> ApiError {
    match e {
        HistoryError::Invalid(m) => ApiError::bad_request(m),
        e => {
            tracing::error!("{e}");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the check history cannot be read just now",
            )
            .retry_after(2)
        }
    }
}

/// A private answer: not cached anywhere, a download when `file` is given.
fn private(content_type: &'static str, body: impl IntoResponse, file: Option<&str>) -> Response {
    let mut r = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(f) = file {
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{f}\"")) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    r
}

/// One page of the history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryPage {
    /// Records the filters select, all pages together.
    pub total: u64,
    pub offset: usize,
    pub limit: Option<usize>,
    /// Records on this page.
    pub count: usize,
    /// Newest first.
    pub records: Vec<Record>,
}

/// `GET /api/history[?limit=&offset=&from=&to=&verdict=&source=]`: the records, newest
/// first, 100 a page (at most 1000), with the total the filters select.
#[utoipa::path(get, path = "/api/history", tag = "history", params(HistoryQuery),
    security(("keeper" = [])),
    responses(
        (status = 200, description = "A page of records, newest first", body = HistoryPage),
        (status = 400, description = "A parameter is wrong", body = ErrorBody),
        KeeperRefusals,
        (status = 404, description = "No token or no history on this server", body = ErrorBody),
        (status = 503, description = "The history cannot be read just now", body = ErrorBody)))]
pub async fn list(
    _: Keeper,
    State(st): State<AppState>,
    via: PlanRef,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Response> {
    let (h, query) = request(&st, q, true, &via)?;
    let (offset, limit) = (query.offset, query.limit);
    let (records, total) = h.page(query).await.map_err(store_error)?;
    let page = HistoryPage {
        total,
        offset,
        limit,
        count: records.len(),
        records,
    };
    Ok(private("application/json", json_bytes(&page)?, None))
}

/// The selected records as a download made by `write`.
async fn download(
    st: &AppState,
    (q, via): (HistoryQuery, PlanRef),
    content_type: &'static str,
    file_name: &'static str,
    write: fn(&[planmap_history::Record]) -> String,
) -> ApiResult<Response> {
    let (h, query) = request(st, q, false, &via)?;
    let records = h.list(query).await.map_err(store_error)?;
    // Every selected record: written on a blocking thread.
    blocking(move || Ok(private(content_type, write(&records), Some(file_name)))).await
}

/// `GET /api/history.geojson[?filters]`: every selected record as a Feature (its site).
#[utoipa::path(get, path = "/api/history.geojson", tag = "history", params(HistoryQuery),
    security(("keeper" = [])),
    responses(
        (status = 200, description = "The records' sites", body = crate::routes::schemas::FeatureCollection,
            content_type = "application/geo+json"),
        (status = 400, description = "A parameter is wrong", body = ErrorBody),
        KeeperRefusals,
        (status = 404, description = "No token or no history on this server", body = ErrorBody)))]
pub async fn geojson(
    _: Keeper,
    State(st): State<AppState>,
    via: PlanRef,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Response> {
    let name = "planmap-history.geojson";
    download(
        &st,
        (q, via),
        crate::http::GEOJSON,
        name,
        export::to_geojson,
    )
    .await
}

/// `GET /api/history.csv[?filters]`: the selected records as a spreadsheet table (UTF-8 with
/// BOM, no geometry; see [`export::to_csv`]).
#[utoipa::path(get, path = "/api/history.csv", tag = "history", params(HistoryQuery),
    security(("keeper" = [])),
    responses(
        (status = 200, description = "The records as CSV (UTF-8 with BOM)", body = String,
            content_type = "text/csv"),
        (status = 400, description = "A parameter is wrong", body = ErrorBody),
        KeeperRefusals,
        (status = 404, description = "No token or no history on this server", body = ErrorBody)))]
pub async fn csv(
    _: Keeper,
    State(st): State<AppState>,
    via: PlanRef,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Response> {
    let ct = "text/csv; charset=utf-8";
    download(&st, (q, via), ct, "planmap-history.csv", export::to_csv).await
}
