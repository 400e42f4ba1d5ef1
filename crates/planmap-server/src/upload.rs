//! Sites sent to `POST /api/check` as files: the land-ministry coordinate TXT, KML, DXF, a
//! zipped Shapefile, a GeoPackage — or GeoJSON in another CRS (`?crs=gcj02`).
//!
//! The body is the file itself. Its format is `?input=txt|kml|dxf|zip|gpkg|geojson` if given,
//! else told from its first bytes, else from `Content-Type`; a body starting with `{` is
//! GeoJSON whatever the `Content-Type` (browsers send strings as `text/plain`).
//!
//! Files that need GDAL are read in a worker process ([`planmap_io::sandbox`]), never here;
//! [`read_error`] is the one place a read failure becomes an HTTP answer.

use axum::body::Bytes;
use axum::http::{header, HeaderMap, StatusCode};
use geo::MultiPolygon;
use planmap_io::crs::Crs;
use planmap_io::sandbox::{Job, Sandbox};
use planmap_io::{Format, ReadError, ReadOptions, SourceError};
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::limits::RETRY_AFTER_S;
use crate::params::Params;
use crate::state::AppState;

/// How a check request's body is to be read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Input {
    pub format: Format,
    pub crs: Option<Crs>,
}

impl Input {
    /// Plain GeoJSON lon/lat: the check's original path, with its own error messages.
    pub fn is_plain_geojson(&self) -> bool {
        self.format == Format::GeoJson && self.crs.is_none()
    }
}

/// The body's format and CRS from the query, else the form's file name (`named`), else the
/// bytes, else the headers.
pub fn input(
    params: &Params,
    headers: &HeaderMap,
    body: &[u8],
    named: Option<Format>,
) -> ApiResult<Input> {
    let crs = params
        .get("crs")
        .map(|c| c.parse::<Crs>().map_err(|e| ApiError::parameter("crs", e)))
        .transpose()?;
    let format = match params.get("input") {
        Some(f) => Format::from_ext(f).ok_or_else(|| {
            ApiError::parameter(
                "input",
                format!("unknown input format '{f}': geojson, txt, kml, dxf, zip or gpkg"),
            )
        })?,
        None => named
            .or_else(|| Format::sniff(body))
            .or_else(|| {
                let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
                Format::from_mime(ct).filter(|f| *f != Format::Txt)
            })
            .unwrap_or(Format::GeoJson),
    };
    Ok(Input { format, crs })
}

/// The answer for a file that could not be read, by kind: a limit 413 (naming it), a format
/// planmap does not read 415, a file that does not parse or whose coordinates make no sense
/// 422, a reader stopped at the request's deadline 503 with `Retry-After`, and planmap's own
/// failures (GDAL, the reader process) 500 — their details go to the log, not the client.
pub fn read_error(what: &str, e: &SourceError) -> ApiError {
    let message = format!("{what}: {}", e.error);
    match &e.error {
        ReadError::Limit { limit, .. } => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, message).with("limit", limit.as_str())
        }
        ReadError::CpuTime { seconds } => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, message)
            .with("limit", "reader_cpu_seconds")
            .with("limit_value", *seconds),
        ReadError::Memory { mib } => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, message)
            .with("limit", "reader_memory_mb")
            .with("limit_value", *mib),
        ReadError::Unsupported(_) => ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, message),
        ReadError::Crs(_) | ReadError::Invalid(_) => ApiError::unprocessable(message),
        ReadError::Deadline { .. } | ReadError::Cancelled => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, message)
                .with("limit", "request_timeout")
                .retry_after(RETRY_AFTER_S)
        }
        ReadError::Gdal(_) | ReadError::Io(_) | ReadError::Worker(_) => {
            tracing::error!(error = %e, "reading an uploaded file failed");
            ApiError::internal(format!(
                "{what}: the server could not read the file (an internal error of its file \
                 reader, logged for the administrator)"
            ))
        }
    }
}

/// Reads an upload with the server's sandbox ([`planmap_io::sandbox`]): a file that needs
/// GDAL in a worker process, stopped at the request's time limit or as soon as this future is
/// dropped (the request timed out, the client went away).
pub async fn read_with<T: Send + 'static>(
    st: &AppState,
    what: &'static str,
    read: impl FnOnce(&Sandbox, &Job) -> Result<T, SourceError> + Send + 'static,
) -> ApiResult<T> {
    let job = Job::within(st.config().request_timeout);
    let _stop = job.cancel_on_drop();
    let sandbox = st.config().reader.clone();
    tokio::task::spawn_blocking(move || read(&sandbox, &job))
        .await
        .map_err(|e| ApiError::internal(format!("worker failed: {e}")))?
        .map_err(|e| read_error(what, &e))
}

/// Reads a site file; the report's `input` member says how it was read.
pub async fn read(
    st: &AppState,
    body: Bytes,
    input: Input,
    near_lon: Option<f64>,
) -> ApiResult<(MultiPolygon<f64>, Value)> {
    let opts = ReadOptions {
        crs: input.crs,
        near_lon,
        limits: st.config().upload_limits,
        ..ReadOptions::default()
    };
    let site = read_with(st, "site", move |sandbox, job| {
        sandbox.read_site_bytes(&body, input.format, &opts, job)
    })
    .await?;
    let parcels: Vec<Value> = site
        .areas
        .iter()
        .map(|p| {
            json!({
                "parcel": p.index + 1,
                "number": p.number,
                "name": p.name,
                "stated_area": p.stated.as_ref().map(|s| s.raw.clone()),
                "stated_m2": p.stated.as_ref().map(|s| s.m2()),
                "planar_m2": p.planar_m2,
                "ellipsoidal_m2": p.ellipsoidal_m2,
            })
        })
        .collect();
    let info = json!({
        "format": input.format.ext(),
        "crs": site.crs,
        "warnings": site.warnings,
        "parcels": parcels,
    });
    Ok((site.shape, info))
}
