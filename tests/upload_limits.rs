//! Upload limits (planmap-io `UploadLimits`): a real zip bomb, too many entries, entries that
//! leave the archive's folder, too many features in GeoJSON, TXT and KML — each refused with a
//! message naming what is wrong — while an ordinary zipped Shapefile still reads.

use std::io::Write;
use std::process::Command;

use geo::MultiPolygon;
use planmap_io::read_bytes;
use planmap_io::source::{Format, ReadOptions};
use planmap_io::{read_site_bytes, UploadLimits};
use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

const MIB: usize = 1024 * 1024;

/// A zip of `(name, bytes)` entries, deflated.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A zip with one entry `name` of `mib` MiB of zeros, written a MiB at a time.
fn zeros_zip(name: &str, mib: usize) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .large_file(mib >= 4096);
    w.start_file(name, opts).unwrap();
    let chunk = vec![0u8; MIB];
    for _ in 0..mib {
        w.write_all(&chunk).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn site_error(bytes: &[u8], format: Format, limits: UploadLimits) -> String {
    let o = ReadOptions {
        limits,
        ..ReadOptions::default()
    };
    match read_site_bytes(bytes, format, &o) {
        Ok(s) => panic!("read as a site of {} polygons", s.shape.0.len()),
        Err(e) => e.to_string(),
    }
}

fn assert_names(message: &str, words: &[&str]) {
    assert!(!message.contains('\n'), "not one line: {message}");
    for w in words {
        assert!(message.contains(w), "'{w}' not in: {message}");
    }
}

/// The site fixture as a Shapefile's files (made by GDAL's ogr2ogr), name and bytes.
fn shapefile() -> Vec<(String, Vec<u8>)> {
    let dir = tempfile::tempdir().unwrap();
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/site_park.geojson");
    let shp = dir.path().join("site.shp");
    let o = Command::new("ogr2ogr")
        .args(["-f", "ESRI Shapefile", shp.to_str().unwrap(), src])
        .output()
        .expect("ogr2ogr (gdal-bin) is installed");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect();
    files.sort();
    assert!(files.iter().any(|(n, _)| n == "site.dbf"), "{files:?}");
    files
}

fn fixture_site() -> MultiPolygon<f64> {
    let text = include_str!("fixtures/site_park.geojson");
    planmap_io::parse_site(text).unwrap()
}

#[test]
fn a_zipped_shapefile_still_reads_as_the_site_it_holds() {
    let files = shapefile();
    let mut entries: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    // What macOS's Finder adds to every zip it makes is passed over.
    entries.push(("__MACOSX/._site.shp", b"\0\x05\x16\x07"));
    let zip = zip_of(&entries);
    let site = read_site_bytes(&zip, Format::Zip, &ReadOptions::default()).unwrap();
    let want = fixture_site();
    assert_eq!(site.shape.0.len(), 1);
    for (a, b) in site.shape.0[0]
        .exterior()
        .0
        .iter()
        .zip(&want.0[0].exterior().0)
    {
        assert!(
            (a.x - b.x).abs() < 1e-9 && (a.y - b.y).abs() < 1e-9,
            "{a:?} {b:?}"
        );
    }
}

#[test]
fn a_zip_bomb_is_refused_before_it_expands() {
    // 300 MiB of zeros deflate to about 300 KB: the 100 MiB cap on one entry stops it.
    let bomb = zeros_zip("site.shp", 300);
    assert!(bomb.len() < 2 * MIB, "{} bytes", bomb.len());
    let e = site_error(&bomb, Format::Zip, UploadLimits::default());
    assert_names(&e, &["site.shp", "100 MiB", "max_zip_entry_bytes"]);

    // Many entries each under the entry cap, together over the total.
    let mb = vec![7u8; MIB];
    let zip = zip_of(&[("a.shp", &mb), ("a.dbf", &mb), ("a.shx", &mb)]);
    let small = UploadLimits {
        max_zip_entry_bytes: 2 * MIB as u64,
        max_zip_expanded_bytes: 2 * MIB as u64 + 10,
        ..UploadLimits::default()
    };
    let e = site_error(&zip, Format::Zip, small);
    assert_names(&e, &["a.shx", "2097162 bytes", "max_zip_expanded_bytes"]);
}

#[test]
fn a_zip_that_understates_its_sizes_is_still_capped() {
    // The entry says it holds 100 bytes; it inflates to 5 MiB. Sizes are patched in both the
    // local header and the central directory.
    let mut zip = zeros_zip("site.shp", 5);
    let real = (5 * MIB as u32).to_le_bytes();
    let fake = 100u32.to_le_bytes();
    let at: Vec<usize> = zip
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == real)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at.len(), 2, "the uncompressed size once in each header");
    for i in at {
        zip[i..i + 4].copy_from_slice(&fake);
    }
    let small = UploadLimits {
        max_zip_entry_bytes: MIB as u64,
        ..UploadLimits::default()
    };
    let e = site_error(&zip, Format::Zip, small);
    assert_names(&e, &["site.shp", "1 MiB", "max_zip_entry_bytes"]);
}

