//! `POST /api/check/batch`: every feature of an uploaded file checked as its own site
//! (planmap-batch, as `planmap check --each`), answered as the table in JSON, the sites as
//! GeoJSON, CSV, XLSX or the printable batch report — or, asked with
//! `Accept: application/x-ndjson` (or `?progress=ndjson`), as a stream of
//! `{"done":n,"total":N}` lines and then the JSON answer as its last line.
//!
//! The upload is read as a single check's ([`crate::upload`]: the same formats, sandbox and
//! limits), plus a zip of coordinate TXT files, one site a file
//! ([`planmap_batch::txt_zip`]). The checks run on a blocking thread under the heavy gate,
//! stopped by the request's [`Job`] (its deadline, or the client leaving — for a stream, the
//! stream being dropped). Every checked site is recorded in the check history with the
//! batch's id, the file's name and the feature's number before the answer leaves.

use std::convert::Infallible;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use planmap_batch::table::{self, Table};
use planmap_batch::{check_each_with, forms, txt_zip, SiteResult};
use planmap_core::CheckOptions;
use planmap_history::{BatchRef, Pending};
use planmap_io::{Dataset, Format, ReadOptions};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::catalog::extract::Loaded;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::guards::CancelOnDrop;
use crate::http::{self, body_bytes, typed};
use crate::query::Query;
use crate::resources::recorder::{CheckMeta, Recorder, Unrecorded};
use crate::routes::schemas::FeatureCollection;
use crate::state::{AppState, Snapshot};
use crate::upload::{read_error, read_with, Input};
use crate::work::{self, Job};

/// The response header naming a batch in the check history.
pub const BATCH_HEADER: &str = "planmap-batch-id";
/// The content type of a progress stream.
pub const NDJSON: &str = "application/x-ndjson";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// What `POST /api/check/batch` answers with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BatchFormat {
    /// The table as JSON ([`BatchAnswer`]).
    #[default]
    Json,
    /// The sites with their rows as a FeatureCollection.
    Geojson,
    /// The table as CSV (UTF-8 with BOM).
    Csv,
    /// The table and its summary as an XLSX workbook.
    Xlsx,
    /// The printable HTML batch report with an overview map.
    Report,
}

/// How progress is streamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProgressForm {
    /// Newline-delimited JSON: `{"done":n,"total":N}` lines, then the answer.
    Ndjson,
}

/// The query of `POST /api/check/batch`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BatchQuery {
    /// The answer's form: json (default), geojson, csv, xlsx or report.
    pub format: Option<BatchFormat>,
    /// The body's format: geojson, txt, kml, dxf, zip (a zipped Shapefile, or a zip of
    /// coordinate TXT files, one site a file) or gpkg; told from the body (or a form's file
    /// name) when absent.
    pub input: Option<String>,
    /// The CRS of the file's coordinates when the file does not say (e.g. `EPSG:4525`).
    pub crs: Option<String>,
    /// Who asks, for the check history: api (default) or web.
    pub source: Option<String>,
    /// The project's name, kept with every site's record (at most 200 characters).
    pub project: Option<String>,
    /// The applicant, kept with every site's record (at most 200 characters).
    pub applicant: Option<String>,
    /// With format=json: the answer also holds the sites as format=geojson gives them.
    pub geometry: Option<bool>,
    /// `ndjson`: stream progress lines before the answer (as `Accept: application/x-ndjson`).
    pub progress: Option<ProgressForm>,
}

/// The JSON answer of a batch.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchAnswer {
    /// The batch's id in the check history (`/api/history?batch=`); absent when the server
    /// keeps no history.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_id: Option<String>,
    /// The uploaded file's name (a form's file part), if it had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The format read.
    pub format: &'static str,
    /// The CRS the coordinates were taken from.
    pub crs: String,
    pub warnings: Vec<String>,
    /// One row a feature, in file order, and the summary.
    pub table: Table,
    /// The sites as `format=geojson` gives them (with `geometry=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<FeatureCollection>)]
    pub geojson: Option<Box<RawValue>>,
}

