//! The land-ministry coordinate TXT, read and written through planmap-io, checked against
//! independent facts: DESIGN.md's sample point, hand-computed areas, PROJ's projection (via
//! `gdaltransform`) and the Gauss-Krüger scale factor in closed form.

use std::io::Write;
use std::process::{Command, Stdio};

use geo::{Coord, CoordsIter, Distance, Geodesic, Geometry, MultiPolygon, Point};
use planmap_io::coordtxt::{self, TxtEncoding, WriteOptions, WriteParcel};
use planmap_io::read_bytes;
use planmap_io::source::{Dataset, Format, ReadOptions};

const HEADER: &str = "[属性描述]\n格式版本号=1.01版本\n坐标系=2000国家大地坐标系\n几度分带=3\n\
                      投影类型=高斯克吕格\n计量单位=米\n带号=37\n精度=0.001\n转换参数=,,,,,,\n";

fn read(text: &[u8]) -> Dataset {
    read_with(text, &ReadOptions::default()).expect("reads")
}

fn read_with(text: &[u8], o: &ReadOptions) -> Result<Dataset, String> {
    read_bytes(text, Format::Txt, o).map_err(|e| e.to_string())
}

fn polygon_of(d: &Dataset, i: usize) -> MultiPolygon<f64> {
    match d.features[i].geometry.clone().expect("geometry") {
        Geometry::MultiPolygon(mp) => mp,
        g => panic!("not a polygon: {g:?}"),
    }
}

/// Geodesic distance in metres between two lon/lat positions.
fn metres(a: Coord<f64>, b: Coord<f64>) -> f64 {
    Geodesic.distance(Point(a), Point(b))
}

/// A square ring of `side` metres with its north-west corner at (x north, y east), as lines.
fn square(first: usize, ring: usize, x: f64, y: f64, side: f64) -> String {
    let pts = [
        (x, y),
        (x, y + side),
        (x - side, y + side),
        (x - side, y),
        (x, y),
    ];
    pts.iter()
        .enumerate()
        .map(|(i, (px, py))| {
            let n = if i == 4 { first } else { first + i };
            format!("J{n},{ring},{px:.3},{py:.3}\n")
        })
        .collect()
}

/// PROJ's projection of lon/lat positions to EPSG:`code` (easting, northing).
fn proj(code: u32, pts: &[Coord<f64>]) -> Vec<Coord<f64>> {
    let mut child = Command::new("gdaltransform")
        .args([
            "-s_srs",
            "EPSG:4490",
            "-t_srs",
            &format!("EPSG:{code}"),
            "-output_xy",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("gdaltransform (gdal-bin) is installed");
    let input: String = pts
        .iter()
        .map(|c| format!("{:.12} {:.12}\n", c.x, c.y))
        .collect();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Vec<f64> = l.split_whitespace().map(|s| s.parse().unwrap()).collect();
            Coord { x: v[0], y: v[1] }
        })
        .collect()
}

#[test]
fn design_sample_point_reads_to_112e_37_43n() {
    let text = format!(
        "{HEADER}[地块坐标]\n5,1.0000,1,样点地块,面,,,,@\n{}",
        square(1, 1, 4_144_702.574, 37_588_509.109, 100.0)
    );
    let d = read(text.as_bytes());
    let mp = polygon_of(&d, 0);
    let want = Coord { x: 112.0, y: 37.43 };
    let nearest = mp
        .coords_iter()
        .map(|c| metres(c, want))
        .fold(f64::MAX, f64::min);
    assert!(nearest < 0.001, "J1 is {nearest} m from 112°E 37.43°N");
}

#[test]
fn design_sample_point_writes_to_its_x_and_y() {
    let (x0, y0) = (112.0, 37.43);
    let ring = vec![
        (x0, y0),
        (x0 + 0.001, y0),
        (x0 + 0.001, y0 - 0.001),
        (x0, y0),
    ];
    let p = geo::Polygon::new(geo::LineString::from(ring), vec![]);
    let bytes = coordtxt::write(
        &[WriteParcel {
            number: "1".into(),
            name: "样点".into(),
            usage: String::new(),
            land_code: String::new(),
            shape: MultiPolygon(vec![p]),
        }],
        &WriteOptions {
            encoding: TxtEncoding::Utf8,
            ..WriteOptions::default()
        },
    );
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains(",4144702.574,37588509.109\r\n"), "{text}");
    assert!(text.contains("带号=37\r\n") && text.contains("精度=0.001\r\n"));
}

