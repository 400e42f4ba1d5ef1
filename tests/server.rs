//! The HTTP server on the built-in plan, endpoint by endpoint, against independent facts: the
//! layer files read with the `geojson` crate, closed-form areas of hand-built sites, the
//! slippy-map tile formulas, and GDAL's readings (OGC API - Features, GeoJSON, MVT).

mod serve_support;

use std::collections::{HashMap, HashSet};
use std::process::Command;

use geo::{
    BooleanOps, Contains, GeodesicArea, Geometry, InteriorPoint, MultiPolygon, Polygon, Rect,
};
use planmap_tests::{planmap_bin, rect_area_m2, rect_geojson, ServeProcess};
use serde_json::Value;
use serve_support::*;

/// A farmland patch from the layer file and a small square site (≈ 9 × 11 m) lying inside it,
/// checked with geo's `Contains`.
fn site_in_farmland() -> (&'static str, [f64; 4]) {
    let d = 0.0001;
    for f in file_features("farmland") {
        let Some(p) = f.geometry.interior_point() else {
            continue;
        };
        let sq = [
            p.x() - d / 2.0,
            p.y() - d / 2.0,
            p.x() + d / 2.0,
            p.y() + d / 2.0,
        ];
        let rect = Rect::new(
            geo::coord! { x: sq[0], y: sq[1] },
            geo::coord! { x: sq[2], y: sq[3] },
        );
        if f.geometry.contains(&rect.to_polygon()) {
            return (f.id.as_str(), sq);
        }
    }
    panic!("no farmland patch holds a 10 m square");
}

fn polygons_of(g: &Geometry<f64>) -> MultiPolygon<f64> {
    match g {
        Geometry::Polygon(p) => MultiPolygon(vec![p.clone()]),
        Geometry::MultiPolygon(mp) => mp.clone(),
        other => panic!("not a polygon: {other:?}"),
    }
}

/// Slippy-map tile of a point (OSM's formulas).
fn tile_of(lon: f64, lat: f64, z: u32) -> (u32, u32) {
    let n = 2f64.powi(z as i32);
    let x = ((lon + 180.0) / 360.0 * n).floor();
    let y = ((1.0 - lat.to_radians().tan().asinh() / std::f64::consts::PI) / 2.0 * n).floor();
    (x as u32, y as u32)
}

/// Lon/lat box of a tile grown by `grow` tiles on each side.
fn tile_box(z: u32, x: u32, y: u32, grow: f64) -> Rect<f64> {
    let n = 2f64.powi(z as i32);
    let lon = |t: f64| t / n * 360.0 - 180.0;
    let lat = |t: f64| {
        (std::f64::consts::PI * (1.0 - 2.0 * t / n))
            .sinh()
            .atan()
            .to_degrees()
    };
    let (x, y) = (x as f64, y as f64);
    Rect::new(
        geo::coord! { x: lon(x - grow), y: lat(y + 1.0 + grow) },
        geo::coord! { x: lon(x + 1.0 + grow), y: lat(y - grow) },
    )
}

#[test]
fn plan_has_the_manifest_name_and_the_26_indicators() {
    let p = get_json("/api/plan");
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(plan_dir().join("plan.toml")).unwrap()).unwrap();
    assert_eq!(p["name"], manifest["name"].as_str().unwrap());
    // The indicator table has 26 rows (header + 26 lines), numbered 1..26.
    let csv = std::fs::read_to_string(plan_dir().join("indicators.csv")).unwrap();
    assert_eq!(csv.lines().filter(|l| !l.trim().is_empty()).count(), 27);
    let ind = p["indicators"].as_array().unwrap();
    assert_eq!(ind.len(), 26);
    let nos: Vec<u64> = ind.iter().map(|i| i["no"].as_u64().unwrap()).collect();
    assert_eq!(nos, (1..=26).collect::<Vec<_>>());
    assert_eq!(ind[0]["indicator"], "生态保护红线面积");
    assert_eq!(ind[0]["target_2035"], "367.4");
    assert_eq!(p["caveat"], "示意数据，非官方成果");
}

