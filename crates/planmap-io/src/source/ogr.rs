//! The GDAL/OGR reader (feature `gdal`): Shapefile (also zipped; the DBF's `.cpg` or code
//! page honoured, `ENCODING` when it has neither), GeoPackage, FileGDB, DXF, KML and anything
//! else OGR opens.
//!
//! An upload is given to GDAL as in-memory files, opened only by its own format's drivers;
//! a zip is unpacked here first ([`crate::limits::unpack_zip`]) and GDAL opens its files, never
//! the zip. Curved geometries (FileGDB arcs, DXF bulges) are read as their linear
//! approximations. GDAL's warnings go into the read's warnings, its failures into the error.
//!
//! A server runs this reader only in a worker process ([`crate::sandbox`]): GeoPackage views,
//! triggers and SQLite extensions are GDAL's to run, on the file's terms.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use gdal::spatial_ref::SpatialRef;
use gdal::vector::{
    geometry_type_flatten, geometry_type_to_name, FieldValue, Geometry as OgrGeometry, Layer,
    LayerAccess, OGRwkbGeometryType as T,
};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use planmap_core::Properties;
use serde_json::Value;

use super::{Format, Raw, RawFeature, ReadOptions, Reader};
use crate::crs::Crs;
use crate::error::ReadError;
use crate::gdal_io::{init, scrub, take_failures, take_warnings, to_wgs84, MEM_PREFIX};

/// Reads one format with OGR.
pub struct OgrReader {
    pub format: Format,
}

impl Reader for OgrReader {
    fn read_bytes(&self, bytes: &[u8], o: &ReadOptions) -> Result<Raw, ReadError> {
        read_upload(bytes, self.format, o)
    }

    fn read_path(&self, path: &Path, o: &ReadOptions) -> Result<Raw, ReadError> {
        read_gdal(&gdal_name(path, self.format), self.format, o, false)
    }
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

/// A new, unique name under GDAL's in-memory file system (no process id: names reach
/// messages, scrubbed or not).
fn mem_name() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!("{MEM_PREFIX}{n}")
}

fn mem_file_error(e: gdal::errors::GdalError) -> ReadError {
    ReadError::Gdal(format!(
        "cannot make GDAL's in-memory file: {}",
        scrub(&e.to_string())
    ))
}

