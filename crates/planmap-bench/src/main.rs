//! planmap's side of `make bench` (driven by `bench/compare.py`):
//!
//! - `sites`: deterministic varied sites in a plan's county, as GeoJSON;
//! - `big-site`: the biggest site the server accepts (100,000 vertices, county-size), as GeoJSON;
//! - `province`: a province-size plan folder with a 1,000,000-patch farmland layer;
//! - `check`: load + index a plan folder, then check every site (repeated), timing each, and
//!   write each site's per-layer overlap areas for the cross-engine agreement; the same for
//!   `Engine::overlap_areas` alone (the peers' work: site, county and per-feature areas);
//! - `scan`: the conflict scan of every rule, repeated, with its pairs and areas;
//! - `history`: the check history alone on a disk: its fdatasync, and records/s with 1 and 8
//!   writers, with and without group commit;
//! - `hello`: a plain axum server, the floor the server's endpoints are measured against.
//!
//! Timings are wall-clock in this process; peak RSS is the kernel's VmHWM.

mod bigsite;
mod hello;
mod history;
mod percentile;
mod province;
mod rng;
mod sites;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};
use geo::{BoundingRect, Centroid, Coord};
use planmap_core::plan::SiteRole;
use planmap_core::{CheckOptions, Engine, LayerStore};
use planmap_io::PlanDir;
use serde_json::{json, Map, Value};

use percentile::percentile;

#[derive(Parser)]
#[command(about = "planmap's side of the cross-engine benchmark")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Writes `n` deterministic sites inside the plan's county as a GeoJSON FeatureCollection.
    Sites {
        #[arg(long)]
        data: PathBuf,
        #[arg(long, default_value_t = 1000)]
        n: usize,
        #[arg(long, default_value_t = 6)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Writes the county-size site of `vertices` vertices (see `bigsite.rs`) as a
    /// FeatureCollection of one feature.
    BigSite {
        #[arg(long, default_value_t = 100_000)]
        vertices: usize,
        #[arg(long, default_value_t = 11)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Writes a province-size plan folder (and farmland.tsv for the peers).
    Province {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 1_000_000)]
        patches: usize,
    },
    /// Loads the plan and checks every site `repeat` times; writes figures and areas as JSON.
    Check {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        sites: PathBuf,
        #[arg(long, default_value_t = 3)]
        repeat: usize,
        #[arg(long)]
        out: PathBuf,
    },
    /// Measures the check history alone in `dir` (its disk's fdatasync; records/s with 1 and
    /// 8 writers, group commit and one commit a record); writes the figures as JSON.
    History {
        #[arg(long)]
        dir: PathBuf,
        /// Records a run writes (times the writers, up to 4×).
        #[arg(long, default_value_t = 400)]
        records: usize,
        #[arg(long, default_value_t = 3)]
        repeat: usize,
        #[arg(long)]
        out: PathBuf,
    },
    /// Serves a plain axum "hello" (`GET`/`POST /hello`) on `addr` until interrupted: the
    /// floor of an HTTP answer on this machine.
    Hello {
        #[arg(long, default_value = "127.0.0.1:0")]
        addr: String,
    },
    /// Runs the conflict scan `repeat` times; writes timings and the conflicts as JSON.
    Scan {
        #[arg(long)]
        data: PathBuf,
        #[arg(long, default_value_t = 5)]
        repeat: usize,
        #[arg(long)]
        out: PathBuf,
    },
}

/// A memory figure of this process from /proc/self/status, MB.
fn status_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Peak resident set size of this process in MB (VmHWM).
fn peak_rss_mb() -> f64 {
    status_mb("VmHWM:")
}

/// Resident set size of this process now, MB (VmRSS).
fn rss_mb() -> f64 {
    status_mb("VmRSS:")
}

/// Reads every layer (parse time) and builds the engine (measures + index time).
fn load(data: &PathBuf) -> anyhow::Result<(Engine, f64, f64)> {
    let t0 = Instant::now();
    let store = PlanDir::open(data).with_context(|| format!("opening {}", data.display()))?;
    let plan = store.plan()?;
    let mut layers = Vec::new();
    for def in &plan.layers {
        layers.push((store.features(&def.id)?, store.version(&def.id)?));
    }
    let read_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let engine = Engine::new(plan, layers)?;
    Ok((engine, read_s, t1.elapsed().as_secs_f64()))
}