#[test]
fn layers_count_what_the_files_hold_and_match_the_cli() {
    let api = get_json("/api/layers");
    let layers = api["layers"].as_array().unwrap();
    let manifest = manifest_layers();
    assert_eq!(layers.len(), manifest.len());
    for ((id, _), l) in manifest.iter().zip(layers) {
        assert_eq!(&l["id"], id);
        assert_eq!(
            l["features"].as_u64().unwrap() as usize,
            file_features(id).len(),
            "{id}"
        );
    }
    let out = Command::new(planmap_bin())
        .arg("--data")
        .arg(plan_dir())
        .args(["stats", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cli, api, "/api/layers differs from planmap stats --json");
}

#[test]
fn export_is_rfc7946_with_the_file_count_and_revalidates() {
    for (id, _) in manifest_layers() {
        let r = get(&format!("/api/layers/{id}.geojson"));
        assert_eq!(r.status(), 200, "{id}");
        assert_eq!(header(&r, "content-type"), "application/geo+json");
        let cd = header(&r, "content-disposition");
        assert!(
            cd.starts_with("attachment;") && cd.contains(&format!("-{id}.geojson\"")),
            "{cd}"
        );
        let etag = header(&r, "etag");
        assert!(etag.starts_with('"'), "{id}: etag {etag}");
        assert!(!header(&r, "cache-control").is_empty());
        let text = r.text().unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v["features"].as_array().unwrap().len(),
            file_features(&id).len(),
            "{id}"
        );
        let again = client()
            .get(url(&format!("/api/layers/{id}.geojson")))
            .header("If-None-Match", &etag)
            .send()
            .unwrap();
        assert_eq!(again.status(), 304, "{id}");
        // The shipped layers have 7 decimals; written at full precision they come back as
        // written: no digits invented, at most 7 in every number of the coordinates.
        for num in text
            .split("\"coordinates\":")
            .skip(1)
            .flat_map(|s| s.split(['[', ']', ',']))
            .take(2000)
        {
            if let Some((_, dec)) = num.trim().split_once('.') {
                assert!(dec.len() <= 7, "{id}: {num}");
            }
        }
    }
    // Right-hand rule: every exterior ring of the red line counter-clockwise (shoelace > 0).
    let v: Value = get("/api/layers/red_line.geojson").json().unwrap();
    for f in v["features"].as_array().unwrap() {
        let g = &f["geometry"];
        let polys: Vec<&Value> = match g["type"].as_str().unwrap() {
            "Polygon" => vec![&g["coordinates"]],
            _ => g["coordinates"].as_array().unwrap().iter().collect(),
        };
        for p in polys {
            let ring = p[0].as_array().unwrap();
            let s: f64 = ring
                .windows(2)
                .map(|w| {
                    w[0][0].as_f64().unwrap() * w[1][1].as_f64().unwrap()
                        - w[1][0].as_f64().unwrap() * w[0][1].as_f64().unwrap()
                })
                .sum();
            assert!(s > 0.0, "{}: exterior ring clockwise", f["id"]);
        }
    }
}

#[test]
fn gdal_reads_the_farmland_export_with_every_feature() {
    let r = get("/api/layers/farmland.geojson");
    assert_eq!(r.status(), 200);
    let path = temp_dir("export").join("farmland.geojson");
    std::fs::write(&path, r.bytes().unwrap()).unwrap();
    let out = gdal("ogrinfo", &["-ro", "-so", "-al", path.to_str().unwrap()]);
    assert_eq!(
        ogr_counts(&out)["farmland"],
        file_features("farmland").len(),
        "{out}"
    );
}

