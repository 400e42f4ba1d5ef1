//! Sites sent to `POST /api/check` as files: the land-ministry coordinate TXT, KML, DXF, a
//! zipped Shapefile, a GeoPackage — or GeoJSON in another CRS (`?crs=gcj02`).
//!
//! The body is the file itself. Its format is `?input=txt|kml|dxf|zip|gpkg|geojson` if given,
//! else told from its first bytes, else from `Content-Type`; a body starting with `{` is
//! GeoJSON whatever the `Content-Type` (browsers send strings as `text/plain`).
//!
//! Files that need GDAL are read in a worker process ([`planmap_io::sandbox`]), never here;
//! [`read_error`] is the one place a read failure becomes an HTTP answer.

use std::time::Duration;

use axum::body::Bytes;
use axum::http::{header, HeaderMap, StatusCode};
use geo::MultiPolygon;
use planmap_io::coordtxt::{ParcelArea, ParcelAreaJson};
use planmap_io::crs::Crs;
use planmap_io::sandbox::{Job, Sandbox};
use planmap_io::{Format, ReadError, ReadOptions, SourceError, UploadLimits};
use serde::Serialize;

use crate::error::{ApiError, ApiResult, RETRY_AFTER_S};

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

/// The body's format (the query's `input`) and CRS (`crs`), else the form's file name
/// (`named`), else the bytes, else the headers.
pub fn input(
    (input, crs): (Option<&str>, Option<&str>),
    headers: &HeaderMap,
    body: &[u8],
    named: Option<Format>,
) -> ApiResult<Input> {
    let crs = crs
        .map(|c| c.parse::<Crs>().map_err(|e| ApiError::parameter("crs", e)))
        .transpose()?;
    let format = match input {
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

/// How a site file was read: the `input` member of a check's answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FileInput {
    /// The format read: txt, kml, dxf, zip, gpkg or geojson.
    pub format: &'static str,
    /// The CRS the coordinates were taken from.
    pub crs: String,
    pub warnings: Vec<String>,
    /// A coordinate TXT's parcels: stated and computed areas.
    #[schema(value_type = Vec<ParcelAreaJson>)]
    pub parcels: Vec<ParcelArea>,
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

/// Reads an upload with the server's sandbox: a file that needs GDAL in a worker process,
/// stopped after `time_limit` or as soon as this future is dropped (the request timed out, the
/// client went away).
pub async fn read_with<T: Send + 'static>(
    sandbox: &Sandbox,
    time_limit: Duration,
    what: &'static str,
    read: impl FnOnce(&Sandbox, &Job) -> Result<T, SourceError> + Send + 'static,
) -> ApiResult<T> {
    let job = Job::within(time_limit);
    let _stop = job.cancel_on_drop();
    let sandbox = sandbox.clone();
    tokio::task::spawn_blocking(move || read(&sandbox, &job))
        .await
        .map_err(|e| ApiError::internal(format!("worker failed: {e}")))?
        .map_err(|e| read_error(what, &e))
}

/// Reads a site file with `sandbox` (see [`read_with`]); the answer's `input` member says
/// how it was read.
pub async fn read(
    (sandbox, time_limit): (&Sandbox, Duration),
    body: Bytes,
    input: Input,
    near_lon: Option<f64>,
    limits: UploadLimits,
) -> ApiResult<(MultiPolygon<f64>, FileInput)> {
    let opts = ReadOptions {
        crs: input.crs,
        near_lon,
        limits,
        ..ReadOptions::default()
    };
    let site = read_with(sandbox, time_limit, "site", move |sandbox, job| {
        sandbox.read_site_bytes(&body, input.format, &opts, job)
    })
    .await?;
    let info = FileInput {
        format: input.format.ext(),
        crs: site.crs,
        warnings: site.warnings,
        parcels: site.areas,
    };
    Ok((site.shape, info))
}
