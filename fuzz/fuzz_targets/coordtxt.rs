//! The land-ministry coordinate TXT: the parser itself, then the whole upload path (zone and
//! CRS detection, Gauss-Krüger to lon/lat, stated areas, the site). Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use planmap_io::source::{Format, ReadOptions};

fuzz_target!(|data: &[u8]| {
    if let Ok((txt, _)) = planmap_io::coordtxt::parse(data) {
        for p in &txt.parcels {
            let _ = p.geometry(txt.swapped());
        }
    }
    let o = ReadOptions {
        near_lon: Some(112.03),
        ..ReadOptions::default()
    };
    let _ = planmap_io::read_site_bytes(data, Format::Txt, &o);
});