#[test]
fn bbox_export_holds_the_features_in_the_box() {
    let (_, sq) = site_in_farmland();
    // A box of about 2 km around the site.
    let b = Rect::new(
        geo::coord! { x: sq[0] - 0.01, y: sq[1] - 0.01 },
        geo::coord! { x: sq[2] + 0.01, y: sq[3] + 0.01 },
    );
    let q = format!(
        "/api/layers/farmland.geojson?bbox={},{},{},{}",
        b.min().x,
        b.min().y,
        b.max().x,
        b.max().y
    );
    let v: Value = get(&q).json().unwrap();
    let got: HashSet<String> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    let bp = b.to_polygon();
    let inside: HashSet<String> = file_features("farmland")
        .iter()
        .filter(|f| bp.contains(&f.geometry))
        .map(|f| f.id.clone())
        .collect();
    let touching: HashSet<String> = file_features("farmland")
        .iter()
        .filter(|f| geo::Intersects::intersects(&f.geometry, &bp))
        .map(|f| f.id.clone())
        .collect();
    assert!(!inside.is_empty());
    assert!(
        inside.is_subset(&got) && got.is_subset(&touching),
        "{} {} {}",
        inside.len(),
        got.len(),
        touching.len()
    );
}

#[test]
fn check_inside_a_farmland_patch_is_not_permitted_with_the_closed_form_area() {
    let (fid, s) = site_in_farmland();
    let body = rect_geojson(s[0], s[1], s[2], s[3]);
    let r = client()
        .post(url("/api/check"))
        .body(body.clone())
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let rep: Value = r.json().unwrap();
    let area = rect_area_m2(s[0], s[1], s[2], s[3]);
    assert_eq!(rep["verdict"], "不通过");
    let site = rep["site_area_m2"].as_f64().unwrap();
    assert!((site / area - 1.0).abs() < 1e-6, "{site} vs {area}");
    let farm = rep["overlaps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["layer"] == "farmland")
        .expect("farmland overlap");
    assert!((farm["area_m2"].as_f64().unwrap() / area - 1.0).abs() < 1e-6);
    assert!((farm["area_mu"].as_f64().unwrap() - area * 15.0 / 10_000.0).abs() < 1e-6 * area);
    assert_eq!(farm["feature_ids"], serde_json::json!([fid]));
    // The same report as the CLI's.
    let path = temp_dir("check").join("site.geojson");
    std::fs::write(&path, &body).unwrap();
    let out = Command::new(planmap_bin())
        .arg("--data")
        .arg(plan_dir())
        .args(["check", path.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    // The API adds the plans the site touches (here one, its report the same) and the
    // strictest verdict of them.
    let mut own = rep.clone();
    let plans = own.as_object_mut().unwrap().remove("plans").unwrap();
    let overall = own
        .as_object_mut()
        .unwrap()
        .remove("overall_verdict")
        .unwrap();
    assert_eq!(cli, own);
    assert_eq!(plans.as_array().unwrap().len(), 1);
    assert_eq!(plans[0]["report"], cli);
    let whole = cli["site_area_m2"].as_f64().unwrap();
    assert!((plans[0]["area_m2"].as_f64().unwrap() / whole - 1.0).abs() < 1e-9);
    assert_eq!(overall, cli["verdict"]);
    // As GeoJSON: the site, one overlap piece of that patch, no 避让 remainder (all of it is
    // farmland).
    let r = client()
        .post(url("/api/check?format=geojson"))
        .body(body)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "application/geo+json");
    let fc: Value = r.json().unwrap();
    let roles: Vec<&str> = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles.iter().filter(|r| **r == "site").count(), 1);
    let piece = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["role"] == "overlap")
        .unwrap();
    assert_eq!(piece["properties"]["feature_id"], fid);
}