#[test]
fn holed_and_multipart_parcel() {
    // 圈 1: 100 m square; 圈 2: a 20 m square inside it (a hole); 圈 3: a 10 m square 500 m
    // away (another part). Planar area by hand: 10 000 − 400 + 100 = 9 700 m².
    let (x, y) = (4_144_702.574, 37_588_509.109);
    let text = format!(
        "{HEADER}[地块坐标]\n15,0.9700,7,复合地块,面,,,,@\n{}{}{}",
        square(1, 1, x, y, 100.0),
        square(5, 2, x - 40.0, y + 40.0, 20.0),
        square(9, 3, x, y + 500.0, 10.0)
    );
    let d = read(text.as_bytes());
    let mp = polygon_of(&d, 0);
    assert_eq!(mp.0.len(), 2, "two parts");
    let holes: usize = mp.0.iter().map(|p| p.interiors().len()).sum();
    assert_eq!(holes, 1, "one hole");
    let a = &d.areas[0];
    assert!((a.planar_m2 - 9_700.0).abs() < 1e-6, "{a:?}");
    let stated = a.stated.as_ref().unwrap();
    assert!((stated.m2() - 9_700.0).abs() < 1e-6, "{stated:?}");
    // Ellipsoidal = planar / k², k the Gauss-Krüger scale at the parcel: k = 1 + x²/(2R²) +
    // x⁴/(24R⁴), x the distance from the central meridian, R² = M·N (radii of curvature).
    let (aa, f): (f64, f64) = (6_378_137.0, 1.0 / 298.257_222_101);
    let e2 = f * (2.0 - f);
    let s2 = 37.43f64.to_radians().sin().powi(2);
    let w = (1.0 - e2 * s2).sqrt();
    let r2 = (aa / w) * (aa * (1.0 - e2) / (w * w * w));
    let xd = y + 250.0 - 37_500_000.0;
    let k = 1.0 + xd * xd / (2.0 * r2) + xd.powi(4) / (24.0 * r2 * r2);
    let want = a.planar_m2 / (k * k);
    assert!(
        ((a.ellipsoidal_m2 - want) / want).abs() < 2e-6,
        "ellipsoidal {} vs {want} (planar {})",
        a.ellipsoidal_m2,
        a.planar_m2
    );
    // DESIGN.md: they differ by ~0.02 % here.
    let diff = (a.planar_m2 - a.ellipsoidal_m2) / a.planar_m2;
    assert!((0.00015..0.00025).contains(&diff), "{diff}");
}

#[test]
fn missing_zone_prefix() {
    let with = format!(
        "{HEADER}[地块坐标]\n5,1.0,1,甲,面,,,,@\n{}",
        square(1, 1, 4_144_702.574, 37_588_509.109, 100.0)
    );
    let without = with.replace(",37588", ",588");
    assert_ne!(with, without);
    let a = polygon_of(&read(with.as_bytes()), 0);
    let d = read(without.as_bytes());
    assert!(
        d.warnings.is_empty(),
        "带号 states the zone: {:?}",
        d.warnings
    );
    let b = polygon_of(&d, 0);
    for (p, q) in a.coords_iter().zip(b.coords_iter()) {
        assert!(metres(p, q) < 1e-6, "{p:?} {q:?}");
    }
    // No 带号 and no prefix: guessed from where the plan is, with a warning …
    let unstated = without.replace("带号=37\n", "");
    let near = ReadOptions {
        near_lon: Some(112.03),
        ..ReadOptions::default()
    };
    let d = read_with(unstated.as_bytes(), &near).unwrap();
    assert!(
        d.warnings.iter().any(|w| w.contains("guessed zone 37")),
        "{:?}",
        d.warnings
    );
    let c = polygon_of(&d, 0);
    assert!(
        metres(
            c.coords_iter().next().unwrap(),
            b.coords_iter().next().unwrap()
        ) < 1e-6
    );
    // … or refused when there is nothing to guess from.
    let e = read_with(unstated.as_bytes(), &ReadOptions::default()).unwrap_err();
    assert!(e.contains("no zone prefix") && e.contains("--crs"), "{e}");
}

