//! GDAL itself (feature `gdal`): its one-time set-up, its messages (warnings collected for a
//! read's report, failures kept to explain an error, both scrubbed of in-memory file names),
//! transforms of EPSG codes to lon/lat, and writing GeoPackage and zipped Shapefile.
//! Reading is [`crate::source::ogr`]'s.

use std::cell::RefCell;
use std::path::Path;
use std::sync::Once;

use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use gdal::vector::{LayerAccess, OGRFieldType, OGRwkbGeometryType as T};
use gdal::{Dataset, DriverManager};
use geo::Coord;
use planmap_core::Feature;
use serde_json::Value;

use crate::error::{IoError, ReadError};

thread_local! {
    static WARNINGS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    static FAILURES: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Registers GDAL's drivers and its message handler, once a process.
pub fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // SAFETY: sets a process-wide flag, no pointers involved.
        unsafe { gdal_sys::OGRSetNonLinearGeometriesEnabledFlag(0) };
        gdal::config::set_error_handler(|class, _num, msg| {
            use gdal::errors::CplErrType;
            match class {
                CplErrType::Warning => {
                    WARNINGS.with(|m| m.borrow_mut().push(format!("GDAL: {}", scrub(msg))))
                }
                CplErrType::Failure | CplErrType::Fatal => FAILURES.with(|f| {
                    let mut f = f.borrow_mut();
                    if f.len() < 16 {
                        f.push(scrub(msg));
                    }
                }),
                _ => {}
            }
        });
        DriverManager::register_all();
    });
}

/// GDAL's warnings on this thread since the last call.
pub fn take_warnings() -> Vec<String> {
    WARNINGS.with(|m| std::mem::take(&mut *m.borrow_mut()))
}

/// GDAL's failure messages on this thread since the last call (the first 16).
pub fn take_failures() -> Vec<String> {
    FAILURES.with(|f| std::mem::take(&mut *f.borrow_mut()))
}

/// The prefix of every in-memory file planmap gives GDAL ([`crate::source::ogr`]).
pub const MEM_PREFIX: &str = "/vsimem/planmap-";

/// A GDAL message without in-memory file names (`/vsimem/planmap-7/site.shp` → "the uploaded
/// file"): they say nothing to a user and would show the server's internals.
pub fn scrub(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(i) = rest.find("/vsimem/") {
        out.push_str(&rest[..i]);
        out.push_str("the uploaded file");
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| c.is_whitespace() || "'`\",;)(".contains(c))
            .unwrap_or(tail.len());
        rest = &tail[end..];
    }
    out.push_str(rest);
    out.replace('\n', " ")
}

/// A GDAL transform to lon/lat (traditional GIS order) from `from`.
pub fn to_wgs84(from: &SpatialRef) -> Result<CoordTransform, ReadError> {
    let mut from = from.clone();
    from.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let mut to = SpatialRef::from_epsg(4326).map_err(|e| ReadError::Gdal(e.to_string()))?;
    to.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    CoordTransform::new(&from, &to).map_err(|e| {
        ReadError::Crs(format!(
            "cannot transform to lon/lat: {}",
            scrub(&e.to_string())
        ))
    })
}

/// A transform from an EPSG code's coordinates (traditional GIS order: easting first) to
/// lon/lat, for GeoJSON and TXT files the user says are in it. Points GDAL cannot transform
/// come out as NaN (reported by the caller).
pub fn epsg_to_lonlat(code: u32) -> Result<crate::crs::Transform, ReadError> {
    init();
    let from =
        SpatialRef::from_epsg(code).map_err(|e| ReadError::Crs(format!("EPSG:{code}: {e}")))?;
    let ct = to_wgs84(&from)?;
    Ok(Box::new(move |c| {
        let (mut x, mut y) = ([c.x], [c.y]);
        match ct.transform_coords(&mut x, &mut y, &mut []) {
            Ok(()) => Coord { x: x[0], y: y[0] },
            Err(_) => Coord {
                x: f64::NAN,
                y: f64::NAN,
            },
        }
    }))
}

/// A format planmap writes with GDAL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteFormat {
    GeoPackage,
    /// A zipped Shapefile (`.shp.zip`), DBF in UTF-8 with a `.cpg`.
    ShapefileZip,
}

impl WriteFormat {
    /// The format a path's name asks for: `.gpkg`, `.shp.zip`/`.zip`.
    pub fn from_path(path: &Path) -> Option<WriteFormat> {
        let n = path.to_string_lossy().to_lowercase();
        if n.ends_with(".gpkg") {
            Some(WriteFormat::GeoPackage)
        } else if n.ends_with(".zip") || n.ends_with(".shz") {
            Some(WriteFormat::ShapefileZip)
        } else {
            None
        }
    }
}

fn field_type(values: &[&Value]) -> OGRFieldType::Type {
    if values.iter().all(|v| v.is_i64()) {
        OGRFieldType::OFTInteger64
    } else if values.iter().all(|v| v.is_number()) {
        OGRFieldType::OFTReal
    } else {
        OGRFieldType::OFTString
    }
}

