//! Taking a reader's features to lon/lat: the user's CRS, else the one the file states, else
//! the one told from the numbers ([`crs::detect`]); then every position checked and rings
//! oriented, and a coordinate TXT's stated areas set beside the computed ones.

use geo::{BoundingRect, CoordsIter, Geometry, MapCoords};

use super::{Dataset, Raw, RawFeature, ReadOptions};
use crate::coordtxt::{self, ParcelArea};
use crate::crs::{self, Crs};
use crate::error::ReadError;

#[cfg(feature = "gdal")]
fn epsg_transform(crs: Crs) -> Result<crs::Transform, ReadError> {
    let code = crs
        .epsg()
        .ok_or_else(|| ReadError::Crs(format!("{crs} has no EPSG code")))?;
    crate::gdal_io::epsg_to_lonlat(code)
}

#[cfg(not(feature = "gdal"))]
fn epsg_transform(crs: Crs) -> Result<crs::Transform, ReadError> {
    Err(ReadError::Unsupported(format!(
        "{crs} needs planmap built with the `gdal` feature (this build transforms lon/lat, \
         CGCS2000 Gauss-Krüger, GCJ-02 and BD-09)"
    )))
}

fn bbox(features: &[RawFeature]) -> Option<geo::Rect<f64>> {
    features
        .iter()
        .filter_map(|f| f.geometry.as_ref().ok())
        .filter_map(|g| g.bounding_rect())
        .reduce(|a, b| {
            geo::Rect::new(
                geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
            )
        })
}

/// Takes a reader's features to lon/lat: the user's CRS, else the stated one, else detected.
pub fn to_lonlat(mut raw: Raw, o: &ReadOptions) -> Result<Dataset, ReadError> {
    let bb = bbox(&raw.features);
    let crs = if let Some(from) = raw.transformed_from.take() {
        // GDAL already transformed (an SRS planmap does not handle itself).
        return finish(raw, from, None);
    } else if let Some(c) = o.crs {
        if let Some(s) = raw.stated.filter(|s| *s != c) {
            raw.warnings
                .push(format!("the file states {s}; reading it as {c} as told"));
        }
        c
    } else if let Some(s) = raw.stated {
        s
    } else {
        let Some(bb) = bb else {
            return finish(raw, String::new(), None);
        };
        let d = crs::detect(bb, raw.stated_zone, o.near_lon)?;
        raw.warnings.extend(d.warning);
        d.crs
    };
    if let (Crs::Gk { zone, prefix }, Some(bb)) = (crs, bb) {
        let fits = |x: f64| {
            if prefix {
                (x / 1_000_000.0).floor() as u32 == zone
            } else {
                (0.0..1_000_000.0).contains(&x)
            }
        };
        if !(fits(bb.min().x) && fits(bb.max().x)) {
            return Err(ReadError::Crs(format!(
                "eastings from {:.3} to {:.3} do not fit {crs}: {}",
                bb.min().x,
                bb.max().x,
                if prefix {
                    "they lack that zone prefix"
                } else {
                    "they carry a zone prefix"
                }
            )));
        }
    }
    let f: crs::Transform = match crs.to_lonlat() {
        Some(f) => f,
        None => epsg_transform(crs)?,
    };
    let gk = matches!(crs, Crs::Gk { .. }).then(|| {
        raw.features
            .iter()
            .map(|r| r.geometry.clone().ok())
            .collect::<Vec<_>>()
    });
    for r in &mut raw.features {
        if let Ok(g) = &mut r.geometry {
            *g = g.map_coords(&f);
        }
    }
    finish(raw, crs.to_string(), gk)
}

/// Checks the lon/lat result and, for a coordinate TXT, sets its stated areas beside the
/// computed ones (`gk`: the parcels in the Gauss-Krüger plane).
fn finish(
    mut raw: Raw,
    described: String,
    gk: Option<Vec<Option<Geometry<f64>>>>,
) -> Result<Dataset, ReadError> {
    for (i, r) in raw.features.iter().enumerate() {
        let Ok(g) = &r.geometry else { continue };
        if let Some(c) = g.coords_iter().find(|c| {
            !(c.x.is_finite() && c.y.is_finite() && c.x.abs() <= 180.0 && c.y.abs() <= 90.0)
        }) {
            return Err(ReadError::Crs(format!(
                "feature {}: ({}, {}) is not a lon/lat position after reading the file as {}: \
                 wrong --crs?",
                r.id.clone().unwrap_or_else(|| (i + 1).to_string()),
                c.x,
                c.y,
                if described.is_empty() {
                    "lon/lat"
                } else {
                    &described
                }
            )));
        }
    }
    // Exterior rings counter-clockwise, holes clockwise, as geodesic areas expect.
    for r in &mut raw.features {
        if let Ok(g) = &mut r.geometry {
            orient(g);
        }
    }
    let mut areas = Vec::new();
    if let Some(txt) = &raw.txt {
        for (i, (p, r)) in txt.parcels.iter().zip(&raw.features).enumerate() {
            let planar = match gk.as_ref().and_then(|g| g[i].as_ref()) {
                Some(Geometry::MultiPolygon(mp)) => geo::Area::unsigned_area(mp),
                _ => continue,
            };
            let ellipsoidal = match &r.geometry {
                Ok(Geometry::MultiPolygon(mp)) => planmap_core::geodesy::area_m2(mp),
                _ => continue,
            };
            areas.push(ParcelArea {
                index: i,
                number: p.number.clone(),
                name: p.name.clone(),
                stated: coordtxt::stated_area(&p.stated_area, planar),
                planar_m2: planar,
                ellipsoidal_m2: ellipsoidal,
            });
        }
    }
    Ok(Dataset {
        features: raw.features,
        crs: described,
        warnings: raw.warnings,
        areas,
    })
}

fn orient(g: &mut Geometry<f64>) {
    use geo::orient::{Direction, Orient};
    match g {
        Geometry::Polygon(p) => *p = p.orient(Direction::Default),
        Geometry::MultiPolygon(mp) => *mp = mp.orient(Direction::Default),
        Geometry::GeometryCollection(gc) => gc.0.iter_mut().for_each(orient),
        _ => {}
    }
}
