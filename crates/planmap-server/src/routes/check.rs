//! `POST /api/check`: the site check. The body is GeoJSON or a site file ([`crate::upload`]);
//! the answer is the report (JSON, optionally with the map's GeoJSON), the GeoJSON alone, or
//! the printable HTML report. The check is the engine's ([`planmap_core::Engine::check`]).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::header::HeaderMap;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use geo::{CoordsIter, MultiPolygon};
use planmap_core::across::{overall, PlanVerdict};
use planmap_core::{CheckError, CheckOptions, CheckReport, SiteError, Verdict};
use planmap_history::Pending;
use planmap_io::{export, geojson_io, GeoJsonError};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::catalog::extract::{load, Loaded, PlanRef};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::http::{self, body_bytes, typed, utf8};
use crate::query::{precision, Query};
use crate::resources::recorder::{self, CheckMeta, Recorder, Unrecorded};
use crate::routes::across::{self, Target};
use crate::routes::schemas::FeatureCollection;
use crate::state::AppState;
use crate::upload::FileInput;
use crate::work::{self, Job};

/// What `POST /api/check` answers with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CheckFormat {
    /// The report as JSON (`planmap check --json`).
    #[default]
    Json,
    /// The site, the overlap pieces and the 避让 geometry as a FeatureCollection.
    Geojson,
    /// The printable HTML report with its map.
    Report,
}

/// The query of `POST /api/check`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckQuery {
    /// The answer's form: json (default), geojson or report.
    pub format: Option<CheckFormat>,
    /// The body's format: geojson, txt (the land-ministry coordinate TXT), kml, dxf, zip
    /// (a zipped Shapefile) or gpkg; told from the body (or a form's file name) when absent.
    pub input: Option<String>,
    /// The CRS of a file's coordinates when the file does not say (e.g. `EPSG:4525`, `gcj02`).
    pub crs: Option<String>,
    /// Who asks, for the check history: api (default) or web.
    pub source: Option<String>,
    /// The project's name, kept in the check history (at most 200 characters).
    pub project: Option<String>,
    /// The applicant, kept in the check history (at most 200 characters).
    pub applicant: Option<String>,
    /// Names one check asked for more than once (8 to 64 of `A-Z a-z 0-9 - _`): one record.
    pub check_key: Option<String>,
    /// With format=json: the answer also holds the FeatureCollection of format=geojson as
    /// `geojson`, so one request gives the report and the map.
    pub geometry: Option<bool>,
    /// The GeoJSON's coordinates rounded to this many decimals (0–15); absent, full precision.
    pub precision: Option<u64>,
}

/// The JSON answer of a check: the addressed plan's report, every touched plan's answer and
/// the overall verdict, how a file was read, and (asked with `geometry=true`) the site,
/// pieces and 避让 geometry.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CheckAnswer {
    #[serde(flatten)]
    pub report: CheckReport,
    /// The strictest verdict of all the plans whose county the site touches.
    pub overall_verdict: Verdict,
    /// Every plan whose county the site touches (one when it lies in one county), in id
    /// order: its verdict, the site's area in its county and its full report.
    pub plans: Vec<PlanVerdict>,
    /// How a site file was read (absent for GeoJSON in lon/lat).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<FileInput>,
    /// The site (`role: site`), the overlap pieces (`overlap`, `sliver`) and the 避让
    /// geometry (`avoidance`), as `format=geojson` gives them (with `geometry=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<FeatureCollection>)]
    pub geojson: Option<Box<RawValue>>,
}

