//! `Engine::memory_bytes` against what the process really holds: 200,000 farmland patches (the
//! province layer's kind: five vertices, an id, three attributes) and three big reserves (with
//! edge indexes) are built into an engine, and the estimate is compared with (1) the growth of
//! the live heap, counted by this test's own allocator, and (2) the growth of the process's
//! resident set (VmRSS), which also holds what the allocator keeps.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use geo::{LineString, MultiPolygon, Polygon};
use planmap_core::{Attributes, Engine, Feature, Plan, Shape};

/// The system allocator, counting the bytes live.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Ordering::Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        System.dealloc(p, l)
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Ordering::Relaxed);
        System.alloc_zeroed(l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new, Ordering::Relaxed);
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        System.realloc(p, l, new)
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The process's resident set in bytes (Linux), `None` elsewhere.
fn rss() -> Option<usize> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: usize = s
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb * 1024)
}

fn polygon(ring: Vec<(f64, f64)>, id: String, attributes: &str) -> Feature {
    Feature {
        id,
        shape: Shape::Polygon(MultiPolygon(vec![Polygon::new(
            LineString::from(ring),
            vec![],
        )])),
        properties: Attributes::from_json(attributes).unwrap(),
    }
}

fn square(x0: f64, y0: f64, d: f64) -> Vec<(f64, f64)> {
    vec![(x0, y0), (x0 + d, y0), (x0 + d, y0 + d), (x0, y0 + d)]
}

/// A ring of `n` vertices around (x, y), radius `r` degrees.
fn circle(x: f64, y: f64, r: f64, n: usize) -> Vec<(f64, f64)> {
    (0..n)
        .map(|i| {
            let a = i as f64 * std::f64::consts::TAU / n as f64;
            (x + r * a.cos(), y + r * a.sin())
        })
        .collect()
}

fn build() -> Engine {
    let layer = |id: &str| {
        let mut l = serde_json::json!({"id": id, "name": id, "kind": "protected",
                                       "geometry": "polygon", "color": "#000000", "site_role": "none"});
        if id == "county" {
            l["role"] = "county".into();
        }
        l
    };
    let plan: Plan = serde_json::from_value(serde_json::json!({
        "id": "t", "name": "t", "county": "county", "county_area_km2": 2500.0,
        "layers": [layer("county"), layer("farmland"), layer("red_line")],
        "rules": [],
    }))
    .unwrap();
    let county = vec![polygon(
        square(111.0, 37.0, 2.0),
        "county".into(),
        r#"{"name":"县"}"#,
    )];
    let farmland: Vec<Feature> = (0..200_000)
        .map(|i| {
            let (x, y) = ((i % 500) as f64, (i / 500) as f64);
            polygon(
                square(111.1 + x * 0.003, 37.1 + y * 0.003, 0.002),
                format!("farmland-{i:07}"),
                &format!(
                    r#"{{"name":"永久基本农田 {i}","dlbm":"0101","mj":{}}}"#,
                    i % 977
                ),
            )
        })
        .collect();
    let red_line: Vec<Feature> = (0..3)
        .map(|i| {
            polygon(
                circle(111.5 + i as f64 * 0.4, 37.5, 0.1, 20_000),
                format!("red-{i}"),
                r#"{"name":"生态保护红线"}"#,
            )
        })
        .collect();
    let data = [county, farmland, red_line]
        .into_iter()
        .map(|features| (features, "1".to_string()))
        .collect();
    Engine::new(plan, data).unwrap()
}

#[test]
fn memory_bytes_is_what_the_engine_holds() {
    let (live0, rss0) = (LIVE.load(Ordering::SeqCst), rss());
    let engine = build();
    let (live1, rss1) = (LIVE.load(Ordering::SeqCst), rss());
    let estimate = engine.memory_bytes();
    assert!(engine.layers[2].edges.iter().all(Option::is_some));
    let live = live1 - live0;
    let mb = |b: usize| b as f64 / (1 << 20) as f64;
    println!(
        "estimate {:.1} MB, live heap {:.1} MB, RSS growth {:?} MB",
        mb(estimate),
        mb(live),
        rss0.zip(rss1).map(|(a, b)| mb(b.saturating_sub(a)))
    );
    // The live heap counts each block's requested size; the estimate adds each block's
    // allocator header: a few per cent above it, never below.
    let ratio = estimate as f64 / live as f64;
    assert!(
        (1.0..1.25).contains(&ratio),
        "estimate ÷ live heap = {ratio:.3}"
    );
    // The resident set also holds what the allocator keeps from building (freed, not returned):
    // the estimate is within a factor of it.
    if let (Some(a), Some(b)) = (rss0, rss1) {
        let ratio = estimate as f64 / (b - a) as f64;
        assert!(
            (0.5..1.5).contains(&ratio),
            "estimate ÷ RSS growth = {ratio:.3}"
        );
    }
}
