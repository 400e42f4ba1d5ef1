//! The area of the intersection of two polygons without building it (Green's theorem).
//!
//! The boundary of A ∩ B is made of the parts of A's boundary inside B and the parts of B's
//! boundary inside A, each kept in its own ring's direction. The authalic-sphere area of
//! [`geodesy`] is a sum of one term an edge, so summing those terms over these parts gives the
//! area of A ∩ B: the same figure as measuring the overlay's result, with the crossing points
//! computed in full double precision instead of on the overlay's fixed-point grid.
//!
//! Only the general position is handled: every two edges either cross properly or do not meet
//! (decided exactly, with the robust orientation test). When an edge touches the other
//! polygon's boundary (a shared vertex or edge, a vertex on an edge), or an edge is too long
//! for the authalic path, [`intersection_area`] answers `None` and the caller uses the overlay.

use geo::kernels::{Kernel, RobustKernel};
use geo::{Coord, Rect};

use crate::geodesy;
use crate::relate::{self, Edge, Shape};

/// A crossing on an edge: (index of the edge in its list, parameter along it, point).
type Crossing = (usize, f64, Coord<f64>);

/// The area in m² of `a ∩ b` (0 when they share no area), or `None` when the polygons are not
/// in general position or an edge is long (then the overlay must decide).
pub fn intersection_area(a: &Shape, b: &Shape) -> Option<f64> {
    let Some(window) = relate::intersection(&a.bbox, &b.bbox) else {
        return Some(0.0);
    };
    let ea = edges_in(a, &window)?;
    let eb = edges_in(b, &window)?;
    let (mut xa, mut xb) = crossings(&ea, &eb, a.edges, b.edges)?;
    // The edge terms sum to minus the excess of a counter-clockwise ring.
    let excess = -(inside_excess(&ea, &mut xa, b) + inside_excess(&eb, &mut xb, a));
    Some((excess * geodesy::authalic_r2()).max(0.0))
}

/// Where the edges of `ea` cross those of `eb` (each list in ring order): the crossings on
/// each side, or `None` when two edges touch. Each edge of one list is compared with the edges
/// of the other whose boxes meet its own: from the other's edge index (the longer list's when
/// it has one: a big site against a patch, a big site against the county), else by a pass.
fn crossings(
    ea: &[Edge],
    eb: &[Edge],
    ia: Option<&relate::Edges>,
    ib: Option<&relate::Edges>,
) -> Option<(Vec<Crossing>, Vec<Crossing>)> {
    let (mut xa, mut xb) = (Vec::new(), Vec::new());
    let mut pair = |i: usize, j: usize| -> Option<()> {
        let (p, q) = (&ea[i], &eb[j]);
        match meet(p.a, p.b, q.a, q.b) {
            Meet::Apart => {}
            Meet::Touch => return None,
            Meet::Cross => {
                let (t, u, x) = crossing(p.a, p.b, q.a, q.b);
                xa.push((i, t, x));
                xb.push((j, u, x));
            }
        }
        Some(())
    };
    // An index to query with each edge of the other list: the longer list's, else the
    // shorter's (two big polygons), when its list is long enough to be worth it.
    let worth = |list: &[Edge]| list.len() >= relate::INDEXED_PASS;
    let (a_short, long_index, short_index) = if ea.len() <= eb.len() {
        (true, ib.filter(|_| worth(eb)), ia.filter(|_| worth(ea)))
    } else {
        (false, ia.filter(|_| worth(ea)), ib.filter(|_| worth(eb)))
    };
    // (index, whether the indexed list is a's)
    let indexed = match (long_index, short_index) {
        (Some(ix), _) => Some((ix, !a_short)),
        (None, Some(ix)) => Some((ix, a_short)),
        (None, None) => None,
    };
    match indexed {
        Some((index, a_indexed)) => {
            let (probes, listed) = if a_indexed { (eb, ea) } else { (ea, eb) };
            for (k, e) in probes.iter().enumerate() {
                // An edge that meets this one meets the window too: it is in the listed edges.
                for other in index.edges_within(&edge_box(e)) {
                    let Ok(l) = listed.binary_search_by_key(&other.seq, |x| x.seq) else {
                        continue;
                    };
                    if a_indexed {
                        pair(l, k)?;
                    } else {
                        pair(k, l)?;
                    }
                }
            }
        }
        None => {
            for (i, p) in ea.iter().enumerate() {
                let r = edge_box(p);
                for (j, q) in eb.iter().enumerate() {
                    if meets(q, &r) {
                        pair(i, j)?;
                    }
                }
            }
        }
    }
    Some((xa, xb))
}

fn edge_box(e: &Edge) -> Rect<f64> {
    Rect::new(e.a, e.b)
}

