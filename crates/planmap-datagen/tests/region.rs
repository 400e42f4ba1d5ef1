//! The region catalog, generated once into a temporary folder and read back as planmap reads
//! it (planmap-io's `PlanDir`, planmap-core's `Engine`), against independent facts: the source
//! outlines' own geodesic areas, closed-form planted overlaps, Wenshui's published neighbour
//! list, the indicator table's figures.

use geo::orient::{Direction, Orient};
use geo::{Coord, GeodesicArea, LineString, MultiPolygon, Polygon};
use planmap_core::{Engine, LayerStore, Shape};
use planmap_datagen::region::{self, Options};
use planmap_io::chinacrs::gcj02_to_wgs84;
use planmap_io::PlanDir;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sources() -> PathBuf {
    repo().join("data/sources/counties_gcj02.geojson")
}

/// The catalog, written once for all tests of this file (a failure is reported by each),
/// in cargo's scratch folder for integration tests (under the target dir, written afresh each
/// run): a temp folder held by a static would never be removed.
fn catalog() -> &'static Path {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let made = DIR.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("region-catalog");
        if out.exists() {
            std::fs::remove_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        }
        region::write_catalog(&Options {
            out: out.clone(),
            sources: sources(),
            wenshui: Some(repo().join("data/wenshui")),
            only: None,
        })?;
        Ok(out)
    });
    match made {
        Ok(out) => out,
        Err(e) => panic!("the catalog is not written: {e}"),
    }
}

/// Plan folders of the catalog, sorted.
fn plans() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(catalog())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("plan.toml").is_file())
        .collect();
    v.sort();
    v
}

/// The drawn plans (all but Wenshui's).
fn drawn() -> Vec<PathBuf> {
    plans()
        .into_iter()
        .filter(|p| p.file_name().unwrap() != "wenshui")
        .collect()
}

fn load(dir: &Path) -> Engine {
    let store = PlanDir::open(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    Engine::load(&store).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

/// The source outlines, shifted to WGS84 exactly as read (no rounding), by adcode.
fn source_outlines() -> BTreeMap<String, (String, MultiPolygon)> {
    let fc: Value = serde_json::from_str(&std::fs::read_to_string(sources()).unwrap()).unwrap();
    let ring = |r: &Value| {
        LineString::new(
            r.as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    let (x, y) = gcj02_to_wgs84(p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
                    Coord { x, y }
                })
                .collect(),
        )
    };
    fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let polys = f["geometry"]["coordinates"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    let rings: Vec<LineString> = p.as_array().unwrap().iter().map(ring).collect();
                    Polygon::new(rings[0].clone(), rings[1..].to_vec())
                })
                .collect();
            let props = &f["properties"];
            (
                props["adcode"].as_str().unwrap().to_string(),
                (
                    props["name"].as_str().unwrap().to_string(),
                    // counter-clockwise exteriors, as RFC 7946 wants and geodesic areas assume
                    MultiPolygon(polys).orient(Direction::Default),
                ),
            )
        })
        .collect()
}

