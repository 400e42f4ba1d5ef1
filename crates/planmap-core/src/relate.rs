//! Exact, cheap relations between two polygons, decided before any overlay: do their
//! boundaries touch at all, and if not, which lies inside which.
//!
//! Orientation tests use geo's robust (adaptive-precision) kernel, so "no contact" is exact:
//! two rings that share an edge, a vertex, or cross anywhere are always in contact, and the
//! caller falls back to the exact overlay for them. Without contact every ring of one polygon
//! lies wholly inside or wholly outside the other, and one vertex of it tells which.

use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo::{Coord, MultiPolygon, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{Envelope, RTree, AABB};

use crate::cancel::{Cancel, Cancelled};

/// How two polygons lie when their boundaries do not touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// No common point.
    Disjoint,
    /// The first lies wholly inside the second.
    FirstInside,
    /// The second lies wholly inside the first.
    SecondInside,
    /// Boundaries touch or cross, or the parts nest both ways: needs the exact overlay.
    Complex,
}

/// Polygons with at least this many edges get an edge index ([`Edges`]).
pub const INDEX_MIN_EDGES: usize = 64;

/// One edge of a polygon: its ends, its place in the polygon's edge sequence (consecutive
/// edges of a ring have consecutive numbers), and the sign (±1) that orients its ring as a
/// boundary (exterior counter-clockwise, holes clockwise) whichever way the ring winds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    pub a: Coord<f64>,
    pub b: Coord<f64>,
    pub seq: u32,
    pub sign: f64,
}

type EdgeEntry = GeomWithData<Rectangle<[f64; 2]>, Edge>;

/// A polygon's edges, in R-trees when there are many: a "prepared" polygon, so relating a
/// small site or patch to a county-size feature costs a tree query, not a pass over its edges.
///
/// The edges are cut, in their sequence, into runs of [`RUN_EDGES`], each bulk-loaded into a
/// tree of its own: a run is a stretch of boundary, so its box is compact, and building the
/// index of a huge site is a series of short pieces of work that a [`Cancel`] stops between
/// (one tree of 1,000,000 edges is 0.4 s that nothing could interrupt).
#[derive(Debug, Clone)]
pub struct Edges {
    trees: Vec<RTree<EdgeEntry>>,
}

/// Edges a tree of [`Edges`] holds at most (a bulk load of some 25 ms).
pub const RUN_EDGES: usize = 1 << 16;

impl Edges {
    pub fn new(mp: &MultiPolygon<f64>) -> Edges {
        match Edges::new_cancellable(mp, &Cancel::new()) {
            Ok(e) => e,
            Err(Cancelled) => unreachable!("a flag nobody else holds is never set"),
        }
    }

    /// [`Edges::new`], stopped between runs once `cancel` is set.
    pub fn new_cancellable(mp: &MultiPolygon<f64>, cancel: &Cancel) -> Result<Edges, Cancelled> {
        Edges::in_runs(mp, RUN_EDGES, cancel)
    }

    /// The index of `mp` in trees of at most `run` edges.
    fn in_runs(mp: &MultiPolygon<f64>, run: usize, cancel: &Cancel) -> Result<Edges, Cancelled> {
        let mut edges = signed_edges(mp).map(|e| {
            EdgeEntry::new(
                Rectangle::from_corners(
                    [e.a.x.min(e.b.x), e.a.y.min(e.b.y)],
                    [e.a.x.max(e.b.x), e.a.y.max(e.b.y)],
                ),
                e,
            )
        });
        let mut trees = Vec::new();
        loop {
            cancel.check()?;
            let entries: Vec<EdgeEntry> = edges.by_ref().take(run).collect();
            if entries.is_empty() {
                break;
            }
            trees.push(RTree::bulk_load(entries));
        }
        Ok(Edges { trees })
    }

    /// Heap bytes the index holds (its R-trees' nodes).
    pub fn heap_bytes(&self) -> usize {
        crate::memory::block(self.trees.capacity() * std::mem::size_of::<RTree<EdgeEntry>>())
            + self
                .trees
                .iter()
                .map(crate::memory::tree_bytes)
                .sum::<usize>()
    }

    /// Whether `mp` needs an index (many edges).
    pub fn worth_it(mp: &MultiPolygon<f64>) -> bool {
        segments(mp).nth(INDEX_MIN_EDGES - 1).is_some()
    }

