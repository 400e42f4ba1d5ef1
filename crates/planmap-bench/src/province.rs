//! A province-size plan folder: `county` (the province's box as one polygon), `farmland` with
//! `n` patches (4–8 vertices, ~2–10 ha, one per ~400 m grid cell where a smooth mask says
//! "plain") and `red_line` (a few hundred reserves), plus the same farmland as a TSV of WKT for
//! the peers (`farmland.tsv`: fid, township, WKT; the same 7-decimal numbers as the GeoJSON).

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::rng::{round7, Rng};

/// The province's box (about Shanxi's extent).
pub const BOX: [f64; 4] = [110.3, 34.6, 114.5, 40.6];
const CELL_X: f64 = 0.0045;
const CELL_Y: f64 = 0.0036;

fn plain(lon: f64, lat: f64) -> bool {
    let v = (lon * 3.1).sin() * (lat * 2.3).cos() + 0.6 * (lon * 7.7 + lat * 5.3).sin();
    v > -0.55
}

fn ring_text(ring: &[(f64, f64)]) -> (String, String) {
    let mut json = String::from("[");
    let mut wkt = String::from("(");
    for (i, (x, y)) in ring.iter().enumerate() {
        if i > 0 {
            json.push(',');
            wkt.push(',');
        }
        let _ = write!(json, "[{x:.7},{y:.7}]");
        let _ = write!(wkt, "{x:.7} {y:.7}");
    }
    json.push(']');
    wkt.push(')');
    (json, wkt)
}

/// A jittered convex-ish patch inside the cell at (x0, y0).
fn patch(rng: &mut Rng, x0: f64, y0: f64) -> Vec<(f64, f64)> {
    let n = rng.int(4, 8);
    let (cx, cy) = (x0 + CELL_X / 2.0, y0 + CELL_Y / 2.0);
    let fill = rng.range(0.55, 0.9);
    let step = std::f64::consts::TAU / n as f64;
    let mut r: Vec<(f64, f64)> = (0..n)
        .map(|k| {
            let a = (k as f64 + rng.range(-0.3, 0.3)) * step;
            let rad = rng.range(0.75, 1.0) * fill / 2.0;
            (
                round7(cx + rad * CELL_X * a.cos()),
                round7(cy + rad * CELL_Y * a.sin()),
            )
        })
        .collect();
    r.push(r[0]);
    r
}

fn write_layer(dir: &Path, name: &str, features: &[String]) -> anyhow::Result<()> {
    let mut w = BufWriter::new(std::fs::File::create(
        dir.join(format!("layers/{name}.geojson")),
    )?);
    w.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
    for (i, f) in features.iter().enumerate() {
        if i > 0 {
            w.write_all(b",\n")?;
        }
        w.write_all(f.as_bytes())?;
    }
    w.write_all(b"\n]}\n")?;
    Ok(())
}

const MANIFEST: &str = r##"id = "province"
name = "省级示意规划（基准测试）"
county = "示意省"
county_area_km2 = 250000
sliver_tolerance_m2 = 1.0
illustrative = true
caveat = "示意数据，非官方成果"

[[layers]]
id = "county"
name = "示意省"
kind = "boundary"
geometry = "polygon"
color = "#333333"
site_role = "none"
role = "county"

[[layers]]
id = "red_line"
name = "生态保护红线"
kind = "protected"
geometry = "polygon"
color = "#e60000"
site_role = "prohibited"
role = "red_line"

[[layers]]
id = "farmland"
name = "永久基本农田"
kind = "protected"
geometry = "polygon"
color = "#f2c94c"
site_role = "prohibited"

[[rules]]
a = "red_line"
b = "farmland"
severity = "conflict"
reason = "三线不得交叉重叠"
"##;

/// Writes the plan folder; returns the number of farmland patches written.
pub fn write(dir: &Path, patches: usize, seed: u64) -> anyhow::Result<usize> {
    std::fs::create_dir_all(dir.join("layers"))?;
    std::fs::write(dir.join("plan.toml"), MANIFEST)?;
    let [x0, y0, x1, y1] = BOX;
    let (county, _) = ring_text(&[(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]);
    write_layer(
        dir,
        "county",
        &[format!(
            r#"{{"type":"Feature","id":"county-1","properties":{{"name":"示意省"}},"geometry":{{"type":"Polygon","coordinates":[{county}]}}}}"#
        )],
    )?;
    let mut rng = Rng::new(seed);
    // Red-line reserves: 300 octagons of 1–6 km across, anywhere in the box.
    let reserves: Vec<String> = (0..300)
        .map(|i| {
            let (cx, cy) = (rng.range(x0 + 0.1, x1 - 0.1), rng.range(y0 + 0.1, y1 - 0.1));
            let rad = rng.range(0.006, 0.035);
            let mut ring: Vec<(f64, f64)> = (0..8)
                .map(|k| {
                    let a = k as f64 * std::f64::consts::TAU / 8.0;
                    let r = rad * rng.range(0.7, 1.0);
                    (round7(cx + r * a.cos()), round7(cy + r * 0.8 * a.sin()))
                })
                .collect();
            ring.push(ring[0]);
            let (json, _) = ring_text(&ring);
            format!(
                r#"{{"type":"Feature","id":"red_line-{i:04}","properties":{{"name":"红线 {i}"}},"geometry":{{"type":"Polygon","coordinates":[{json}]}}}}"#
            )
        })
        .collect();
    write_layer(dir, "red_line", &reserves)?;

    let mut tsv = BufWriter::new(std::fs::File::create(dir.join("farmland.tsv"))?);
    let mut gj = BufWriter::new(std::fs::File::create(dir.join("layers/farmland.geojson"))?);
    gj.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
    let (nx, ny) = (((x1 - x0) / CELL_X) as usize, ((y1 - y0) / CELL_Y) as usize);
    let mut count = 0;
    'rows: for j in 0..ny {
        for i in 0..nx {
            let (cx, cy) = (x0 + i as f64 * CELL_X, y0 + j as f64 * CELL_Y);
            if !plain(cx, cy) {
                continue;
            }
            count += 1;
            let ring = patch(&mut rng, cx, cy);
            let (json, wkt) = ring_text(&ring);
            let fid = format!("farmland-{count:07}");
            let town = format!("乡镇{:03}", (i / 60) + (j / 60) * 100);
            if count > 1 {
                gj.write_all(b",\n")?;
            }
            write!(
                gj,
                r#"{{"type":"Feature","id":"{fid}","properties":{{"name":"永久基本农田图斑 {count:07}","township":"{town}","dlbm":"0102"}},"geometry":{{"type":"Polygon","coordinates":[{json}]}}}}"#
            )?;
            writeln!(tsv, "{fid}\t{town}\tPOLYGON({wkt})")?;
            if count == patches {
                break 'rows;
            }
        }
    }
    gj.write_all(b"\n]}\n")?;
    gj.flush()?;
    tsv.flush()?;
    Ok(count)
}
