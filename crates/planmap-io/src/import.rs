//! Importing a file as a new version of a plan layer: every geometry validated (each invalid
//! one reported with its id and reason, or made valid with `repair`), attributes kept, then
//! written beside the old version and switched to atomically ([`crate::versions`]).

use std::io::Write;

use geo::{Area, Geometry, LineString, MakeValid, MultiLineString, MultiPolygon, Validation};
use planmap_core::plan::{GeometryKind, LayerDef};
use planmap_core::{Feature, Shape};
use serde_json::Value;

use crate::coordtxt::ParcelArea;
use crate::error::IoError;
use crate::geojson_io;
use crate::plan_dir::PlanDir;
use crate::source::{Dataset, RawFeature};

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The attribute that becomes the feature's `name` (`--name-field`).
    pub name_field: Option<String>,
    /// The attribute that becomes the feature's id (`--id-field`); else the file's own ids
    /// when all features have distinct ones, else `<layer>-000001`….
    pub id_field: Option<String>,
    /// Make invalid geometries valid (and leave out empty ones) instead of refusing.
    pub repair: bool,
}

/// One feature's problem.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Issue {
    pub id: String,
    pub reason: String,
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.id, self.reason)
    }
}

/// Why an import did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{} invalid geometr{} in the file; nothing was imported (--repair makes them valid)", .0.len(), if .0.len() == 1 { "y" } else { "ies" })]
    Invalid(Vec<Issue>),
    #[error("no feature left to import (the file, or its --where filter, gives none)")]
    Empty,
    /// The plan has no such layer.
    #[error("unknown layer '{layer}'; the plan's layers: {}", .known.join(", "))]
    UnknownLayer { layer: String, known: Vec<String> },
    /// The plan folder could not be read or written.
    #[error(transparent)]
    Store(#[from] IoError),
    /// The store the new version goes to (a database) did not take it; nothing changed.
    #[error("{0}")]
    Target(String),
}

/// Reports an import's progress (a progress bar in the CLI).
pub trait Progress {
    fn stage(&self, _name: &str, _total: u64) {}
    fn advance(&self, _n: u64) {}
}

/// No progress shown.
pub struct Quiet;
impl Progress for Quiet {}

/// What an import did; serialises to the JSON of `planmap import --json` and of the server's
/// layer import.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportReport {
    pub layer: String,
    pub features: usize,
    pub version: u32,
    pub file: String,
    pub bytes: u64,
    pub crs: String,
    /// Geodesic total of the layer's polygons, m².
    pub area_m2: f64,
    pub warnings: Vec<String>,
    pub repaired: Vec<Issue>,
    pub dropped: Vec<Issue>,
    /// The coordinate TXT's parcels: stated and computed areas.
    #[serde(rename = "parcels")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<crate::coordtxt::ParcelAreaJson>))]
    pub areas: Vec<ParcelArea>,
}

