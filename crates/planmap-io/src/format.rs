//! The file formats planmap reads, told from a name, a MIME type or the first bytes.

use std::path::Path;

/// A file format planmap reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Format {
    GeoJson,
    /// The land-ministry coordinate TXT.
    Txt,
    Shapefile,
    /// A .zip holding a Shapefile (or another GDAL-readable data set).
    Zip,
    GeoPackage,
    /// Esri FileGDB (a `.gdb` folder, read by OpenFileGDB).
    FileGdb,
    Dxf,
    Kml,
}

impl Format {
    /// The format a file name's extension names.
    pub fn from_path(path: &Path) -> Option<Format> {
        let name = path.to_string_lossy().to_lowercase();
        let name = name.trim_end_matches(['/', '\\']);
        let ext = name.rsplit('.').next().unwrap_or("");
        Format::from_ext(ext)
    }

    /// The format of an extension (`shp`, `geojson`, …) or a name (`txt`, `gpkg`).
    pub fn from_ext(ext: &str) -> Option<Format> {
        Some(match ext.to_ascii_lowercase().as_str() {
            "geojson" | "json" => Format::GeoJson,
            "txt" => Format::Txt,
            "shp" => Format::Shapefile,
            "zip" => Format::Zip,
            "gpkg" => Format::GeoPackage,
            "gdb" => Format::FileGdb,
            "dxf" => Format::Dxf,
            "kml" => Format::Kml,
            _ => return None,
        })
    }

    /// The format of a MIME type (`POST /api/check` with `Content-Type`).
    pub fn from_mime(mime: &str) -> Option<Format> {
        let m = mime
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        Some(match m.as_str() {
            "application/geo+json" | "application/json" => Format::GeoJson,
            "text/plain" => Format::Txt,
            "application/zip" | "application/x-zip-compressed" => Format::Zip,
            "application/geopackage+sqlite3" => Format::GeoPackage,
            "application/vnd.google-earth.kml+xml" => Format::Kml,
            "image/vnd.dxf" | "application/dxf" => Format::Dxf,
            _ => return None,
        })
    }

    /// The extension a file of this format is given (for GDAL's in-memory files).
    pub fn ext(self) -> &'static str {
        match self {
            Format::GeoJson => "geojson",
            Format::Txt => "txt",
            Format::Shapefile => "shp",
            Format::Zip => "zip",
            Format::GeoPackage => "gpkg",
            Format::FileGdb => "gdb",
            Format::Dxf => "dxf",
            Format::Kml => "kml",
        }
    }

    /// Tells a format from a file's first bytes (uploads whose `Content-Type` says little).
    /// GeoJSON is the text starting with `{`; `None` when nothing fits.
    pub fn sniff(bytes: &[u8]) -> Option<Format> {
        let head = &bytes[..bytes.len().min(8192)];
        let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
        let t = &head[start..];
        let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
        let gbk = |s: &str| encoding_rs::GBK.encode(s).0.into_owned();
        Some(if t.starts_with(b"PK\x03\x04") {
            Format::Zip
        } else if t.starts_with(b"SQLite format 3\0") {
            Format::GeoPackage
        } else if t.starts_with(b"{") {
            Format::GeoJson
        } else if has("[地块坐标]".as_bytes())
            || has("[属性描述]".as_bytes())
            || has(&gbk("[地块坐标]"))
            || has(&gbk("[属性描述]"))
        {
            Format::Txt
        } else if t.starts_with(b"<") && (has(b"<kml") || has(b"opengis.net/kml")) {
            Format::Kml
        } else if t.starts_with(b"0") && has(b"SECTION") {
            Format::Dxf
        } else {
            return None;
        })
    }

    /// Whether planmap reads this format without GDAL.
    pub fn is_native(self) -> bool {
        matches!(self, Format::GeoJson | Format::Txt)
    }
}
