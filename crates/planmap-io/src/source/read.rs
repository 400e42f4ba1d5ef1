//! Reading a file in this process: the reader for its format ([`reader`]), then lon/lat
//! ([`super::lonlat`]). The sandbox's worker process runs these same functions
//! ([`crate::sandbox`]); a server reads GDAL formats only there.

use std::path::Path;

use super::geojson::GeoJsonReader;
use super::lonlat::to_lonlat;
use super::txt::TxtReader;
use super::{Dataset, Format, ReadOptions, Reader};
use crate::error::{ReadError, SourceError};

/// Whether reading `format` with `o` takes GDAL (and so, for an untrusted file, a worker
/// process): every format but GeoJSON and the coordinate TXT, and any `--where` filter.
pub fn needs_gdal(format: Format, o: &ReadOptions) -> bool {
    !format.is_native() || o.filter.is_some()
}

/// The reader of a format.
pub fn reader(format: Format, o: &ReadOptions) -> Result<Box<dyn Reader>, ReadError> {
    Ok(match format {
        _ if needs_gdal(format, o) => gdal_reader(format, o)?,
        Format::Txt => Box::new(TxtReader),
        _ => Box::new(GeoJsonReader),
    })
}

#[cfg(feature = "gdal")]
fn gdal_reader(format: Format, _: &ReadOptions) -> Result<Box<dyn Reader>, ReadError> {
    Ok(Box::new(super::ogr::OgrReader { format }))
}

#[cfg(not(feature = "gdal"))]
fn gdal_reader(format: Format, o: &ReadOptions) -> Result<Box<dyn Reader>, ReadError> {
    Err(ReadError::Unsupported(if o.filter.is_some() {
        "--where needs planmap built with the `gdal` feature".into()
    } else {
        format!(
            ".{} files need planmap built with the `gdal` feature (this build reads GeoJSON \
             and the coordinate TXT)",
            format.ext()
        )
    }))
}

/// The format of a file named by path: the caller's, else its extension's.
pub fn path_format(path: &Path, o: &ReadOptions) -> Result<Format, ReadError> {
    o.format.or_else(|| Format::from_path(path)).ok_or_else(|| {
        ReadError::Unsupported(
            "unknown file type: expected .geojson/.json, .txt (coordinate TXT), .shp, .zip, \
             .gpkg, .gdb, .dxf or .kml"
                .into(),
        )
    })
}

/// The name an upload of `format` goes by in messages.
pub fn upload_name(format: Format) -> String {
    format!("uploaded {}", format.ext())
}

/// Reads a file into lon/lat features, in this process.
pub fn read_path(path: &Path, o: &ReadOptions) -> Result<Dataset, SourceError> {
    let name = path.display().to_string();
    let read = || {
        let format = path_format(path, o)?;
        let raw = reader(format, o)?.read_path(path, o)?;
        to_lonlat(raw, o)
    };
    read().map_err(|e| SourceError::new(name, e))
}

/// Reads a file given as bytes (an upload) into lon/lat features, in this process, within
/// `o.limits`.
pub fn read_bytes(bytes: &[u8], format: Format, o: &ReadOptions) -> Result<Dataset, SourceError> {
    let read = || {
        let raw = reader(format, o)?.read_bytes(bytes, o)?;
        o.limits.check_features(raw.features.len())?;
        to_lonlat(raw, o)
    };
    read().map_err(|e| SourceError::new(upload_name(format), e))
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

    #[test]
    fn unknown_extensions_are_unsupported() {
        let e = read_path(Path::new("site.docx"), &ReadOptions::default()).unwrap_err();
        assert!(matches!(e.error, ReadError::Unsupported(_)), "{e}");
        assert!(
            e.to_string().starts_with("site.docx: unknown file type"),
            "{e}"
        );
    }

    #[cfg(not(feature = "gdal"))]
    #[test]
    fn without_gdal_other_formats_say_so() {
        let e = read_bytes(b"x", Format::Zip, &ReadOptions::default()).unwrap_err();
        assert!(e.to_string().contains("`gdal` feature"), "{e}");
        let e = read_bytes(
            br#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}"#,
            Format::GeoJson,
            &ReadOptions {
                crs: Some(crate::crs::Crs::Epsg(2383)),
                ..ReadOptions::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("`gdal` feature"), "{e}");
    }
}