fn sites_cmd(data: PathBuf, n: usize, seed: u64, out: PathBuf) -> anyhow::Result<()> {
    let (engine, _, _) = load(&data)?;
    let county = engine
        .county()
        .and_then(|l| l.features.first())
        .and_then(|f| f.shape.as_polygon())
        .context("the plan has no county")?;
    let bbox = county.bounding_rect().context("empty county")?;
    // Half the sites start on a farmland patch (the plain, where checks find the most).
    let hotspots: Vec<Coord<f64>> = engine
        .layer("farmland")
        .map(|l| {
            l.features
                .iter()
                .step_by(7)
                .filter_map(|f| Some(f.shape.as_polygon()?.centroid()?.0))
                .collect()
        })
        .unwrap_or_default();
    let frame = sites::Frame {
        boundary: county,
        bbox,
        hotspots,
    };
    let sites = sites::generate(&frame, n, seed);
    write_sites(&sites, &out)
}

/// The sites as a GeoJSON FeatureCollection, ids `site-0001`, `site-0002`, …
fn write_sites(sites: &[geo::MultiPolygon<f64>], out: &PathBuf) -> anyhow::Result<()> {
    let features: Vec<_> = sites
        .iter()
        .enumerate()
        .map(|(i, s)| {
            planmap_io::geojson_io::feature(
                &format!("site-{:04}", i + 1),
                &geo::Geometry::MultiPolygon(s.clone()),
                Map::new(),
            )
        })
        .collect();
    let fc = geojson::FeatureCollection {
        bbox: None,
        features,
        foreign_members: None,
    };
    std::fs::write(out, fc.to_string())?;
    eprintln!("{} sites → {}", sites.len(), out.display());
    Ok(())
}

/// Per-layer overlap areas of one report: pieces over the sliver tolerance, and slivers.
fn areas(engine: &Engine, r: &planmap_core::CheckReport) -> Value {
    let mut layers = Map::new();
    for l in &engine.layers {
        if l.def.site_role != SiteRole::None {
            layers.insert(l.def.id.clone(), json!(0.0));
        }
    }
    for o in &r.overlaps {
        layers.insert(o.layer.clone(), json!(o.area_m2));
    }
    for loc in &r.locations {
        let prev = layers
            .get(&loc.layer)
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        layers.insert(loc.layer.clone(), json!(prev + loc.share * r.site_area_m2));
    }
    let mut slivers = Map::new();
    for s in &r.slivers {
        let n = slivers.get(&s.layer).and_then(Value::as_u64).unwrap_or(0);
        slivers.insert(s.layer.clone(), json!(n + 1));
    }
    json!({
        "site_m2": r.site_area_m2,
        "county_m2": r.inside_county_share * r.site_area_m2,
        "verdict": r.verdict.en(),
        "layers": layers,
        "slivers": slivers,
    })
}

/// The record of [`Engine::overlap_areas`], shaped like [`areas`]'s: per-layer sums of the
/// pieces over the sliver tolerance, and the count of slivers.
fn lean_areas(engine: &Engine, a: &planmap_core::SiteAreas) -> Value {
    let tol = engine.plan.sliver_tolerance_m2;
    let mut layers = Map::new();
    for li in engine.site_layers() {
        layers.insert(engine.layers[li].def.id.clone(), json!(0.0));
    }
    let mut slivers = Map::new();
    for o in &a.overlaps {
        let id = &engine.layers[o.layer].def.id;
        if o.area_m2 > tol {
            let prev = layers.get(id).and_then(Value::as_f64).unwrap_or(0.0);
            layers.insert(id.clone(), json!(prev + o.area_m2));
        } else if engine.layers[o.layer].def.site_role != SiteRole::Locate {
            let n = slivers.get(id).and_then(Value::as_u64).unwrap_or(0);
            slivers.insert(id.clone(), json!(n + 1));
        }
    }
    json!({
        "site_m2": a.site_m2,
        "county_m2": a.county_m2,
        "layers": layers,
        "slivers": slivers,
    })
}

/// Times `f` on every site, `repeat` times: (per-run figures, the first run's records).
fn time_sites<F>(
    sites: &[geo::MultiPolygon<f64>],
    ids: &[String],
    repeat: usize,
    what: &str,
    f: F,
) -> (Vec<Value>, Vec<Value>)
where
    F: Fn(&geo::MultiPolygon<f64>) -> Value,
{
    let mut runs = Vec::new();
    let mut results: Vec<Value> = Vec::new();
    for run in 0..repeat.max(1) {
        let mut times = Vec::with_capacity(sites.len());
        let t_all = Instant::now();
        for (i, s) in sites.iter().enumerate() {
            let t = Instant::now();
            let v = f(s);
            times.push(t.elapsed().as_secs_f64() * 1e3);
            if run == 0 {
                let mut v = v;
                v["id"] = json!(ids[i]);
                results.push(v);
            }
        }
        let total = t_all.elapsed().as_secs_f64();
        let mut sorted = times.clone();
        sorted.sort_by(f64::total_cmp);
        runs.push(json!({
            "total_s": total,
            "p50_ms": percentile(&sorted, 0.5),
            "p99_ms": percentile(&sorted, 0.99),
            "max_ms": sorted.last().copied().unwrap_or(0.0),
        }));
        eprintln!(
            "planmap {what} run {}: {} sites in {total:.3} s, p50 {:.3} ms, p99 {:.3} ms",
            run + 1,
            sites.len(),
            percentile(&sorted, 0.5),
            percentile(&sorted, 0.99)
        );
    }
    (runs, results)
}

