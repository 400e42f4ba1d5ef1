//! A surveyor's millimetres reach the engine: a red-line layer and a site given in CGCS2000
//! Gauss-Krüger zone 37 (EPSG:4525) to the millimetre — as a Shapefile (made by GDAL's
//! `ogr2ogr`) and as the land-ministry coordinate TXT — imported with `planmap import` and
//! checked with `planmap check`: the overlap areas equal the areas computed independently in
//! the projected plane to 1e-6 relative.
//!
//! The expectation is closed form: the planar pieces are the layer's convex rings clipped by
//! the convex site (Sutherland–Hodgman), measured with the shoelace formula, and taken to the
//! ellipsoid by dividing by k², the square of the Gauss-Krüger point scale factor at each
//! piece's centroid (the projection is conformal, so areas scale by k²; k varies by ~5e-7
//! across a piece, whose linear part averages out about the centroid). k is the standard
//! transverse Mercator series (Snyder, Map Projections — A Working Manual, eq. 8-13) at the
//! centroid's lon/lat as PROJ (`gdaltransform`) gives it — not planmap's own projection code.
//!
//! The pieces are tens of metres across: a boundary straight in the Gauss-Krüger plane (the
//! surveyor's) and one straight in lon/lat (how planmap, GEOS and PostGIS cut polygons) part
//! by up to L²·tanφ/(8N) — 0.2 mm over a 120 m east–west edge — which moves a cut piece of
//! ~100 m by ~1e-6 for reasons of convention, not precision; at this size it stays < 5e-7.
//! With layers stored at 7 decimals (~1 cm), as before this test, the pieces come out wrong by
//! ~1e-4 and the test fails.

mod import_support;

use std::path::Path;
use std::process::Command;

use import_support::*;
use planmap_tests::json_out;
use serde_json::{json, Value};

type Pt = (f64, f64);

/// Easting (zone prefix 37) and northing of the centre, ~112.0°E 37.43°N, inside the county.
const E0: f64 = 37_588_500.0;
const N0: f64 = 4_144_700.0;

fn at(de: f64, dn: f64) -> Pt {
    // Millimetres, exactly as a surveyor writes them.
    let mm = |v: f64| (v * 1000.0).round() / 1000.0;
    (mm(E0 + de), mm(N0 + dn))
}

/// The site: a convex quadrilateral, ~50 m across, counter-clockwise.
fn site() -> Vec<Pt> {
    vec![
        at(-24.495, -23.564),
        at(25.367, -20.950),
        at(22.837, 25.930),
        at(-22.305, 23.660),
    ]
}

/// The layer's two features: a convex pentagon across the site's east side, and a
/// quadrilateral across its south-west corner with a triangular hole across the corner too.
fn layer() -> Vec<Vec<Vec<Pt>>> {
    vec![
        vec![vec![
            at(4.049, -8.183),
            at(44.316, -14.005),
            at(52.182, 12.128),
            at(28.262, 32.395),
            at(2.128, 16.271),
        ]],
        vec![
            vec![
                at(-40.044, -44.089),
                at(-8.133, -42.178),
                at(-6.222, -8.266),
                at(-38.311, -10.355),
            ],
            vec![
                at(-28.049, -28.182),
                at(-20.138, -16.271),
                at(-16.316, -28.805),
            ],
        ],
    ]
}

// -- the independent expectation ----------------------------------------------------------

/// Twice the signed area (counter-clockwise positive), relative to the first vertex.
fn shoelace2(r: &[Pt]) -> f64 {
    let o = r[0];
    (0..r.len())
        .map(|i| {
            let (a, b) = (r[i], r[(i + 1) % r.len()]);
            (a.0 - o.0) * (b.1 - o.1) - (b.0 - o.0) * (a.1 - o.1)
        })
        .sum()
}

