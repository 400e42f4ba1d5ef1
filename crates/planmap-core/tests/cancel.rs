//! A heavy computation stops soon after its flag is set from another thread: a site at the
//! vertex limit (100,000 vertices) over 22,500 field patches and five big reserves, the
//! conflict scan of the same layers. The flag is flipped at several moments of the work;
//! the time from the flip to the call's return is measured, as wall time and as the computing
//! thread's CPU time (a generous bound here; the figures are printed with `--nocapture`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use geo::{Coord, LineString, MultiPolygon, Polygon};
use planmap_core::{Cancel, CheckError, CheckOptions, Engine, Feature, Plan, Shape};

const CENTRE: Coord<f64> = Coord {
    x: 112.10,
    y: 37.40,
};

/// A star-shaped ring of `n` vertices around `c`: radius `r` degrees (latitude), wiggled.
fn blob(c: Coord<f64>, r: f64, n: usize, wiggle: f64) -> LineString<f64> {
    let k = 1.0 / c.y.to_radians().cos();
    let pts: Vec<Coord<f64>> = (0..n)
        .map(|i| {
            let a = i as f64 * std::f64::consts::TAU / n as f64;
            let rr = r * (1.0 + 0.2 * (3.0 * a).sin() + wiggle * (397.0 * a).sin());
            Coord {
                x: c.x + rr * k * a.cos(),
                y: c.y + rr * a.sin(),
            }
        })
        .collect();
    LineString::from(pts)
}

fn feature(id: String, ring: LineString<f64>) -> Feature {
    Feature {
        id,
        shape: Shape::Polygon(MultiPolygon(vec![Polygon::new(ring, vec![])])),
        properties: Default::default(),
    }
}

fn engine() -> Engine {
    let layer = |id: &str, role: &str| {
        let mut l = serde_json::json!({"id": id, "name": id, "kind": "protected",
                                       "geometry": "polygon", "color": "#000000", "site_role": role});
        if id == "county" {
            l["role"] = "county".into();
        }
        l
    };
    let plan: Plan = serde_json::from_value(serde_json::json!({
        "id": "t", "name": "t", "county": "county", "county_area_km2": 2500.0,
        "layers": [layer("county", "none"), layer("farmland", "prohibited"),
                   layer("red_line", "prohibited")],
        "rules": [{"a": "red_line", "b": "farmland", "severity": "conflict", "reason": "r"}],
    }))
    .unwrap();
    let square = |x0: f64, y0: f64, d: f64| {
        LineString::from(vec![(x0, y0), (x0 + d, y0), (x0 + d, y0 + d), (x0, y0 + d)])
    };
    let county = vec![feature(
        "county".into(),
        square(CENTRE.x - 0.3, CENTRE.y - 0.3, 0.6),
    )];
    let farmland: Vec<Feature> = (0..150 * 150)
        .map(|i| {
            let (x, y) = ((i % 150) as f64, (i / 150) as f64);
            let x0 = CENTRE.x - 0.2 + x * 0.002_6;
            let y0 = CENTRE.y - 0.2 + y * 0.002_6;
            feature(format!("f{i}"), square(x0, y0, 0.002))
        })
        .collect();
    let red_line: Vec<Feature> = (0..5)
        .map(|i| {
            let a = i as f64 * 1.3;
            let c = Coord {
                x: CENTRE.x + 0.1 * a.cos(),
                y: CENTRE.y + 0.1 * a.sin(),
            };
            feature(format!("r{i}"), blob(c, 0.03, 3_000, 0.01))
        })
        .collect();
    let layers = vec![
        (county, "1".to_string()),
        (farmland, "1".to_string()),
        (red_line, "1".to_string()),
    ];
    Engine::new(plan, layers).unwrap()
}

/// The 100,000-vertex site: a wiggled blob ~0.3° across over the patches and reserves.
fn site() -> MultiPolygon<f64> {
    MultiPolygon(vec![Polygon::new(
        blob(CENTRE, 0.12, 99_999, 0.004),
        vec![],
    )])
}

/// CPU time this thread has run, from the kernel's scheduler statistics (`None` where the
/// kernel does not keep them): what the engine spends, whatever else the machine runs.
fn thread_cpu(tid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat")).ok()?;
    Some(Duration::from_nanos(
        stat.split_whitespace().next()?.parse().ok()?,
    ))
}

/// This thread's id, as /proc names it.
fn thread_id() -> String {
    std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|p| Some(p.file_name()?.to_string_lossy().into_owned()))
        .unwrap_or_default()
}

/// From the flip to the return: wall time, and the computing thread's CPU time (on a busy
/// machine the wall time is mostly waiting for a core).
#[derive(Debug)]
struct Latency {
    wall: Duration,
    cpu: Option<Duration>,
}

