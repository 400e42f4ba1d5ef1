//! Deterministic varied project sites: 0.5–80 ha (log-uniform), 4–60 vertices, some multipart,
//! star-shaped (so simple) with jittered angles and radii; half centred on farmland patches,
//! half anywhere in the county's box (kept when the centre is inside the county).

use geo::{Contains, Coord, LineString, MultiPolygon, Point, Polygon};
use planmap_core::validate::validate_site;

use crate::rng::{metres_per_degree, round7, Rng};

/// Where sites go: the boundary they must start inside, and points to bias them towards.
pub struct Frame<'a> {
    pub boundary: &'a MultiPolygon<f64>,
    pub bbox: geo::Rect<f64>,
    pub hotspots: Vec<Coord<f64>>,
}

/// One star-shaped ring of `n` vertices and about `area_m2` around `c`.
fn star(rng: &mut Rng, c: Coord<f64>, n: usize, area_m2: f64) -> Polygon<f64> {
    let (kx, ky) = metres_per_degree(c.y);
    let step = std::f64::consts::TAU / n as f64;
    let pts: Vec<(f64, f64)> = (0..n)
        .map(|k| {
            let a = (k as f64 + rng.range(-0.35, 0.35)) * step;
            let r = rng.range(0.55, 1.0);
            (r * a.cos(), r * a.sin())
        })
        .collect();
    let unit: f64 = (0..n)
        .map(|i| {
            let (a, b) = (pts[i], pts[(i + 1) % n]);
            a.0 * b.1 - b.0 * a.1
        })
        .sum::<f64>()
        / 2.0;
    let scale = (area_m2 / unit).sqrt();
    let mut ring: Vec<Coord<f64>> = pts
        .iter()
        .map(|(x, y)| Coord {
            x: round7(c.x + x * scale / kx),
            y: round7(c.y + y * scale / ky),
        })
        .collect();
    ring.push(ring[0]);
    Polygon::new(LineString(ring), vec![])
}

/// `n` valid sites, the same for the same seed and frame.
pub fn generate(frame: &Frame, n: usize, seed: u64) -> Vec<MultiPolygon<f64>> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let area_ha = (rng.range(0.5f64.ln(), 80f64.ln())).exp();
        let vertices = rng.int(4, 60);
        let parts = if rng.f64() < 0.15 { rng.int(2, 3) } else { 1 };
        let centre = if !frame.hotspots.is_empty() && rng.f64() < 0.5 {
            frame.hotspots[rng.int(0, frame.hotspots.len() - 1)]
        } else {
            let b = frame.bbox;
            Coord {
                x: rng.range(b.min().x, b.max().x),
                y: rng.range(b.min().y, b.max().y),
            }
        };
        if !frame.boundary.contains(&Point(centre)) {
            continue;
        }
        let (kx, _) = metres_per_degree(centre.y);
        let part_area = area_ha * 10_000.0 / parts as f64;
        let radius_deg = (part_area / std::f64::consts::PI).sqrt() * 1.6 / kx;
        let polys: Vec<Polygon<f64>> = (0..parts)
            .map(|p| {
                let c = Coord {
                    x: centre.x + p as f64 * 2.5 * radius_deg,
                    y: centre.y + rng.range(-1.0, 1.0) * radius_deg,
                };
                let nv = (vertices / parts).max(4);
                star(&mut rng, c, nv, part_area)
            })
            .collect();
        let site = MultiPolygon(polys);
        if validate_site(&site, 100_000).is_ok() {
            out.push(site);
        }
    }
    out
}
