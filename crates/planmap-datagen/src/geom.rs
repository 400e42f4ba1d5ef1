//! Small planar helpers in the metric frame.

use crate::frame;
use crate::rng::Rng;
use geo::{
    Area, BooleanOps, Buffer, ChaikinSmoothing, Coord, LineString, MultiLineString, MultiPolygon,
    Polygon,
};

/// Crossing-number point-in-ring test (ring open or closed).
pub fn in_ring(ring: &[Coord], p: Coord) -> bool {
    let n = ring.len();
    let mut inside = false;
    let mut j = n - 1;
    for i in 0..n {
        let (a, b) = (ring[i], ring[j]);
        if (a.y > p.y) != (b.y > p.y) {
            let x = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y);
            if p.x < x {
                inside = !inside;
            }
        }
        j = i;
    }
    inside
}

/// Signed planar area of an open ring (positive when counter-clockwise).
pub fn signed_area(ring: &[Coord]) -> f64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            a.x * b.y - b.x * a.y
        })
        .sum::<f64>()
        / 2.0
}

/// Point in polygon (exterior minus holes).
pub fn in_polygon(poly: &Polygon, p: Coord) -> bool {
    in_ring(&poly.exterior().0, p) && !poly.interiors().iter().any(|h| in_ring(&h.0, p))
}

/// Point in multipolygon.
pub fn in_multi(mp: &MultiPolygon, p: Coord) -> bool {
    mp.0.iter().any(|poly| in_polygon(poly, p))
}

/// Proper intersection of segments p→q and a→b: (t along p→q, s along a→b, point).
pub fn seg_intersection(p: Coord, q: Coord, a: Coord, b: Coord) -> Option<(f64, f64, Coord)> {
    let r = q - p;
    let s = b - a;
    let den = r.x * s.y - r.y * s.x;
    if den.abs() < 1e-12 {
        return None;
    }
    let ap = a - p;
    let t = (ap.x * s.y - ap.y * s.x) / den;
    let u = (ap.x * r.y - ap.y * r.x) / den;
    if !(0.0..=1.0).contains(&t) || !(0.0..=1.0).contains(&u) {
        return None;
    }
    Some((t, u, p + r * t))
}

/// Polygon from an open ring.
pub fn polygon(ring: Vec<Coord>) -> Polygon {
    Polygon::new(LineString::new(ring), vec![])
}

pub fn mp(p: Polygon) -> MultiPolygon {
    MultiPolygon(vec![p])
}

/// A regular n-gon of radius r (metres) around a centre.
pub fn disc(c: Coord, r: f64, n: usize) -> Polygon {
    let ring = (0..n)
        .map(|k| {
            let a = std::f64::consts::TAU * k as f64 / n as f64;
            Coord {
                x: c.x + r * a.cos(),
                y: c.y + r * a.sin(),
            }
        })
        .collect();
    polygon(ring)
}

/// An irregular star-shaped blob: an ellipse (rx, ry, rotated by `rot`) with smooth radial
/// jitter of relative amplitude `jitter` (< 0.3 keeps it simple).
pub fn blob(c: Coord, rx: f64, ry: f64, rot: f64, jitter: f64, n: usize, rng: &mut Rng) -> Polygon {
    let phases: Vec<f64> = (0..3)
        .map(|_| rng.range(0.0, std::f64::consts::TAU))
        .collect();
    let ring = (0..n)
        .map(|k| {
            let a = std::f64::consts::TAU * k as f64 / n as f64;
            let wobble = (a * 2.0 + phases[0]).sin() * 0.5
                + (a * 3.0 + phases[1]).sin() * 0.3
                + (a * 5.0 + phases[2]).sin() * 0.2;
            let f = 1.0 + jitter * wobble;
            let (x, y) = (rx * f * a.cos(), ry * f * a.sin());
            Coord {
                x: c.x + x * rot.cos() - y * rot.sin(),
                y: c.y + x * rot.sin() + y * rot.cos(),
            }
        })
        .collect();
    polygon(ring)
}

/// A polyline from lon/lat vertices, smoothed by Chaikin's corner cutting (endpoints kept).
pub fn smooth_line(pts: &[(f64, f64)], iterations: usize) -> LineString {
    let ls = LineString::new(pts.iter().map(|&(x, y)| frame::deg(x, y)).collect());
    ls.chaikin_smoothing(iterations)
}

/// Buffer of a line by `d` metres (round caps and joins).
pub fn buffer_line(ls: &LineString, d: f64) -> MultiPolygon {
    ls.buffer(d)
}

/// Drop polygons (parts) smaller than `min_area` m², and holes smaller than `min_hole`.
pub fn drop_small(mp: MultiPolygon, min_area: f64, min_hole: f64) -> MultiPolygon {
    MultiPolygon(
        mp.0.into_iter()
            .filter(|p| p.unsigned_area() >= min_area)
            .map(|p| {
                let (ext, holes) = p.into_inner();
                let holes = holes
                    .into_iter()
                    .filter(|h| Polygon::new(h.clone(), vec![]).unsigned_area() >= min_hole)
                    .collect();
                Polygon::new(ext, holes)
            })
            .collect(),
    )
}

/// Clip lines to a multipolygon; returns the pieces longer than `min_len` metres.
pub fn clip_line(area: &MultiPolygon, ls: &LineString, min_len: f64) -> Vec<LineString> {
    use geo::{Euclidean, Length};
    area.clip(&MultiLineString(vec![ls.clone()]), false)
        .0
        .into_iter()
        .filter(|l| Euclidean.length(l) >= min_len)
        .collect()
}
