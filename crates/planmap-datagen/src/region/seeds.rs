//! Where the county seat and the townships go: the seat on low ground well inside the county,
//! township seeds spread evenly over it (k-means on the terrain's points, seat fixed), each
//! township's own seat (乡镇驻地) on low ground near its seed.

use super::terrain::Terrain;
use geo::Coord;

pub struct Seeds {
    /// Voronoi seeds, the county seat's township first, then north to south.
    pub seeds: Vec<Coord>,
    /// Each township's seat (the first is the county seat).
    pub seats: Vec<Coord>,
}

fn d2(a: Coord, b: Coord) -> f64 {
    (a.x - b.x).powi(2) + (a.y - b.y).powi(2)
}

/// How many townships a county of `area_km2` gets: about one per 90 km², 5 to 20.
pub fn count(area_km2: f64) -> usize {
    ((area_km2 / 90.0).round() as usize).clamp(5, 20)
}

pub fn place(t: &Terrain, n: usize) -> Seeds {
    // The county's points (thinned to at most about 6000).
    let all: Vec<usize> = t.inside_points().filter(|&k| t.dist[k] > t.cell).collect();
    let stride = all.len().div_ceil(6000).max(1);
    let pts: Vec<usize> = all.iter().copied().step_by(stride).collect();
    let p = |k: usize| t.point(k);
    // The seat: the lowest point at least 30 % of the way in.
    let d_max = pts.iter().map(|&k| t.dist[k]).fold(0.0, f64::max);
    let seat = pts
        .iter()
        .copied()
        .filter(|&k| t.dist[k] >= 0.3 * d_max)
        .min_by(|&a, &b| t.height[a].total_cmp(&t.height[b]).then(a.cmp(&b)))
        .unwrap_or(pts[0]);
    // Farthest-point start, then Lloyd iterations snapped to the nearest member point.
    let mut seeds = vec![p(seat)];
    while seeds.len() < n {
        let far = pts
            .iter()
            .copied()
            .max_by(|&a, &b| {
                let da = seeds.iter().map(|&s| d2(p(a), s)).fold(f64::MAX, f64::min);
                let db = seeds.iter().map(|&s| d2(p(b), s)).fold(f64::MAX, f64::min);
                da.total_cmp(&db).then(b.cmp(&a))
            })
            .expect("points");
        seeds.push(p(far));
    }
    let nearest = |q: Coord, seeds: &[Coord]| {
        (0..seeds.len())
            .min_by(|&a, &b| d2(q, seeds[a]).total_cmp(&d2(q, seeds[b])))
            .expect("seeds")
    };
    let mut owner = vec![0usize; pts.len()];
    for _ in 0..12 {
        for (o, &k) in owner.iter_mut().zip(&pts) {
            *o = nearest(p(k), &seeds);
        }
        for (s, seed) in seeds.iter_mut().enumerate().skip(1) {
            let members: Vec<usize> = (0..pts.len()).filter(|&m| owner[m] == s).collect();
            if members.is_empty() {
                continue;
            }
            let c = members
                .iter()
                .fold(Coord { x: 0.0, y: 0.0 }, |a, &m| a + p(pts[m]))
                / members.len() as f64;
            let snap = members
                .iter()
                .min_by(|&&a, &&b| d2(p(pts[a]), c).total_cmp(&d2(p(pts[b]), c)))
                .expect("members");
            *seed = p(pts[*snap]);
        }
    }
    // North to south (1 km bands), west to east; the seat's township stays first.
    let mut rest: Vec<Coord> = seeds[1..].to_vec();
    rest.sort_by(|a, b| {
        let (ka, kb) = ((-a.y / 1000.0).floor(), (-b.y / 1000.0).floor());
        ka.total_cmp(&kb).then(a.x.total_cmp(&b.x))
    });
    let seeds: Vec<Coord> = std::iter::once(seeds[0]).chain(rest).collect();
    // A township's seat: the lowest point well inside its cell, near the seed.
    let mut seats = vec![seeds[0]];
    for s in 1..seeds.len() {
        let others = |q: Coord| {
            (0..seeds.len())
                .filter(|&o| o != s)
                .map(|o| d2(q, seeds[o]))
                .fold(f64::MAX, f64::min)
        };
        let reach = others(seeds[s]).sqrt() * 0.35;
        let seat = pts
            .iter()
            .copied()
            .filter(|&k| {
                let q = p(k);
                d2(q, seeds[s]).sqrt() <= reach && d2(q, seeds[s]) < 0.3 * others(q)
            })
            .min_by(|&a, &b| t.height[a].total_cmp(&t.height[b]).then(a.cmp(&b)))
            .map(p)
            .unwrap_or(seeds[s]);
        seats.push(seat);
    }
    Seeds { seeds, seats }
}