/// Runs `work` once unhindered (its duration), then again with the flag flipped from another
/// thread after each of `fractions` of that duration: the latency of each flip.
fn latencies<T>(
    what: &str,
    fractions: &[f64],
    work: impl Fn(&Cancel) -> Result<T, bool> + Sync,
) -> Vec<Latency> {
    let t = Instant::now();
    assert!(
        work(&Cancel::new()).is_ok(),
        "{what}: unhindered run failed"
    );
    let whole = t.elapsed();
    let mut out = Vec::new();
    for &f in fractions {
        let cancel = Cancel::new();
        let flipped = std::sync::Mutex::new(None);
        let done = AtomicBool::new(false);
        let tid = std::sync::OnceLock::new();
        let returned = std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(whole.mul_f64(f));
                let worker: &String = tid.wait();
                let cpu = thread_cpu(worker);
                if !done.load(Ordering::SeqCst) {
                    *flipped.lock().unwrap() = Some((Instant::now(), cpu));
                    cancel.cancel();
                }
            });
            let me = thread_id();
            tid.set(me.clone()).unwrap();
            let r = work(&cancel);
            done.store(true, Ordering::SeqCst);
            (r, Instant::now(), thread_cpu(&me))
        });
        let (r, at, cpu_at) = returned;
        let flip = *flipped.lock().unwrap();
        if let Some((flip, cpu_flip)) = flip {
            // Flipped before the return: "cancelled", or the whole result when the flag came
            // after the last piece of work; never another error.
            assert!(
                matches!(r, Ok(_) | Err(true)),
                "{what}: flipped, not cancelled"
            );
            let cpu = cpu_at.zip(cpu_flip).map(|(a, b)| a.saturating_sub(b));
            out.push(Latency {
                wall: at.saturating_duration_since(flip),
                cpu,
            });
        }
    }
    let ms = |d: Duration| format!("{:.1}", d.as_secs_f64() * 1e3);
    eprintln!(
        "{what}: unhindered {:.0} ms; from flip to return (ms, wall/CPU): {:?}",
        whole.as_secs_f64() * 1e3,
        out.iter()
            .map(|l| format!("{}/{}", ms(l.wall), l.cpu.map_or("-".into(), ms)))
            .collect::<Vec<_>>()
    );
    out
}

const FRACTIONS: [f64; 6] = [0.02, 0.1, 0.25, 0.5, 0.75, 0.9];
/// Generous: the engine reads its flag every few milliseconds of work. Held against the
/// computing thread's CPU time where the kernel counts it (a shared machine's wall clock
/// mostly measures the wait for a core), else the wall time.
const BOUND: Duration = Duration::from_millis(250);

fn assert_prompt(what: &str, latencies: &[Latency]) {
    for l in latencies {
        let d = l.cpu.unwrap_or(l.wall);
        assert!(d < BOUND, "{what}: {l:?}");
    }
}

#[test]
fn a_set_flag_stops_a_check_before_it_starts() {
    let (engine, site) = (engine(), site());
    let cancel = Cancel::new();
    cancel.cancel();
    let r = engine.check_cancellable(&site, CheckOptions::default(), &cancel);
    assert!(matches!(r, Err(CheckError::Cancelled(_))));
    // A bad site is still a site error when nothing is cancelled.
    let empty = MultiPolygon(vec![]);
    let r = engine.check_cancellable(&empty, CheckOptions::default(), &Cancel::new());
    assert!(matches!(r, Err(CheckError::Site(_))));
}

#[test]
fn a_check_of_the_biggest_site_stops_soon_after_the_flip() {
    let (engine, site) = (engine(), site());
    let cancelled = |e: CheckError| matches!(e, CheckError::Cancelled(_));
    // The cancellable check answers what the plain one answers.
    let plain = engine.check(&site, CheckOptions::default()).unwrap();
    let same = engine
        .check_cancellable(&site, CheckOptions::default(), &Cancel::new())
        .unwrap();
    assert_eq!(plain.avoidance_area_m2, same.avoidance_area_m2);
    assert!(
        plain
            .overlaps
            .iter()
            .map(|o| o.feature_ids.len())
            .sum::<usize>()
            > 1000
    );
    let check = latencies("check", &FRACTIONS, |c| {
        engine
            .check_cancellable(&site, CheckOptions::default(), c)
            .map_err(cancelled)
    });
    let areas = latencies("overlap areas", &FRACTIONS, |c| {
        engine
            .overlap_areas_cancellable(&site, CheckOptions::default(), c)
            .map_err(cancelled)
    });
    assert!(!check.is_empty() && !areas.is_empty());
    assert_prompt("check", &check);
    assert_prompt("overlap areas", &areas);
}

#[test]
fn the_conflict_scan_stops_soon_after_the_flip() {
    let engine = engine();
    let scan = latencies("conflict scan", &FRACTIONS, |c| {
        engine.conflicts_cancellable(c).map_err(|_| true)
    });
    // The scan runs on the pool's threads, not the calling one: its wall time is the figure
    // (bounded more loosely, as the pool shares the machine too).
    for l in &scan {
        assert!(l.wall < 8 * BOUND, "conflict scan: {l:?}");
    }
}
