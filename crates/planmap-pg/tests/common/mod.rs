//! What the store's tests share: a cluster with an initialised database, a small plan folder.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use geo::{polygon, MultiPolygon};
use planmap_core::{Attributes, Feature, Shape};
use planmap_pg::{init_blocking, parse_url, Change, Config, Db, PoolOptions};
use planmap_testenv::PgCluster;
use tokio::time::timeout;

/// 112.3 and the f64 just above it: text with 15 digits could not tell them apart.
pub fn ulp_off() -> f64 {
    f64::from_bits(112.3f64.to_bits() + 1)
}

/// The manifest's county layer (its features in `layers/county.geojson`).
pub const COUNTY_LAYER: &str = r##"
[[layers]]
id = "county"
name = "县界"
kind = "boundary"
geometry = "polygon"
color = "#333333"
role = "county"
"##;

/// A plan folder of three layers: a county square (one corner one ulp off 112.3), a
/// prohibited square inside it with attributes in a non-sorted key order, and a point.
pub fn tiny_plan(dir: &Path, id: &str) {
    std::fs::create_dir_all(dir.join("layers")).unwrap();
    std::fs::write(
        dir.join("plan.toml"),
        format!(
            r##"id = "{id}"
name = "小县规划"
county = "小县"
county_area_km2 = 123.0
indicators = "indicators.csv"
center = [112.35, 37.45]
{COUNTY_LAYER}
[[layers]]
id = "red"
name = "红线"
kind = "protected"
geometry = "polygon"
color = "#ff0000"
site_role = "prohibited"

[[layers]]
id = "wells"
name = "水井"
kind = "reference"
geometry = "point"
color = "#0000ff"
"##
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("indicators.csv"),
        "category,no,indicator,unit,baseline_2023,target_2027,target_2035,binding\n\
         绿色发展,1,生态保护红线面积,平方公里,1.2,1.2,1.2,约束性\n",
    )
    .unwrap();
    let x = ulp_off();
    let county = format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","id":"c1","properties":{{"name":"小县"}},"geometry":{{"type":"Polygon","coordinates":[[[{x:?},37.4],[112.4,37.4],[112.4,37.5],[112.3,37.5],[{x:?},37.4]]]}}}}]}}"#
    );
    std::fs::write(dir.join("layers/county.geojson"), county).unwrap();
    let red = r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"r1","properties":{"name":"红线一","b":1,"a":"x"},"geometry":{"type":"MultiPolygon","coordinates":[[[[112.32,37.42],[112.34,37.42],[112.34,37.44],[112.32,37.44],[112.32,37.42]]]]}}]}"#;
    std::fs::write(dir.join("layers/red.geojson"), red).unwrap();
    let wells = r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"w1","properties":null,"geometry":{"type":"Point","coordinates":[112.35,37.45]}},{"type":"Feature","id":"w2","properties":{"depth":12.5},"geometry":{"type":"Point","coordinates":[112.36,37.46]}}]}"#;
    std::fs::write(dir.join("layers/wells.geojson"), wells).unwrap();
}

pub struct Env {
    pub pg: PgCluster,
    pub db: Db,
    pub cfg: Config,
    pub rt: tokio::runtime::Runtime,
}

pub fn env(name: &str) -> Env {
    let pg = PgCluster::start().unwrap_or_else(|e| panic!("the test's PostgreSQL: {e}"));
    pg.create_database(name).unwrap();
    let cfg = parse_url(&pg.url(name)).unwrap();
    init_blocking(&cfg).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let db = Db::new(&cfg, PoolOptions::default()).unwrap();
    Env { pg, db, cfg, rt }
}

pub fn sql(e: &Env, db: &str, q: &str) -> String {
    e.pg.psql(db, q).unwrap_or_else(|err| panic!("{err}"))
}

/// Waits until the LISTEN connection is in place (psql sees it).
pub fn wait_listening(e: &Env, db: &str) {
    for _ in 0..200 {
        let n = sql(
            e,
            db,
            "SELECT count(*) FROM pg_stat_activity WHERE query IN ('LISTEN planmap', 'SELECT 1') \
             AND application_name = 'planmap'",
        );
        if n == "1" {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no LISTEN connection after 10 s");
}

/// `n` squares of 0.0001° in a row from (112.31, 37.41): the red layer's next version.
pub fn squares(n: usize) -> Vec<Feature> {
    (0..n)
        .map(|i| {
            let x = 112.31 + (i % 100) as f64 * 0.0002;
            let y = 37.41 + (i / 100) as f64 * 0.0002;
            let p = polygon![(x: x, y: y), (x: x + 0.0001, y: y), (x: x + 0.0001, y: y + 0.0001), (x: x, y: y + 0.0001), (x: x, y: y)];
            Feature {
                id: format!("red-{i:05}"),
                shape: Shape::Polygon(MultiPolygon(vec![p])),
                properties: Attributes::from_json(&format!(r#"{{"n":{i}}}"#)).unwrap(),
            }
        })
        .collect()
}

/// The next change within `secs`, or `None`.
pub fn next(e: &Env, rx: &mut tokio::sync::mpsc::Receiver<Change>, secs: f64) -> Option<Change> {
    let wait = Duration::from_secs_f64(secs);
    e.rt.block_on(async { timeout(wait, rx.recv()).await })
        .ok()
        .flatten()
}
