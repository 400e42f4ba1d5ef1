//! Exact overlay of polygons (geo's `BooleanOps`), with the cheap early-outs in front of it.
//!
//! [`overlap_measured`] is the fast path the check and the scan use: bounding boxes first, then
//! [`relate`](crate::relate) decides exactly, without any overlay, when one polygon lies wholly
//! inside the other (the piece is that polygon, its area already known) or outside it. Only
//! polygons whose boundaries touch go to the overlay, both first cut to a box around where they
//! can meet, which makes the overlay cheaper and its fixed-point grid finer.

use geo::{BooleanOps, BoundingRect, Coord, MultiPolygon, Polygon, Rect};

pub use crate::bbox::rects_intersect;
pub use crate::clip::clip_to;

use crate::geodesy;
use crate::relate::{self, Relation};

/// A piece of overlap between two polygonal features.
#[derive(Debug, Clone)]
pub struct Piece {
    pub geometry: MultiPolygon<f64>,
    pub area_m2: f64,
}

/// The overlap of `a` and `b` with its geodesic area, or `None` when they share no area (they
/// may still share an edge or a point: that is not an overlap).
pub fn overlap(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> Option<Piece> {
    let (ra, rb) = (a.bounding_rect()?, b.bounding_rect()?);
    if !rects_intersect(&ra, &rb) {
        return None;
    }
    let geometry = a.intersection(b);
    if geometry.0.is_empty() {
        return None;
    }
    let area_m2 = geodesy::area_m2(&geometry);
    if area_m2 <= 0.0 {
        return None;
    }
    Some(Piece { geometry, area_m2 })
}

/// A polygon with what is known of it: box, geodesic area, edge index when big.
#[derive(Clone, Copy)]
pub struct Measured<'a> {
    pub shape: relate::Shape<'a>,
    pub area_m2: f64,
}

impl<'a> Measured<'a> {
    pub fn new(
        polygon: &'a MultiPolygon<f64>,
        bbox: Rect<f64>,
        area_m2: f64,
        edges: Option<&'a relate::Edges>,
    ) -> Measured<'a> {
        Measured {
            shape: relate::Shape {
                polygon,
                bbox,
                edges,
            },
            area_m2,
        }
    }
}

/// How two measured polygons overlap: one of them whole (borrowed, area known), or a piece the
/// overlay computed.
pub enum Overlap<'a> {
    Whole(&'a MultiPolygon<f64>, f64),
    Cut(MultiPolygon<f64>, f64),
}

impl Overlap<'_> {
    pub fn area_m2(&self) -> f64 {
        match self {
            Overlap::Whole(_, a) | Overlap::Cut(_, a) => *a,
        }
    }

    pub fn into_piece(self) -> Piece {
        match self {
            Overlap::Whole(g, area_m2) => Piece {
                geometry: g.clone(),
                area_m2,
            },
            Overlap::Cut(geometry, area_m2) => Piece { geometry, area_m2 },
        }
    }
}

/// The overlap of `a` and `b` as [`overlap`] gives it, deciding containment and disjointness
/// exactly first: a polygon wholly inside the other is the piece, with its known area.
pub fn overlap_measured(a: &Measured, b: &Measured) -> Option<Piece> {
    overlap_of(a, b).map(Overlap::into_piece)
}

/// [`overlap_measured`] without copying a polygon that lies wholly inside the other.
pub fn overlap_of<'a>(a: &Measured<'a>, b: &Measured<'a>) -> Option<Overlap<'a>> {
    if !rects_intersect(&a.shape.bbox, &b.shape.bbox) {
        return None;
    }
    let whole =
        |m: &Measured<'a>| (m.area_m2 > 0.0).then_some(Overlap::Whole(m.shape.polygon, m.area_m2));
    match relate::relate(&a.shape, &b.shape) {
        Relation::Disjoint => None,
        Relation::FirstInside => whole(a),
        Relation::SecondInside => whole(b),
        Relation::Complex => {
            let geometry = intersect(a, b);
            if geometry.0.is_empty() {
                return None;
            }
            let area_m2 = geodesy::area_m2(&geometry);
            (area_m2 > 0.0).then_some(Overlap::Cut(geometry, area_m2))
        }
    }
}