fn polygons(engine: &Engine, layer: &str) -> Vec<(String, MultiPolygon)> {
    engine
        .layer(layer)
        .unwrap_or_else(|| panic!("no layer {layer}"))
        .features
        .iter()
        .filter_map(|f| match &f.shape {
            Shape::Polygon(mp) => Some((f.id.clone(), mp.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn every_plan_loads_with_planmap() {
    let plans = plans();
    let outlines = source_outlines();
    // 33 drawn plans, one a source outline but Wenshui's, and Wenshui's own.
    assert_eq!(plans.len(), 34);
    assert_eq!(drawn().len(), outlines.len() - 1);
    for dir in &plans {
        let engine = load(dir);
        let folder = dir.file_name().unwrap().to_str().unwrap();
        assert_eq!(engine.plan.id, folder, "a plan's folder is its id");
        assert!(engine.plan.illustrative && engine.plan.caveat == "示意数据，非官方成果");
        if folder != "wenshui" {
            assert!(
                outlines.contains_key(folder),
                "{folder} is an adcode of the sources"
            );
            for l in &engine.layers {
                assert!(
                    !l.features.is_empty(),
                    "{folder}: layer {} is empty",
                    l.def.id
                );
            }
        }
    }
    // Wenshui's plan is the hand-laid folder itself (a relative symlink), not a copy.
    let link = catalog().join("wenshui");
    let target = std::fs::read_link(&link).expect("wenshui/ is a symlink");
    assert!(target.is_relative());
    assert_eq!(
        std::fs::canonicalize(&link).unwrap(),
        std::fs::canonicalize(repo().join("data/wenshui")).unwrap()
    );
}

#[test]
fn every_manifest_names_the_roles() {
    let want = [
        "county",
        "subdivisions",
        "red_line",
        "parks",
        "places",
        "neighbours",
    ];
    for dir in plans() {
        let text = std::fs::read_to_string(dir.join("plan.toml")).unwrap();
        let manifest: toml::Value = toml::from_str(&text).unwrap();
        let mut roles: BTreeMap<String, usize> = BTreeMap::new();
        let mut ids = Vec::new();
        for l in manifest["layers"].as_array().unwrap() {
            ids.push(l["id"].as_str().unwrap().to_string());
            if let Some(r) = l.get("role") {
                *roles.entry(r.as_str().unwrap().to_string()).or_default() += 1;
            }
        }
        for r in want {
            assert_eq!(roles.get(r), Some(&1), "{}: role {r}", dir.display());
        }
        assert_eq!(roles.len(), want.len(), "{}: {roles:?}", dir.display());
        if dir.file_name().unwrap() != "wenshui" {
            // the ministry's codes, none of Wenshui's ids
            for id in [
                "XZQ", "XZQ_XZ", "STBHHX", "YJJBNT", "CZKFBJ", "CYYQ", "YYSYBHQ",
            ] {
                assert!(ids.iter().any(|i| i == id), "{}: no {id}", dir.display());
            }
            for id in [
                "county",
                "townships",
                "red_line",
                "farmland",
                "industrial_parks",
            ] {
                assert!(!ids.iter().any(|i| i == id));
            }
        }
    }
}

#[test]
fn layer_totals_equal_the_indicator_figures() {
    for dir in drawn() {
        let store = PlanDir::open(&dir).unwrap();
        let rows = store.indicators().unwrap();
        let engine = Engine::load(&store).unwrap();
        let plan = store.plan().unwrap();
        let mut used = BTreeSet::new();
        for def in &plan.layers {
            let Some(target) = &def.target else { continue };
            let no = target.indicator.expect("an indicator number");
            let row = rows
                .iter()
                .find(|r| r.no == no)
                .expect("the indicator's row");
            used.insert(no);
            let figure: f64 = row.target_2035.parse().unwrap();
            assert_eq!(
                figure,
                target.value,
                "{}: manifest and table agree",
                dir.display()
            );
            let (m2_per_unit, unit) = match row.unit.as_str() {
                "平方公里" => (1e6, "km2"),
                "万亩" => (1e4 * 10_000.0 / 15.0, "wanmu"),
                u => panic!("unit {u}"),
            };
            assert_eq!(format!("{:?}", target.unit).to_lowercase(), unit);
            let measured = engine.layer(&def.id).unwrap().total_area_m2();
            // four decimals are printed: half of the last digit, and the two geodesies
            // (planmap's and Karney's) to 1e-6
            let tol = 0.5e-4 * m2_per_unit + 1e-6 * measured;
            assert!(
                (measured - figure * m2_per_unit).abs() <= tol,
                "{} {}: drawn {measured} m², table {figure} {}",
                dir.display(),
                def.id,
                row.unit
            );
            assert!(measured > 0.0);
        }
        assert_eq!(used.len(), rows.len(), "every indicator is a layer's total");
    }
}

#[test]
fn townships_partition_the_county() {
    for dir in drawn() {
        let engine = load(&dir);
        let county = engine.layer("XZQ").unwrap().total_area_m2();
        let towns = engine.layer("XZQ_XZ").unwrap();
        let sum = towns.total_area_m2();
        assert!(
            (sum / county - 1.0).abs() < 1e-6,
            "{}: townships {sum} m², county {county} m²",
            dir.display()
        );
        // and they do not overlap: their union is as large as their sum
        let polys: Vec<Polygon> = polygons(&engine, "XZQ_XZ")
            .into_iter()
            .flat_map(|(_, mp)| mp.0)
            .collect();
        let union = geo::unary_union(&polys);
        let ua = union.geodesic_area_unsigned();
        assert!(
            (ua / sum - 1.0).abs() < 1e-6,
            "{}: union {ua}, sum {sum}",
            dir.display()
        );
        assert!(towns.features.len() >= 5);
    }
}

/// The planted overlaps of a plan: (rule, a, b) → (severity, rectangle).
fn planted(dir: &Path) -> BTreeMap<(String, String, String), (String, Polygon)> {
    let list: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("planted_conflicts.json")).unwrap())
            .unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let ring: Vec<Coord> = p["overlap"]["coordinates"][0]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| Coord {
                    x: c[0].as_f64().unwrap(),
                    y: c[1].as_f64().unwrap(),
                })
                .collect();
            // an axis-aligned lon/lat rectangle
            assert_eq!(ring.len(), 5);
            assert!(ring[0].y == ring[1].y && ring[1].x == ring[2].x && ring[2].y == ring[3].y);
            let key = (
                p["rule"].as_str().unwrap().to_string(),
                p["a"].as_str().unwrap().to_string(),
                p["b"].as_str().unwrap().to_string(),
            );
            let sev = p["severity"].as_str().unwrap().to_string();
            (key, (sev, Polygon::new(LineString::new(ring), vec![])))
        })
        .collect()
}