    pub(crate) fn within(
        &self,
        r: &Rect<f64>,
    ) -> impl Iterator<Item = (Coord<f64>, Coord<f64>)> + '_ {
        self.edges_within(r).map(|e| (e.a, e.b))
    }

    /// The pairs of edges whose boxes meet: a join of the index with itself (each pair in
    /// both orders, and each edge with itself), tree by tree where the trees' boxes meet.
    pub(crate) fn pairs(&self) -> impl Iterator<Item = (Edge, Edge)> + '_ {
        self.trees
            .iter()
            .flat_map(move |t| self.trees.iter().map(move |u| (t, u)))
            .filter(|(t, u)| t.root().envelope().intersects(&u.root().envelope()))
            .flat_map(|(t, u)| t.intersection_candidates_with_other_tree(u))
            .map(|(x, y)| (x.data, y.data))
    }

    /// The edges whose boxes meet `r`, in no particular order.
    pub(crate) fn edges_within(&self, r: &Rect<f64>) -> impl Iterator<Item = Edge> + '_ {
        let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
        self.trees
            .iter()
            .flat_map(move |t| t.locate_in_envelope_intersecting(&env))
            .map(|e| e.data)
    }
}

/// A polygon and, for big ones, its edge index.
#[derive(Clone, Copy)]
pub struct Shape<'a> {
    pub polygon: &'a MultiPolygon<f64>,
    pub bbox: Rect<f64>,
    pub edges: Option<&'a Edges>,
}

impl<'a> Shape<'a> {
    /// Edges whose boxes meet `r`.
    fn edges_in(&self, r: &Rect<f64>) -> Vec<(Coord<f64>, Coord<f64>)> {
        match self.edges {
            Some(e) => e.within(r).collect(),
            None => segments(self.polygon)
                .filter(|(a, b)| seg_meets_rect(*a, *b, r))
                .collect(),
        }
    }

    /// Whether `p` (not on the boundary) lies inside: even-odd crossings of a horizontal ray
    /// (with an edge index, towards the nearer side of the box: fewer edges to look at).
    pub(crate) fn contains(&self, p: Coord<f64>) -> bool {
        let leftwards = p.x - self.bbox.min().x < self.bbox.max().x - p.x;
        let mut inside = false;
        let mut count = |a: Coord<f64>, b: Coord<f64>| {
            if let Some(east) = crossing_side(a, b, p) {
                inside ^= if leftwards && self.edges.is_some() {
                    !east
                } else {
                    east
                };
            }
        };
        match self.edges {
            Some(e) => {
                let ray = if leftwards {
                    Rect::new(
                        Coord {
                            x: -f64::MAX,
                            y: p.y,
                        },
                        p,
                    )
                } else {
                    Rect::new(
                        p,
                        Coord {
                            x: f64::MAX,
                            y: p.y,
                        },
                    )
                };
                e.within(&ray).for_each(|(a, b)| count(a, b));
            }
            None => segments(self.polygon).for_each(|(a, b)| count(a, b)),
        }
        inside
    }
}

/// Where the edge a→b crosses p's parallel, exactly: `Some(true)` east of p, `Some(false)`
/// west, `None` when it does not cross it (half-open in y, so a vertex counts once) or passes
/// through p. East when p lies left of an upward edge (counter-clockwise) or right of a
/// downward one.
pub(crate) fn crossing_side(a: Coord<f64>, b: Coord<f64>, p: Coord<f64>) -> Option<bool> {
    if (a.y <= p.y) == (b.y <= p.y) {
        return None;
    }
    match RobustKernel::orient2d(a, b, p) {
        Orientation::Collinear => None,
        o if a.y < b.y => Some(o == Orientation::CounterClockwise),
        o => Some(o == Orientation::Clockwise),
    }
}

/// Every edge of `mp` with its sequence number and ring sign (see [`Edge`]).
pub(crate) fn signed_edges(mp: &MultiPolygon<f64>) -> impl Iterator<Item = Edge> + '_ {
    let mut seq = 0u32;
    mp.0.iter()
        .flat_map(|p| {
            std::iter::once((p.exterior(), 1.0)).chain(p.interiors().iter().map(|r| (r, -1.0)))
        })
        .flat_map(move |(r, role)| {
            // Twice the planar signed area: its sign is the ring's winding.
            let twice: f64 =
                r.0.windows(2)
                    .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
                    .sum();
            let sign = if twice < 0.0 { -role } else { role };
            let start = seq;
            seq += r.0.len().saturating_sub(1) as u32 + 1; // a gap between rings
            r.0.windows(2).enumerate().map(move |(k, w)| Edge {
                a: w[0],
                b: w[1],
                seq: start + k as u32,
                sign,
            })
        })
}