#[test]
fn gbk_with_crlf() {
    let text = format!(
        "{HEADER}[项目信息]\n项目名称=文水县南安镇白酒产业园\n[地块坐标]\n5,1.0000,DK-01,南安镇梨园地块,面,,工业用地,0601,@\n{}",
        square(1, 1, 4_144_702.574, 37_588_509.109, 100.0)
    );
    let crlf = text.replace('\n', "\r\n");
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&crlf);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&gbk).is_err(),
        "the fixture really is GBK"
    );
    let d = read(&gbk);
    let p = &d.features[0].properties;
    assert_eq!(p["name"], "南安镇梨园地块");
    assert_eq!(p["地块用途"], "工业用地");
    assert_eq!(p["地类编码"], "0601");
    assert_eq!(d.features[0].id.as_deref(), Some("DK-01"));
    let utf8 = read(text.as_bytes());
    assert_eq!(polygon_of(&d, 0), polygon_of(&utf8, 0));
    let (txt, _) = coordtxt::parse(&gbk).unwrap();
    assert_eq!(txt.encoding, TxtEncoding::Gbk);
    assert!(txt.crlf);
    assert_eq!(txt.meta("项目名称"), Some("文水县南安镇白酒产业园"));
}

#[test]
fn wrong_point_count_is_reported_not_trusted() {
    let text = format!(
        "{HEADER}[地块坐标]\n99,1.0,1,甲,面,,,,@\n{}4,1.0,2,乙,面,,,,@\n{}",
        square(1, 1, 4_144_702.574, 37_588_509.109, 100.0),
        square(1, 1, 4_144_702.574, 37_589_509.109, 50.0)
    );
    let d = read(text.as_bytes());
    assert_eq!(d.features.len(), 2);
    // Both parcels read to their '@' line: 4 corners each (5 with the closing point).
    assert_eq!(polygon_of(&d, 0).coords_count(), 5);
    assert!((d.areas[0].planar_m2 - 10_000.0).abs() < 1e-6);
    assert!((d.areas[1].planar_m2 - 2_500.0).abs() < 1e-6);
    let w: Vec<_> = d.warnings.iter().filter(|w| w.contains("states")).collect();
    assert_eq!(
        w.len(),
        1,
        "only parcel 1 (99 stated) is off: {:?}",
        d.warnings
    );
    assert!(w[0].contains("99") && w[0].contains("parcel 1"), "{w:?}");
}

#[test]
fn three_field_lines() {
    let four = format!(
        "{HEADER}[地块坐标]\n10,0.96,1,甲,面,,,,@\n{}{}",
        square(1, 1, 4_144_702.574, 37_588_509.109, 100.0),
        square(5, 2, 4_144_662.574, 37_588_549.109, 20.0)
    );
    // Drop 圈号: `J1,X,Y`; the rings are told apart by each closing on its first point.
    let three: String = four
        .lines()
        .map(|l| match l.split(',').collect::<Vec<_>>().as_slice() {
            [n, _, x, y] if n.starts_with('J') => format!("{n},{x},{y}\n"),
            _ => format!("{l}\n"),
        })
        .collect();
    assert!(three.contains("J1,4144702.574,37588509.109\n"));
    let a = read(four.as_bytes());
    let b = read(three.as_bytes());
    assert_eq!(polygon_of(&a, 0), polygon_of(&b, 0));
    assert!((b.areas[0].planar_m2 - 9_600.0).abs() < 1e-6);
}