#[test]
fn only_the_planted_conflicts_break_the_rules() {
    for dir in drawn() {
        let engine = load(&dir);
        let scan = engine.conflicts();
        let planted = planted(&dir);
        assert_eq!(
            planted.len(),
            3,
            "{}: three planted overlaps",
            dir.display()
        );
        let mut found = BTreeSet::new();
        for (c, sliver) in scan
            .conflicts
            .iter()
            .map(|c| (c, false))
            .chain(scan.slivers.iter().map(|c| (c, true)))
        {
            let key = (c.rule.clone(), c.a_id.clone(), c.b_id.clone());
            let (sev, rect) = planted.get(&key).unwrap_or_else(|| {
                panic!("{}: unplanned {key:?}: {} m²", dir.display(), c.area_m2)
            });
            assert_eq!(sliver, sev == "sliver", "{key:?}");
            // the rectangle's own geodesic area (1e-6, or 1e-4 m² for the sliver)
            let want = rect.geodesic_area_unsigned();
            let tol = (1e-6 * want).max(1e-4);
            assert!(
                (c.area_m2 - want).abs() <= tol,
                "{key:?}: {} vs {want}",
                c.area_m2
            );
            found.insert(key);
        }
        assert_eq!(
            found.len(),
            planted.len(),
            "{}: every planted overlap is found",
            dir.display()
        );
        let rules: BTreeSet<&str> = planted.keys().map(|k| k.0.as_str()).collect();
        assert_eq!(rules, BTreeSet::from(["STBHHX×YJJBNT", "YJJBNT×CYYQ"]));
    }
}