fn segments(mp: &MultiPolygon<f64>) -> impl Iterator<Item = (Coord<f64>, Coord<f64>)> + '_ {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.0.windows(2).map(|w| (w[0], w[1])))
}

fn seg_meets_rect(a: Coord<f64>, b: Coord<f64>, r: &Rect<f64>) -> bool {
    a.x.min(b.x) <= r.max().x
        && a.x.max(b.x) >= r.min().x
        && a.y.min(b.y) <= r.max().y
        && a.y.max(b.y) >= r.min().y
}

pub(crate) fn sign(o: Orientation) -> i8 {
    match o {
        Orientation::CounterClockwise => 1,
        Orientation::Clockwise => -1,
        Orientation::Collinear => 0,
    }
}

pub(crate) fn within_box(a: Coord<f64>, b: Coord<f64>, p: Coord<f64>) -> bool {
    a.x.min(b.x) <= p.x && p.x <= a.x.max(b.x) && a.y.min(b.y) <= p.y && p.y <= a.y.max(b.y)
}

/// Whether two closed segments share any point (crossing, touching, overlapping): exact.
pub fn segments_meet(p1: Coord<f64>, p2: Coord<f64>, q1: Coord<f64>, q2: Coord<f64>) -> bool {
    let d1 = sign(RobustKernel::orient2d(q1, q2, p1));
    let d2 = sign(RobustKernel::orient2d(q1, q2, p2));
    let d3 = sign(RobustKernel::orient2d(p1, p2, q1));
    let d4 = sign(RobustKernel::orient2d(p1, p2, q2));
    if d1 * d2 < 0 && d3 * d4 < 0 {
        return true;
    }
    (d1 == 0 && within_box(q1, q2, p1))
        || (d2 == 0 && within_box(q1, q2, p2))
        || (d3 == 0 && within_box(p1, p2, q1))
        || (d4 == 0 && within_box(p1, p2, q2))
}

pub(crate) fn intersection(a: &Rect<f64>, b: &Rect<f64>) -> Option<Rect<f64>> {
    let min = Coord {
        x: a.min().x.max(b.min().x),
        y: a.min().y.max(b.min().y),
    };
    let max = Coord {
        x: a.max().x.min(b.max().x),
        y: a.max().y.min(b.max().y),
    };
    (min.x <= max.x && min.y <= max.y).then(|| Rect::new(min, max))
}

/// Whether any boundary of `a` meets any boundary of `b`. A common point lies in both boxes,
/// so only edges meeting the boxes' intersection are compared.
fn boundaries_meet(a: &Shape, b: &Shape, window: &Rect<f64>) -> bool {
    let ea = a.edges_in(window);
    if ea.is_empty() {
        return false;
    }
    let eb = b.edges_in(window);
    // Each edge of the shorter list against the other's edges near it: from the other's
    // index when it has one (an edge that meets this one meets the window: it is in the
    // index's answer), else by a pass.
    let (short, long, index) = if ea.len() <= eb.len() {
        (&ea, &eb, b.edges)
    } else {
        (&eb, &ea, a.edges)
    };
    short.iter().any(|&(p1, p2)| {
        let r = Rect::new(p1, p2);
        match index.filter(|_| long.len() >= INDEXED_PASS) {
            Some(ix) => ix.within(&r).any(|(q1, q2)| segments_meet(p1, p2, q1, q2)),
            None => long
                .iter()
                .any(|&(q1, q2)| seg_meets_rect(q1, q2, &r) && segments_meet(p1, p2, q1, q2)),
        }
    })
}

/// Lists of edges at least this long are searched through their index, not by a pass.
pub(crate) const INDEXED_PASS: usize = 16;

/// Which rings of `a` lie inside `b`: (all of them, any of them).
fn rings_inside(a: &Shape, b: &Shape) -> (bool, bool) {
    let (mut all, mut any) = (true, false);
    for p in &a.polygon.0 {
        for r in std::iter::once(p.exterior()).chain(p.interiors()) {
            let Some(&v) = r.0.first() else { continue };
            let inside = rect_contains(&b.bbox, v) && b.contains(v);
            all &= inside;
            any |= inside;
        }
    }
    (all, any)
}

fn rect_contains(r: &Rect<f64>, p: Coord<f64>) -> bool {
    r.min().x <= p.x && p.x <= r.max().x && r.min().y <= p.y && p.y <= r.max().y
}

