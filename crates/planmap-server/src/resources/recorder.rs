//! Every answered check recorded in the check history, before the answer is sent. A record is
//! evidence: a check whose record cannot be written is not answered — the client gets a 503
//! (with `Retry-After`) instead of a verdict that left no trace.

use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use geo::{Geometry, MultiPolygon};
use planmap_core::plan::SiteRole;
use planmap_core::CheckReport;
use planmap_history::{BatchRef, HistoryError, NewRecord, Pending, Source};
use serde::Serialize;
use serde_json::Value;

use crate::error::{clip, ApiError, ApiResult};
use crate::resources::history_store::HistoryStore;

/// The response header naming a check's record.
pub const ID_HEADER: &str = "planmap-history-id";

/// What a check request says about itself, checked before the check runs.
#[derive(Debug, Clone)]
pub struct Recorder {
    history: Option<HistoryStore>,
    source: Source,
    project: Option<String>,
    applicant: Option<String>,
    key: Option<String>,
}

/// One layer's overlap as a record keeps it.
#[derive(Debug, Serialize)]
struct RecordedOverlap<'a> {
    layer: &'a str,
    name: &'a str,
    role: SiteRole,
    area_m2: f64,
    feature_ids: &'a [String],
}

/// What a check request says about itself (its query's `source`, `project`, `applicant`,
/// `check_key`), as given.
#[derive(Debug, Clone, Default)]
pub struct CheckMeta<'a> {
    pub source: Option<&'a str>,
    pub project: Option<&'a str>,
    pub applicant: Option<&'a str>,
    pub check_key: Option<&'a str>,
}

impl Recorder {
    /// Checks what the request says about itself (planmap-history's rules: `source` api, the
    /// default, or web; names trimmed and capped; the check key's form) before the check runs.
    pub fn new(history: Option<HistoryStore>, meta: CheckMeta<'_>) -> ApiResult<Recorder> {
        let source = match meta.source {
            None => Source::Api,
            Some(s) => Source::parse(s)
                .filter(|s| *s != Source::Cli)
                .ok_or_else(|| {
                    ApiError::parameter("source", format!("'{}' is not one of: api, web", clip(s)))
                })?,
        };
        let name = |what: &str, v: Option<&str>| -> ApiResult<Option<String>> {
            planmap_history::clean_name(what, v)
                .map(|s| s.map(str::to_string))
                .map_err(|e| ApiError::parameter(what, e))
        };
        if let Some(k) = meta.check_key {
            planmap_history::check_key(k).map_err(|e| ApiError::parameter("check_key", e))?;
        }
        Ok(Recorder {
            history,
            source,
            project: name("project", meta.project)?,
            applicant: name("applicant", meta.applicant)?,
            key: meta.check_key.map(str::to_string),
        })
    }

    /// Hands an answered check of `plan` to the history's writer without waiting: the [`Pending`]
    /// gives the record's id once its (group) commit is on disk — wait for it (or `.await`
    /// it) before the answer leaves. `Ok(None)`: the server keeps no history.
    pub fn submit(
        &self,
        site: &MultiPolygon<f64>,
        report: &CheckReport,
        plan: &str,
    ) -> Result<Option<Pending>, Unrecorded> {
        let Some(h) = &self.history else {
            return Ok(None);
        };
        h.submit(&self.record(site, report, plan))
            .map(Some)
            .map_err(unrecorded)
    }

    /// [`Recorder::submit`] for one site of a batch: the record names the batch, the file and
    /// the feature.
    pub fn submit_in_batch(
        &self,
        site: &MultiPolygon<f64>,
        report: &CheckReport,
        plan: &str,
        batch: &BatchRef,
    ) -> Result<Option<Pending>, Unrecorded> {
        let Some(h) = &self.history else {
            return Ok(None);
        };
        h.submit_in_batch(&self.record(site, report, plan), batch)
            .map(Some)
            .map_err(unrecorded)
    }

    /// Whether checks are recorded at all.
    pub fn keeps_history(&self) -> bool {
        self.history.is_some()
    }

    fn record(&self, site: &MultiPolygon<f64>, report: &CheckReport, plan: &str) -> NewRecord {
        let site = planmap_io::geojson_io::from_geo(&Geometry::MultiPolygon(site.clone()));
        let overlaps: Vec<RecordedOverlap> = report
            .overlaps
            .iter()
            .map(|o| RecordedOverlap {
                layer: &o.layer,
                name: &o.name,
                role: o.role,
                area_m2: o.area_m2,
                feature_ids: &o.feature_ids,
            })
            .collect();
        NewRecord {
            time: planmap_history::time::now_rfc3339(),
            site: site.to_string(),
            verdict: report.verdict.zh().to_string(),
            site_area_m2: report.site_area_m2,
            overlaps: serde_json::to_value(&overlaps).unwrap_or(Value::Null),
            data_version: report.data_version.clone(),
            source: self.source,
            project: self.project.clone(),
            applicant: self.applicant.clone(),
            key: self.key.clone(),
            plan: Some(plan.to_string()),
        }
    }

    /// Waits, without holding a thread, until a submitted record's commit is on disk: its
    /// id (`None`: no history kept), or the refusal to answer instead of the check.
    pub async fn durable(
        pending: Result<Option<Pending>, Unrecorded>,
    ) -> Result<Option<i64>, Unrecorded> {
        match pending? {
            None => Ok(None),
            Some(p) => p.await.map(Some).map_err(unrecorded),
        }
    }
}

fn unrecorded(e: HistoryError) -> Unrecorded {
    tracing::error!("{e}");
    Unrecorded {
        away: matches!(e, HistoryError::Unavailable(_)),
    }
}

/// A check that could not be recorded: a 503 with `Retry-After`, no verdict.
#[derive(Debug)]
pub struct Unrecorded {
    /// The store's database is away (PostgreSQL): retry in 2 s, as for any request that
    /// needs it; a history file that failed: in 10 s.
    away: bool,
}

impl IntoResponse for Unrecorded {
    fn into_response(self) -> Response {
        let mut r = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            match self.away {
                true => {
                    "the check history's database is unavailable, so the check is not \
                     answered; try again in a moment"
                }
                false => {
                    "the check could not be recorded in the check history, so it is not \
                     answered; try again later"
                }
            },
        )
        .into_response();
        let retry = if self.away { "2" } else { "10" };
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static(retry));
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