#[test]
fn write_then_read_is_exact_to_the_stated_precision() {
    // A lon/lat parcel with a hole and a second part, near 文水.
    let ring = |x: f64, y: f64, d: f64| {
        geo::LineString::from(vec![
            (x, y),
            (x + d, y),
            (x + d, y + d * 0.8),
            (x, y + d),
            (x, y),
        ])
    };
    let shape = MultiPolygon(vec![
        geo::Polygon::new(ring(112.1, 37.40, 0.01), vec![ring(112.103, 37.403, 0.002)]),
        geo::Polygon::new(ring(112.13, 37.40, 0.003), vec![]),
    ]);
    let parcels = [WriteParcel {
        number: "DK-2".into(),
        name: "往返地块".into(),
        usage: "工业用地".into(),
        land_code: "0601".into(),
        shape: shape.clone(),
    }];
    for prefix in [true, false] {
        let bytes = coordtxt::write(
            &parcels,
            &WriteOptions {
                prefix,
                ..WriteOptions::default()
            },
        );
        let (txt, warnings) = coordtxt::parse(&bytes).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(txt.encoding, TxtEncoding::Gbk);
        assert_eq!(txt.parcels[0].name, "往返地块");
        // Every written X/Y is PROJ's projection rounded to the millimetre.
        let written: Vec<_> = txt.parcels[0]
            .rings
            .iter()
            .flat_map(|r| &r.points)
            .collect();
        let originals: Vec<Coord<f64>> = shape.coords_iter().collect();
        let projected = proj(if prefix { 4525 } else { 4546 }, &originals);
        for p in &written {
            let hit = projected
                .iter()
                .any(|q| (q.x - p.y).abs() <= 0.0005 + 1e-6 && (q.y - p.x).abs() <= 0.0005 + 1e-6);
            assert!(hit, "{p:?} is no vertex projected by PROJ, rounded");
        }
        // Read back to lon/lat: every vertex within the precision (1 mm) of an original.
        let d = read(&bytes);
        let back = polygon_of(&d, 0);
        assert_eq!(back.coords_count(), shape.coords_count());
        for c in back.coords_iter() {
            let near = originals
                .iter()
                .map(|o| metres(c, *o))
                .fold(f64::MAX, f64::min);
            assert!(near < 0.001, "{c:?} is {near} m off");
        }
        // Written again, the file is the same, byte for byte.
        let again = coordtxt::write(
            &[WriteParcel {
                shape: back,
                ..parcels[0].clone()
            }],
            &WriteOptions {
                prefix,
                ..WriteOptions::default()
            },
        );
        assert_eq!(
            encoding_rs::GBK.decode(&again).0,
            encoding_rs::GBK.decode(&bytes).0
        );
    }
}

#[test]
fn stated_areas_in_any_unit() {
    // The parcel: a 100 m square less a 20 m hole, 9 600 m² = 0.96 公顷 = 14.4 亩.
    for stated in [
        "0.9600",
        "9600",
        "9600平方米",
        "0.96公顷",
        "14.4亩",
        "9600m2",
    ] {
        let text = format!(
            "{HEADER}[地块坐标]\n9,{stated},1,甲,面,,,,@\n{}{}",
            square(1, 1, 4_144_702.574, 37_588_509.109, 100.0),
            square(5, 2, 4_144_662.574, 37_588_549.109, 20.0)
        );
        let d = read(text.as_bytes());
        let s = d.areas[0].stated.clone().unwrap();
        assert_eq!(s.raw, stated);
        assert!((s.m2() - 9_600.0).abs() < 1e-6, "{stated}: {s:?}");
        let shown = d.areas[0].to_string();
        assert!(
            shown.contains("planar") && shown.contains("ellipsoidal"),
            "{shown}"
        );
    }
}

#[test]
fn bad_files_name_the_line() {
    let e = read_with(
        "[地块坐标]\nJ1,1,4144702.574,37588509.109\n".as_bytes(),
        &ReadOptions::default(),
    )
    .unwrap_err();
    assert!(
        e.contains("line 2") && e.contains("before any parcel"),
        "{e}"
    );
    let text = format!("{HEADER}[地块坐标]\n5,1,1,甲,面,,,,@\nJ1,1,4144702.574,abc\n");
    let e = read_with(text.as_bytes(), &ReadOptions::default()).unwrap_err();
    assert!(e.contains("line 12") && e.contains("'abc'"), "{e}");
    let text = format!("{HEADER}[地块坐标]\n5,1,1,甲,面,,,,@\nJ1;4144702.574;37588509.109\n");
    let e = read_with(text.as_bytes(), &ReadOptions::default()).unwrap_err();
    assert!(e.contains("line 12"), "{e}");
    let e = read_with(HEADER.as_bytes(), &ReadOptions::default()).unwrap_err();
    assert!(e.contains("no [地块坐标]"), "{e}");
    let e = read_with(&[0xff, 0xfe, 0x00, 0x81], &ReadOptions::default()).unwrap_err();
    assert!(e.contains("UTF-8 nor GBK"), "{e}");
    let xian = HEADER.replace("2000国家大地坐标系", "1980西安坐标系")
        + "[地块坐标]\n5,1,1,甲,面,,,,@\n"
        + &square(1, 1, 4_144_702.574, 37_588_509.109, 100.0);
    let e = read_with(xian.as_bytes(), &ReadOptions::default()).unwrap_err();
    assert!(e.contains("西安") && e.contains("--crs"), "{e}");
}
