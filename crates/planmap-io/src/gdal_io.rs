//! GDAL/OGR reading and writing (feature `gdal`): Shapefile (also zipped; the DBF's `.cpg` or
//! code page honoured, `ENCODING` when it has neither), GeoPackage, FileGDB, DXF, KML and
//! anything else OGR opens; writing GeoPackage and zipped Shapefile.
//!
//! Curved geometries (FileGDB arcs, DXF bulges) are read as their linear approximations.
//! GDAL's own warnings are collected into the read's warnings instead of going to stderr.

use std::cell::RefCell;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use gdal::vector::{
    geometry_type_flatten, geometry_type_to_name, FieldValue, Geometry as OgrGeometry, LayerAccess,
    OGRFieldType, OGRwkbGeometryType as T,
};
use gdal::{Dataset, DatasetOptions, DriverManager, GdalOpenFlags};
use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use planmap_core::{Feature, Properties};
use serde_json::Value;

use crate::crs::Crs;
use crate::source::{Format, Raw, RawFeature, ReadOptions};

thread_local! {
    static MESSAGES: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // SAFETY: sets a process-wide flag, no pointers involved.
        unsafe { gdal_sys::OGRSetNonLinearGeometriesEnabledFlag(0) };
        gdal::config::set_error_handler(|class, _num, msg| {
            use gdal::errors::CplErrType;
            if matches!(class, CplErrType::Warning) {
                MESSAGES.with(|m| m.borrow_mut().push(format!("GDAL: {msg}")));
            }
        });
    });
}

fn take_messages() -> Vec<String> {
    MESSAGES.with(|m| std::mem::take(&mut *m.borrow_mut()))
}

/// The name GDAL opens a file of `format` by.
fn gdal_name(path: &Path, format: Format) -> String {
    let p = path.display().to_string();
    if format == Format::Zip && !p.starts_with("/vsizip/") {
        let abs = std::path::absolute(path).map_or(p, |a| a.display().to_string());
        format!("/vsizip/{abs}")
    } else {
        p
    }
}

/// Reads a file with OGR.
pub fn read_path(path: &Path, format: Format, o: &ReadOptions) -> Result<Raw, String> {
    read_gdal(&gdal_name(path, format), format, o, false)
}

/// A new, unique name under GDAL's in-memory file system.
fn mem_name() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!("/vsimem/planmap-{}-{n}", std::process::id())
}

