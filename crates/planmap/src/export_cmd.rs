//! `planmap export`: a layer as RFC 7946 GeoJSON, a GeoPackage, a zipped Shapefile or the
//! land-ministry coordinate TXT.

use std::path::{Path, PathBuf};

use clap::Args;
use planmap_core::Engine;
use planmap_io::coordtxt::{self, TxtEncoding, WriteOptions, WriteParcel};
use planmap_io::gdal_io::{self, WriteFormat};
use planmap_io::geojson_io;

use crate::failure::Failure;

/// `planmap export` arguments.
#[derive(Args)]
pub struct ExportArgs {
    /// The plan layer.
    pub layer: String,
    /// Output file (default: GeoJSON on standard output). Its name tells the format: .geojson,
    /// .gpkg, .shp.zip, .txt.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// The format, overriding the name: geojson, gpkg, shp (a zipped Shapefile), txt.
    #[arg(long)]
    pub format: Option<String>,
    /// TXT only: the CGCS2000 3-degree zone (default: the plan's, from its centre).
    #[arg(long)]
    pub zone: Option<u32>,
    /// TXT only: gbk (what the ministry's tools read, the default) or utf8.
    #[arg(long, default_value = "gbk")]
    pub encoding: String,
    /// GeoJSON only: round lon/lat to this many decimals (0–15; 7 ≈ 1 cm) for a smaller file
    /// on the web. Default: full precision, every coordinate as stored.
    #[arg(long, value_name = "DECIMALS")]
    pub precision: Option<u64>,
    #[command(flatten)]
    pub source: crate::db_cmd::DbSource,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Out {
    GeoJson,
    Gdal(WriteFormat),
    Txt,
}

fn out_format(a: &ExportArgs) -> Result<Out, Failure> {
    if let Some(f) = &a.format {
        return match f.trim_start_matches('.').to_lowercase().as_str() {
            "geojson" | "json" => Ok(Out::GeoJson),
            "gpkg" => Ok(Out::Gdal(WriteFormat::GeoPackage)),
            "shp" | "zip" | "shp.zip" => Ok(Out::Gdal(WriteFormat::ShapefileZip)),
            "txt" => Ok(Out::Txt),
            _ => Err(Failure::input(format!(
                "unknown --format '{f}': geojson, gpkg, shp or txt"
            ))),
        };
    }
    let Some(path) = &a.output else {
        return Ok(Out::GeoJson);
    };
    let name = path.to_string_lossy().to_lowercase();
    if let Some(w) = WriteFormat::from_path(path) {
        Ok(Out::Gdal(w))
    } else if name.ends_with(".txt") {
        Ok(Out::Txt)
    } else if name.ends_with(".geojson") || name.ends_with(".json") {
        Ok(Out::GeoJson)
    } else {
        Err(Failure::input(format!(
            "{}: cannot tell the format from the name; use .geojson, .gpkg, .shp.zip, .txt or --format",
            path.display()
        )))
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    std::fs::write(path, bytes).map_err(|e| Failure::other(format!("{}: {e}", path.display())))
}

/// Runs `planmap export`; returns what goes to standard output.
pub fn run(engine: &Engine, a: ExportArgs) -> Result<String, Failure> {
    let l = engine
        .layer(&a.layer)
        .ok_or_else(|| Failure::input(format!("unknown layer '{}'", a.layer)))?;
    let format = out_format(&a)?;
    let needs_file = |what: &str| {
        a.output
            .clone()
            .ok_or_else(|| Failure::input(format!("{what} needs a file: give -o FILE")))
    };
    let precision = geojson_io::Precision::from_decimals(a.precision)
        .map_err(|e| Failure::input(format!("--precision {e}")))?;
    if a.precision.is_some() && format != Out::GeoJson {
        return Err(Failure::input(
            "--precision rounds a GeoJSON export's lon/lat; a GeoPackage or Shapefile keeps \
             every coordinate as stored and a TXT writes millimetres",
        ));
    }
    match format {
        Out::GeoJson => {
            let text = geojson_io::write_features_at(&l.features, Some(&l.def.id), precision);
            match &a.output {
                Some(path) => write_file(path, text.as_bytes()).map(|()| String::new()),
                None => Ok(text),
            }
        }
        Out::Gdal(w) => {
            let path = needs_file("a GeoPackage or Shapefile")?;
            gdal_io::write(&path, w, &l.def.id, &l.features).map_err(Failure::other)?;
            Ok(String::new())
        }
        Out::Txt => {
            let path = needs_file("a coordinate TXT")?;
            let encoding = match a.encoding.to_lowercase().replace('-', "").as_str() {
                "gbk" | "gb18030" => TxtEncoding::Gbk,
                "utf8" => TxtEncoding::Utf8,
                e => {
                    return Err(Failure::input(format!(
                        "unknown --encoding '{e}': gbk or utf8"
                    )))
                }
            };
            let lon = engine.plan.center.map_or(112.0, |c| c[0]);
            let zone = a.zone.unwrap_or((lon / 3.0).round() as u32);
            if !(25..=45).contains(&zone) {
                return Err(Failure::input(format!(
                    "--zone {zone}: CGCS2000 3-degree zones of China are 25 to 45"
                )));
            }
            let parcels: Vec<WriteParcel> = l
                .features
                .iter()
                .filter_map(|f| {
                    Some(WriteParcel {
                        number: f.id.clone(),
                        name: f.name().to_string(),
                        usage: String::new(),
                        land_code: String::new(),
                        shape: f.shape.as_polygon()?.clone(),
                    })
                })
                .collect();
            if parcels.is_empty() {
                return Err(Failure::input(format!(
                    "layer '{}' holds no polygons: a coordinate TXT holds parcels",
                    a.layer
                )));
            }
            let o = WriteOptions {
                zone,
                encoding,
                ..WriteOptions::default()
            };
            write_file(&path, &coordtxt::write(&parcels, &o)).map(|()| String::new())
        }
    }
}
