//! Upload unpacking: the bytes of a `POST /api/check` body read as the server reads them —
//! the format sniffed (else the first byte picks zip, KML or DXF) — through the zip limits and
//! GDAL's in-memory files. Never a panic, and within the upload limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use planmap_io::source::{Format, ReadOptions};

fuzz_target!(|data: &[u8]| {
    let format = Format::sniff(data).unwrap_or(match data.first().map(|b| b % 3) {
        Some(0) => Format::Zip,
        Some(1) => Format::Kml,
        _ => Format::Dxf,
    });
    if matches!(format, Format::GeoPackage) {
        // SQLite is outside what this target is about.
        return;
    }
    let o = ReadOptions {
        near_lon: Some(112.03),
        ..ReadOptions::default()
    };
    let _ = planmap_io::read_site_bytes(data, format, &o);
    let _ = planmap_io::limits::unpack_zip(data, &o.limits);
});
