//! A zip of land-ministry coordinate TXT files, one site a file: the batch form of the
//! coordinate TXT (a township sends one TXT a parcel group, zipped).
//!
//! The zip is unpacked within the upload's limits by planmap-io's [`unpack_zip`] (entry
//! count, expanded sizes, no folders, no nested zips); each TXT is read with the single
//! check's TXT reader, and its parcels become one feature: the file's name is its id and its
//! `文件名` attribute. A file that cannot be read keeps its row with the reader's error.

use std::io::Cursor;

use geo::{Geometry, GeometryCollection};
use planmap_core::Properties;
use planmap_io::limits::unpack_zip;
use planmap_io::source::RawFeature;
use planmap_io::{read_bytes, Dataset, Format, ReadOptions, SourceError};
use serde_json::Value;

/// The attribute that names a site's TXT file.
pub const FILE_NAME: &str = "文件名";

/// Whether `bytes` is a zip whose files are all `.txt` (and there is one at least): told from
/// its central directory, nothing unpacked.
pub fn is_txt_zip(bytes: &[u8]) -> bool {
    let Ok(zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return false;
    };
    let mut files = zip
        .file_names()
        .filter(|n| !n.starts_with("__MACOSX/") && !n.ends_with('/'))
        .peekable();
    files.peek().is_some() && files.all(|n| n.to_ascii_lowercase().ends_with(".txt"))
}

/// The zip's TXT files as one feature each, in the zip's order (`o.limits` bound the zip
/// and the number of files; `o.crs` and `o.near_lon` read each file as a single upload).
pub fn read(bytes: &[u8], o: &ReadOptions) -> Result<Dataset, SourceError> {
    let what = || "uploaded zip of coordinate TXT files".to_string();
    let files = unpack_zip(bytes, &o.limits).map_err(|e| SourceError::new(what(), e))?;
    o.limits
        .check_features(files.len())
        .map_err(|e| SourceError::new(what(), e))?;
    let mut crs: Option<String> = None;
    let features = files
        .into_iter()
        .map(|f| {
            let mut properties = Properties::new();
            properties.insert(FILE_NAME.into(), Value::String(f.name.clone()));
            let geometry = match read_bytes(&f.bytes, Format::Txt, o) {
                Ok(d) => {
                    match &crs {
                        None => crs = Some(d.crs.clone()),
                        Some(c) if *c != d.crs => crs = Some("mixed".into()),
                        Some(_) => {}
                    }
                    d.features
                        .into_iter()
                        .map(|p| p.geometry)
                        .collect::<Result<Vec<_>, _>>()
                        .map(|gs| Geometry::GeometryCollection(GeometryCollection(gs)))
                }
                Err(e) => Err(e.error.to_string()),
            };
            RawFeature {
                id: Some(f.name),
                geometry,
                properties,
            }
        })
        .collect();
    Ok(Dataset {
        features,
        crs: crs.unwrap_or_else(|| "EPSG:4326".into()),
        warnings: Vec::new(),
        areas: Vec::new(),
    })
}