impl ImportReport {
    /// The report as JSON (`planmap import --json`, the server's layer import).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// Names commonly holding a feature's name, tried when there is no `name` and no
/// `--name-field`.
const NAME_FIELDS: [&str; 8] = [
    "Name",
    "NAME",
    "名称",
    "地块名称",
    "XMMC",
    "DKMC",
    "MC",
    "mc",
];

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Polygons from a geometry a polygon layer may hold: polygons, or closed lines (a DXF's
/// closed polylines) as rings classified by containment.
fn polygons(g: Geometry<f64>) -> Geometry<f64> {
    let closed = |l: &LineString<f64>| l.is_closed() && l.0.len() >= 4;
    match g {
        Geometry::LineString(l) if closed(&l) => {
            Geometry::MultiPolygon(crate::rings::classify(vec![l]))
        }
        Geometry::MultiLineString(ml) if !ml.0.is_empty() && ml.0.iter().all(closed) => {
            Geometry::MultiPolygon(crate::rings::classify(ml.0))
        }
        g => g,
    }
}

fn check_polygon(mp: &MultiPolygon<f64>) -> Result<(), String> {
    if mp.0.is_empty() {
        return Err("has an empty polygon".into());
    }
    mp.check_validation().map_err(|e| e.to_string())?;
    if mp.unsigned_area() == 0.0 {
        return Err("encloses no area".into());
    }
    Ok(())
}

fn check_line(ml: &MultiLineString<f64>) -> Result<(), String> {
    if ml.0.is_empty() || ml.0.iter().any(|l| l.0.len() < 2) {
        return Err("has a line with fewer than 2 points".into());
    }
    ml.check_validation().map_err(|e| e.to_string())
}

/// Repairs a shape, or says why it cannot be (then the feature is left out).
fn repair(shape: Shape) -> Result<Shape, String> {
    match shape {
        Shape::Polygon(mp) => {
            let fixed = mp
                .make_valid()
                .map_err(|e| format!("cannot be repaired: {e}"))?;
            let fixed = MultiPolygon(
                fixed
                    .0
                    .into_iter()
                    .filter(|p| p.unsigned_area() > 0.0)
                    .collect(),
            );
            check_polygon(&fixed).map(|_| Shape::Polygon(fixed))
        }
        Shape::Line(ml) => {
            let fixed = MultiLineString(
                ml.0.into_iter()
                    .map(|mut l| {
                        l.0.dedup();
                        l
                    })
                    .filter(|l| l.0.len() >= 2)
                    .collect(),
            );
            check_line(&fixed).map(|_| Shape::Line(fixed))
        }
        p => Ok(p),
    }
}

/// A layer's features ready to write, and what was repaired or left out on the way.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub features: Vec<Feature>,
    pub repaired: Vec<Issue>,
    pub dropped: Vec<Issue>,
}

/// A file of nothing but closed lines (a CAD drawing's closed polylines, no hatches) holds
/// rings rather than features: a hole is an entity of its own. Its rings are classified by
/// containment across the whole file; each outer ring becomes a feature with its entity's
/// attributes, the rings inside it its holes. `None` for any other file.
fn rings_as_polygons(features: &[RawFeature]) -> Option<Vec<RawFeature>> {
    let closed = |l: &LineString<f64>| l.is_closed() && l.0.len() >= 4;
    let (mut rings, mut owner) = (Vec::new(), Vec::new());
    for (i, f) in features.iter().enumerate() {
        let lines: Vec<&LineString<f64>> = match f.geometry.as_ref().ok()? {
            Geometry::LineString(l) => vec![l],
            Geometry::MultiLineString(ml) => ml.0.iter().collect(),
            _ => return None,
        };
        for l in lines {
            if !closed(l) {
                return None;
            }
            rings.push(l.clone());
            owner.push(i);
        }
    }
    if rings.len() < 2 {
        return None;
    }
    let polys = crate::rings::classify(rings.clone());
    Some(
        polys
            .0
            .into_iter()
            .map(|p| {
                let k = rings.iter().position(|r| r == p.exterior()).unwrap_or(0);
                let f = &features[owner[k]];
                RawFeature {
                    id: f.id.clone(),
                    geometry: Ok(Geometry::Polygon(p)),
                    properties: f.properties.clone(),
                }
            })
            .collect(),
    )
}

/// Turns a data set into a layer's features: ids, names, geometry kind and validity.
/// Returns the features and what was repaired and left out, or every problem found.
pub fn prepare(
    def: &LayerDef,
    data: &Dataset,
    o: &ImportOptions,
    progress: &dyn Progress,
) -> Result<Prepared, ImportError> {
    let regrouped = (def.geometry == GeometryKind::Polygon)
        .then(|| rings_as_polygons(&data.features))
        .flatten();
    let features = regrouped.as_deref().unwrap_or(&data.features);
    // Ids the file gives (GeoJSON ids, TXT parcel numbers) are kept when every feature has
    // one and no two share it; GDAL's row numbers are not ids.
    let source_ids = o.id_field.is_none() && {
        let mut ids = std::collections::HashSet::new();
        features.iter().all(|f| {
            f.id.as_ref()
                .is_some_and(|id| !id.is_empty() && ids.insert(id))
        })
    };
    let mut issues = Vec::new();
    let mut repaired = Vec::new();
    let mut dropped = Vec::new();
    let mut out = Vec::with_capacity(features.len());
    let mut seen = std::collections::HashSet::new();
    let name_field = o.name_field.clone().or_else(|| {
        let props = &features.first()?.properties;
        if props.contains_key("name") {
            return None;
        }
        NAME_FIELDS
            .iter()
            .find(|k| props.contains_key(**k))
            .map(|k| k.to_string())
    });
    progress.stage("validating", features.len() as u64);
    for (i, r) in features.iter().enumerate() {
        progress.advance(1);
        let mut props = r.properties.clone();
        let id = match &o.id_field {
            Some(f) => match props.get(f).and_then(text) {
                Some(id) => id,
                None => {
                    issues.push(Issue {
                        id: format!("feature {}", i + 1),
                        reason: format!("has no value in id field '{f}'"),
                    });
                    continue;
                }
            },
            None if source_ids => r.id.clone().unwrap_or_default(),
            None => format!("{}-{:06}", def.id, i + 1),
        };
        if !seen.insert(id.clone()) {
            issues.push(Issue {
                id,
                reason: "id used twice".into(),
            });
            continue;
        }
        if let Some(f) = &name_field {
            match props.get(f).and_then(text) {
                Some(n) => {
                    props.insert("name".into(), Value::String(n));
                }
                None if o.name_field.is_some() && i == 0 => {
                    issues.push(Issue {
                        id: id.clone(),
                        reason: format!("has no field '{f}' (--name-field)"),
                    });
                }
                None => {}
            }
        }
        let shape = r
            .geometry
            .clone()
            .map(|g| {
                if def.geometry == GeometryKind::Polygon {
                    polygons(g)
                } else {
                    g
                }
            })
            .and_then(|g| {
                Shape::from_geometry(g).ok_or_else(|| "has a mixed geometry collection".into())
            })
            .and_then(|s| {
                if s.kind_name() == def.geometry.as_str() {
                    Ok(s)
                } else {
                    Err(format!(
                        "is a {}, layer '{}' holds {}s",
                        s.kind_name(),
                        def.id,
                        def.geometry.as_str()
                    ))
                }
            });
        let shape = match shape {
            Ok(s) => s,
            Err(reason) if o.repair => {
                dropped.push(Issue { id, reason });
                continue;
            }
            Err(reason) => {
                issues.push(Issue { id, reason });
                continue;
            }
        };
        let valid = match &shape {
            Shape::Polygon(mp) => check_polygon(mp),
            Shape::Line(ml) => check_line(ml),
            Shape::Point(_) => Ok(()),
        };
        let shape = match valid {
            Ok(()) => shape,
            Err(reason) if o.repair => match repair(shape) {
                Ok(s) => {
                    repaired.push(Issue {
                        id: id.clone(),
                        reason,
                    });
                    s
                }
                Err(why) => {
                    dropped.push(Issue {
                        id,
                        reason: format!("{reason}; {why}"),
                    });
                    continue;
                }
            },
            Err(reason) => {
                issues.push(Issue { id, reason });
                continue;
            }
        };
        out.push(Feature {
            id,
            shape,
            properties: props.into(),
        });
    }
    if !issues.is_empty() {
        return Err(ImportError::Invalid(issues));
    }
    if out.is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(Prepared {
        features: out,
        repaired,
        dropped,
    })
}

/// Writes features as a layer file, one feature a line, reporting progress.
fn write_layer(
    w: &mut dyn Write,
    name: &str,
    features: &[Feature],
    progress: &dyn Progress,
) -> std::io::Result<()> {
    write!(
        w,
        "{{\"type\":\"FeatureCollection\",\"name\":{},\"features\":[",
        Value::String(name.into())
    )?;
    progress.stage("writing", features.len() as u64);
    for (i, f) in features.iter().enumerate() {
        w.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        let gj = geojson_io::feature(&f.id, &f.shape.to_geometry(), f.properties.to_map());
        w.write_all(geojson::GeoJson::Feature(gj).to_string().as_bytes())?;
        progress.advance(1);
    }
    w.write_all(b"\n]}\n")
}

/// Where an import's features go: the new version's number, where it was written (a file's
/// path, a database's name) and its size in bytes.
pub struct Written {
    pub version: u32,
    pub file: String,
    pub bytes: u64,
}

/// Imports a data set as the new version of `layer` in a plan folder.
pub fn import(
    dir: &PlanDir,
    layer: &str,
    data: Dataset,
    o: &ImportOptions,
    progress: &dyn Progress,
) -> Result<ImportReport, ImportError> {
    let plan = planmap_core::LayerStore::plan(dir)?;
    import_with(&plan, layer, data, o, progress, |features| {
        let w = dir.write_layer_version(layer, |w| write_layer(w, layer, features, progress))?;
        Ok(Written {
            version: w.version,
            file: w.path.display().to_string(),
            bytes: w.bytes,
        })
    })
}

/// Reads, validates and repairs a data set as the new version of `layer` of `plan`, and
/// hands the features to `write` (a plan folder's new file, a database's new version).
pub fn import_with(
    plan: &planmap_core::Plan,
    layer: &str,
    data: Dataset,
    o: &ImportOptions,
    progress: &dyn Progress,
    write: impl FnOnce(&[Feature]) -> Result<Written, ImportError>,
) -> Result<ImportReport, ImportError> {
    let def = plan.layer(layer).ok_or_else(|| ImportError::UnknownLayer {
        layer: layer.into(),
        known: plan.layers.iter().map(|l| l.id.clone()).collect(),
    })?;
    let Prepared {
        features,
        repaired,
        dropped,
    } = prepare(def, &data, o, progress)?;
    let area_m2 = features
        .iter()
        .filter_map(|f| f.shape.as_polygon())
        .map(planmap_core::geodesy::area_m2)
        .sum();
    let written = write(&features)?;
    Ok(ImportReport {
        layer: layer.into(),
        features: features.len(),
        version: written.version,
        file: written.file,
        bytes: written.bytes,
        crs: data.crs,
        area_m2,
        warnings: data.warnings,
        repaired,
        dropped,
        areas: data.areas,
    })
}