/// Reads an upload with OGR through in-memory files, within `o.limits`.
///
/// The in-memory files borrow buffers planmap owns (and are unlinked when the borrow ends):
/// handing GDAL a Rust `Vec` to free (`create_mem_file`) crashes on an empty one, whose
/// pointer is not an allocation.
fn read_upload(bytes: &[u8], format: Format, o: &ReadOptions) -> Result<Raw, ReadError> {
    use gdal::vsi::create_mem_file_from_ref;
    init();
    if format != Format::Zip {
        let mem = format!("{}.{}", mem_name(), format.ext());
        let mut buf = match format {
            Format::Dxf => dxf_text(bytes)?,
            _ => bytes.to_vec(),
        };
        let _file = create_mem_file_from_ref(&mem, &mut buf).map_err(mem_file_error)?;
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
            create_mem_file_from_ref(mem, &mut f.bytes).map_err(mem_file_error)
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
pub fn dxf_text(bytes: &[u8]) -> Result<Vec<u8>, ReadError> {
    if bytes.starts_with(b"AutoCAD Binary DXF") {
        return Err(ReadError::Unsupported(
            "binary DXF is not read from uploads: save the drawing as ASCII DXF".into(),
        ));
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

/// What GDAL's failures (`whys`, in order) say, as an error of the file: a GeoPackage that
/// calls SQLite extensions gets a message saying so.
fn failed(context: &str, whys: &[String]) -> ReadError {
    if whys.iter().any(|w| w.contains("load_extension")) {
        return ReadError::Unsupported(format!(
            "{context}: it calls an SQLite extension (load_extension), which planmap never \
             loads: export the layer to a plain table or another format"
        ));
    }
    let why = whys.first().map_or("GDAL gave no reason", String::as_str);
    ReadError::Invalid(format!("{context}: {why}"))
}

/// Reads a data set with OGR; for an `upload`, only the format's own drivers may open it
/// ([`upload_drivers`]) and `o.limits.max_features` is checked before any feature is read.
fn read_gdal(name: &str, format: Format, o: &ReadOptions, upload: bool) -> Result<Raw, ReadError> {
    init();
    take_warnings();
    take_failures();
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
    .map_err(|e| {
        take_failures();
        ReadError::Invalid(format!(
            "GDAL cannot open it as {}: {}",
            format.ext(),
            scrub(&e.to_string())
        ))
    })?;
    let names: Vec<String> = ds.layers().map(|l| l.name()).collect();
    let chosen: Vec<usize> = match &o.source_layer {
        Some(want) => vec![names.iter().position(|n| n == want).ok_or_else(|| {
            ReadError::Invalid(format!(
                "no layer '{want}'; its layers: {}",
                names.join(", ")
            ))
        })?],
        None if names.is_empty() => {
            return Err(ReadError::Invalid("it holds no vector layer".into()))
        }
        None if names.len() == 1 || matches!(format, Format::Kml | Format::Dxf) => {
            (0..names.len()).collect()
        }
        None => {
            return Err(ReadError::Invalid(format!(
                "it holds {} layers ({}): choose one with --source-layer",
                names.len(),
                names.join(", ")
            )))
        }
    };
    let user_srs = match o.crs {
        Some(Crs::Epsg(c)) => {
            Some(SpatialRef::from_epsg(c).map_err(|e| ReadError::Crs(format!("EPSG:{c}: {e}")))?)
        }
        _ => None,
    };
    let mut raw = Raw::default();
    let mut counted: u64 = 0;
    let mut decided: Option<(Option<Crs>, Option<String>)> = None;
    for li in chosen {
        let mut layer = ds
            .layer(li)
            .map_err(|e| ReadError::Gdal(scrub(&e.to_string())))?;
        let lname = layer.name();
        if let Some(w) = &o.filter {
            layer.set_attribute_filter(w).map_err(|e| {
                take_failures();
                ReadError::Invalid(format!("--where '{w}': {}", scrub(&e.to_string())))
            })?;
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
                return Err(ReadError::Crs(
                    "its layers are in different coordinate systems: import them one at a \
                     time with --source-layer"
                        .into(),
                ))
            }
            _ => decided = Some(decision),
        }
        raw.stated = stated;
        raw.transformed_from = from;
        // Failures while opening (a view's columns that cannot be read) explain later ones.
        let mut whys = take_failures();
        if upload {
            counted += count(&layer, &lname, &mut whys)?;
            o.limits
                .check_features(usize::try_from(counted).unwrap_or(usize::MAX))?;
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
        // OGR ends a layer's features early, silently, when reading one fails: that is an
        // error of the file, not its end.
        let late = take_failures();
        if !late.is_empty() {
            whys.extend(late);
            let at = format!(
                "reading layer '{lname}' failed after {} features",
                raw.features.len()
            );
            return Err(failed(&at, &whys));
        }
    }
    raw.warnings = take_warnings();
    Ok(raw)
}

/// The features a layer holds, as OGR counts them (a GeoPackage view: by running it).
fn count(layer: &Layer, name: &str, whys: &mut Vec<String>) -> Result<u64, ReadError> {
    // SAFETY: the layer handle is valid for the borrow; OGR returns -1 when it cannot count.
    let n = unsafe { gdal_sys::OGR_L_GetFeatureCount(layer.c_layer(), 1) };
    whys.extend(take_failures());
    u64::try_from(n).map_err(|_| failed(&format!("layer '{name}' cannot be read"), whys))
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

/// The parts of one kind (a multi-geometry's members; OGR gives no others).
fn only<T>(parts: Vec<Geometry<f64>>, pick: impl Fn(Geometry<f64>) -> Option<T>) -> Vec<T> {
    parts.into_iter().filter_map(pick).collect()
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
        T::wkbMultiPoint => Geometry::MultiPoint(MultiPoint(only(parts(g)?, |p| match p {
            Geometry::Point(p) => Some(p),
            _ => None,
        }))),
        T::wkbMultiLineString => {
            Geometry::MultiLineString(MultiLineString(only(parts(g)?, |l| match l {
                Geometry::LineString(l) => Some(l),
                _ => None,
            })))
        }
        T::wkbMultiPolygon | T::wkbPolyhedralSurface | T::wkbTIN => {
            Geometry::MultiPolygon(MultiPolygon(only(parts(g)?, |p| match p {
                Geometry::Polygon(p) => Some(p),
                _ => None,
            })))
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
