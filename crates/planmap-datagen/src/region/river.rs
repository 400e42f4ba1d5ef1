//! The county's main river: the cheapest path across the county along its long axis, where a
//! step costs more the higher the ground (so it runs down the lowland), smoothed.

use super::terrain::Terrain;
use crate::rng::value_noise;
use geo::{ChaikinSmoothing, Coord, LineString, Simplify};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

#[derive(PartialEq)]
struct Node(f64, usize);

impl Eq for Node {}

impl Ord for Node {
    // a min-heap on cost, then index
    fn cmp(&self, o: &Self) -> Ordering {
        o.0.total_cmp(&self.0).then(o.1.cmp(&self.1))
    }
}

impl PartialOrd for Node {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// The river's centre line, running 2 km beyond the outline at both ends (clip it to the
/// county); None when the county is too small to cross.
pub fn trace(t: &Terrain, seed: u64) -> Option<LineString> {
    let pts: Vec<usize> = t.inside_points().collect();
    if pts.len() < 16 {
        return None;
    }
    // The long axis: the principal direction of the county's points.
    let n = pts.len() as f64;
    let c = pts
        .iter()
        .fold(Coord { x: 0.0, y: 0.0 }, |a, &k| a + t.point(k))
        / n;
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for &k in &pts {
        let d = t.point(k) - c;
        sxx += d.x * d.x;
        syy += d.y * d.y;
        sxy += d.x * d.y;
    }
    let angle = 0.5 * (2.0 * sxy).atan2(sxx - syy);
    let axis = Coord {
        x: angle.cos(),
        y: angle.sin(),
    };
    let s = |k: usize| {
        let d = t.point(k) - c;
        d.x * axis.x + d.y * axis.y
    };
    let smin = pts.iter().map(|&k| s(k)).fold(f64::MAX, f64::min);
    let smax = pts.iter().map(|&k| s(k)).fold(f64::MIN, f64::max);
    let range = smax - smin;
    let w = t.w;
    let on_edge = |k: usize| {
        let (i, j) = (k % w, k / w);
        [(i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1)]
            .iter()
            .any(|&(a, b)| !t.is_inside(b * w + a))
    };
    // Enter and leave at the lowest edge point of each end.
    let lowest = |want: &dyn Fn(f64) -> bool| {
        pts.iter()
            .copied()
            .filter(|&k| want(s(k)) && on_edge(k))
            .min_by(|&a, &b| t.height[a].total_cmp(&t.height[b]).then(a.cmp(&b)))
    };
    let from = lowest(&|v| v <= smin + 0.25 * range)?;
    let to = lowest(&|v| v >= smax - 0.25 * range)?;

    // Dijkstra over the inside points, 8 neighbours.
    let (hmin, hmax) = pts.iter().fold((f64::MAX, f64::MIN), |(a, b), &k| {
        (a.min(t.height[k]), b.max(t.height[k]))
    });
    let norm = |k: usize| (t.height[k] - hmin) / (hmax - hmin).max(1e-9);
    let mut cost = vec![f64::MAX; w * t.h];
    let mut prev = vec![usize::MAX; w * t.h];
    let mut heap = BinaryHeap::new();
    cost[from] = 0.0;
    heap.push(Node(0.0, from));
    while let Some(Node(cst, k)) = heap.pop() {
        if k == to {
            break;
        }
        if cst > cost[k] {
            continue;
        }
        let (i, j) = (k % w, k / w);
        for (di, dj) in [
            (-1i64, 0i64),
            (1, 0),
            (0, -1),
            (0, 1),
            (-1, -1),
            (1, -1),
            (-1, 1),
            (1, 1),
        ] {
            let m = (j as i64 + dj) as usize * w + (i as i64 + di) as usize;
            if !t.is_inside(m) {
                continue;
            }
            let step = if di != 0 && dj != 0 {
                std::f64::consts::SQRT_2
            } else {
                1.0
            };
            let p = t.point(m);
            let meander = value_noise(seed, p.x, p.y, 2500.0);
            let nc = cst + step * (0.03 + 0.05 * meander + norm(m).powi(3));
            if nc < cost[m] {
                cost[m] = nc;
                prev[m] = k;
                heap.push(Node(nc, m));
            }
        }
    }
    if prev[to] == usize::MAX {
        return None;
    }
    let mut path = vec![t.point(to)];
    let mut k = to;
    while k != from {
        k = prev[k];
        path.push(t.point(k));
    }
    path.reverse();
    let line = LineString::new(path).simplify(1.5 * t.cell);
    let mut pts = line.0;
    if pts.len() < 2 {
        return None;
    }
    // Run on beyond the outline, straight on from each end.
    let out = |a: Coord, b: Coord| {
        let d = a - b;
        let len = d.x.hypot(d.y).max(1e-9);
        a + d * (2000.0 / len)
    };
    let head = out(pts[0], pts[1]);
    let tail = out(pts[pts.len() - 1], pts[pts.len() - 2]);
    pts.insert(0, head);
    pts.push(tail);
    Some(LineString::new(pts).chaikin_smoothing(3))
}