/// How much two measured polygons overlap, and how, without building the piece.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Share {
    /// The first lies wholly inside the second: the piece is the first, of this area.
    FirstInside(f64),
    /// The second lies wholly inside the first.
    SecondInside(f64),
    /// The boundaries cross: the piece is cut by [`piece`], of this area.
    Crossing(f64),
}

impl Share {
    pub fn area_m2(self) -> f64 {
        match self {
            Share::FirstInside(a) | Share::SecondInside(a) | Share::Crossing(a) => a,
        }
    }
}

/// How `a` and `b` share area (m² > 0), as [`overlap_of`] measures it, without building the
/// piece when the boundaries cross in general position ([`crate::green`]); `None` when they
/// share no area.
pub fn overlap_share(a: &Measured, b: &Measured) -> Option<Share> {
    if !rects_intersect(&a.shape.bbox, &b.shape.bbox) {
        return None;
    }
    let share = match relate::relate(&a.shape, &b.shape) {
        Relation::Disjoint => return None,
        Relation::FirstInside => Share::FirstInside(a.area_m2),
        Relation::SecondInside => Share::SecondInside(b.area_m2),
        Relation::Complex => Share::Crossing(
            crate::green::intersection_area(&a.shape, &b.shape)
                .unwrap_or_else(|| geodesy::area_m2(&intersect(a, b))),
        ),
    };
    (share.area_m2() > 0.0).then_some(share)
}

/// The area of `a ∩ b` in m² ([`overlap_share`]'s); 0 when they share no area.
pub fn overlap_area(a: &Measured, b: &Measured) -> f64 {
    overlap_share(a, b).map_or(0.0, Share::area_m2)
}

/// The piece `a ∩ b` of two polygons whose boundaries cross ([`Share::Crossing`]), with their
/// boxes.
pub fn piece(
    a: &MultiPolygon<f64>,
    a_box: Rect<f64>,
    b: &MultiPolygon<f64>,
    b_box: Rect<f64>,
) -> MultiPolygon<f64> {
    let m = |p, bbox| Measured::new(p, bbox, 0.0, None);
    intersect(&m(a, a_box), &m(b, b_box))
}

/// A piece whose box is this many times smaller than the overlay's inputs is computed again,
/// on a grid sized to the piece.
const REFINE_RATIO: f64 = 8.0;

/// The exact intersection of two polygons whose boundaries touch. Both are first cut to a box
/// around the intersection of their boxes. The overlay (i_overlay) rounds to a fixed-point grid of 2³⁰ steps
/// across its inputs' extent, so a piece much smaller than that extent (a corner of a site
/// grazing a patch) would keep only a few digits of its area: such a piece is computed again
/// from both polygons cut to a box around it, which it lies strictly inside, so the result is
/// the same set on a grid as fine as the piece.
fn intersect(a: &Measured, b: &Measured) -> MultiPolygon<f64> {
    let (pa, pb) = (a.shape.polygon, b.shape.polygon);
    let Some(common) = relate::intersection(&a.shape.bbox, &b.shape.bbox) else {
        return MultiPolygon(vec![]);
    };
    // Both cut to a box around where they can meet: the overlay sees only what matters.
    let w = around(&common);
    let (ca, cb) = (cut(pa, &a.shape.bbox, &w), cut(pb, &b.shape.bbox, &w));
    let geometry = ca.intersection(cb.as_ref());
    let Some(piece) = geometry.bounding_rect() else {
        return geometry;
    };
    let span = piece.width().max(piece.height());
    if span * REFINE_RATIO >= w.width().max(w.height()) {
        return geometry;
    }
    let r = around(&piece);
    clip_to(pa, &r).intersection(&clip_to(pb, &r))
}

