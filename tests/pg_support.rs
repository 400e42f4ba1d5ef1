//! Helpers of the replica tests over a throwaway PostgreSQL + PostGIS cluster
//! (planmap-testenv): the cluster with Wenshui loaded, `planmap db …` run to success, an
//! HTTP client, and the tile scheme.

#![allow(dead_code)]

use std::process::Command;
use std::time::Duration;

use planmap_testenv::PgCluster;
use planmap_tests::{data_dir, planmap_bin};

pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// Runs `planmap ARGS` and asserts it succeeded (its stderr in the message if not).
pub fn planmap_db(args: &[&str]) {
    let o = Command::new(planmap_bin()).args(args).output().unwrap();
    assert!(
        o.status.success(),
        "planmap {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A cluster with database `plans`, initialised, Wenshui loaded into it; and its URL.
pub fn wenshui_in_pg() -> (PgCluster, String) {
    let pg = PgCluster::start().unwrap_or_else(|e| panic!("the test's PostgreSQL: {e}"));
    pg.create_database("plans").unwrap();
    let url = pg.url("plans");
    planmap_db(&["db", "init", "--db", &url]);
    let wenshui = data_dir();
    planmap_db(&["db", "load", wenshui.to_str().unwrap(), "--db", &url]);
    (pg, url)
}

/// The tile (x, y) of lon/lat at zoom z (the web-mercator scheme of XYZ tiles).
pub fn tile_of(lon: f64, lat: f64, z: u32) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor();
    let r = lat.to_radians();
    let y = ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
    (x as u32, y as u32)
}