/// The edges of `s` whose boxes meet `window`, in ring order; `None` when one is long.
fn edges_in(s: &Shape, window: &Rect<f64>) -> Option<Vec<Edge>> {
    let mut out: Vec<Edge> = match s.edges {
        Some(index) => {
            let mut v: Vec<Edge> = index.edges_within(window).collect();
            v.sort_unstable_by_key(|e| e.seq);
            v
        }
        None => relate::signed_edges(s.polygon)
            .filter(|e| meets(e, window))
            .collect(),
    };
    out.retain(|e| e.a != e.b);
    out.iter()
        .all(|e| geodesy::short_edge(e.a, e.b))
        .then_some(out)
}

fn meets(e: &Edge, r: &Rect<f64>) -> bool {
    e.a.x.min(e.b.x) <= r.max().x
        && e.a.x.max(e.b.x) >= r.min().x
        && e.a.y.min(e.b.y) <= r.max().y
        && e.a.y.max(e.b.y) >= r.min().y
}

enum Meet {
    Apart,
    Cross,
    Touch,
}

/// How two closed segments meet, exactly: a proper crossing (interiors cross at one point),
/// any other contact, or none.
fn meet(p1: Coord<f64>, p2: Coord<f64>, q1: Coord<f64>, q2: Coord<f64>) -> Meet {
    let o = |a, b, c| relate::sign(RobustKernel::orient2d(a, b, c));
    let (d1, d2, d3, d4) = (o(q1, q2, p1), o(q1, q2, p2), o(p1, p2, q1), o(p1, p2, q2));
    if d1 * d2 < 0 && d3 * d4 < 0 {
        return Meet::Cross;
    }
    let touch = (d1 == 0 && relate::within_box(q1, q2, p1))
        || (d2 == 0 && relate::within_box(q1, q2, p2))
        || (d3 == 0 && relate::within_box(p1, p2, q1))
        || (d4 == 0 && relate::within_box(p1, p2, q2));
    if touch {
        Meet::Touch
    } else {
        Meet::Apart
    }
}

/// Where p1→p2 crosses q1→q2: (parameter along p, parameter along q, point).
fn crossing(
    p1: Coord<f64>,
    p2: Coord<f64>,
    q1: Coord<f64>,
    q2: Coord<f64>,
) -> (f64, f64, Coord<f64>) {
    let (r, s) = (p2 - p1, q2 - q1);
    let w = q1 - p1;
    let den = r.x * s.y - r.y * s.x; // not 0: the segments cross properly
    let t = ((w.x * s.y - w.y * s.x) / den).clamp(0.0, 1.0);
    let u = ((w.x * r.y - w.y * r.x) / den).clamp(0.0, 1.0);
    // The point from the nearer end of p, for precision.
    let x = if t <= 0.5 {
        p1 + r * t
    } else {
        p2 - r * (1.0 - t)
    };
    (t, u, x)
}

/// The excess (radians) of the parts of `edges` (one polygon's, in ring order) that lie inside
/// `other`, with their rings' signs. Along a run of consecutive edges, inside and outside
/// alternate at each crossing; each run starts from an exact point-in-polygon test of its
/// first vertex (which is not on `other`'s boundary: that would have been a touch).
fn inside_excess(edges: &[Edge], crossings: &mut [Crossing], other: &Shape) -> f64 {
    crossings.sort_unstable_by(|x, y| x.0.cmp(&y.0).then(x.1.total_cmp(&y.1)));
    let mut total = 0.0;
    let mut inside = false;
    let mut next = 0; // first crossing of the current edge
    for (i, e) in edges.iter().enumerate() {
        let continues = i > 0 && edges[i - 1].seq + 1 == e.seq && edges[i - 1].b == e.a;
        if !continues {
            inside = contains(other, e.a);
        }
        let mut from = e.a;
        let mut sum = 0.0;
        while next < crossings.len() && crossings[next].0 == i {
            let x = crossings[next].2;
            if inside {
                sum += excess(from, x);
            }
            inside = !inside;
            from = x;
            next += 1;
        }
        if inside {
            sum += excess(from, e.b);
        }
        total += e.sign * sum;
    }
    total
}

fn contains(s: &Shape, p: Coord<f64>) -> bool {
    let r = &s.bbox;
    r.min().x <= p.x && p.x <= r.max().x && r.min().y <= p.y && p.y <= r.max().y && s.contains(p)
}