/// Writes lon/lat features (EPSG:4490) as a GeoPackage or a zipped Shapefile; the feature id
/// goes into an `id` field. An existing file is replaced.
pub fn write(
    path: &Path,
    format: WriteFormat,
    layer_name: &str,
    features: &[Feature],
) -> Result<(), IoError> {
    init();
    let _ = std::fs::remove_file(path);
    let (driver, name) = match format {
        WriteFormat::GeoPackage => ("GPKG", path.display().to_string()),
        // GDAL writes a zipped Shapefile when the name ends in `.shp.zip`.
        WriteFormat::ShapefileZip => {
            let p = path.display().to_string();
            let p = if p.to_lowercase().ends_with(".shp.zip") {
                p
            } else {
                format!("{}.shp.zip", p.trim_end_matches(".zip"))
            };
            ("ESRI Shapefile", p)
        }
    };
    let err = |e: &dyn std::fmt::Display| IoError::format(&name, e.to_string());
    let drv = DriverManager::get_driver_by_name(driver).map_err(|e| err(&e))?;
    let mut ds = drv.create_vector_only(&name).map_err(|e| err(&e))?;
    fill(&mut ds, format, layer_name, features).map_err(|m| err(&m))?;
    ds.close().map_err(|e| err(&e))?;
    if name != path.display().to_string() {
        std::fs::rename(&name, path).map_err(|source| IoError::Read {
            path: path.display().to_string(),
            source,
        })?;
    }
    Ok(())
}

/// Why a layer could not be written: GDAL's message, naming the feature where there is one.
#[derive(Debug)]
struct WriteFailure(String);

impl std::fmt::Display for WriteFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<gdal::errors::GdalError> for WriteFailure {
    fn from(e: gdal::errors::GdalError) -> Self {
        WriteFailure(e.to_string())
    }
}

/// Creates the layer in a new data set and writes the features into it.
fn fill(
    ds: &mut Dataset,
    format: WriteFormat,
    layer_name: &str,
    features: &[Feature],
) -> Result<(), WriteFailure> {
    use gdal::vector::ToGdal;
    use geo::Geometry as G;
    let mut srs = SpatialRef::from_epsg(4490)?;
    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let ty = match features.first().map(|f| &f.shape) {
        Some(planmap_core::Shape::Line(_)) => T::wkbMultiLineString,
        Some(planmap_core::Shape::Point(_)) => T::wkbPoint,
        _ => T::wkbMultiPolygon,
    };
    let lco: &[&str] = match format {
        WriteFormat::ShapefileZip => &["ENCODING=UTF-8"],
        WriteFormat::GeoPackage => &[],
    };
    let layer = ds.create_layer(gdal::vector::LayerOptions {
        name: layer_name,
        srs: Some(&srs),
        ty,
        options: Some(lco),
    })?;
    // Each feature's attributes read once (they are kept as text).
    let props: Vec<planmap_core::Properties> =
        features.iter().map(|f| f.properties.to_map()).collect();
    let mut keys: Vec<String> = vec!["id".into()];
    for p in &props {
        for k in p.keys() {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    let types: Vec<OGRFieldType::Type> = keys
        .iter()
        .map(|k| {
            let vals: Vec<&Value> = props
                .iter()
                .filter_map(|p| p.get(k))
                .filter(|v| !v.is_null())
                .collect();
            if k == "id" && !props.iter().any(|p| p.contains_key("id")) {
                OGRFieldType::OFTString
            } else {
                field_type(&vals)
            }
        })
        .collect();
    let defs: Vec<(&str, OGRFieldType::Type)> = keys
        .iter()
        .map(String::as_str)
        .zip(types.iter().copied())
        .collect();
    layer.create_defn_fields(&defs)?;
    for (f, p) in features.iter().zip(&props) {
        let mut of = gdal::vector::Feature::new(layer.defn())?;
        for (i, (k, ty)) in keys.iter().zip(&types).enumerate() {
            let v = if k == "id" && !p.contains_key("id") {
                Value::String(f.id.clone())
            } else {
                p.get(k).cloned().unwrap_or(Value::Null)
            };
            let r = match (&v, *ty) {
                (Value::Null, _) => continue,
                (v, OGRFieldType::OFTInteger64) => {
                    of.set_field_integer64(i, v.as_i64().unwrap_or(0))
                }
                (v, OGRFieldType::OFTReal) => {
                    of.set_field_double(i, v.as_f64().unwrap_or(f64::NAN))
                }
                (Value::String(s), _) => of.set_field_string(i, s),
                (v, _) => of.set_field_string(i, &v.to_string()),
            };
            r.map_err(|e| WriteFailure(format!("{}: field {k}: {e}", f.id)))?;
        }
        let g = match f.shape.to_geometry() {
            G::MultiPolygon(mp) => mp.to_gdal(),
            G::MultiLineString(ml) => ml.to_gdal(),
            other => other.to_gdal(),
        }
        .map_err(|e| WriteFailure(format!("{}: {e}", f.id)))?;
        of.set_geometry(g)?;
        of.create(&layer)
            .map_err(|e| WriteFailure(format!("{}: {e}", f.id)))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_lose_in_memory_file_names() {
        assert_eq!(
            scrub("ERROR parsing kml /vsimem/planmap-7.kml :no element found"),
            "ERROR parsing kml the uploaded file :no element found"
        );
        assert_eq!(
            scrub("`/vsimem/planmap-12/site.shp' not recognized"),
            "`the uploaded file' not recognized"
        );
        assert_eq!(scrub("line 1\nline 2"), "line 1 line 2");
    }
}
