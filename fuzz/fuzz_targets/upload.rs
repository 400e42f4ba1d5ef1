//! Upload reading as the server's reader process does it: the bytes of a `POST /api/check`
//! body — the format sniffed (else the first byte picks zip, KML or DXF) — read by the
//! sandbox worker's own function (the zip limits, GDAL's in-memory files), its answer encoded
//! and decoded as it crosses to the server; and any bytes as a worker's answer. Never a panic,
//! and within the upload limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use planmap_io::sandbox::wire::{self, Request, Want};
use planmap_io::sandbox::{worker, Limits};
use planmap_io::source::{Format, ReadOptions};

fuzz_target!(|data: &[u8]| {
    let _ = wire::read_answer(data);
    let format = Format::sniff(data).unwrap_or(match data.first().map(|b| b % 3) {
        Some(0) => Format::Zip,
        Some(1) => Format::Kml,
        _ => Format::Dxf,
    });
    if matches!(format, Format::GeoPackage) {
        // SQLite is outside what this target is about.
        return;
    }
    let req = Request {
        want: Want::Site,
        format,
        options: ReadOptions {
            near_lon: Some(112.03),
            ..ReadOptions::default()
        },
        path: None,
    };
    let answer = worker::answer(&req, data, Limits::default());
    let mut sent = Vec::new();
    wire::write_answer(&mut sent, &answer).expect("an answer encodes");
    let got = wire::read_answer(&sent);
    assert_eq!(got.is_ok(), answer.is_ok(), "{got:?} vs {answer:?}");
    let _ = planmap_io::limits::unpack_zip(data, &req.options.limits);
});
