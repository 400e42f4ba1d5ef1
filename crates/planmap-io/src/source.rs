//! Reading any supported file into lon/lat features: the one entry point for `import` and for
//! site checks. The format comes from the file's extension (or the caller's hint); GeoJSON and
//! the coordinate TXT are read here, the rest through GDAL ([`crate::gdal_io`], feature
//! `gdal`). Coordinates then go to lon/lat: from the CRS the user gives (`--crs`), else the
//! one the file states, else the one [`crs::detect`] tells from the numbers.

use std::path::Path;

use geo::{BoundingRect, CoordsIter, Geometry, MapCoords};
use planmap_core::Properties;

use crate::coordtxt::{self, ParcelArea};
use crate::crs::{self, Crs};
use crate::geojson_io;

pub use crate::format::Format;

/// How to read a file.
#[derive(Debug, Clone, Default)]
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
    /// What an upload ([`read_bytes`]) may hold; files read by path are not limited.
    pub limits: crate::limits::UploadLimits,
}

/// One feature as read: its id in the source (if any), its geometry or why it has none
/// usable, and its attributes.
#[derive(Debug, Clone, PartialEq)]
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
    pub txt: Option<coordtxt::CoordTxt>,
}

/// Features in lon/lat, ready to validate and store.
#[derive(Debug)]
pub struct Dataset {
    pub features: Vec<RawFeature>,
    /// The CRS the coordinates were taken from, for the report.
    pub crs: String,
    pub warnings: Vec<String>,
    /// A coordinate TXT's stated areas beside the computed ones, one a parcel.
    pub areas: Vec<ParcelArea>,
}

/// A file that cannot be read, and why: one line naming the file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct SourceError {
    pub source_name: String,
    pub message: String,
}

impl SourceError {
    pub fn new(source_name: impl Into<String>, message: impl ToString) -> Self {
        SourceError {
            source_name: source_name.into(),
            message: message.to_string().replace('\n', " "),
        }
    }
}

/// Reads a file into lon/lat features.
pub fn read_path(path: &Path, o: &ReadOptions) -> Result<Dataset, SourceError> {
    let name = path.display().to_string();
    let format = o
        .format
        .or_else(|| Format::from_path(path))
        .ok_or_else(|| {
            SourceError::new(
                &name,
                "unknown file type: expected .geojson/.json, .txt (coordinate TXT), .shp, .zip, \
                 .gpkg, .gdb, .dxf or .kml",
            )
        })?;
    let raw = if format.is_native() && o.filter.is_none() {
        let bytes = std::fs::read(path).map_err(|e| SourceError::new(&name, e))?;
        read_native(&bytes, format).map_err(|m| SourceError::new(&name, m))?
    } else {
        read_gdal_path(path, format, o).map_err(|m| SourceError::new(&name, m))?
    };
    to_lonlat(raw, o).map_err(|m| SourceError::new(&name, m))
}

/// Reads a file given as bytes (an upload) into lon/lat features.
pub fn read_bytes(bytes: &[u8], format: Format, o: &ReadOptions) -> Result<Dataset, SourceError> {
    let name = format!("uploaded {}", format.ext());
    let raw = if format.is_native() && o.filter.is_none() {
        read_native(bytes, format).map_err(|m| SourceError::new(&name, m))?
    } else {
        read_gdal_bytes(bytes, format, o).map_err(|m| SourceError::new(&name, m))?
    };
    let n = raw.features.len();
    o.limits
        .check_features(n)
        .map_err(|m| SourceError::new(&name, m))?;
    to_lonlat(raw, o).map_err(|m| SourceError::new(&name, m))
}

#[cfg(feature = "gdal")]
fn read_gdal_path(path: &Path, format: Format, o: &ReadOptions) -> Result<Raw, String> {
    crate::gdal_io::read_path(path, format, o)
}

#[cfg(feature = "gdal")]
fn read_gdal_bytes(bytes: &[u8], format: Format, o: &ReadOptions) -> Result<Raw, String> {
    crate::gdal_io::read_bytes(bytes, format, o)
}

