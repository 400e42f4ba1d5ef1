//! Criterion benchmarks of the engine on the full built-in Wenshui data: load + index, a site
//! check of sites of several sizes, and the conflict scan of every rule.
//!
//! `cargo bench -p planmap-io` (or `make bench-criterion`).

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use geo::{coord, MultiPolygon, Rect};
use planmap_core::{CheckOptions, Engine};
use planmap_io::PlanDir;

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/wenshui")
}

fn square(lon: f64, lat: f64, half_deg: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![Rect::new(
        coord! { x: lon - half_deg, y: lat - half_deg },
        coord! { x: lon + half_deg, y: lat + half_deg },
    )
    .to_polygon()])
}

fn bench(c: &mut Criterion) {
    let store = PlanDir::open(data()).expect("plan folder");
    c.bench_function("load+index wenshui", |b| {
        b.iter(|| black_box(Engine::load(&store).unwrap().layers.len()))
    });
    let engine = Engine::load(&store).unwrap();
    let bb = engine.county().and_then(|l| l.bbox()).expect("county");
    // Sites on a grid over the county's box; those outside the county are skipped.
    let mut sites = Vec::new();
    for i in 0..12 {
        for j in 0..12 {
            let lon = bb.min().x + (i as f64 + 0.5) / 12.0 * bb.width();
            let lat = bb.min().y + (j as f64 + 0.5) / 12.0 * bb.height();
            for half in [0.0005, 0.002, 0.005] {
                let s = square(lon, lat, half);
                if engine.check(&s, CheckOptions::default()).is_ok() {
                    sites.push((half, s));
                }
            }
        }
    }
    for half in [0.0005, 0.002, 0.005] {
        let set: Vec<_> = sites.iter().filter(|s| s.0 == half).map(|s| &s.1).collect();
        let ha = set
            .first()
            .map_or(0.0, |s| planmap_core::geodesy::area_m2(s) / 10_000.0);
        let name = format!("check {} sites of {ha:.1} ha", set.len());
        c.bench_function(&name, |b| {
            b.iter(|| {
                for s in &set {
                    black_box(engine.check(s, CheckOptions::default()).unwrap().verdict);
                }
            })
        });
    }
    let mut g = c.benchmark_group("scan");
    g.sample_size(10);
    g.bench_function("conflicts (all rules)", |b| {
        b.iter(|| black_box(engine.conflicts().conflicts.len()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