/// A site that does not parse: broken JSON is a 400, well-formed JSON that is not a usable
/// polygon is a 422.
fn geojson_error(e: GeoJsonError) -> ApiError {
    let status = match e {
        GeoJsonError::Syntax(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    ApiError::new(status, format!("site: {e}"))
}

/// A check that gave no report: the site's fault (422), or stopped by its job (the request
/// was answered 503 already or its client is gone).
fn check_error(e: CheckError) -> ApiError {
    match e {
        CheckError::Site(e) => site_error(e),
        CheckError::Cancelled(_) => work::stopped(),
    }
}

fn site_error(e: SiteError) -> ApiError {
    let mut err = ApiError::unprocessable(format!("site: {e}"));
    match e {
        SiteError::TooManyVertices { count, limit } => {
            err = err.with("vertices", count).with("limit", limit);
        }
        SiteError::TooManyParts { count, limit } => {
            err = err.with("parts", count).with("limit", limit);
        }
        _ => {}
    }
    err
}

/// Parses a site body (GeoJSON Geometry, Feature or FeatureCollection of polygons).
pub fn parse_site(text: &str) -> ApiResult<MultiPolygon<f64>> {
    geojson_io::parse_site(text).map_err(geojson_error)
}

/// `POST /api/check`: the site check report of the CLI, or the site, overlap pieces and 避让
/// geometry as a FeatureCollection, or both in one answer (`geometry=true`).
///
/// Every answered check is recorded in the check history, when the server keeps one
/// ([`crate::resources::recorder`]; `source`, `project`, `applicant`, `check_key` go into the
/// record) and the answer carries the record's id in `Planmap-History-Id`.
#[utoipa::path(post, path = "/api/check", tag = "check", params(CheckQuery),
    request_body(description = "The site: GeoJSON (Polygon, MultiPolygon, Feature or \
        FeatureCollection of polygons, lon/lat) or a site file (coordinate TXT, KML, DXF, zipped \
        Shapefile, GeoPackage), raw or as multipart/form-data (part `file`)",
        content((Object = "application/geo+json"), (String = "application/octet-stream"))),
    responses(
        (status = 200, description = "The check (header Planmap-History-Id: its record)",
            content((CheckAnswer = "application/json"),
                (across::CheckCollection = "application/geo+json"), (String = "text/html"))),
        (status = 400, description = "Malformed request or JSON", body = ErrorBody),
        (status = 413, description = "The body, or a site file's features, unpacked size or \
            reading time or memory, is over its limit (`limit` names it)", body = ErrorBody),
        (status = 415, description = "A site file of a kind planmap does not read", body = ErrorBody),
        (status = 422, description = "Not a usable site (self-intersecting, outside the county, \
            over the vertex limit, an unreadable file)", body = ErrorBody),
        (status = 500, description = "The server's file reader failed", body = ErrorBody),
        (status = 503, description = "Busy, out of time, or the check could not be recorded",
            body = ErrorBody)))]
pub async fn check(
    State(st): State<AppState>,
    plan: PlanRef,
    Loaded(snap): Loaded,
    Query(q): Query<CheckQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let answer = Answer {
        format: q.format.unwrap_or_default(),
        precision: precision(q.precision)?,
        geometry: q.geometry.unwrap_or(false),
    };
    let meta = CheckMeta {
        source: q.source.as_deref(),
        project: q.project.as_deref(),
        applicant: q.applicant.as_deref(),
        check_key: q.check_key.as_deref(),
    };
    let recorder = Recorder::new(st.history().cloned(), meta)?;
    let bytes = body_bytes(body, st.config().body_limit)?;
    let (bytes, named) = crate::multipart::unpack(&headers, bytes).await?;
    let input = crate::upload::input(
        (q.input.as_deref(), q.crs.as_deref()),
        &headers,
        &bytes,
        named,
    )?;
    let opts = CheckOptions {
        max_vertices: st.config().max_vertices,
        max_parts: st.config().max_parts,
    };
    let limits = st.config().upload_limits;
    // A site file is read first, in the sandbox when it needs GDAL (its reader stopped if
    // this request is dropped); small plain GeoJSON is parsed here, bigger on a blocking thread.
    let (parsed, info) = match input.is_plain_geojson() {
        true if bytes.len() <= INLINE_BODY_BYTES => (Some(parse_site(utf8(&bytes)?)?), None),
        true => (None, None),
        false => {
            let near_lon = snap.engine.plan.center.map(|c| c[0]);
            let reader = (&st.config().reader, st.config().request_timeout);
            let (site, info) =
                crate::upload::read(reader, bytes.clone(), input, near_lon, limits).await?;
            (Some(site), Some(info))
        }
    };
    // Every plan whose county the site touches; at the root of a one-plan folder, that plan.
    // A big site is cut with the counties' outlines on a blocking thread, as its parse.
    let (site, counties) = match parsed {
        Some(site) if site.coords_count() <= INLINE_VERTICES => {
            let counties = st.catalog().counties_of(&site);
            (site, counties)
        }
        parsed => {
            let st = st.clone();
            work::blocking(move |job| {
                let site = match parsed {
                    Some(site) => site,
                    None => parse_site(utf8(&bytes)?)?,
                };
                job.check()?;
                let counties = st.catalog().counties_of(&site);
                Ok((site, counties))
            })
            .await?
        }
    };
    let single = counties.is_empty() || (counties.len() == 1 && counties[0].0.id == plan.plan.id);
    let (targets, main) = if single {
        let area_m2 = counties.first().map(|c| c.1);
        let t = Target {
            plan: plan.plan,
            snap,
            area_m2,
        };
        (vec![t], 0)
    } else {
        let mut targets = Vec::with_capacity(counties.len());
        for (entry, area) in counties {
            let snap = load(&st, &entry).await?;
            targets.push(Target {
                plan: entry,
                snap,
                area_m2: Some(area),
            });
        }
        // The addressed plan's report leads; a site outside its county: the first plan's.
        let main = targets
            .iter()
            .position(|t| t.plan.id == plan.plan.id)
            .unwrap_or(0);
        (targets, main)
    };
    // A site of few vertices meeting few features, checked against one plan, is checked
    // here, on the async thread (a fraction of a millisecond: less than handing it to a
    // blocking thread and back); any other on a blocking thread.
    let (pending, resp) = if targets.len() == 1 && light(&targets[0].snap.engine, &site) {
        checked(
            &targets,
            main,
            site,
            info,
            opts,
            &recorder,
            answer,
            &work::current(),
        )?
    } else {
        work::blocking(move |job| checked(&targets, main, site, info, opts, &recorder, answer, job))
            .await?
    };
    // The answer leaves once its records are on disk; the wait holds no thread, nor the
    // heavy gate's slot (the computing is done). It names the record of the leading plan's
    // verdict.
    work::release();
    let mut id = None;
    for (i, p) in pending.into_iter().enumerate() {
        match Recorder::durable(p).await {
            Ok(got) if i == main => id = got,
            Ok(_) => {}
            Err(unrecorded) => return Ok(unrecorded.into_response()),
        }
    }
    Ok(recorder::tag(resp, id))
}