#[test]
fn conflicts_add_up_and_a_piece_matches_the_files() {
    let c = get_json("/api/conflicts");
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(plan_dir().join("plan.toml")).unwrap()).unwrap();
    let rules: Vec<String> = manifest["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{}×{}", r["a"].as_str().unwrap(), r["b"].as_str().unwrap()))
        .collect();
    let summary = c["summary"].as_array().unwrap();
    let keys: Vec<&str> = summary
        .iter()
        .map(|s| s["rule"].as_str().unwrap())
        .collect();
    assert_eq!(keys, rules);
    let total: u64 = summary.iter().map(|s| s["count"].as_u64().unwrap()).sum();
    let slivers: u64 = summary
        .iter()
        .map(|s| s["sliver_count"].as_u64().unwrap())
        .sum();
    let list = c["conflicts"].as_array().unwrap();
    assert_eq!(list.len() as u64, total);
    assert_eq!(c["slivers"].as_array().unwrap().len() as u64, slivers);
    let gj = get_json("/api/conflicts.geojson");
    assert_eq!(
        gj["features"].as_array().unwrap().len() as u64,
        total + slivers
    );
    // The largest conflict's area, recomputed from the two features in the files.
    if let Some(big) = list.iter().max_by(|a, b| {
        a["area_m2"]
            .as_f64()
            .partial_cmp(&b["area_m2"].as_f64())
            .unwrap()
    }) {
        let find = |layer: &str, id: &str| {
            polygons_of(
                &file_features(layer)
                    .iter()
                    .find(|f| f.id == id)
                    .unwrap()
                    .geometry,
            )
        };
        let a = find(
            big["a_layer"].as_str().unwrap(),
            big["a_id"].as_str().unwrap(),
        );
        let b = find(
            big["b_layer"].as_str().unwrap(),
            big["b_id"].as_str().unwrap(),
        );
        let area: f64 = a
            .intersection(&b)
            .0
            .iter()
            .map(|p: &Polygon<f64>| p.geodesic_area_unsigned())
            .sum();
        let got = big["area_m2"].as_f64().unwrap();
        assert!((got / area - 1.0).abs() < 1e-6, "{got} vs {area}");
    }
}

#[test]
fn identify_finds_the_patch_and_the_county() {
    let (fid, s) = site_in_farmland();
    let (lon, lat) = ((s[0] + s[2]) / 2.0, (s[1] + s[3]) / 2.0);
    let v = get_json(&format!("/api/identify?lon={lon}&lat={lat}"));
    let feats = v["features"].as_array().unwrap();
    assert!(
        feats
            .iter()
            .any(|f| f["layer"] == "farmland" && f["id"] == fid),
        "{v}"
    );
    assert!(feats.iter().any(|f| f["layer"] == "county"), "{v}");
    assert_eq!(v["count"].as_u64().unwrap() as usize, feats.len());
    let far = get_json("/api/identify?lon=-100&lat=-40");
    assert_eq!(far["count"], 0);
}

#[test]
fn farmland_tiles_z12_to_z14_decode_with_gdal_and_hold_the_patches() {
    let (fid, s) = site_in_farmland();
    let (lon, lat) = ((s[0] + s[2]) / 2.0, (s[1] + s[3]) / 2.0);
    for z in 12..=14 {
        let (x, y) = tile_of(lon, lat, z);
        let path = format!("/tiles/farmland/{z}/{x}/{y}.pbf");
        let r = get(&path);
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(
            header(&r, "content-type"),
            "application/vnd.mapbox-vector-tile"
        );
        let etag = header(&r, "etag");
        assert!(header(&r, "cache-control").contains("max-age"));
        let dir = temp_dir("tiles").join(format!("{z}/{x}"));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(format!("{y}.pbf"));
        std::fs::write(&file, r.bytes().unwrap()).unwrap();
        let f = file.to_str().unwrap();
        let (zs, xs, ys) = (format!("Z={z}"), format!("X={x}"), format!("Y={y}"));
        let oo = ["-oo", &zs, "-oo", &xs, "-oo", &ys];
        let mut args = vec!["-ro", "-so", "-al"];
        args.extend(oo);
        args.push(f);
        let summary = gdal("ogrinfo", &args);
        let n = ogr_counts(&summary)["farmland"];
        let inner = tile_box(z, x, y, 0.0).to_polygon();
        let outer = tile_box(z, x, y, 64.0 / 4096.0 + 1e-9).to_polygon();
        let lower = file_features("farmland")
            .iter()
            .filter(|f| inner.contains(&f.geometry))
            .count();
        let upper = file_features("farmland")
            .iter()
            .filter(|f| geo::Intersects::intersects(&f.geometry, &outer))
            .count();
        assert!(
            n > 0 && lower <= n && n <= upper,
            "z{z}: {lower} ≤ {n} ≤ {upper}"
        );
        let mut args = vec!["-ro", "-al"];
        args.extend(oo);
        args.push(f);
        let full = gdal("ogrinfo", &args);
        assert!(full.contains(fid), "z{z}: tile lacks {fid}");
        let again = client()
            .get(url(&path))
            .header("If-None-Match", &etag)
            .send()
            .unwrap();
        assert_eq!(again.status(), 304);
    }
    // Far from the plan: nothing to draw.
    assert_eq!(get("/tiles/farmland/12/0/0.pbf").status(), 204);
}