#[test]
fn a_zip_with_too_many_entries_is_refused() {
    let names: Vec<String> = (0..1001).map(|i| format!("f{i}.txt")).collect();
    let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
    let e = site_error(&zip_of(&entries), Format::Zip, UploadLimits::default());
    assert_names(&e, &["1001 entries", "1000", "max_zip_entries"]);
}

#[test]
fn entries_that_leave_the_archive_or_nest_are_refused() {
    let files = shapefile();
    for (evil, words) in [
        ("../evil.shp", &["'../evil.shp'", "'..'"][..]),
        ("/tmp/evil.shp", &["'/tmp/evil.shp'", "absolute"][..]),
        ("dir/evil.shp", &["'dir/evil.shp'", "folder"][..]),
        ("inner.zip", &["'inner.zip'", "nested"][..]),
    ] {
        let mut entries: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        entries.push((evil, &files[0].1));
        let e = site_error(&zip_of(&entries), Format::Zip, UploadLimits::default());
        assert_names(&e, words);
    }
}

fn square_feature(i: usize) -> String {
    let (x, y) = (
        112.0 + (i % 100) as f64 * 0.001,
        37.3 + (i / 100) as f64 * 0.001,
    );
    format!(
        r#"{{"type":"Feature","properties":{{}},"geometry":{{"type":"Polygon","coordinates":[[[{x},{y}],[{x2},{y}],[{x2},{y2}],[{x},{y2}],[{x},{y}]]]}}}}"#,
        x2 = x + 0.0005,
        y2 = y + 0.0005
    )
}

fn collection(n: usize) -> String {
    let fs: Vec<String> = (0..n).map(square_feature).collect();
    format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        fs.join(",")
    )
}

#[test]
fn too_many_features_are_refused_in_every_format() {
    // GeoJSON at the default limit: 10 000 read, 10 001 refused.
    let ok = collection(10_000);
    let o = ReadOptions::default();
    assert_eq!(
        read_bytes(ok.as_bytes(), Format::GeoJson, &o)
            .unwrap()
            .features
            .len(),
        10_000
    );
    let e = site_error(
        collection(10_001).as_bytes(),
        Format::GeoJson,
        UploadLimits::default(),
    );
    assert_names(&e, &["10001 features", "10000", "max_features"]);

    let two = UploadLimits {
        max_features: 2,
        ..UploadLimits::default()
    };
    // A coordinate TXT of three parcels.
    let mut txt =
        String::from("[属性描述]\n坐标系=2000国家大地坐标系\n几度分带=3\n带号=37\n[地块坐标]\n");
    for p in 0..3 {
        let (x, y) = (4_144_702.0 - 100.0 * p as f64, 37_588_509.0);
        txt += &format!("5,0.0100,{p},地块{p},面,,,,@\n");
        for (j, (dx, dy)) in [(0., 0.), (0., 10.), (-10., 10.), (-10., 0.), (0., 0.)]
            .iter()
            .enumerate()
        {
            txt += &format!("J{},1,{:.3},{:.3}\n", j % 4 + 1, x + dx, y + dy);
        }
    }
    let e = site_error(txt.as_bytes(), Format::Txt, two);
    assert_names(&e, &["3 features", "2", "max_features"]);
    // The same file within the limit reads.
    let three = UploadLimits {
        max_features: 3,
        ..two
    };
    let o3 = ReadOptions {
        limits: three,
        ..ReadOptions::default()
    };
    assert_eq!(
        read_site_bytes(txt.as_bytes(), Format::Txt, &o3)
            .unwrap()
            .shape
            .0
            .len(),
        3
    );

    // KML (read by GDAL, counted before its features are read).
    let placemarks: String = (0..3)
        .map(|i| {
            let (x, y) = (112.0 + i as f64 * 0.01, 37.3);
            format!(
                "<Placemark><Polygon><outerBoundaryIs><LinearRing><coordinates>{x},{y} \
                 {},{y} {},{} {x},{y}</coordinates></LinearRing></outerBoundaryIs></Polygon>\
                 </Placemark>",
                x + 0.001,
                x + 0.001,
                y + 0.001
            )
        })
        .collect();
    let kml = format!(
        "<?xml version=\"1.0\"?><kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document>\
         {placemarks}</Document></kml>"
    );
    let e = site_error(kml.as_bytes(), Format::Kml, two);
    assert_names(&e, &["3 features", "2", "max_features"]);
    assert_eq!(
        read_site_bytes(kml.as_bytes(), Format::Kml, &o3)
            .unwrap()
            .shape
            .0
            .len(),
        3
    );
}