fn ccw(r: &[Pt]) -> Vec<Pt> {
    let mut r = r.to_vec();
    if shoelace2(&r) < 0.0 {
        r.reverse();
    }
    r
}

/// `subject` clipped by the convex counter-clockwise `clip` (Sutherland–Hodgman), in
/// coordinates relative to `clip[0]` (metres, so nothing cancels catastrophically).
fn clip(subject: &[Pt], clip: &[Pt]) -> Vec<Pt> {
    let o = clip[0];
    let rel = |p: &Pt| (p.0 - o.0, p.1 - o.1);
    let mut out: Vec<Pt> = ccw(subject).iter().map(rel).collect();
    let c: Vec<Pt> = clip.iter().map(rel).collect();
    for i in 0..c.len() {
        let (a, b) = (c[i], c[(i + 1) % c.len()]);
        let side = |p: Pt| (b.0 - a.0) * (p.1 - a.1) - (b.1 - a.1) * (p.0 - a.0);
        let input = std::mem::take(&mut out);
        for j in 0..input.len() {
            let (p, q) = (input[j], input[(j + 1) % input.len()]);
            let (sp, sq) = (side(p), side(q));
            if sp >= 0.0 {
                out.push(p);
            }
            if (sp >= 0.0) != (sq >= 0.0) {
                let t = sp / (sp - sq);
                out.push((p.0 + t * (q.0 - p.0), p.1 + t * (q.1 - p.1)));
            }
        }
    }
    out.iter().map(|p| (p.0 + o.0, p.1 + o.1)).collect()
}

fn centroid(r: &[Pt]) -> Pt {
    let o = r[0];
    let (mut cx, mut cy, mut a2) = (0.0, 0.0, 0.0);
    for i in 0..r.len() {
        let (p, q) = (r[i], r[(i + 1) % r.len()]);
        let (px, py, qx, qy) = (p.0 - o.0, p.1 - o.1, q.0 - o.0, q.1 - o.1);
        let w = px * qy - qx * py;
        a2 += w;
        cx += (px + qx) * w;
        cy += (py + qy) * w;
    }
    (o.0 + cx / (3.0 * a2), o.1 + cy / (3.0 * a2))
}