/// One line of a progress stream.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchProgress {
    /// Sites checked so far.
    pub done: usize,
    /// Sites in the file.
    pub total: usize,
}

/// `POST /api/check/batch`: each feature of the file checked as its own site.
///
/// A feature that cannot be checked (not a polygon, self-intersecting, outside the county)
/// keeps its row with its error; a file that cannot be read is a 4xx naming what is wrong.
/// Every checked site is recorded in the check history (the answer's `batch_id`, header
/// `Planmap-Batch-Id`).
#[utoipa::path(post, path = "/api/check/batch", tag = "check", params(BatchQuery),
    request_body(description = "The sites: a file of features (GeoJSON FeatureCollection, \
        coordinate TXT, KML, DXF, zipped Shapefile, GeoPackage, or a zip of coordinate TXT \
        files), raw or as multipart/form-data (part `file`)",
        content((Object = "application/geo+json"), (String = "application/octet-stream"))),
    responses(
        (status = 200, description = "The batch (header Planmap-Batch-Id: its id in the \
            history); with progress, NDJSON lines of BatchProgress and then the answer",
            content((BatchAnswer = "application/json"),
                (FeatureCollection = "application/geo+json"), (String = "text/csv"),
                (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                (String = "text/html"), (BatchProgress = "application/x-ndjson"))),
        (status = 400, description = "Malformed request or parameter", body = ErrorBody),
        (status = 413, description = "The body, or the file's features, unpacked size or \
            reading time or memory, is over its limit (`limit` names it)", body = ErrorBody),
        (status = 415, description = "A file of a kind planmap does not read", body = ErrorBody),
        (status = 422, description = "A file that cannot be read, or holds no feature",
            body = ErrorBody),
        (status = 500, description = "The server's file reader failed", body = ErrorBody),
        (status = 503, description = "Busy, out of time, or the sites could not be recorded",
            body = ErrorBody)))]
pub async fn batch(
    State(st): State<AppState>,
    Loaded(snap): Loaded,
    Query(q): Query<BatchQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let format = q.format.unwrap_or_default();
    let stream = q.progress.is_some() || accepts_ndjson(&headers);
    if stream && format != BatchFormat::Json {
        return Err(ApiError::parameter(
            "progress",
            "a progress stream ends with the JSON answer: leave format out or set it to json",
        ));
    }
    let meta = CheckMeta {
        source: q.source.as_deref(),
        project: q.project.as_deref(),
        applicant: q.applicant.as_deref(),
        check_key: None,
    };
    let recorder = Recorder::new(st.history().cloned(), meta)?;
    let bytes = body_bytes(body, st.config().body_limit)?;
    let (bytes, named, file) = crate::multipart::unpack_named(&headers, bytes).await?;
    let input = crate::upload::input(
        (q.input.as_deref(), q.crs.as_deref()),
        &headers,
        &bytes,
        named,
    )?;
    let dataset = read(&st, &snap, bytes, input).await?;
    if dataset.features.is_empty() {
        return Err(ApiError::unprocessable("batch: the file holds no features"));
    }
    let run = Run {
        snap,
        dataset,
        opts: CheckOptions {
            max_vertices: st.config().max_vertices,
            max_parts: st.config().max_parts,
        },
        recorder,
        file: file.map(|f| f.chars().take(planmap_history::MAX_NAME_CHARS).collect()),
        format,
        read_format: input.format.ext(),
        geometry: q.geometry.unwrap_or(false),
    };
    if stream {
        return Ok(streamed(run, st.config().request_timeout));
    }
    let (pending, resp) = work::blocking(move |job| run.answer(job, &|| {})).await?;
    Ok(durable(pending, resp).await)
}

/// Whether the client asked for a progress stream in `Accept`.
fn accepts_ndjson(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|t| t.trim().starts_with(NDJSON)))
}