/// Found by `make fuzz` (target `upload`): an empty upload read as KML or DXF, or a zip with an
/// empty file in it, crashed the process (SIGSEGV: GDAL freed the dangling pointer of an
/// empty Rust Vec handed to it as an in-memory file).
#[test]
fn empty_files_are_errors_not_crashes() {
    for format in [
        Format::Kml,
        Format::Dxf,
        Format::Shapefile,
        Format::GeoPackage,
    ] {
        let e = site_error(b"", format, UploadLimits::default());
        assert_names(&e, &["uploaded", "cannot open"]);
    }
    let mut files = shapefile();
    files.push(("empty.txt".into(), Vec::new()));
    let entries: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let o = ReadOptions::default();
    let site = read_site_bytes(&zip_of(&entries), Format::Zip, &o).unwrap();
    assert_eq!(site.shape.0.len(), 1);
}

/// A closed square as an ASCII DXF LWPOLYLINE, lines ending in `eol`.
fn dxf_square(eol: &str) -> Vec<u8> {
    let lines = [
        "0",
        "SECTION",
        "2",
        "ENTITIES",
        "0",
        "LWPOLYLINE",
        "8",
        "0",
        "90",
        "4",
        "70",
        "1",
        "10",
        "112.105",
        "20",
        "37.329",
        "10",
        "112.110",
        "20",
        "37.329",
        "10",
        "112.110",
        "20",
        "37.333",
        "10",
        "112.105",
        "20",
        "37.333",
        "0",
        "ENDSEC",
        "0",
        "EOF",
    ];
    lines.map(|l| format!("{l}{eol}")).concat().into_bytes()
}

/// Found by `make fuzz` (target `upload`): GDAL 3.6's DXF reader never returns on a lone
/// carriage return; three bytes ` \r\r` sent as a DXF held a server thread forever. Before
/// the fix this test did not end.
#[test]
fn a_lone_carriage_return_in_a_dxf_is_an_error_not_a_hang() {
    assert_eq!(
        planmap_io::source::ogr::dxf_text(b"0\r\nA\rB\r\r\n").unwrap(),
        b"0\nA\nB\n\n"
    );
    let found = [
        32, 13, 13, 0, 0, 0, 0, 0, 0, 0, 80, 0, 0, 0, 0, 0, 0, 0, 80, 0,
    ];
    for bytes in [&b" \r\r"[..], &found] {
        let e = site_error(bytes, Format::Dxf, UploadLimits::default());
        assert_names(&e, &["uploaded dxf"]);
    }
    let e = site_error(
        b"AutoCAD Binary DXF\r\n\x1a\0",
        Format::Dxf,
        UploadLimits::default(),
    );
    assert_names(&e, &["binary DXF"]);
    // Drawings with CRLF, LF or old-Mac CR line ends read alike, also from a zip.
    let o = ReadOptions::default();
    let want = read_site_bytes(&dxf_square("\n"), Format::Dxf, &o)
        .unwrap()
        .shape;
    assert_eq!(want.0.len(), 1);
    for eol in ["\r\n", "\r"] {
        let got = read_site_bytes(&dxf_square(eol), Format::Dxf, &o)
            .unwrap()
            .shape;
        assert_eq!(got, want, "{eol:?}");
        let zip = zip_of(&[("site.dxf", &dxf_square(eol))]);
        let got = read_site_bytes(&zip, Format::Zip, &o).unwrap().shape;
        assert_eq!(got, want, "zipped, {eol:?}");
    }
}

/// An upload is opened by its own format's GDAL driver only, not by whichever of GDAL's
/// drivers claims the bytes (its DXF driver claims any file starting 0/SECTION).
#[test]
fn uploads_are_opened_by_their_own_driver_only() {
    let geojson = include_bytes!("fixtures/site_park.geojson");
    let e = site_error(geojson, Format::GeoPackage, UploadLimits::default());
    assert_names(&e, &["uploaded gpkg", "cannot open it as gpkg"]);
    let e = site_error(
        &dxf_square("\n"),
        Format::Shapefile,
        UploadLimits::default(),
    );
    assert_names(&e, &["uploaded shp", "cannot open it as shp"]);
    let zip = zip_of(&[("site.shp", &dxf_square("\n"))]);
    let e = site_error(&zip, Format::Zip, UploadLimits::default());
    assert_names(&e, &["uploaded zip", "cannot open it as shp"]);
}