/// A tile saved where GDAL's MVT driver reads it; `ogrinfo -so -al`'s feature count a layer.
fn gdal_tile_counts(name: &str, z: u32, x: u32, y: u32, bytes: &[u8]) -> HashMap<String, usize> {
    let dir = temp_dir(name).join(format!("{z}/{x}"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{y}.pbf"));
    std::fs::write(&file, bytes).unwrap();
    let (zs, xs, ys) = (format!("Z={z}"), format!("X={x}"), format!("Y={y}"));
    let f = file.to_str().unwrap();
    ogr_counts(&gdal(
        "ogrinfo",
        &["-ro", "-so", "-al", "-oo", &zs, "-oo", &xs, "-oo", &ys, f],
    ))
}

#[test]
fn the_plan_tile_holds_every_layer_as_its_own_tiles_do() {
    let plan = get_json("/api/plan");
    let id = plan["id"].as_str().unwrap();
    let (_, s) = site_in_farmland();
    let (x, y) = tile_of((s[0] + s[2]) / 2.0, (s[1] + s[3]) / 2.0, 12);
    let r = get(&format!("/tiles/{id}/12/{x}/{y}.pbf"));
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(&r, "content-type"),
        "application/vnd.mapbox-vector-tile"
    );
    let etag = header(&r, "etag");
    let all = gdal_tile_counts("plan-tile", 12, x, y, &r.bytes().unwrap());
    // Each layer's own tile, read by GDAL too: the plan tile holds the same features.
    let mut own = HashMap::new();
    for (l, _) in manifest_layers() {
        let r = get(&format!("/tiles/{l}/12/{x}/{y}.pbf"));
        if r.status() == 200 {
            own.extend(gdal_tile_counts(
                &format!("own-{l}"),
                12,
                x,
                y,
                &r.bytes().unwrap(),
            ));
        }
    }
    assert!(own.len() >= 3 && own.contains_key("farmland"), "{own:?}");
    assert_eq!(all, own);
    let again = client()
        .get(url(&format!("/tiles/{id}/12/{x}/{y}.pbf")))
        .header("If-None-Match", &etag)
        .send()
        .unwrap();
    assert_eq!(again.status(), 304);
    // A chosen list: those layers only.
    let r = get(&format!(
        "/tiles/{id}/12/{x}/{y}.pbf?layers=farmland,county"
    ));
    assert_ne!(header(&r, "etag"), etag);
    let some = gdal_tile_counts("plan-tile-some", 12, x, y, &r.bytes().unwrap());
    let want: HashMap<String, usize> = own
        .into_iter()
        .filter(|(k, _)| k == "farmland" || k == "county")
        .collect();
    assert_eq!(some, want);
    // Another plan's id, an unknown layer in the list, a list on a layer's tile: JSON refusals.
    let r = get("/tiles/141182/12/0/0.pbf");
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().unwrap()["plan"], id);
    let r = get(&format!("/tiles/{id}/12/{x}/{y}.pbf?layers=farmland,nope"));
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().unwrap()["parameter"], "layers");
    let r = get(&format!("/tiles/farmland/12/{x}/{y}.pbf?layers=county"));
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().unwrap()["parameter"], "layers");
}

