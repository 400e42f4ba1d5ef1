//! The check history over HTTP: every answered `POST /api/check` is recorded
//! ([`Recorder`]), and the data keeper lists and exports the records
//! (`/api/history`, `/api/history.geojson`, `/api/history.csv`, behind [`Keeper`]).
//!
//! A record is evidence: a check whose record cannot be written is not answered — the client
//! gets a 503 (with `Retry-After`) instead of a verdict that left no trace.

use axum::extract::{RawQuery, State};
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use geo::{Geometry, MultiPolygon};
use planmap_core::CheckReport;
use planmap_history::{export, History, HistoryError, NewRecord, Query, Source, VERDICTS};
use serde_json::{json, Value};

use crate::api::blocking;
use crate::auth::Keeper;
use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::state::AppState;

/// The query parameters of `POST /api/check` that go into the record.
pub const CHECK_PARAMS: [&str; 4] = ["source", "project", "applicant", "check_key"];
/// The response header naming a check's record.
pub const ID_HEADER: &str = "planmap-history-id";
/// Records one page of `GET /api/history` holds unless `limit` says otherwise, and at most.
const PAGE: u64 = 100;
const MAX_PAGE: u64 = 1000;

/// What a check request says about itself, checked before the check runs.
#[derive(Debug, Clone)]
pub struct Recorder {
    history: Option<History>,
    source: Source,
    project: Option<String>,
    applicant: Option<String>,
    key: Option<String>,
}

impl Recorder {
    /// Reads `source` (api, the default, or web), `project`, `applicant` and `check_key`.
    pub fn new(st: &AppState, params: &Params) -> ApiResult<Recorder> {
        let source = match params.get("source").unwrap_or("api") {
            "api" => Source::Api,
            "web" => Source::Web,
            other => {
                return Err(ApiError::parameter(
                    "source",
                    format!("'{}' is not one of: api, web", crate::error::clip(other)),
                ))
            }
        };
        let name = |what: &str| -> ApiResult<Option<String>> {
            planmap_history::clean_name(what, params.get(what))
                .map(|s| s.map(str::to_string))
                .map_err(|e| ApiError::parameter(what, e))
        };
        let key = params.get("check_key").map(str::to_string);
        if let Some(k) = &key {
            let ok = (8..=64).contains(&k.len())
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok {
                return Err(ApiError::parameter(
                    "check_key",
                    "8 to 64 of A-Z a-z 0-9 - _",
                ));
            }
        }
        Ok(Recorder {
            history: st.history().cloned(),
            source,
            project: name("project")?,
            applicant: name("applicant")?,
            key,
        })
    }

    /// Records an answered check (on the calling, blocking, thread). `Ok(None)`: the server
    /// keeps no history. `Err`: to be answered instead of the check.
    pub fn record(
        &self,
        site: &MultiPolygon<f64>,
        report: &CheckReport,
    ) -> Result<Option<i64>, Unrecorded> {
        let Some(h) = &self.history else {
            return Ok(None);
        };
        let site = planmap_io::geojson_io::from_geo(&Geometry::MultiPolygon(site.clone()));
        let overlaps: Vec<Value> = report
            .overlaps
            .iter()
            .map(|o| {
                json!({
                    "layer": o.layer,
                    "name": o.name,
                    "role": o.role,
                    "area_m2": o.area_m2,
                    "feature_ids": o.feature_ids,
                })
            })
            .collect();
        let rec = NewRecord {
            time: planmap_history::time::now_rfc3339(),
            site: site.to_string(),
            verdict: report.verdict.zh().to_string(),
            site_area_m2: report.site_area_m2,
            overlaps: Value::Array(overlaps),
            data_version: report.data_version.clone(),
            source: self.source,
            project: self.project.clone(),
            applicant: self.applicant.clone(),
            key: self.key.clone(),
        };
        h.record(&rec).map(Some).map_err(|e| {
            tracing::error!("check history: {e}");
            Unrecorded
        })
    }
}

/// A check that could not be recorded: a 503 with `Retry-After`, no verdict.
#[derive(Debug)]
pub struct Unrecorded;

impl IntoResponse for Unrecorded {
    fn into_response(self) -> Response {
        let mut r = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the check could not be recorded in the check history, so it is not answered; \
             try again later",
        )
        .into_response();
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
        r
    }
}