#[test]
fn outlines_are_the_sources_shifted_to_wgs84() {
    let outlines = source_outlines();
    for dir in drawn() {
        let engine = load(&dir);
        let adcode = dir.file_name().unwrap().to_str().unwrap();
        let check = |layer: &str, id: &str, mp: &MultiPolygon, code: &str| {
            let (name, src) = &outlines[code];
            let want = src.geodesic_area_unsigned();
            let got = mp.geodesic_area_unsigned();
            // rounding to 1e-7° (about 1 cm) moves the area by far less than 1e-6
            assert!(
                (got / want - 1.0).abs() < 1e-6,
                "{adcode} {layer} {id} ({name}): {got} m² vs source {want} m²"
            );
        };
        let county = polygons(&engine, "XZQ");
        assert_eq!(county.len(), 1);
        check("XZQ", &county[0].0, &county[0].1, adcode);
        let nb = engine.layer("XZQ_LJ").unwrap();
        for (f, (id, mp)) in nb.features.iter().zip(polygons(&engine, "XZQ_LJ")) {
            let code = f.properties.get_str("adcode").unwrap();
            assert_ne!(code, adcode);
            check("XZQ_LJ", &id, &mp, &code);
        }
    }
}

#[test]
fn neighbours_share_a_border() {
    let all = planmap_datagen::county::load_all(&sources()).unwrap();
    let touching = region::neighbours::all(&all);
    let names = |i: usize| -> BTreeSet<&str> {
        touching[i].iter().map(|&j| all[j].name.as_str()).collect()
    };
    // Wenshui's neighbours as data/wenshui/README.md and data/sources/README.md list them.
    let w = all.iter().position(|b| b.adcode == "141121").unwrap();
    assert_eq!(
        names(w),
        BTreeSet::from(["清徐县", "交城县", "离石区", "汾阳市", "祁县", "平遥县"])
    );
    for (i, t) in touching.iter().enumerate() {
        assert!(!t.contains(&i));
        for &j in t {
            assert!(touching[j].contains(&i), "touching is symmetric");
        }
    }
    // each drawn plan's reference layer holds exactly those
    for dir in drawn() {
        let engine = load(&dir);
        let adcode = dir.file_name().unwrap().to_str().unwrap();
        let i = all.iter().position(|b| b.adcode == adcode).unwrap();
        let got: Vec<_> = engine
            .layer("XZQ_LJ")
            .unwrap()
            .features
            .iter()
            .map(|f| f.name())
            .collect();
        let got: BTreeSet<&str> = got.iter().map(|n| n.as_ref()).collect();
        assert_eq!(got, names(i), "{adcode}");
    }
}

fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

#[test]
fn the_same_bytes_every_run_and_a_few_mb_a_plan() {
    let tmp = tempfile::tempdir().unwrap();
    let only = ["140106", "141123"];
    region::write_catalog(&Options {
        out: tmp.path().to_path_buf(),
        sources: sources(),
        wenshui: None,
        only: Some(only.iter().map(|s| s.to_string()).collect()),
    })
    .unwrap();
    for id in only {
        let (a, b) = (files(&catalog().join(id)), files(&tmp.path().join(id)));
        assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
        for (k, v) in &a {
            assert!(v == &b[k], "{id}/{} differs between runs", k.display());
        }
    }
    for dir in drawn() {
        let bytes: usize = files(&dir).values().map(Vec::len).sum();
        assert!(bytes < 5_000_000, "{}: {bytes} bytes", dir.display());
    }
}

#[test]
fn the_command_refuses_bad_arguments() {
    let bin = env!("CARGO_BIN_EXE_planmap-datagen");
    let tmp = tempfile::tempdir().unwrap();
    for args in [
        vec!["--only", "999999"],
        vec!["--frobnicate"],
        vec!["--out"],
    ] {
        let out = std::process::Command::new(bin)
            .args(["region", "--sources", sources().to_str().unwrap()])
            .args(&args)
            .current_dir(tmp.path())
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("planmap-datagen: "), "{err}");
    }
}