/// Reads an upload with OGR through in-memory files, within `o.limits`. A zip is unpacked
/// here first ([`crate::limits::unpack_zip`]) and GDAL opens its files, never the zip itself.
///
/// The in-memory files borrow buffers planmap owns (and are unlinked when the borrow ends):
/// handing GDAL a Rust `Vec` to free (`create_mem_file`) crashes on an empty one, whose
/// pointer is not an allocation.
pub fn read_bytes(bytes: &[u8], format: Format, o: &ReadOptions) -> Result<Raw, String> {
    use gdal::vsi::create_mem_file_from_ref;
    init();
    if format != Format::Zip {
        let mem = format!("{}.{}", mem_name(), format.ext());
        let mut buf = match format {
            Format::Dxf => dxf_text(bytes)?,
            _ => bytes.to_vec(),
        };
        let _file = create_mem_file_from_ref(&mem, &mut buf).map_err(|e| e.to_string())?;
        return read_gdal(&mem, format, o, true);
    }
    let mut files = crate::limits::unpack_zip(bytes, &o.limits)?;
    // The one data file GDAL is to open, when there is one; else the folder of them all.
    let mains: Vec<(&str, Format)> = files
        .iter()
        .filter_map(|f| {
            let ext = f.name.rsplit_once('.')?.1;
            Format::from_ext(ext)
                .filter(|g| !matches!(g, Format::Txt | Format::Zip | Format::FileGdb))
                .map(|g| (f.name.as_str(), g))
        })
        .collect();
    let dir = mem_name();
    let (open, inner) = match mains.as_slice() {
        [(name, g)] => (format!("{dir}/{name}"), *g),
        _ => (dir.clone(), Format::Zip),
    };
    if inner == Format::Dxf {
        for f in files
            .iter_mut()
            .filter(|f| open.ends_with(&format!("/{}", f.name)))
        {
            f.bytes = dxf_text(&f.bytes)?;
        }
    }
    let _made = files
        .iter_mut()
        .map(|f| {
            let mem = format!("{dir}/{}", f.name);
            create_mem_file_from_ref(mem, &mut f.bytes).map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    read_gdal(&open, inner, o, true)
}

/// The CRS planmap handles itself that an SRS is, if any.
fn builtin(srs: &SpatialRef) -> Option<Crs> {
    let code = |s: &SpatialRef| {
        (s.auth_name().as_deref() == Some("EPSG"))
            .then(|| s.auth_code().ok())
            .flatten()
    };
    let c = code(srs).or_else(|| {
        let mut s = srs.clone();
        s.auto_identify_epsg().ok()?;
        code(&s)
    })?;
    let crs = Crs::from_epsg(c as u32);
    crs.is_builtin().then_some(crs)
}

fn describe(srs: &SpatialRef) -> String {
    match (srs.auth_name(), srs.auth_code().ok()) {
        (Some(a), Some(c)) => format!("{a}:{c} {}", srs.name().unwrap_or_default()),
        _ => srs
            .name()
            .unwrap_or_else(|| "the file's coordinate system".into()),
    }
}

fn to_wgs84(from: &SpatialRef) -> Result<CoordTransform, String> {
    let mut from = from.clone();
    from.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let mut to = SpatialRef::from_epsg(4326).map_err(|e| e.to_string())?;
    to.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    CoordTransform::new(&from, &to).map_err(|e| format!("cannot transform to lon/lat: {e}"))
}

/// A transform from an EPSG code's coordinates (traditional GIS order: easting first) to
/// lon/lat, for GeoJSON and TXT files the user says are in it. Points GDAL cannot transform
/// come out as NaN (reported by the caller).
pub fn epsg_to_lonlat(code: u32) -> Result<crate::crs::Transform, String> {
    init();
    let from = SpatialRef::from_epsg(code).map_err(|e| format!("EPSG:{code}: {e}"))?;
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

/// The GDAL drivers an upload of `format` may be opened with: that format's own only, never
/// whichever of GDAL's many drivers claims the bytes (its DXF driver claims any file starting
/// `0`/`SECTION`, whatever its name).
fn upload_drivers(format: Format) -> &'static [&'static str] {
    match format {
        // A zip with no single data file is opened as a folder of Shapefiles.
        Format::Shapefile | Format::Zip => &["ESRI Shapefile"],
        Format::GeoPackage => &["GPKG"],
        Format::Kml => &["LIBKML", "KML"],
        Format::Dxf => &["DXF"],
        Format::GeoJson => &["GeoJSON"],
        Format::FileGdb => &["OpenFileGDB"],
        Format::Txt => &[],
    }
}

/// An uploaded DXF as GDAL may be given it. GDAL 3.6's DXF reader never returns on a lone
/// carriage return (found by `make fuzz`: three bytes ` \r\r` hang it), so line ends become
/// `\n` here (CRLF and old Mac CR files alike). Binary DXF is refused.
pub fn dxf_text(bytes: &[u8]) -> Result<Vec<u8>, String> {
    if bytes.starts_with(b"AutoCAD Binary DXF") {
        return Err("binary DXF is not read from uploads: save the drawing as ASCII DXF".into());
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut it = bytes.iter().peekable();
    while let Some(&b) = it.next() {
        if b == b'\r' {
            if it.peek() == Some(&&b'\n') {
                continue;
            }
            out.push(b'\n');
        } else {
            out.push(b);
        }
    }
    Ok(out)
}

/// Reads a data set with OGR; for an `upload`, only the format's own drivers may open it
/// ([`upload_drivers`]) and `o.limits.max_features` is checked before any feature is read.
fn read_gdal(name: &str, format: Format, o: &ReadOptions, upload: bool) -> Result<Raw, String> {
    init();
    take_messages();
    let enc = o.encoding.as_ref().map(|e| format!("ENCODING={e}"));
    let open_options: Vec<&str> = match (&enc, format) {
        (Some(e), Format::Shapefile | Format::Zip) => vec![e.as_str()],
        _ => vec![],
    };
    let ds = Dataset::open_ex(
        name,
        DatasetOptions {
            open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY,
            open_options: (!open_options.is_empty()).then_some(open_options.as_slice()),
            allowed_drivers: upload.then(|| upload_drivers(format)),
            ..Default::default()
        },
    )
    .map_err(|e| format!("GDAL cannot open it as {}: {e}", format.ext()))?;
    let names: Vec<String> = ds.layers().map(|l| l.name()).collect();
    let chosen: Vec<usize> = match &o.source_layer {
        Some(want) => vec![names
            .iter()
            .position(|n| n == want)
            .ok_or_else(|| format!("no layer '{want}'; its layers: {}", names.join(", ")))?],
        None if names.is_empty() => return Err("it holds no vector layer".into()),
        None if names.len() == 1 || matches!(format, Format::Kml | Format::Dxf) => {
            (0..names.len()).collect()
        }
        None => {
            return Err(format!(
                "it holds {} layers ({}): choose one with --source-layer",
                names.len(),
                names.join(", ")
            ))
        }
    };
    let user_srs = match o.crs {
        Some(Crs::Epsg(c)) => Some(SpatialRef::from_epsg(c).map_err(|e| format!("EPSG:{c}: {e}"))?),
        _ => None,
    };
    let mut raw = Raw::default();
    let mut counted: u64 = 0;
    let mut decided: Option<(Option<Crs>, Option<String>)> = None;
    for li in chosen {
        let mut layer = ds.layer(li).map_err(|e| e.to_string())?;
        if let Some(w) = &o.filter {
            layer
                .set_attribute_filter(w)
                .map_err(|e| format!("--where '{w}': {e}"))?;
        }
        // What to do with this layer's coordinates: nothing (the user's CRS or a built-in
        // stated one, taken to lon/lat later) or a GDAL transform.
        let srs = user_srs.clone().or_else(|| {
            if o.crs.is_some() {
                None
            } else {
                layer.spatial_ref()
            }
        });
        let (stated, ct, from) = match &srs {
            None => (None, None, None),
            Some(s) => match builtin(s).filter(|_| user_srs.is_none()) {
                Some(c) => (Some(c), None, None),
                None => (None, Some(to_wgs84(s)?), Some(describe(s))),
            },
        };
        let decision = (stated, from.clone());
        match &decided {
            Some(d) if *d != decision => {
                return Err(
                    "its layers are in different coordinate systems: import them one at a \
                     time with --source-layer"
                        .into(),
                )
            }
            _ => decided = Some(decision),
        }
        raw.stated = stated;
        raw.transformed_from = from;
        if upload {
            counted += layer.feature_count();
            let n = usize::try_from(counted).unwrap_or(usize::MAX);
            o.limits.check_features(n)?;
        }
        for f in layer.features() {
            let geometry = match f.geometry() {
                None => Err("has no geometry".to_string()),
                Some(g) if g.is_empty() => Err("has an empty geometry".to_string()),
                Some(g) => match &ct {
                    Some(ct) => g
                        .transform(ct)
                        .map_err(|e| format!("cannot be transformed: {e}"))
                        .and_then(|g| ogr_to_geo(&g)),
                    None => ogr_to_geo(g),
                },
            };
            let mut properties = Properties::new();
            for (k, v) in f.fields() {
                properties.insert(k, v.map_or(Value::Null, field_json));
            }
            raw.features.push(RawFeature {
                id: f.fid().map(|i| i.to_string()),
                geometry,
                properties,
            });
        }
    }
    raw.warnings = take_messages();
    Ok(raw)
}

fn field_json(v: FieldValue) -> Value {
    let num = |x: f64| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number);
    match v {
        FieldValue::IntegerValue(i) => i.into(),
        FieldValue::Integer64Value(i) => i.into(),
        FieldValue::RealValue(x) => num(x),
        FieldValue::StringValue(s) => s.into(),
        FieldValue::IntegerListValue(l) => l.into(),
        FieldValue::Integer64ListValue(l) => l.into(),
        FieldValue::RealListValue(l) => Value::Array(l.into_iter().map(num).collect()),
        FieldValue::StringListValue(l) => l.into(),
        FieldValue::DateValue(d) => d.to_string().into(),
        FieldValue::DateTimeValue(d) => d.to_string().into(),
    }
}

fn line(g: &OgrGeometry) -> LineString<f64> {
    let mut pts = Vec::new();
    g.get_points(&mut pts);
    LineString(pts.into_iter().map(|(x, y, _)| Coord { x, y }).collect())
}

fn polygon(g: &OgrGeometry) -> Result<Polygon<f64>, String> {
    let rings: Vec<_> = (0..g.geometry_count())
        .map(|i| line(&g.get_geometry(i)))
        .collect();
    let mut it = rings.into_iter();
    let ext = it.next().ok_or("has a polygon with no ring")?;
    Ok(Polygon::new(ext, it.collect()))
}

/// An OGR geometry as a geo one, 2D (Z and M dropped).
fn ogr_to_geo(g: &OgrGeometry) -> Result<Geometry<f64>, String> {
    let ty = geometry_type_flatten(g.geometry_type());
    let parts = |g: &OgrGeometry| -> Result<Vec<Geometry<f64>>, String> {
        (0..g.geometry_count())
            .map(|i| ogr_to_geo(&g.get_geometry(i)))
            .collect()
    };
    Ok(match ty {
        T::wkbPoint => {
            let (x, y, _) = g.get_point(0);
            Geometry::Point(Point::new(x, y))
        }
        T::wkbLineString | T::wkbLinearRing => Geometry::LineString(line(g)),
        T::wkbPolygon | T::wkbTriangle => Geometry::Polygon(polygon(g)?),
        T::wkbMultiPoint => Geometry::MultiPoint(MultiPoint(
            parts(g)?
                .into_iter()
                .filter_map(|p| {
                    if let Geometry::Point(p) = p {
                        Some(p)
                    } else {
                        None
                    }
                })
                .collect(),
        )),
        T::wkbMultiLineString => Geometry::MultiLineString(MultiLineString(
            parts(g)?
                .into_iter()
                .filter_map(|l| {
                    if let Geometry::LineString(l) = l {
                        Some(l)
                    } else {
                        None
                    }
                })
                .collect(),
        )),
        T::wkbMultiPolygon | T::wkbPolyhedralSurface | T::wkbTIN => {
            Geometry::MultiPolygon(MultiPolygon(
                parts(g)?
                    .into_iter()
                    .filter_map(|p| {
                        if let Geometry::Polygon(p) = p {
                            Some(p)
                        } else {
                            None
                        }
                    })
                    .collect(),
            ))
        }
        T::wkbGeometryCollection => Geometry::GeometryCollection(parts(g)?.into()),
        other => {
            return Err(format!(
                "has an unsupported {} geometry",
                geometry_type_to_name(other)
            ))
        }
    })
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
) -> Result<(), String> {
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
    let drv = DriverManager::get_driver_by_name(driver).map_err(|e| e.to_string())?;
    let mut ds = drv
        .create_vector_only(&name)
        .map_err(|e| format!("{name}: {e}"))?;
    fill(&mut ds, format, layer_name, features)?;
    ds.close().map_err(|e| format!("{name}: {e}"))?;
    if name != path.display().to_string() {
        std::fs::rename(&name, path).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// Creates the layer in a new data set and writes the features into it.
fn fill(
    ds: &mut Dataset,
    format: WriteFormat,
    layer_name: &str,
    features: &[Feature],
) -> Result<(), String> {
    use gdal::vector::ToGdal;
    use geo::Geometry as G;
    let mut srs = SpatialRef::from_epsg(4490).map_err(|e| e.to_string())?;
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
    let layer = ds
        .create_layer(gdal::vector::LayerOptions {
            name: layer_name,
            srs: Some(&srs),
            ty,
            options: Some(lco),
        })
        .map_err(|e| e.to_string())?;
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
    layer.create_defn_fields(&defs).map_err(|e| e.to_string())?;
    for (f, p) in features.iter().zip(&props) {
        let mut of = gdal::vector::Feature::new(layer.defn()).map_err(|e| e.to_string())?;
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
            r.map_err(|e| format!("{}: field {k}: {e}", f.id))?;
        }
        let g = match f.shape.to_geometry() {
            G::MultiPolygon(mp) => mp.to_gdal(),
            G::MultiLineString(ml) => ml.to_gdal(),
            other => other.to_gdal(),
        }
        .map_err(|e| format!("{}: {e}", f.id))?;
        of.set_geometry(g).map_err(|e| e.to_string())?;
        of.create(&layer).map_err(|e| format!("{}: {e}", f.id))?;
    }
    Ok(())
}