/// Puts a record's id on a check's answer.
pub fn tag(mut resp: Response, id: Option<i64>) -> Response {
    if let Some(id) = id {
        resp.headers_mut().insert(ID_HEADER, HeaderValue::from(id));
    }
    resp
}

/// The history and the query of a listing or export request.
fn request(st: &AppState, q: Option<&str>, page: bool) -> ApiResult<(History, Query)> {
    let params = Params::parse(q, &["limit", "offset", "from", "to", "verdict", "source"])?;
    let h = st.history().cloned().ok_or_else(|| {
        ApiError::not_found(
            "the check history is off on this server (start it with --history FILE)",
        )
        .with("reason", "no history")
    })?;
    let time = |name: &str, end: bool| -> ApiResult<Option<String>> {
        params
            .get(name)
            .map(|v| {
                let t = if end {
                    planmap_history::time::canonical_end(v)
                } else {
                    planmap_history::time::canonical(v)
                };
                t.map_err(|e| ApiError::parameter(name, e))
            })
            .transpose()
    };
    let verdict = params.get("verdict").map(str::to_string);
    if let Some(v) = &verdict {
        if !VERDICTS.contains(&v.as_str()) {
            return Err(ApiError::parameter(
                "verdict",
                format!("not one of: {}", VERDICTS.join(", ")),
            ));
        }
    }
    let source = params
        .get("source")
        .map(|s| {
            Source::parse(s)
                .ok_or_else(|| ApiError::parameter("source", "not one of: api, web, cli"))
        })
        .transpose()?;
    let max = if page {
        MAX_PAGE
    } else {
        planmap_history::MAX_LIMIT as u64
    };
    let limit = match params.uint("limit", 1)? {
        Some(n) if n > max => {
            return Err(ApiError::parameter(
                "limit",
                format!("{n} is more than {max}"),
            ))
        }
        Some(n) => Some(n as usize),
        None if page => Some(PAGE as usize),
        None => None,
    };
    let offset = params.uint("offset", 0)?.unwrap_or(0);
    let query = Query {
        limit,
        offset: usize::try_from(offset).map_err(|_| ApiError::parameter("offset", "too large"))?,
        from: time("from", false)?,
        to: time("to", true)?,
        verdict,
        source,
    };
    Ok((h, query))
}

fn store_error(e: HistoryError) -> ApiError {
    match e {
        HistoryError::Invalid(m) => ApiError::bad_request(m),
        e => {
            tracing::error!("check history: {e}");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the check history cannot be read just now",
            )
        }
    }
}

/// A private answer: not cached anywhere, a download when `file` is given.
fn private(content_type: &'static str, body: String, file: Option<&str>) -> Response {
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

/// `GET /api/history[?limit=&offset=&from=&to=&verdict=&source=]`: the records, newest
/// first, 100 a page (at most 1000), with the total the filters select.
pub async fn list(
    _: Keeper,
    State(st): State<AppState>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let (h, query) = request(&st, q.as_deref(), true)?;
    blocking(move || {
        let total = h.count(&query).map_err(store_error)?;
        let records = h.list(&query).map_err(store_error)?;
        let body = json!({
            "total": total,
            "offset": query.offset,
            "limit": query.limit,
            "count": records.len(),
            "records": records,
        });
        Ok(private("application/json", body.to_string(), None))
    })
    .await
}

/// The selected records as a download made by `write`.
async fn download(
    st: &AppState,
    q: Option<&str>,
    content_type: &'static str,
    file_name: &'static str,
    write: fn(&[planmap_history::Record]) -> String,
) -> ApiResult<Response> {
    let (h, query) = request(st, q, false)?;
    blocking(move || {
        let records = h.list(&query).map_err(store_error)?;
        Ok(private(content_type, write(&records), Some(file_name)))
    })
    .await
}

/// `GET /api/history.geojson[?filters]`: every selected record as a Feature (its site).
pub async fn geojson(
    _: Keeper,
    State(st): State<AppState>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let name = "planmap-history.geojson";
    download(
        &st,
        q.as_deref(),
        crate::http::GEOJSON,
        name,
        export::to_geojson,
    )
    .await
}

/// `GET /api/history.csv[?filters]`: the selected records as a spreadsheet table (UTF-8 with
/// BOM, no geometry; see [`export::to_csv`]).
pub async fn csv(
    _: Keeper,
    State(st): State<AppState>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let ct = "text/csv; charset=utf-8";
    download(&st, q.as_deref(), ct, "planmap-history.csv", export::to_csv).await
}
