//! The strict GeoJSON site parser (`POST /api/check` with GeoJSON, `planmap check site.geojson`)
//! and the upload reader's GeoJSON path: any text gives a site or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use planmap_io::read_bytes;
use planmap_io::source::{Format, ReadOptions};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = planmap_io::parse_site(text);
    }
    let _ = planmap_io::read_site_bytes(data, Format::GeoJson, &ReadOptions::default());
    let _ = read_bytes(data, Format::GeoJson, &ReadOptions::default());
});
