//! A site for a check, from a file of any supported format: all its polygons as one
//! MultiPolygon in lon/lat.

use std::path::Path;

use geo::{Geometry, MultiPolygon};
use serde::{Deserialize, Serialize};

use crate::coordtxt::ParcelArea;
use crate::error::{ReadError, SourceError};
use crate::source::read::{read_bytes, read_path, upload_name};
use crate::source::{Dataset, Format, ReadOptions};

/// A site read from a file: all its polygons as one MultiPolygon, lon/lat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    pub shape: MultiPolygon<f64>,
    pub crs: String,
    pub warnings: Vec<String>,
    /// A coordinate TXT's stated areas (never in a sandbox worker's answer, as in [`Dataset`]).
    #[serde(skip)]
    pub areas: Vec<ParcelArea>,
}

/// Gathers a data set's polygons into a site. Closed lines (a DXF's closed polylines) are
/// rings, classified into outer rings and holes by containment; points and open lines are
/// left out with a warning.
pub fn site_from(d: Dataset) -> Result<Site, ReadError> {
    let mut polys = Vec::new();
    let mut rings = Vec::new();
    let mut skipped = 0;
    let mut walk = |g: &Geometry<f64>, skipped: &mut usize| {
        let mut stack = vec![g.clone()];
        while let Some(g) = stack.pop() {
            match g {
                Geometry::Polygon(p) => polys.push(p),
                Geometry::MultiPolygon(mp) => polys.extend(mp.0),
                Geometry::LineString(l) if l.is_closed() && l.0.len() >= 4 => rings.push(l),
                Geometry::MultiLineString(ml) => {
                    stack.extend(ml.0.into_iter().map(Geometry::LineString))
                }
                Geometry::GeometryCollection(gc) => stack.extend(gc.0),
                _ => *skipped += 1,
            }
        }
    };
    for f in &d.features {
        match &f.geometry {
            Ok(g) => walk(g, &mut skipped),
            Err(e) => {
                return Err(ReadError::Invalid(format!(
                    "{}: {e}",
                    f.id.clone().unwrap_or_else(|| "feature".into())
                )))
            }
        }
    }
    polys.extend(crate::rings::classify(rings).0);
    if polys.is_empty() {
        return Err(ReadError::Invalid(
            "no polygon (or closed polyline) in the file".into(),
        ));
    }
    let mut warnings = d.warnings;
    if skipped > 0 {
        warnings.push(format!(
            "{skipped} point or open-line geometries are not part of the site and were left out"
        ));
    }
    Ok(Site {
        shape: MultiPolygon(polys),
        crs: d.crs,
        warnings,
        areas: d.areas,
    })
}

/// Reads a site file of any supported format in this process: the dispatcher behind
/// `planmap check` (whose GDAL formats the CLI reads through [`crate::sandbox`]).
pub fn read_site(path: &Path, o: &ReadOptions) -> Result<Site, SourceError> {
    let d = read_path(path, o)?;
    site_from(d).map_err(|e| SourceError::new(path.display().to_string(), e))
}

/// Reads an uploaded site in this process.
pub fn read_site_bytes(bytes: &[u8], format: Format, o: &ReadOptions) -> Result<Site, SourceError> {
    let d = read_bytes(bytes, format, o)?;
    site_from(d).map_err(|e| SourceError::new(upload_name(format), e))
}
