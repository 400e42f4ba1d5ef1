//! Reading any supported file into lon/lat features: the one way in for `import`, for site
//! checks and for uploads.
//!
//! This module holds the types every reader shares; each format has its reader behind the
//! [`Reader`] trait: [`geojson`] and [`txt`] (the coordinate TXT) in pure Rust, [`ogr`] for
//! everything GDAL opens (feature `gdal`). [`read`] picks the reader for a format and takes the
//! result to lon/lat with [`lonlat`]: from the CRS the user gives (`--crs`), else the one the
//! file states, else the one [`crate::crs::detect`] tells from the numbers.
//!
//! Untrusted files that need GDAL are read by these same readers in a worker process of their
//! own ([`crate::sandbox`]).

pub mod geojson;
pub mod lonlat;
#[cfg(feature = "gdal")]
pub mod ogr;
pub mod read;
pub mod txt;

use std::path::Path;

use geo::Geometry;
use planmap_core::Properties;
use serde::{Deserialize, Serialize};

use crate::coordtxt::{CoordTxt, ParcelArea};
use crate::crs::Crs;
use crate::error::ReadError;
pub use crate::format::Format;
use crate::limits::UploadLimits;

/// How to read a file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadOptions {
    /// The file's CRS, overriding what it states (`--crs`).
    pub crs: Option<Crs>,
    /// The plan's longitude: the Gauss-Krüger zone is guessed from it when a file gives none.
    pub near_lon: Option<f64>,
    /// An OGR SQL attribute filter (`--where "DLMC = '水田'"`); GDAL formats only.
    pub filter: Option<String>,
    /// Which layer of a multi-layer source (GeoPackage table, FileGDB feature class).
    pub source_layer: Option<String>,
    /// The DBF encoding when a Shapefile has neither `.cpg` nor a code page mark (`GBK`).
    pub encoding: Option<String>,
    /// The format, overriding the extension.
    pub format: Option<Format>,
    /// What an upload ([`read::read_bytes`]) may hold; files read by path are not limited.
    pub limits: UploadLimits,
}

/// One feature as read: its id in the source (if any), its geometry or why it has none
/// usable, and its attributes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawFeature {
    pub id: Option<String>,
    pub geometry: Result<Geometry<f64>, String>,
    pub properties: Properties,
}

/// What a reader gives before coordinates are taken to lon/lat.
#[derive(Debug, Default)]
pub struct Raw {
    pub features: Vec<RawFeature>,
    /// The CRS the file states, if any.
    pub stated: Option<Crs>,
    /// A zone the file states without the rest of the CRS (TXT `带号`).
    pub stated_zone: Option<u32>,
    /// Set by GDAL readers that already took the coordinates to lon/lat themselves.
    pub transformed_from: Option<String>,
    pub warnings: Vec<String>,
    /// The coordinate TXT, when the source was one (for its stated areas).
    pub txt: Option<CoordTxt>,
}

/// Features in lon/lat, ready to validate and store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub features: Vec<RawFeature>,
    /// The CRS the coordinates were taken from, for the report.
    pub crs: String,
    pub warnings: Vec<String>,
    /// A coordinate TXT's stated areas beside the computed ones, one a parcel. Not part of a
    /// sandbox worker's answer: the coordinate TXT is read in-process, never by a worker.
    #[serde(skip)]
    pub areas: Vec<ParcelArea>,
}

/// A reader of one format: a file's bytes (an upload) or a file by path, into features with
/// their coordinates as the file has them.
pub trait Reader {
    /// Reads a file given as bytes, within `o.limits`.
    fn read_bytes(&self, bytes: &[u8], o: &ReadOptions) -> Result<Raw, ReadError>;

    /// Reads a file named by path (the user's own: not limited); by default, its bytes.
    fn read_path(&self, path: &Path, o: &ReadOptions) -> Result<Raw, ReadError> {
        let bytes = std::fs::read(path).map_err(|e| ReadError::Io(e.to_string()))?;
        self.read_bytes(&bytes, o)
    }
}