/// `mp` cut to `w`, or `mp` itself when its box `bbox` lies inside `w`.
fn cut<'a>(
    mp: &'a MultiPolygon<f64>,
    bbox: &Rect<f64>,
    w: &Rect<f64>,
) -> std::borrow::Cow<'a, MultiPolygon<f64>> {
    let inside = w.min().x <= bbox.min().x
        && w.min().y <= bbox.min().y
        && bbox.max().x <= w.max().x
        && bbox.max().y <= w.max().y;
    if inside {
        std::borrow::Cow::Borrowed(mp)
    } else {
        std::borrow::Cow::Owned(clip_to(mp, w))
    }
}

/// `r` grown by 1 % of its size (and at least 1e-6°), so the cut lies strictly outside it.
fn around(r: &Rect<f64>) -> Rect<f64> {
    let g = (r.width().max(r.height()) * 0.01).max(1e-6);
    grown(r, g, g)
}

/// `r` grown by `gx` on the left and right and `gy` below and above.
pub(crate) fn grown(r: &Rect<f64>, gx: f64, gy: f64) -> Rect<f64> {
    Rect::new(
        Coord {
            x: r.min().x - gx,
            y: r.min().y - gy,
        },
        Coord {
            x: r.max().x + gx,
            y: r.max().y + gy,
        },
    )
}

/// The site minus every piece (避让): one overlay with the non-zero fill rule, which counts
/// overlapping pieces once (no union first); nothing left when a piece is the whole site.
pub fn avoid<'a>(
    site: &MultiPolygon<f64>,
    pieces: impl IntoIterator<Item = &'a MultiPolygon<f64>>,
) -> MultiPolygon<f64> {
    use geo::orient::{Direction, Orient};
    let mut polys: Vec<Polygon<f64>> = Vec::new();
    for p in pieces {
        if p == site {
            return MultiPolygon(vec![]);
        }
        // Exteriors one way and holes the other, so the winding numbers add up.
        polys.extend(p.0.iter().map(|q| q.orient(Direction::Default)));
    }
    if polys.is_empty() {
        return site.clone();
    }
    site.difference_with_fill_rule(
        &MultiPolygon(polys),
        geo::algorithm::bool_ops::FillRule::NonZero,
    )
}

