//! `planmap-bench history`: the check history alone, on the disk it is given.
//!
//! - the disk's `fdatasync`: 4 KiB appended and synced, repeated — what one durable commit
//!   costs at least there;
//! - records/s of `planmap_history::History::record` with 1 and 8 writer threads, with group
//!   commit (the default) and with one commit a record (`max_batch = 1`, the history before
//!   group commit), each on a fresh database, repeated; per-record latency and records per
//!   commit.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use planmap_history::{History, NewRecord, Options, Source};
use serde_json::{json, Value};

use crate::percentile::percentile;
use crate::rng::Rng;

/// What one run of `planmap-bench history` measures.
pub struct Args {
    pub dir: PathBuf,
    pub records: usize,
    pub repeat: usize,
    pub out: PathBuf,
}

/// `n` fdatasyncs of 4 KiB appended to a file in `dir`, each timed (ms).
fn fdatasync_ms(dir: &Path, n: usize) -> anyhow::Result<Vec<f64>> {
    let path = dir.join("fdatasync.probe");
    let mut f = std::fs::File::create(&path).with_context(|| path.display().to_string())?;
    let block = [0x5au8; 4096];
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        f.write_all(&block)?;
        let t = Instant::now();
        f.sync_data()?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    drop(f);
    std::fs::remove_file(&path)?;
    Ok(times)
}

/// A record like the server's: a small site of ~10 vertices, two overlaps.
fn record(rng: &mut Rng, i: usize) -> NewRecord {
    let (x, y) = (rng.range(112.0, 112.3), rng.range(37.3, 37.6));
    let n = rng.int(6, 14);
    let ring: Vec<[f64; 2]> = (0..=n)
        .map(|k| {
            let a = (k % n) as f64 / n as f64 * std::f64::consts::TAU;
            let r = 0.002 * (0.7 + 0.3 * ((k % n) as f64 * 1.7).sin());
            [x + r * a.cos(), y + r * a.sin()]
        })
        .collect();
    let site = json!({"type": "Polygon", "coordinates": [ring]});
    NewRecord {
        time: planmap_history::time::now_rfc3339(),
        site: site.to_string(),
        verdict: "不通过".into(),
        site_area_m2: 120_000.0 + i as f64,
        overlaps: json!([
            {"layer": "red_line", "name": "生态保护红线", "role": "prohibited",
             "area_m2": 4511.2, "feature_ids": ["red_line-011"]},
            {"layer": "farmland", "name": "永久基本农田", "role": "prohibited",
             "area_m2": 1710.2, "feature_ids": ["farmland-014736", "farmland-014737"]},
        ]),
        data_version: "wenshui-bench".into(),
        source: Source::Api,
        project: Some(format!("基准测试项目 {i}")),
        applicant: None,
        key: None,
        plan: None,
    }
}

/// `writers` threads record `total` records between them on a fresh database in `dir`.
fn run(dir: &Path, writers: usize, total: usize, max_batch: usize) -> anyhow::Result<Value> {
    let db = dir.join(format!("bench-{writers}-{max_batch}.sqlite"));
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    let h = History::open_with(&db, Options { max_batch })?;
    let per = total / writers;
    let t = Instant::now();
    let lat: Vec<Vec<f64>> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..writers)
            .map(|w| {
                let h = h.clone();
                s.spawn(move || -> anyhow::Result<Vec<f64>> {
                    let mut rng = Rng::new(w as u64 + 1);
                    let recs: Vec<NewRecord> = (0..per).map(|i| record(&mut rng, i)).collect();
                    let mut lat = Vec::with_capacity(per);
                    for r in &recs {
                        let t = Instant::now();
                        h.record(r)?;
                        lat.push(t.elapsed().as_secs_f64() * 1e3);
                    }
                    Ok(lat)
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("a writer thread"))
            .collect::<anyhow::Result<_>>()
    })?;
    let wall = t.elapsed().as_secs_f64();
    let stats = h.stats();
    drop(h);
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    let mut all: Vec<f64> = lat.into_iter().flatten().collect();
    all.sort_by(f64::total_cmp);
    Ok(json!({
        "records": all.len(),
        "wall_s": wall,
        "records_per_s": all.len() as f64 / wall,
        "p50_ms": percentile(&all, 0.5),
        "p99_ms": percentile(&all, 0.99),
        "commits": stats.commits,
        "records_per_commit": stats.records as f64 / stats.commits.max(1) as f64,
    }))
}

/// Measures and writes the JSON of `planmap-bench history`.
pub fn history_cmd(a: Args) -> anyhow::Result<()> {
    std::fs::create_dir_all(&a.dir)?;
    let sync = fdatasync_ms(&a.dir, 200)?;
    let mut sorted = sync.clone();
    sorted.sort_by(f64::total_cmp);
    eprintln!(
        "history: fdatasync on {}: p50 {:.3} ms, min {:.3}, max {:.3}",
        a.dir.display(),
        percentile(&sorted, 0.5),
        sorted[0],
        sorted[sorted.len() - 1]
    );
    // "check history FILE: WAL journal, synchronous=FULL …" without the probe's file name.
    let settings = History::open(a.dir.join("settings.sqlite"))?
        .settings()
        .to_string();
    let settings = settings
        .split_once(": ")
        .map_or(settings.clone(), |(_, s)| s.to_string());
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(a.dir.join(format!("settings.sqlite{ext}")));
    }
    let mut runs = serde_json::Map::new();
    for writers in [1usize, 8] {
        for (mode, max_batch) in [
            ("group", planmap_history::commit::DEFAULT_MAX_BATCH),
            ("single", 1),
        ] {
            let total = a.records * writers.min(4);
            let mut reps = Vec::new();
            for _ in 0..a.repeat.max(1) {
                let r = run(&a.dir, writers, total, max_batch)?;
                eprintln!(
                    "history: {writers} writer(s), {mode}: {:.0} records/s, p50 {:.3} ms, \
                     p99 {:.3} ms, {:.1} records a commit",
                    r["records_per_s"].as_f64().unwrap_or(0.0),
                    r["p50_ms"].as_f64().unwrap_or(0.0),
                    r["p99_ms"].as_f64().unwrap_or(0.0),
                    r["records_per_commit"].as_f64().unwrap_or(0.0),
                );
                reps.push(r);
            }
            runs.insert(format!("{mode}_{writers}"), Value::Array(reps));
        }
    }
    let doc = json!({
        "dir": a.dir.display().to_string(),
        "settings": settings,
        "fdatasync_ms": sync,
        "runs": runs,
    });
    std::fs::write(&a.out, serde_json::to_string(&doc)?)?;
    Ok(())
}