#[cfg(not(feature = "gdal"))]
fn read_gdal_path(_: &Path, format: Format, o: &ReadOptions) -> Result<Raw, String> {
    Err(needs_gdal(format, o))
}

#[cfg(not(feature = "gdal"))]
fn read_gdal_bytes(_: &[u8], format: Format, o: &ReadOptions) -> Result<Raw, String> {
    Err(needs_gdal(format, o))
}

#[cfg(not(feature = "gdal"))]
fn needs_gdal(format: Format, o: &ReadOptions) -> String {
    if o.filter.is_some() {
        "--where needs planmap built with the `gdal` feature".into()
    } else {
        format!(
            ".{} files need planmap built with the `gdal` feature (this build reads GeoJSON \
             and the coordinate TXT)",
            format.ext()
        )
    }
}

#[cfg(feature = "gdal")]
fn epsg_transform(crs: Crs) -> Result<crs::Transform, String> {
    let code = crs
        .epsg()
        .ok_or_else(|| format!("{crs} has no EPSG code"))?;
    crate::gdal_io::epsg_to_lonlat(code)
}

#[cfg(not(feature = "gdal"))]
fn epsg_transform(crs: Crs) -> Result<crs::Transform, String> {
    Err(format!(
        "{crs} needs planmap built with the `gdal` feature (this build transforms lon/lat, \
         CGCS2000 Gauss-Krüger, GCJ-02 and BD-09)"
    ))
}

fn read_native(bytes: &[u8], format: Format) -> Result<Raw, String> {
    match format {
        Format::Txt => read_txt(bytes),
        _ => read_geojson(bytes),
    }
}

/// GeoJSON, strictly: a bad geometry is that feature's problem, reported with its id.
fn read_geojson(bytes: &[u8]) -> Result<Raw, String> {
    use geojson::GeoJson;
    let text = std::str::from_utf8(bytes).map_err(|_| "GeoJSON must be UTF-8".to_string())?;
    let gj: GeoJson = text
        .parse()
        .map_err(|e| format!("not valid GeoJSON: {e}"))?;
    let feats = match gj {
        GeoJson::FeatureCollection(fc) => fc.features,
        GeoJson::Feature(f) => vec![f],
        GeoJson::Geometry(g) => vec![geojson::Feature::from(g)],
    };
    let features = feats
        .into_iter()
        .map(|f| {
            let id = f.id.as_ref().map(|id| match id {
                geojson::feature::Id::String(s) => s.clone(),
                geojson::feature::Id::Number(n) => n.to_string(),
            });
            let what = id.clone().unwrap_or_else(|| "feature".into());
            let geometry = match &f.geometry {
                None => Err("has no geometry".to_string()),
                Some(g) => geojson_io::to_geo(&g.value, &what).map_err(|e| e.to_string()),
            };
            RawFeature {
                id,
                geometry,
                properties: f.properties.unwrap_or_default(),
            }
        })
        .collect();
    Ok(Raw {
        features,
        ..Raw::default()
    })
}