/// The largest GeoJSON body parsed on the async thread (a site of some hundred vertices).
const INLINE_BODY_BYTES: usize = 16 * 1024;

/// The most vertices of a site cut with the counties' outlines on the async thread.
const INLINE_VERTICES: usize = 1_000;

/// Whether a parsed site is checked on the async thread: at most 1,000 vertices, meeting at
/// most 256 features' boxes (on the bench's 1,000 sites such a check takes under 1 ms,
/// a few ms at worst; a site meeting thousands can take seconds).
fn light(engine: &planmap_core::Engine, site: &MultiPolygon<f64>) -> bool {
    use geo::BoundingRect;
    site.coords_count() <= 1_000
        && site
            .bounding_rect()
            .is_some_and(|b| engine.few_candidates(&b, 256))
}

/// How the check is answered: the query's `format`, `precision` and `geometry`.
#[derive(Debug, Clone, Copy)]
struct Answer {
    format: CheckFormat,
    precision: geojson_io::Precision,
    geometry: bool,
}

/// What a check hands back: each plan's record on its way to disk, and the answer.
type Checked = (Vec<Result<Option<Pending>, Unrecorded>>, Response);

/// Checks the site against each target plan (stopped when `job` is cancelled), hands their
/// records to the history (the commits go to disk while the answer is written) and writes
/// the answer: `main`'s report with every plan's answer and the strictest verdict. The
/// records are made only if the job claims the answer first — the request is still live
/// (not past its deadline, its client still there); from then on the answer goes out
/// ([`crate::work`]).
#[allow(clippy::too_many_arguments)]
fn checked(
    targets: &[Target],
    main: usize,
    site: MultiPolygon<f64>,
    input: Option<FileInput>,
    opts: CheckOptions,
    recorder: &Recorder,
    answer: Answer,
    job: &Job,
) -> ApiResult<Checked> {
    let mut plans = Vec::with_capacity(targets.len());
    for t in targets {
        let report = t
            .snap
            .engine
            .check_cancellable(&site, opts, job.flag())
            .map_err(check_error)?;
        plans.push(across::plan_verdict(t, report));
    }
    job.claim()?;
    let pending: Vec<_> = plans
        .iter()
        .map(|p| recorder.submit(&site, &p.report, &p.plan))
        .collect();
    if pending.iter().any(Result::is_err) {
        return Ok((pending, Response::default()));
    }
    let overall = overall(&plans);
    let report = plans[main].report.clone();
    let resp = match answer.format {
        CheckFormat::Geojson => {
            let fc = export::check_geojson_at(&report, answer.precision);
            typed(
                http::GEOJSON,
                export::check_geojson_across(&fc, overall, &plans),
            )
        }
        CheckFormat::Report => {
            let html = super::preview::check_report_html(&targets[main].snap.engine, &report);
            super::preview::html_page(planmap_render::report::with_plans(html, overall, &plans))
        }
        CheckFormat::Json => {
            let geojson = match answer.geometry {
                false => None,
                true => Some(
                    RawValue::from_string(export::check_geojson_at(&report, answer.precision))
                        .map_err(|e| ApiError::internal(e.to_string()))?,
                ),
            };
            http::json(&CheckAnswer {
                report,
                overall_verdict: overall,
                plans,
                input,
                geojson,
            })?
        }
    };
    Ok((pending, resp))
}