/// lon/lat of EPSG:4525 points, by PROJ.
fn to_lonlat(pts: &[Pt]) -> Vec<Pt> {
    use std::io::Write;
    let mut c = Command::new("gdaltransform")
        .args(["-s_srs", "EPSG:4525", "-t_srs", "EPSG:4490", "-output_xy"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gdaltransform (gdal-bin) is installed");
    // Traditional GIS order in and out: easting/northing, then lon/lat.
    let input: String = pts.iter().map(|(e, n)| format!("{e} {n}\n")).collect();
    c.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = String::from_utf8(c.wait_with_output().unwrap().stdout).unwrap();
    let v: Vec<Pt> = out
        .lines()
        .map(|l| {
            let v: Vec<f64> = l.split_whitespace().map(|s| s.parse().unwrap()).collect();
            (v[0], v[1])
        })
        .collect();
    for (lon, lat) in &v {
        assert!(
            (111.9..112.1).contains(lon) && (37.3..37.5).contains(lat),
            "PROJ gave {lon},{lat}"
        );
    }
    v
}

/// The Gauss-Krüger (k0 = 1) point scale factor at `lon`, `lat` in zone 37 (central meridian
/// 111°E) on the CGCS2000 ellipsoid: Snyder's eq. 8-13.
fn scale_factor(lon: f64, lat: f64) -> f64 {
    let f = 1.0 / 298.257_222_101;
    let e2 = f * (2.0 - f);
    let ep2 = e2 / (1.0 - e2);
    let phi = lat.to_radians();
    let a = (lon - 111.0).to_radians() * phi.cos();
    let t = phi.tan().powi(2);
    let c = ep2 * phi.cos().powi(2);
    1.0 + (1.0 + c) * a.powi(2) / 2.0
        + (5.0 - 4.0 * t + 42.0 * c + 13.0 * c * c - 28.0 * ep2) * a.powi(4) / 24.0
        + (61.0 - 148.0 * t + 16.0 * t * t) * a.powi(6) / 720.0
}

/// Ellipsoidal area of a planar Gauss-Krüger polygon of ~100 m: planar area / k².
fn ellipsoidal(r: &[Pt]) -> f64 {
    if r.len() < 3 {
        return 0.0;
    }
    let planar = shoelace2(r).abs() / 2.0;
    let (lon, lat) = to_lonlat(&[centroid(r)])[0];
    planar / scale_factor(lon, lat).powi(2)
}

/// Each layer feature's overlap with the site on the ellipsoid, m².
fn expected() -> Vec<f64> {
    let s = site();
    layer()
        .iter()
        .map(|rings| {
            let outer = ellipsoidal(&clip(&rings[0], &s));
            let holes: f64 = rings[1..].iter().map(|h| ellipsoidal(&clip(h, &s))).sum();
            outer - holes
        })
        .collect()
}

// -- the files -----------------------------------------------------------------------------

fn closed(r: &[Pt]) -> Vec<Value> {
    r.iter()
        .chain(r.first())
        .map(|(e, n)| json!([e, n]))
        .collect()
}

/// A Shapefile in EPSG:4525 made by ogr2ogr from a GeoJSON of Gauss-Krüger coordinates.
fn shapefile(p: &Plan, name: &str, polygons: &[Vec<Vec<Pt>>]) -> std::path::PathBuf {
    let features: Vec<Value> = polygons
        .iter()
        .enumerate()
        .map(|(i, rings)| {
            let coords: Vec<Vec<Value>> = rings.iter().map(|r| closed(r)).collect();
            json!({"type": "Feature", "properties": {"name": format!("红线 {}", i + 1)},
                   "geometry": {"type": "Polygon", "coordinates": coords}})
        })
        .collect();
    let src = p.path(&format!("{name}.gk.geojson"));
    std::fs::write(
        &src,
        json!({"type": "FeatureCollection", "features": features}).to_string(),
    )
    .unwrap();
    let shp = p.path(&format!("{name}.shp"));
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        shp.to_str().unwrap(),
        src.to_str().unwrap(),
        "-a_srs",
        "EPSG:4525",
    ]);
    shp
}

/// The land-ministry coordinate TXT (X = northing, Y = easting with the zone prefix), one
/// parcel a polygon, 圈号 1 the outer ring and 2… its holes, to the millimetre.
fn coordinate_txt(p: &Plan, name: &str, polygons: &[Vec<Vec<Pt>>]) -> std::path::PathBuf {
    let mut t = String::from(
        "[属性描述]\r\n格式版本号=1.01版本\r\n坐标系=2000国家大地坐标系\r\n几度分带=3\r\n\
         投影类型=高斯克吕格\r\n计量单位=米\r\n带号=37\r\n精度=0.001\r\n[地块坐标]\r\n",
    );
    for (i, rings) in polygons.iter().enumerate() {
        let count: usize = rings.iter().map(|r| r.len() + 1).sum();
        t.push_str(&format!("{count},,{},地块{},面,,,,@\r\n", i + 1, i + 1));
        let mut k = 1;
        for (ring_no, r) in rings.iter().enumerate() {
            for (e, n) in r.iter().chain(r.first()) {
                t.push_str(&format!("J{k},{},{n:.3},{e:.3}\r\n", ring_no + 1));
                k += 1;
            }
        }
    }
    let path = p.path(&format!("{name}.txt"));
    std::fs::write(&path, encoding_rs::GBK.encode(&t).0).unwrap();
    path
}