/// The coordinate TXT: one feature a parcel, x = easting, y = northing.
fn read_txt(bytes: &[u8]) -> Result<Raw, String> {
    let (txt, mut warnings) = coordtxt::parse(bytes).map_err(|e| e.to_string())?;
    let swap = txt.swapped();
    if swap {
        warnings.push(
            "X holds eastings and Y northings, the other way round from the format: read \
             them swapped"
                .into(),
        );
    }
    let mut stated = None;
    if let Some(system) = txt.meta("坐标系") {
        if !(system.contains("2000") || system.to_uppercase().contains("CGCS")) {
            return Err(format!(
                "坐标系={system}: only the 2000国家大地坐标系 (CGCS2000) is read; give --crs \
                 with the file's EPSG code to read it anyway"
            ));
        }
    }
    let zone_width = txt.meta("几度分带").map(str::trim);
    if zone_width.is_some_and(|w| w.starts_with('6')) {
        return Err(
            "几度分带=6: 6-degree zones are not read; give --crs with the file's EPSG \
                    code (EPSG:4491–4512)"
                .into(),
        );
    }
    let stated_zone = txt.stated_zone();
    if let Some(z) = stated_zone {
        if !crs::GK_ZONES.contains(&z) {
            return Err(format!("带号={z} is not a 3-degree zone of China (25–45)"));
        }
        // Eastings that carry a prefix say it themselves; without, the 带号 decides.
        let prefixed = txt
            .parcels
            .iter()
            .flat_map(|p| &p.rings)
            .flat_map(|r| &r.points)
            .all(|p| (if swap { p.x } else { p.y }) >= 1_000_000.0);
        if !prefixed {
            stated = Some(Crs::Gk {
                zone: z,
                prefix: false,
            });
        }
    }
    let features = txt
        .parcels
        .iter()
        .map(|p| {
            let mut props = Properties::new();
            for (k, v) in [
                ("name", &p.name),
                ("地块编号", &p.number),
                ("地块名称", &p.name),
                ("地块用途", &p.usage),
                ("地类编码", &p.land_code),
                ("图幅号", &p.sheet),
                ("地块面积", &p.stated_area),
            ] {
                if !v.is_empty() {
                    props.insert(k.into(), v.clone().into());
                }
            }
            RawFeature {
                id: (!p.number.is_empty()).then(|| p.number.clone()),
                geometry: Ok(p.geometry(swap)),
                properties: props,
            }
        })
        .collect();
    Ok(Raw {
        features,
        stated,
        stated_zone,
        warnings,
        txt: Some(txt),
        ..Raw::default()
    })
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
fn to_lonlat(mut raw: Raw, o: &ReadOptions) -> Result<Dataset, String> {
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
            return Err(format!(
                "eastings from {:.3} to {:.3} do not fit {crs}: {}",
                bb.min().x,
                bb.max().x,
                if prefix {
                    "they lack that zone prefix"
                } else {
                    "they carry a zone prefix"
                }
            ));
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
) -> Result<Dataset, String> {
    for (i, r) in raw.features.iter().enumerate() {
        let Ok(g) = &r.geometry else { continue };
        if let Some(c) = g.coords_iter().find(|c| {
            !(c.x.is_finite() && c.y.is_finite() && c.x.abs() <= 180.0 && c.y.abs() <= 90.0)
        }) {
            return Err(format!(
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
            ));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_from_names_types_and_bytes() {
        assert_eq!(
            Format::from_path(Path::new("a/B.SHP")),
            Some(Format::Shapefile)
        );
        assert_eq!(
            Format::from_path(Path::new("x.gdb/")),
            Some(Format::FileGdb)
        );
        assert_eq!(
            Format::from_mime("text/plain; charset=GBK"),
            Some(Format::Txt)
        );
        assert_eq!(
            Format::sniff(b"  {\"type\":\"Polygon\"}"),
            Some(Format::GeoJson)
        );
        assert_eq!(Format::sniff(b"PK\x03\x04rest"), Some(Format::Zip));
        assert_eq!(
            Format::sniff("[属性描述]\r\n带号=37".as_bytes()),
            Some(Format::Txt)
        );
        let gbk = encoding_rs::GBK.encode("[地块坐标]\r\n").0.into_owned();
        assert_eq!(Format::sniff(&gbk), Some(Format::Txt));
        assert_eq!(
            Format::sniff(b"<?xml version=\"1.0\"?><kml>"),
            Some(Format::Kml)
        );
        assert_eq!(Format::sniff(b"  0\r\nSECTION\r\n"), Some(Format::Dxf));
        assert_eq!(Format::sniff(b"hello"), None);
    }

    #[cfg(not(feature = "gdal"))]
    #[test]
    fn without_gdal_other_formats_say_so() {
        let e = read_bytes(b"x", Format::Zip, &ReadOptions::default()).unwrap_err();
        assert!(e.message.contains("`gdal` feature"), "{e}");
        let e = read_bytes(
            br#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}"#,
            Format::GeoJson,
            &ReadOptions {
                crs: Some(Crs::Epsg(2383)),
                ..ReadOptions::default()
            },
        )
        .unwrap_err();
        assert!(e.message.contains("`gdal` feature"), "{e}");
    }
}