fn check_cmd(data: PathBuf, sites: PathBuf, repeat: usize, out: PathBuf) -> anyhow::Result<()> {
    let (engine, read_s, index_s) = load(&data)?;
    // Peak while loading, what stays resident once loaded, and the engine's own estimate.
    let rss_loaded = peak_rss_mb();
    let rss_steady = rss_mb();
    let engine_mb = engine.memory_bytes() as f64 / (1024.0 * 1024.0);
    eprintln!(
        "planmap load: {:.2} s; RSS {rss_steady:.0} MB (peak {rss_loaded:.0} MB), engine estimate {engine_mb:.0} MB",
        read_s + index_s
    );
    let text = std::fs::read_to_string(&sites)?;
    let feats = planmap_io::layer_file::read_features(&text, "sites")?;
    let ids: Vec<String> = feats.iter().map(|f| f.id.clone()).collect();
    let sites: Vec<geo::MultiPolygon<f64>> = feats
        .into_iter()
        .map(|f| match f.shape {
            planmap_core::Shape::Polygon(m) => Ok(m),
            _ => anyhow::bail!("site {} is not polygonal", f.id),
        })
        .collect::<anyhow::Result<_>>()?;
    // The full check (the report a user gets), then the overlap areas alone (what the peers
    // compute), each timed over every site; both records go to the agreement.
    let (runs, results) = time_sites(&sites, &ids, repeat, "check", |s| {
        match engine.check(s, CheckOptions::default()) {
            Ok(r) => areas(&engine, &r),
            Err(e) => json!({"error": e.to_string()}),
        }
    });
    let (runs_areas, results_areas) = time_sites(&sites, &ids, repeat, "overlap areas", |s| {
        match engine.overlap_areas(s, CheckOptions::default()) {
            Ok(a) => lean_areas(&engine, &a),
            Err(e) => json!({"error": e.to_string()}),
        }
    });
    let features: usize = engine.layers.iter().map(|l| l.features.len()).sum();
    let doc = json!({
        "engine": "planmap",
        "features": features,
        "read_s": read_s,
        "index_s": index_s,
        "load_s": read_s + index_s,
        "rss_loaded_mb": rss_loaded,
        "rss_steady_mb": rss_steady,
        "engine_mb": engine_mb,
        "peak_rss_mb": peak_rss_mb(),
        "runs": runs,
        "sites": results,
        "runs_areas": runs_areas,
        "sites_areas": results_areas,
    });
    std::fs::write(&out, serde_json::to_string(&doc)?)?;
    Ok(())
}

fn scan_cmd(data: PathBuf, repeat: usize, out: PathBuf) -> anyhow::Result<()> {
    let (engine, _, _) = load(&data)?;
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        let scan = engine.conflicts();
        times.push(t.elapsed().as_secs_f64());
        last = Some(scan);
    }
    let scan = last.expect("one run");
    let pairs: Vec<Value> = scan
        .conflicts
        .iter()
        .chain(&scan.slivers)
        .map(|c| json!([c.rule, c.a_id, c.b_id, c.area_m2]))
        .collect();
    eprintln!("planmap scan: {:?} s", times);
    let doc = json!({
        "engine": "planmap",
        "threads": rayon::current_num_threads(),
        "times_s": times,
        "pairs": pairs,
        "peak_rss_mb": peak_rss_mb(),
    });
    std::fs::write(&out, serde_json::to_string(&doc)?)?;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().cmd {
        Cmd::Sites { data, n, seed, out } => sites_cmd(data, n, seed, out),
        Cmd::BigSite {
            vertices,
            seed,
            out,
        } => {
            let site = bigsite::county_size(vertices, seed)?;
            write_sites(&[site], &out)
        }
        Cmd::Province { out, patches } => {
            let t = Instant::now();
            let n = province::write(&out, patches, 1_000_006)?;
            eprintln!(
                "province: {n} farmland patches → {} in {:.1} s",
                out.display(),
                t.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Cmd::Check {
            data,
            sites,
            repeat,
            out,
        } => check_cmd(data, sites, repeat, out),
        Cmd::Scan { data, repeat, out } => scan_cmd(data, repeat, out),
        Cmd::Hello { addr } => hello::serve(&addr),
        Cmd::History {
            dir,
            records,
            repeat,
            out,
        } => history::history_cmd(history::Args {
            dir,
            records,
            repeat,
            out,
        }),
    }
}