#[test]
fn tilejson_and_style_name_the_server_not_the_host_header() {
    let tj = get_json("/tiles/farmland.json");
    assert_eq!(tj["tilejson"], "3.0.0");
    assert_eq!(tj["tiles"][0], url("/tiles/farmland/{z}/{x}/{y}.pbf"));
    assert_eq!(tj["vector_layers"][0]["id"], "farmland");
    let b = file_bbox("farmland");
    let got: Vec<f64> = tj["bounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    for (g, e) in got.iter().zip([b.min().x, b.min().y, b.max().x, b.max().y]) {
        assert!((g - e).abs() < 1e-9, "{got:?} vs {b:?}");
    }
    let r = client()
        .get(url("/style.json"))
        .header("Host", "maps.example:8443")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let style: Value = r.json().unwrap();
    assert_eq!(style["version"], 8);
    // The listening address, not the Host header (tests/connections.rs: --public-url and
    // --trust-proxy).
    assert!(style["glyphs"]
        .as_str()
        .unwrap()
        .starts_with(&url("/fonts/")));
    assert!(!style.to_string().contains("maps.example"));
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(plan_dir().join("plan.toml")).unwrap()).unwrap();
    let text = style.to_string();
    // One source, the plan's composite tiles; each layer its source layer.
    let plan_id = manifest["id"].as_str().unwrap();
    let sources = style["sources"].as_object().unwrap();
    assert_eq!(sources.keys().collect::<Vec<_>>(), [plan_id]);
    let src = &sources[plan_id];
    assert_eq!(src["type"], "vector");
    assert_eq!(
        src["tiles"][0],
        url(&format!("/tiles/{plan_id}/{{z}}/{{x}}/{{y}}.pbf"))
    );
    for l in manifest["layers"].as_array().unwrap() {
        let id = l["id"].as_str().unwrap();
        // The colours the manifest's draw table gives the layer, or its own colour where the
        // table leaves the outline to it (every layer has one by default).
        let draw = l.get("draw");
        let given = |k: &str| draw.and_then(|d| d.get(k)).and_then(|v| v.as_str());
        let colours: Vec<&str> = ["fill", "outline", "label_color", "label_halo"]
            .into_iter()
            .filter_map(given)
            .chain(
                given("outline")
                    .is_none()
                    .then(|| l["color"].as_str().unwrap()),
            )
            .collect();
        for c in colours.into_iter().filter(|c| *c != "none") {
            assert!(text.contains(c), "{id}'s colour {c} unused");
        }
        assert!(style["layers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["source"] == plan_id && s["source-layer"] == id));
    }
}

#[test]
fn glyphs_hold_latin_and_chinese_characters() {
    use pbf_font_tools::prost::Message;
    let cat = get_json("/fonts.json");
    let font = cat["default"][0].as_str().unwrap().to_string();
    let style = get_json("/style.json");
    let label = style["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["type"] == "symbol")
        .unwrap();
    assert_eq!(label["layout"]["text-font"][0], font.as_str());
    // 'A' (U+0041) and 文 (U+6587), each in its block of 256 code points.
    for ch in ['A', '文'] {
        let cp = ch as u32;
        let range = format!("{}-{}", cp / 256 * 256, cp / 256 * 256 + 255);
        let stack = font.replace(' ', "%20");
        let r = get(&format!("/fonts/{stack}/{range}.pbf"));
        assert_eq!(r.status(), 200, "{range}");
        let g = pbf_font_tools::Glyphs::decode(r.bytes().unwrap()).unwrap();
        let ids: Vec<u32> = g
            .stacks
            .iter()
            .flat_map(|s| s.glyphs.iter().map(|g| g.id))
            .collect();
        let glyph = g.stacks[0]
            .glyphs
            .iter()
            .find(|g| g.id == cp)
            .unwrap_or_else(|| {
                panic!(
                    "{range}: no glyph {cp} among {} ({:?}…)",
                    ids.len(),
                    &ids[..ids.len().min(10)]
                )
            });
        assert!(glyph.width > 0 && glyph.bitmap.as_ref().is_some_and(|b| !b.is_empty()));
    }
}

#[test]
fn ogr_lists_every_layer_with_the_file_count() {
    let out = gdal(
        "ogrinfo",
        &["-ro", "-so", "-al", &format!("OAPIF:{}", url("/ogc"))],
    );
    let counts = ogr_counts(&out);
    for (id, _) in manifest_layers() {
        assert_eq!(
            counts.get(&id),
            Some(&file_features(&id).len()),
            "{id}: {out}"
        );
    }
}

#[test]
fn ogc_landing_conformance_collections_and_paging() {
    let land = get_json("/ogc");
    let rels: HashSet<&str> = land["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    for rel in ["self", "service-desc", "conformance", "data"] {
        assert!(rels.contains(rel), "landing page lacks {rel}");
    }
    let conf = get_json("/ogc/conformance");
    let classes = conf["conformsTo"].to_string();
    for c in [
        "ogcapi-features-1/1.0/conf/core",
        "conf/geojson",
        "conf/oas30",
        "ogcapi-features-2/1.0/conf/crs",
    ] {
        assert!(classes.contains(c), "{c}");
    }
    let api = get("/ogc/api");
    assert!(header(&api, "content-type").contains("openapi"));
    let api: Value = api.json().unwrap();
    assert!(api["openapi"].as_str().unwrap().starts_with("3.0"));
    assert!(api["paths"]["/collections/{collectionId}/items"].is_object());
    let cols = get_json("/ogc/collections");
    let ids: Vec<&str> = cols["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let manifest: Vec<String> = manifest_layers().into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, manifest);
    let red = get_json("/ogc/collections/red_line");
    let b = file_bbox("red_line");
    let ext: Vec<f64> = red["extent"]["spatial"]["bbox"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(ext, vec![b.min().x, b.min().y, b.max().x, b.max().y]);
    assert!(red["crs"].to_string().contains("EPSG/0/4490"));
    // Follow rel=next through the farmland, 5000 at a time: every patch once.
    let mut next = Some(url("/ogc/collections/farmland/items?limit=5000"));
    let mut seen = HashSet::new();
    let mut pages = 0;
    while let Some(u) = next {
        let page: Value = client().get(&u).send().unwrap().json().unwrap();
        for f in page["features"].as_array().unwrap() {
            assert!(
                seen.insert(f["id"].as_str().unwrap().to_string()),
                "duplicate {}",
                f["id"]
            );
        }
        assert_eq!(
            page["numberReturned"].as_u64().unwrap() as usize,
            page["features"].as_array().unwrap().len()
        );
        next = page["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next")
            .map(|l| l["href"].as_str().unwrap().to_string());
        pages += 1;
        assert!(pages < 1000);
    }
    let expected: HashSet<String> = file_features("farmland")
        .iter()
        .map(|f| f.id.clone())
        .collect();
    assert_eq!(seen, expected);
    // A limit above the maximum is served at the maximum, not refused.
    let big = get_json("/ogc/collections/farmland/items?limit=1000000");
    assert!(big["numberReturned"].as_u64().unwrap() <= 10_000);
}

#[test]
fn ogc_item_in_crs84_4326_and_4490() {
    let f = &file_features("red_line")[0];
    let base = format!("/ogc/collections/red_line/items/{}", f.id);
    let r = get(&base);
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(&r, "content-crs"),
        "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    );
    let v: Value = r.json().unwrap();
    assert_eq!(v["id"], f.id.as_str());
    assert_eq!(v["properties"], Value::Object(f.properties.clone()));
    let first = |v: &Value| -> (f64, f64) {
        let mut c = &v["geometry"]["coordinates"];
        while c[0].is_array() {
            c = &c[0];
        }
        (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
    };
    let (lon, lat) = first(&v);
    assert!((110.0..115.0).contains(&lon) && (35.0..40.0).contains(&lat));
    for epsg in ["4326", "4490"] {
        let uri = format!("http://www.opengis.net/def/crs/EPSG/0/{epsg}");
        let r = get(&format!("{base}?crs={uri}"));
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "content-crs"), format!("<{uri}>"));
        let w: Value = r.json().unwrap();
        assert_eq!(first(&w), (lat, lon), "EPSG:{epsg} is latitude first");
    }
    // bbox in EPSG:4326 axis order finds the same features as in CRS84.
    let b = file_bbox("red_line");
    let crs84: Value = get_json(&format!(
        "/ogc/collections/red_line/items?limit=10000&bbox={},{},{},{}",
        b.min().x,
        b.min().y,
        b.max().x,
        b.max().y
    ));
    let epsg: Value = get_json(&format!(
        "/ogc/collections/red_line/items?limit=10000&bbox={},{},{},{}&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326",
        b.min().y, b.min().x, b.max().y, b.max().x
    ));
    assert_eq!(
        crs84["numberMatched"].as_u64().unwrap() as usize,
        file_features("red_line").len()
    );
    assert_eq!(epsg["numberMatched"], crs84["numberMatched"]);
}

#[test]
fn web_page_compression_and_cors() {
    let r = get("/");
    assert_eq!(r.status(), 200);
    assert!(header(&r, "content-type").starts_with("text/html"));
    let html = r.text().unwrap();
    let on_disk = std::fs::read_to_string(web_dir().join("index.html")).unwrap();
    assert_eq!(html, on_disk, "GET / is not the web front end's index.html");
    for enc in ["br", "gzip"] {
        let r = client()
            .get(url("/api/layers"))
            .header("Accept-Encoding", enc)
            .send()
            .unwrap();
        assert_eq!(header(&r, "content-encoding"), enc);
        let (_, s) = site_in_farmland();
        let (x, y) = tile_of(s[0], s[1], 13);
        let r = client()
            .get(url(&format!("/tiles/farmland/13/{x}/{y}.pbf")))
            .header("Accept-Encoding", enc)
            .send()
            .unwrap();
        assert_eq!(header(&r, "content-encoding"), enc, "tile");
        // An answer smaller than one packet goes as it is.
        let r = client()
            .get(url("/api/nothing-here"))
            .header("Accept-Encoding", enc)
            .send()
            .unwrap();
        assert_eq!(r.status(), 404);
        assert!(
            r.headers().get("content-encoding").is_none(),
            "small answer"
        );
        assert!(r.text().unwrap().len() < 1400);
    }
    let r = client()
        .get(url("/api/plan"))
        .header("Origin", "http://elsewhere.example")
        .send()
        .unwrap();
    assert_eq!(header(&r, "access-control-allow-origin"), "*");
    let r = client()
        .request(reqwest::Method::OPTIONS, url("/api/check"))
        .header("Origin", "http://elsewhere.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .unwrap();
    assert!(r.status().is_success());
    assert!(header(&r, "access-control-allow-methods").contains("POST"));
}

#[test]
fn planmap_serve_prints_its_url_and_answers() {
    let web = web_dir();
    let served = ServeProcess::start(
        &plan_dir(),
        &["--web", web.to_str().unwrap(), "--no-history"],
        &[],
    );
    let r = client().get(format!("{}/api/layers", served.url)).send();
    drop(served);
    let v: Value = r.unwrap().json().unwrap();
    assert_eq!(
        v["layers"].as_array().unwrap().len(),
        manifest_layers().len()
    );
}