fn excess(a: Coord<f64>, b: Coord<f64>) -> f64 {
    geodesy::edge_excess(geodesy::authalic_point(a), geodesy::authalic_point(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relate::Edges;
    use geo::{polygon, BooleanOps, BoundingRect, LineString, MultiPolygon, Polygon};

    fn sq(x0: f64, y0: f64, d: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![
            (x: x0, y: y0), (x: x0 + d, y: y0), (x: x0 + d, y: y0 + d), (x: x0, y: y0 + d)
        ]])
    }

    fn star(lon: f64, lat: f64, r: f64, n: usize, phase: f64) -> LineString<f64> {
        let pts: Vec<(f64, f64)> = (0..n)
            .map(|k| {
                let a = k as f64 * std::f64::consts::TAU / n as f64 + phase;
                let rr = r * (1.0 + 0.35 * (5.0 * a).sin());
                (lon + rr * a.cos(), lat + rr * 0.8 * a.sin())
            })
            .collect();
        LineString::from(pts)
    }

    fn area(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>, index: bool) -> Option<f64> {
        let (ia, ib) = (Edges::new(a), Edges::new(b));
        let sa = Shape {
            polygon: a,
            bbox: a.bounding_rect().unwrap(),
            edges: index.then_some(&ia),
        };
        let sb = Shape {
            polygon: b,
            bbox: b.bounding_rect().unwrap(),
            edges: index.then_some(&ib),
        };
        intersection_area(&sa, &sb)
    }

    /// Two squares overlapping by half of one: the half is a quadrangle between two meridians
    /// and two parallels, whose area has a closed form (the authalic-latitude formula).
    #[test]
    fn half_overlap_matches_the_closed_form() {
        let (x0, y0, d) = (112.003_1, 37.402_7, 0.01);
        let a = sq(x0, y0, d);
        let b = sq(x0 + d / 2.0, y0 - d / 3.0, d);
        let e2 = geodesy::WGS84_F * (2.0 - geodesy::WGS84_F);
        let e = e2.sqrt();
        let bb = geodesy::WGS84_A * (1.0 - geodesy::WGS84_F);
        let q = |lat: f64| {
            let s = lat.to_radians().sin();
            s / (1.0 - e2 * s * s) + (e * s).atanh() / e
        };
        let expected = bb * bb * (d / 2.0).to_radians() * (q(y0 + 2.0 * d / 3.0) - q(y0)) / 2.0;
        for index in [false, true] {
            let got = area(&a, &b, index).unwrap();
            assert!(
                ((got - expected) / expected).abs() < 1e-7,
                "{got} vs {expected}"
            );
            let swapped = area(&b, &a, index).unwrap();
            assert!(((swapped - got) / got).abs() < 1e-12);
        }
    }

    /// Stars crossing stars, with holes, clockwise rings and several parts: the area of the
    /// overlay's result, measured (the overlay rounds to its grid: ~1e-8 here).
    #[test]
    fn matches_the_measured_overlay() {
        let holed = MultiPolygon(vec![Polygon::new(
            star(112.05, 37.45, 0.01, 90, 0.1),
            vec![star(112.05, 37.45, 0.003, 30, 0.2)],
        )]);
        let cw = {
            let mut r = star(112.058, 37.452, 0.006, 40, 0.3);
            r.0.reverse();
            MultiPolygon(vec![Polygon::new(r, vec![])])
        };
        let two = MultiPolygon(vec![
            Polygon::new(star(112.043, 37.447, 0.004, 25, 0.4), vec![]),
            Polygon::new(star(112.060, 37.447, 0.003, 20, 0.5), vec![]),
        ]);
        let cases = [(&holed, &cw), (&holed, &two), (&cw, &two), (&two, &holed)];
        for (a, b) in cases {
            let overlay = geodesy::area_m2(&a.intersection(b));
            assert!(overlay > 1000.0);
            for index in [false, true] {
                let got = area(a, b, index).unwrap();
                assert!(
                    ((got - overlay) / overlay).abs() < 1e-7,
                    "{got} vs {overlay}"
                );
            }
        }
        // Apart, and one inside the other's hole: nothing.
        let inner = MultiPolygon(vec![Polygon::new(
            star(112.05, 37.45, 0.0005, 8, 0.0),
            vec![],
        )]);
        assert_eq!(area(&holed, &inner, false), Some(0.0));
        assert_eq!(
            area(&sq(112.0, 37.0, 0.01), &sq(112.5, 37.0, 0.01), true),
            Some(0.0)
        );
    }

    /// A shared edge or vertex is not general position: the overlay must decide.
    #[test]
    fn touching_boundaries_are_left_to_the_overlay() {
        let a = sq(112.0, 37.4, 0.01);
        assert_eq!(area(&a, &sq(112.005, 37.4, 0.01), false), None);
        assert_eq!(area(&a, &sq(112.01, 37.41, 0.01), false), None);
        // A long edge (over 0.02°) is not for the authalic path either.
        assert_eq!(area(&a, &sq(112.005, 37.405, 0.05), false), None);
    }
}
