//! Sites sent to `POST /api/check` as files: the land-ministry coordinate TXT, KML, DXF, a
//! zipped Shapefile, a GeoPackage — or GeoJSON in another CRS (`?crs=gcj02`).
//!
//! The body is the file itself. Its format is `?input=txt|kml|dxf|zip|gpkg|geojson` if given,
//! else told from its first bytes, else from `Content-Type`; a body starting with `{` is
//! GeoJSON whatever the `Content-Type` (browsers send strings as `text/plain`).

use axum::http::{header, HeaderMap};
use geo::MultiPolygon;
use planmap_io::coordtxt::{ParcelArea, ParcelAreaJson};
use planmap_io::crs::Crs;
use planmap_io::{Format, ReadOptions, UploadLimits};
use serde::Serialize;

use crate::error::{ApiError, ApiResult};

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

/// Reads a site file; the answer's `input` member says how it was read.
pub fn read(
    body: &[u8],
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
    let site = planmap_io::read_site_bytes(body, input.format, &opts)
        .map_err(|e| ApiError::unprocessable(format!("site: {}", e.message)))?;
    let info = FileInput {
        format: input.format.ext(),
        crs: site.crs,
        warnings: site.warnings,
        parcels: site.areas,
    };
    Ok((site.shape, info))
}