/// How `a` and `b` lie relative to each other, without computing any overlay.
pub fn relate(a: &Shape, b: &Shape) -> Relation {
    let Some(window) = intersection(&a.bbox, &b.bbox) else {
        return Relation::Disjoint;
    };
    if boundaries_meet(a, b, &window) {
        return Relation::Complex;
    }
    // No contact: each ring is wholly inside or outside the other polygon.
    let (a_all, a_any) = rings_inside(a, b);
    let (b_all, b_any) = rings_inside(b, a);
    match (a_any, b_any) {
        (false, false) => Relation::Disjoint,
        (true, false) if a_all => Relation::FirstInside,
        (false, true) if b_all => Relation::SecondInside,
        _ => Relation::Complex,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, BoundingRect};

    fn sq(x0: f64, y0: f64, d: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![
            (x: x0, y: y0), (x: x0 + d, y: y0), (x: x0 + d, y: y0 + d), (x: x0, y: y0 + d)
        ]])
    }

    fn rel(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>, index: bool) -> Relation {
        let (ea, eb) = (Edges::new(a), Edges::new(b));
        let sa = Shape {
            polygon: a,
            bbox: a.bounding_rect().unwrap(),
            edges: index.then_some(&ea),
        };
        let sb = Shape {
            polygon: b,
            bbox: b.bounding_rect().unwrap(),
            edges: index.then_some(&eb),
        };
        relate(&sa, &sb)
    }

    #[test]
    fn relations_with_and_without_an_edge_index() {
        let big = sq(0.0, 0.0, 10.0);
        for index in [false, true] {
            assert_eq!(rel(&sq(1.0, 1.0, 1.0), &big, index), Relation::FirstInside);
            assert_eq!(rel(&big, &sq(1.0, 1.0, 1.0), index), Relation::SecondInside);
            assert_eq!(rel(&sq(20.0, 1.0, 1.0), &big, index), Relation::Disjoint);
            // Inside the box but outside an L-shaped polygon.
            let l = MultiPolygon(vec![polygon![
                (x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 2.0), (x: 2.0, y: 2.0),
                (x: 2.0, y: 10.0), (x: 0.0, y: 10.0)
            ]]);
            assert_eq!(rel(&sq(5.0, 5.0, 1.0), &l, index), Relation::Disjoint);
            // Touching at an edge, a corner, crossing: all need the exact overlay.
            assert_eq!(rel(&sq(10.0, 1.0, 1.0), &big, index), Relation::Complex);
            assert_eq!(rel(&sq(10.0, 10.0, 1.0), &big, index), Relation::Complex);
            assert_eq!(rel(&sq(9.5, 1.0, 1.0), &big, index), Relation::Complex);
        }
    }

    #[test]
    fn holes_count() {
        let holed = MultiPolygon(vec![polygon!(
            exterior: [(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)],
            interiors: [[(x: 4.0, y: 4.0), (x: 6.0, y: 4.0), (x: 6.0, y: 6.0), (x: 4.0, y: 6.0)]],
        )]);
        for index in [false, true] {
            // In the hole: disjoint. Around the hole: the hole lies inside the site, so the
            // site is not inside the feature, nor the feature inside the site.
            assert_eq!(rel(&sq(4.5, 4.5, 1.0), &holed, index), Relation::Disjoint);
            assert_eq!(rel(&sq(3.0, 3.0, 4.0), &holed, index), Relation::Complex);
            assert_eq!(
                rel(&sq(1.0, 1.0, 1.0), &holed, index),
                Relation::FirstInside
            );
        }
    }

    /// The indexed test (ray towards the nearer side) answers as the plain one (ray to +x) on
    /// a grid of points over a concave polygon with a hole.
    #[test]
    fn containment_with_and_without_an_index() {
        let ring = |r: f64, n: usize| -> geo::LineString<f64> {
            (0..n)
                .map(|k| {
                    let a = k as f64 * std::f64::consts::TAU / n as f64;
                    let rr = r * (1.0 + 0.4 * (5.0 * a).sin());
                    (rr * a.cos(), rr * a.sin())
                })
                .collect::<Vec<_>>()
                .into()
        };
        let mp = MultiPolygon(vec![geo::Polygon::new(ring(10.0, 97), vec![ring(3.0, 41)])]);
        let edges = Edges::new(&mp);
        let bbox = mp.bounding_rect().unwrap();
        let plain = Shape {
            polygon: &mp,
            bbox,
            edges: None,
        };
        let indexed = Shape {
            edges: Some(&edges),
            ..plain
        };
        let (mut inside, mut n) = (0, 0);
        for i in 0..57 {
            for j in 0..53 {
                let p = Coord {
                    x: -14.1 + i as f64 * 0.5,
                    y: -13.9 + j as f64 * 0.53,
                };
                assert_eq!(plain.contains(p), indexed.contains(p), "{p:?}");
                inside += plain.contains(p) as usize;
                n += 1;
            }
        }
        assert!(inside > n / 5 && inside < n, "{inside} of {n}");
    }

    #[test]
    fn segments_meet_exactly() {
        let c = |x: f64, y: f64| Coord { x, y };
        assert!(segments_meet(
            c(0.0, 0.0),
            c(1.0, 1.0),
            c(0.0, 1.0),
            c(1.0, 0.0)
        ));
        assert!(segments_meet(
            c(0.0, 0.0),
            c(1.0, 0.0),
            c(1.0, 0.0),
            c(2.0, 5.0)
        ));
        assert!(segments_meet(
            c(0.0, 0.0),
            c(2.0, 0.0),
            c(1.0, 0.0),
            c(3.0, 0.0)
        ));
        assert!(!segments_meet(
            c(0.0, 0.0),
            c(1.0, 0.0),
            c(2.0, 0.0),
            c(3.0, 0.0)
        ));
        assert!(!segments_meet(
            c(0.0, 0.0),
            c(1.0, 1.0),
            c(0.0, 1.0),
            c(0.4, 0.6 + 1e-12)
        ));
    }

    /// A wavy ring of `n` edges with a hole (two rings, edges of both signs).
    fn wavy(n: usize) -> MultiPolygon<f64> {
        let ring = |r0: f64, k: usize| -> geo::LineString<f64> {
            (0..=k)
                .map(|i| {
                    let t = std::f64::consts::TAU * (i % k) as f64 / k as f64;
                    let r = r0 * (1.0 + 0.2 * (9.0 * t).sin());
                    Coord {
                        x: r * t.cos(),
                        y: r * t.sin(),
                    }
                })
                .collect()
        };
        MultiPolygon(vec![geo::Polygon::new(
            ring(10.0, n),
            vec![ring(3.0, n / 4)],
        )])
    }

    fn key(e: &Edge) -> (u32, u64, u64) {
        (e.seq, e.a.x.to_bits(), e.b.y.to_bits())
    }

    /// Whether two boxes meet (closed), computed here from the edges' ends.
    fn boxes_meet(p: &Edge, q: &Edge) -> bool {
        let (px0, px1) = (p.a.x.min(p.b.x), p.a.x.max(p.b.x));
        let (py0, py1) = (p.a.y.min(p.b.y), p.a.y.max(p.b.y));
        let (qx0, qx1) = (q.a.x.min(q.b.x), q.a.x.max(q.b.x));
        let (qy0, qy1) = (q.a.y.min(q.b.y), q.a.y.max(q.b.y));
        px0 <= qx1 && qx0 <= px1 && py0 <= qy1 && qy0 <= py1
    }

    #[test]
    fn an_index_in_runs_finds_what_a_pass_over_every_edge_finds() {
        let mp = wavy(400);
        let all: Vec<Edge> = signed_edges(&mp).collect();
        for run in [7, 64, 1_000] {
            let idx = Edges::in_runs(&mp, run, &Cancel::new()).unwrap();
            assert_eq!(idx.trees.len(), all.len().div_ceil(run));
            for (x0, y0, d) in [(-1.0, -1.0, 2.0), (8.0, -2.0, 5.0), (-20.0, -20.0, 40.0)] {
                let r = Rect::new(
                    Coord { x: x0, y: y0 },
                    Coord {
                        x: x0 + d,
                        y: y0 + d,
                    },
                );
                let mut got: Vec<_> = idx.edges_within(&r).map(|e| key(&e)).collect();
                let mut want: Vec<_> = all
                    .iter()
                    .filter(|e| {
                        boxes_meet(
                            e,
                            &Edge {
                                a: r.min(),
                                b: r.max(),
                                seq: 0,
                                sign: 1.0,
                            },
                        )
                    })
                    .map(key)
                    .collect();
                got.sort_unstable();
                want.sort_unstable();
                assert_eq!(got, want, "run {run}, window {r:?}");
            }
            let mut got: Vec<_> = idx.pairs().map(|(p, q)| (key(&p), key(&q))).collect();
            let mut want: Vec<_> = all
                .iter()
                .flat_map(|p| all.iter().map(move |q| (p, q)))
                .filter(|(p, q)| boxes_meet(p, q))
                .map(|(p, q)| (key(p), key(q)))
                .collect();
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "run {run}: the self-join");
        }
    }

    #[test]
    fn a_set_flag_stops_the_index_before_its_first_tree() {
        let flag = Cancel::new();
        flag.cancel();
        assert!(Edges::new_cancellable(&wavy(400), &flag).is_err());
    }
}