/// `planmap check --geojson`'s red-line pieces, m², smallest first; and the JSON's total.
fn red_line_pieces(p: &Plan, site: &Path) -> (Vec<f64>, f64) {
    let s = site.to_str().unwrap();
    let fc = json_out(&p.ok(&["check", "--geojson", s]));
    let mut pieces: Vec<f64> = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["role"] == "overlap" && f["properties"]["layer"] == "red_line")
        .map(|f| f["properties"]["area_m2"].as_f64().unwrap())
        .collect();
    pieces.sort_by(f64::total_cmp);
    let report = json_out(&p.ok(&["check", "--json", s]));
    assert_eq!(report["verdict"], "不通过", "{report}");
    let total = report["overlaps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["layer"] == "red_line")
        .map(|o| o["area_m2"].as_f64().unwrap())
        .expect("a red-line overlap");
    (pieces, total)
}

fn assert_areas(what: &str, got: (Vec<f64>, f64), want: &[f64]) {
    let mut want = want.to_vec();
    want.sort_by(f64::total_cmp);
    let (pieces, total) = got;
    assert_eq!(pieces.len(), want.len(), "{what}: pieces {pieces:?}");
    for (g, w) in pieces.iter().zip(&want) {
        assert!(
            rel(*g, *w) < 1e-6,
            "{what}: piece {g} m², closed form {w} m² ({:.2e} apart)",
            rel(*g, *w)
        );
    }
    let w: f64 = want.iter().sum();
    let worst = pieces
        .iter()
        .zip(&want)
        .map(|(g, w)| rel(*g, *w))
        .fold(0.0, f64::max);
    eprintln!("{what}: pieces {pieces:?} m², worst {worst:.2e} from the closed form");
    assert!(
        rel(total, w) < 1e-6,
        "{what}: red line {total} m², closed form {w} m² ({:.2e} apart)",
        rel(total, w)
    );
}

#[test]
fn gauss_kruger_millimetres_survive_import_and_check() {
    let want = expected();
    // Sizeable pieces on both features (the hole is cut out of the second).
    assert!(want.iter().all(|a| *a > 100.0), "{want:?}");

    let p = Plan::new();
    let site_shp = shapefile(&p, "site", &[vec![site()]]);
    let site_txt = coordinate_txt(&p, "site", &[vec![site()]]);

    // The layer from a Shapefile, the site from a coordinate TXT.
    let layer_shp = shapefile(&p, "red", &layer());
    let r = p.import_json(&[layer_shp.to_str().unwrap(), "--layer", "red_line"]);
    assert!(r["crs"].as_str().unwrap().contains("4525"), "{r}");
    assert_areas(
        "Shapefile layer, TXT site",
        red_line_pieces(&p, &site_txt),
        &want,
    );
    assert_areas(
        "Shapefile layer, Shapefile site",
        red_line_pieces(&p, &site_shp),
        &want,
    );

    // The layer from a coordinate TXT, the site from a Shapefile.
    let layer_txt = coordinate_txt(&p, "red", &layer());
    let r = p.import_json(&[layer_txt.to_str().unwrap(), "--layer", "red_line"]);
    assert_eq!(r["features"], 2, "{r}");
    assert_areas(
        "TXT layer, Shapefile site",
        red_line_pieces(&p, &site_shp),
        &want,
    );
    assert_areas("TXT layer, TXT site", red_line_pieces(&p, &site_txt), &want);
}