/// Reads the upload: a zip of coordinate TXT files here (pure Rust, within the upload
/// limits), anything else as a single check's file is read (GDAL formats in the sandbox).
async fn read(st: &AppState, snap: &Snapshot, bytes: Bytes, input: Input) -> ApiResult<Dataset> {
    let opts = ReadOptions {
        crs: input.crs,
        near_lon: snap.engine.plan.center.map(|c| c[0]),
        limits: st.config().upload_limits,
        ..ReadOptions::default()
    };
    if input.format == Format::Zip && txt_zip::is_txt_zip(&bytes) {
        return http::blocking(move || {
            txt_zip::read(&bytes, &opts).map_err(|e| read_error("batch", &e))
        })
        .await;
    }
    let (sandbox, time_limit) = (&st.config().reader, st.config().request_timeout);
    read_with(sandbox, time_limit, "batch", move |sandbox, job| {
        sandbox.read_bytes(&bytes, input.format, &opts, job)
    })
    .await
}

/// A batch to check and answer.
struct Run {
    snap: Arc<Snapshot>,
    dataset: Dataset,
    opts: CheckOptions,
    recorder: Recorder,
    file: Option<String>,
    format: BatchFormat,
    read_format: &'static str,
    geometry: bool,
}

type Records = Result<Vec<Pending>, Unrecorded>;

impl Run {
    /// Checks every site (stopped when `job` is cancelled; `tick` once a site is done),
    /// hands the checked sites' records to the history (if the job claims the answer first)
    /// and writes the answer.
    fn answer(self, job: &Job, tick: &(dyn Fn() + Sync)) -> ApiResult<(Records, Response)> {
        let Run {
            snap,
            dataset,
            opts,
            recorder,
            file,
            format,
            read_format,
            geometry,
        } = self;
        let (crs, warnings) = (dataset.crs.clone(), dataset.warnings.clone());
        let results = check_each_with(&snap.engine, dataset, &opts, job.flag(), tick)
            .map_err(|_| work::stopped())?;
        job.claim()?;
        let batch_id = recorder.keeps_history().then(new_batch_id);
        let mut pending = Vec::new();
        if let Some(id) = &batch_id {
            for r in &results {
                let (Some(shape), Ok(report)) = (&r.shape, &r.result) else {
                    continue;
                };
                let at = BatchRef {
                    id: id.clone(),
                    file: file.clone(),
                    feature: r.index as i64,
                };
                match recorder.submit_in_batch(shape, report, &snap.engine.plan.id, &at) {
                    Ok(p) => pending.extend(p),
                    Err(u) => return Ok((Err(u), Response::default())),
                }
            }
        }
        let table = table::build(&snap.engine, &results);
        let name = download_name(file.as_deref());
        let mut resp = match format {
            BatchFormat::Json => http::json(&BatchAnswer {
                geojson: match geometry {
                    false => None,
                    true => Some(
                        RawValue::from_string(forms::to_geojson(&table, &results))
                            .map_err(|e| ApiError::internal(e.to_string()))?,
                    ),
                },
                batch_id: batch_id.clone(),
                file,
                format: read_format,
                crs,
                warnings,
                table,
            })?,
            BatchFormat::Geojson => typed(http::GEOJSON, forms::to_geojson(&table, &results)),
            BatchFormat::Csv => attachment(
                typed("text/csv; charset=utf-8", forms::to_csv(&table)),
                &name,
                "csv",
            ),
            BatchFormat::Xlsx => {
                let bytes = forms::to_xlsx(&table).map_err(|e| {
                    ApiError::internal(format!("the workbook could not be written: {e}"))
                })?;
                attachment(typed(XLSX, bytes), &name, "xlsx")
            }
            BatchFormat::Report => report(&snap, &results, &table, file.as_deref()),
        };
        if let Some(id) = batch_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
            resp.headers_mut().insert(BATCH_HEADER, id);
        }
        Ok((Ok(pending), resp))
    }
}