/// Union of many polygons.
pub fn union_all(parts: impl IntoIterator<Item = MultiPolygon<f64>>) -> MultiPolygon<f64> {
    let polys: Vec<geo::Polygon<f64>> = parts.into_iter().flat_map(|m| m.0).collect();
    if polys.is_empty() {
        return MultiPolygon(vec![]);
    }
    geo::unary_union(polys.iter())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::orient::Orient;
    use geo::polygon;
    use geo::LineString;

    fn sq(x0: f64, y0: f64, d: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![
            (x: x0, y: y0), (x: x0 + d, y: y0), (x: x0 + d, y: y0 + d), (x: x0, y: y0 + d)
        ]])
    }

    #[test]
    fn shared_edge_is_not_an_overlap() {
        assert!(overlap(&sq(112.0, 37.4, 0.01), &sq(112.01, 37.4, 0.01)).is_none());
        assert!(overlap(&sq(112.0, 37.4, 0.01), &sq(112.01, 37.41, 0.01)).is_none());
    }

    fn measured<'a>(m: &'a MultiPolygon<f64>, e: Option<&'a relate::Edges>) -> Measured<'a> {
        Measured::new(m, m.bounding_rect().unwrap(), geodesy::area_m2(m), e)
    }

    /// An irregular polygon of `n` vertices around (112.05, 37.45), about 8 km across.
    fn big(n: usize) -> MultiPolygon<f64> {
        let ring: Vec<(f64, f64)> = (0..n)
            .map(|k| {
                let a = k as f64 * std::f64::consts::TAU / n as f64;
                let r = 0.04 * (1.0 + 0.3 * (5.0 * a).sin());
                (112.05 + r * a.cos(), 37.45 + r * a.sin())
            })
            .collect();
        MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])])
    }

    /// The early-outs and the cut give what the plain overlay gives: a site inside a big
    /// polygon, a patch inside a site, a site across a big polygon's edge, a site outside.
    #[test]
    fn fast_paths_match_the_plain_overlay() {
        let feature = big(400);
        let edges = relate::Edges::new(&feature);
        let f = measured(&feature, Some(&edges));
        let cases = [
            sq(112.04, 37.44, 0.003), // inside the big polygon
            sq(112.085, 37.45, 0.01), // across its edge
            sq(112.2, 37.45, 0.01),   // outside
            sq(112.0499, 37.4499, 0.0002),
        ];
        for site in &cases {
            let s = measured(site, None);
            let fast = overlap_measured(&s, &f).map(|p| p.area_m2);
            let plain = overlap(site, &feature).map(|p| p.area_m2);
            match (fast, plain) {
                (Some(a), Some(b)) => assert!((a - b).abs() <= 1e-6 * b, "{a} vs {b}"),
                (a, b) => assert_eq!(a, b),
            }
            // The same with the arguments swapped, and without the edge index.
            let g = measured(&feature, None);
            let swapped = overlap_measured(&g, &s).map(|p| p.area_m2);
            assert_eq!(swapped.is_some(), fast.is_some());
            if let (Some(a), Some(b)) = (swapped, fast) {
                assert!((a - b).abs() <= 1e-9 * b);
            }
        }
        // A patch wholly inside a site is the patch, with its own area.
        let site = sq(112.0, 37.4, 0.01);
        let patch = sq(112.003, 37.403, 0.001);
        let p = overlap_measured(&measured(&site, None), &measured(&patch, None)).unwrap();
        assert_eq!(p.geometry, patch);
        let plain = overlap(&site, &patch).unwrap().area_m2;
        // (the plain overlay rounds to its fixed-point grid: ~1e-9 here)
        assert!((p.area_m2 - plain).abs() <= 1e-7 * plain);
    }

    #[test]
    fn a_cut_concave_polygon_intersects_exactly() {
        // A comb: the cut box crosses its teeth, leaving doubled edges along the box.
        let mut pts = vec![(0.0, 0.0)];
        for t in 0..10 {
            let x = t as f64;
            pts.extend([(x, 3.0), (x + 0.5, 3.0), (x + 0.5, 0.5), (x + 1.0, 0.5)]);
        }
        pts.push((10.0, 0.0));
        let comb: Vec<(f64, f64)> = pts
            .iter()
            .map(|(x, y)| (112.0 + x * 0.001, 37.4 + y * 0.001))
            .collect();
        let comb = MultiPolygon(vec![Polygon::new(LineString::from(comb), vec![])]);
        let site = sq(112.0021, 37.4002, 0.004);
        let cut = clip_to(&comb, &around(&site.bounding_rect().unwrap()));
        let a = geodesy::area_m2(&site.intersection(&cut));
        let b = geodesy::area_m2(&site.intersection(&comb));
        assert!((a - b).abs() <= 1e-7 * b, "{a} vs {b}");
    }

    /// Overlapping pieces are taken away once; a piece that is the whole site leaves nothing.
    #[test]
    fn avoidance_of_overlapping_pieces() {
        let site = sq(112.0, 37.4, 0.01);
        let a = sq(112.0, 37.4, 0.005);
        let b = sq(112.0025, 37.4, 0.005); // overlaps a by half
        let left = avoid(&site, [&a, &b]);
        let plain = site.difference(&union_all([a.clone(), b.clone()]));
        let (x, y) = (geodesy::area_m2(&left), geodesy::area_m2(&plain));
        assert!((x - y).abs() <= 1e-7 * y, "{x} vs {y}");
        // Clockwise pieces count the same.
        let cw = MultiPolygon(vec![a.0[0].orient(geo::orient::Direction::Reversed)]);
        let left_cw = avoid(&site, [&cw, &b]);
        assert!((geodesy::area_m2(&left_cw) - y).abs() <= 1e-7 * y);
        assert!(avoid(&site, [&a, &site.clone()]).0.is_empty());
        assert_eq!(avoid(&site, []), site);
    }

    /// Area between two parallels over `dlon` degrees on the WGS84 ellipsoid, closed form:
    /// b² Δλ [q(φ2) − q(φ1)] / 2 (Snyder, Map Projections, eq. 3-12).
    fn quadrangle_m2(lat1: f64, lat2: f64, dlon: f64) -> f64 {
        let e2 = geodesy::WGS84_F * (2.0 - geodesy::WGS84_F);
        let e = e2.sqrt();
        let b = geodesy::WGS84_A * (1.0 - geodesy::WGS84_F);
        let q = |lat: f64| {
            let s = lat.to_radians().sin();
            s / (1.0 - e2 * s * s) + (e * s).atanh() / e
        };
        b * b * dlon.to_radians() * (q(lat2) - q(lat1)) / 2.0
    }

    /// A piece far smaller than the inputs (a 13 m × 0.11 m sliver where a 1 km site's corner
    /// crosses a feature) keeps its area to 1e-7: the overlay's fixed-point grid is sized to
    /// its inputs, so the piece is computed again on a grid sized to the piece.
    #[test]
    fn a_tiny_piece_of_a_big_site_keeps_its_area() {
        let (x1, y1) = (112.013_7, 37.412_3); // the site's north-east corner
        let (w, h) = (1.51e-4, 1.03e-6);
        let site = MultiPolygon(vec![polygon![
            (x: 112.003_7, y: 37.402_3), (x: x1, y: 37.402_3), (x: x1, y: y1), (x: 112.003_7, y: y1)
        ]]);
        let feature = MultiPolygon(vec![polygon![
            (x: x1 - w, y: y1 - h), (x: x1 + 0.004_1, y: y1 - h),
            (x: x1 + 0.004_1, y: y1 + 0.003_3), (x: x1 - w, y: y1 + 0.003_3)
        ]]);
        let expected = quadrangle_m2(y1 - h, y1, w);
        assert!(expected > 1.0 && expected < 2.0, "{expected}");
        let (s, f) = (measured(&site, None), measured(&feature, None));
        for (a, b) in [(&s, &f), (&f, &s)] {
            let got = overlap_measured(a, b).expect("an overlap").area_m2;
            let rel = (got - expected).abs() / expected;
            assert!(rel < 1e-7, "{got} vs {expected}: {rel:e}");
        }
        // The same with the feature's sides cut into 64 vertices each (the path that first cuts
        // a big polygon to a box around the site).
        let (fx0, fy0, fx1, fy1) = (x1 - w, y1 - h, x1 + 0.004_1, y1 + 0.003_3);
        let mut ring = Vec::new();
        for k in 0..64 {
            let t = k as f64 / 64.0;
            ring.push((fx0 + t * (fx1 - fx0), fy0));
        }
        for k in 0..64 {
            let t = k as f64 / 64.0;
            ring.push((fx1, fy0 + t * (fy1 - fy0)));
        }
        ring.extend([(fx1, fy1), (fx0, fy1)]);
        let many = MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])]);
        let m = measured(&many, None);
        for (a, b) in [(&s, &m), (&m, &s)] {
            let got = overlap_measured(a, b).expect("an overlap").area_m2;
            let rel = (got - expected).abs() / expected;
            assert!(rel < 1e-7, "cut: {got} vs {expected}: {rel:e}");
        }
    }

    #[test]
    fn half_overlap_has_half_the_area() {
        let a = sq(112.0, 37.4, 0.01);
        let b = MultiPolygon(vec![polygon![
            (x: 112.005, y: 37.3), (x: 112.5, y: 37.3), (x: 112.5, y: 37.5), (x: 112.005, y: 37.5)
        ]]);
        let p = overlap(&a, &b).unwrap();
        let whole = geodesy::area_m2(&a);
        assert!(
            (p.area_m2 / whole - 0.5).abs() < 1e-6,
            "{}",
            p.area_m2 / whole
        );
    }
}