/// Exports keep the stored coordinates unless asked to round: `planmap export` and the
/// layer's stored file give back the very f64s of the import; `--precision 7` rounds.
#[test]
fn exports_keep_full_precision_unless_asked() {
    let p = Plan::new();
    let layer_txt = coordinate_txt(&p, "red", &layer());
    p.import_json(&[layer_txt.to_str().unwrap(), "--layer", "red_line"]);
    let lonlat = to_lonlat(&layer()[0][0]);
    let exported = json_out(&p.ok(&["export", "red_line"]));
    let ring: Vec<Pt> = exported["features"][0]["geometry"]["coordinates"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()))
        .collect();
    // Every vertex PROJ finds is in the export to 1e-9° (~0.1 mm): far below 7 decimals.
    for (lon, lat) in &lonlat {
        let near = ring
            .iter()
            .any(|(x, y)| (x - lon).abs() < 1e-9 && (y - lat).abs() < 1e-9);
        assert!(near, "{lon},{lat} not in the export: {ring:?}");
    }
    let digits = |v: f64| v.to_string().split('.').nth(1).map_or(0, str::len);
    assert!(ring.iter().any(|(x, _)| digits(*x) > 9), "{ring:?}");

    let rounded = json_out(&p.ok(&["export", "red_line", "--precision", "7"]));
    for c in rounded["features"][0]["geometry"]["coordinates"][0]
        .as_array()
        .unwrap()
    {
        for v in c.as_array().unwrap() {
            assert!(digits(v.as_f64().unwrap()) <= 7, "{c}");
        }
    }
    let bad = p.run(&["export", "red_line", "--precision", "16"]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("--precision") && err.lines().count() == 1,
        "{err}"
    );
}

/// Over HTTP, the same: a layer's GeoJSON and a check's GeoJSON carry the stored
/// coordinates; `precision=N` rounds them; a precision beyond 15 decimals is a 400 naming it.
#[test]
fn the_api_rounds_only_on_request() {
    let p = Plan::new();
    let layer_txt = coordinate_txt(&p, "red", &layer());
    p.import_json(&[layer_txt.to_str().unwrap(), "--layer", "red_line"]);
    let server = planmap_tests::ServeProcess::start(&p.data(), &["--no-history"], &[]);
    let http = reqwest::blocking::Client::new();
    let most_decimals = |v: &Value| -> usize {
        let mut n = 0;
        let mut stack = vec![v];
        while let Some(v) = stack.pop() {
            match v {
                Value::Array(a) => stack.extend(a),
                Value::Number(x) => {
                    let s = x.to_string();
                    n = n.max(s.split('.').nth(1).map_or(0, str::len));
                }
                _ => {}
            }
        }
        n
    };
    let coords = |fc: &Value| -> Vec<Value> {
        fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["geometry"]["coordinates"].clone())
            .collect()
    };
    let get = |q: &str| {
        let r = http
            .get(format!("{}/api/layers/red_line.geojson{q}", server.url))
            .send()
            .unwrap();
        (r.status().as_u16(), r.json::<Value>().unwrap())
    };
    let (status, full) = get("");
    assert_eq!(status, 200);
    assert!(most_decimals(&Value::Array(coords(&full))) > 9, "{full}");
    let (status, web) = get("?precision=6");
    assert_eq!(status, 200);
    assert!(most_decimals(&Value::Array(coords(&web))) <= 6, "{web}");
    let (status, bbox) = get("?precision=5&bbox=111.9,37.3,112.1,37.5");
    assert_eq!((status, coords(&bbox).len()), (200, 2));
    assert!(most_decimals(&Value::Array(coords(&bbox))) <= 5, "{bbox}");
    let (status, err) = get("?precision=16");
    assert_eq!(status, 400, "{err}");
    assert!(
        err["error"].as_str().unwrap().contains("precision"),
        "{err}"
    );

    let site = to_lonlat(&site());
    let ring: Vec<Value> = site
        .iter()
        .chain(site.first())
        .map(|(x, y)| json!([x, y]))
        .collect();
    let body = json!({"type": "Polygon", "coordinates": [ring]}).to_string();
    let check = |q: &str| -> Value {
        let r = http
            .post(format!("{}/api/check?format=geojson{q}", server.url))
            .body(body.clone())
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        r.json().unwrap()
    };
    assert!(most_decimals(&Value::Array(coords(&check("")))) > 9);
    assert!(most_decimals(&Value::Array(coords(&check("&precision=7")))) <= 7);
}