/// The printable batch report (blocking: renders the overview map).
fn report(snap: &Snapshot, results: &[SiteResult], table: &Table, file: Option<&str>) -> Response {
    let (html, error) = planmap_render::batch_report_page(
        &snap.engine,
        results,
        table,
        file,
        super::preview::REPORT_MAP_SIZE,
        planmap_render::report::today_utc(),
    );
    if let Some(e) = error {
        tracing::warn!("batch report without a map: {e}");
    }
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// The download's file name: the upload's stem (ASCII letters, digits, `-_.` kept) or
/// `batch`.
fn download_name(file: Option<&str>) -> String {
    let stem = file
        .and_then(|f| std::path::Path::new(f).file_stem()?.to_str())
        .map(|s| {
            s.chars()
                .filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
                .collect::<String>()
        })
        .filter(|s| !s.is_empty() && !s.starts_with('.'))
        .unwrap_or_else(|| "batch".into());
    format!("{stem}-results")
}

fn attachment(mut resp: Response, name: &str, ext: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.{ext}\"")) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// A batch id: the UTC time to the millisecond and 32 random bits, e.g.
/// `20261130T114955123Z-1a2b3c4d`.
fn new_batch_id() -> String {
    let time: String = planmap_history::time::now_rfc3339()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish() as u32;
    format!("{time}-{random:08x}")
}

/// The answer once every record of the batch is on disk (the wait holds no thread), or the
/// 503 of a batch whose records could not be written.
async fn durable(pending: Records, resp: Response) -> Response {
    let pending = match pending {
        Ok(p) => p,
        Err(u) => return u.into_response(),
    };
    for p in pending {
        if let Err(u) = Recorder::durable(Ok(Some(p))).await {
            return u.into_response();
        }
    }
    resp
}

/// The answer as a stream: progress lines while the sites are checked, then the answer's
/// JSON (or its error's) as the last line. The work has its own job, cancelled when the
/// stream is dropped or at the request's time limit; it holds the request's gate slot.
fn streamed(run: Run, time_limit: Duration) -> Response {
    let total = run.dataset.features.len();
    let job = Arc::new(Job::new());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Bytes>();
    let line = |v: &BatchProgress| {
        let mut b = serde_json::to_vec(v).unwrap_or_default();
        b.push(b'\n');
        Bytes::from(b)
    };
    let _ = tx.send(line(&BatchProgress { done: 0, total }));
    let done = AtomicUsize::new(0);
    // About 200 lines at most, whatever the batch's size.
    let step = (total / 200).max(1);
    let progress = tx.clone();
    let work = work::spawn_blocking_as(Arc::clone(&job), move |job| {
        let tick = || {
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_multiple_of(step) || n == total {
                let _ = progress.send(line(&BatchProgress { done: n, total }));
            }
        };
        run.answer(job, &tick)
    });
    let timer = Arc::clone(&job);
    tokio::spawn(async move {
        tokio::time::sleep(time_limit).await;
        timer.cancel();
    });
    tokio::spawn(async move {
        let resp = match work.await {
            Ok(Ok((pending, resp))) => durable(pending, resp).await,
            Ok(Err(e)) => e.into_response(),
            Err(e) => {
                tracing::error!("batch work failed: {e}");
                ApiError::internal("internal error: the batch could not be completed")
                    .into_response()
            }
        };
        let mut last = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .map(|b| b.to_vec())
            .unwrap_or_default();
        // One line: JSON's raw newlines are whitespace between tokens (a string holds its
        // newlines escaped), and the sites' GeoJSON is written a feature a line.
        last.retain(|b| *b != b'\n');
        last.push(b'\n');
        let _ = tx.send(Bytes::from(last));
    });
    let guard = CancelOnDrop(job);
    let body = futures_util::stream::unfold((rx, guard), |(mut rx, guard)| async move {
        let b = rx.recv().await?;
        Some((Ok::<_, Infallible>(b), (rx, guard)))
    });
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(NDJSON)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        Body::from_stream(body),
    )
        .into_response()
}
