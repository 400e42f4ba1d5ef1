//! The final, exact checks on the written (rounded) layers: the township partition, the
//! conflict rules of plan.toml (only the planted overlaps may exist), farmland inside the
//! county and disjoint, and the planted overlaps equal to their closed-form rectangles.

use crate::out::OutFeature;
use geo::{BooleanOps, BoundingRect, Coord, GeodesicArea, Intersects, MultiPolygon, Polygon, Rect};

/// The rules of data/wenshui/plan.toml ([[rules]]): (a, b, severity).
pub const RULES: [(&str, &str, &str); 8] = [
    ("red_line", "farmland", "conflict"),
    ("red_line", "urban_boundary", "conflict"),
    ("farmland", "urban_boundary", "conflict"),
    ("red_line", "industrial_parks", "conflict"),
    ("farmland", "industrial_parks", "conflict"),
    ("water_sources", "industrial_parks", "conflict"),
    ("eco_corridors", "industrial_parks", "warning"),
    ("eco_barrier", "industrial_parks", "warning"),
];

/// Overlaps the data set keeps clear of too (not rules, but the farmland is drawn outside).
pub const EXTRA: [(&str, &str); 3] = [
    ("eco_corridors", "farmland"),
    ("water_sources", "farmland"),
    ("eco_barrier", "farmland"),
];

pub struct Prepared {
    pub polys: Vec<(usize, Polygon, Rect)>,
}

pub fn prepare(fs: &[OutFeature]) -> Prepared {
    let mut polys = Vec::new();
    for (i, f) in fs.iter().enumerate() {
        for p in f.multipolygon().0 {
            let r = p.bounding_rect().expect("non-empty polygon");
            polys.push((i, p, r));
        }
    }
    Prepared { polys }
}

fn rects_overlap(a: &Rect, b: &Rect) -> bool {
    a.min().x <= b.max().x
        && b.min().x <= a.max().x
        && a.min().y <= b.max().y
        && b.min().y <= a.max().y
}

/// An overlap found between feature `a` of one layer and feature `b` of another.
pub struct Overlap {
    pub a: usize,
    pub b: usize,
    pub area_m2: f64,
    pub pieces: MultiPolygon,
}

/// All pairs with a positive intersection area (geodesic m²), in (a, b) order.
pub fn overlaps(a: &Prepared, b: &Prepared) -> Vec<Overlap> {
    overlaps_impl(a, b, false)
}

fn overlaps_impl(a: &Prepared, b: &Prepared, same: bool) -> Vec<Overlap> {
    let mut found: Vec<Overlap> = Vec::new();
    // sweep on min x to avoid the full product for big layers
    let mut bs: Vec<&(usize, Polygon, Rect)> = b.polys.iter().collect();
    bs.sort_by(|p, q| p.2.min().x.total_cmp(&q.2.min().x));
    let max_w = bs.iter().map(|p| p.2.width()).fold(0.0, f64::max);
    for (ia, pa, ra) in &a.polys {
        let start = bs.partition_point(|p| p.2.min().x < ra.min().x - max_w);
        for (ib, pb, rb) in bs[start..].iter().map(|p| (&p.0, &p.1, &p.2)) {
            if rb.min().x > ra.max().x {
                break;
            }
            if (same && ib <= ia) || !rects_overlap(ra, rb) || !pa.intersects(pb) {
                continue;
            }
            let inter = pa.intersection(pb);
            let area = inter.geodesic_area_unsigned();
            if area > 0.0 {
                match found.iter_mut().find(|o| o.a == *ia && o.b == *ib) {
                    Some(o) => {
                        o.area_m2 += area;
                        o.pieces.0.extend(inter.0);
                    }
                    None => found.push(Overlap {
                        a: *ia,
                        b: *ib,
                        area_m2: area,
                        pieces: inter,
                    }),
                }
            }
        }
    }
    found.sort_by_key(|o| (o.a, o.b));
    found
}

/// Overlaps within one layer (pairs a < b).
pub fn self_overlaps(a: &Prepared) -> Vec<Overlap> {
    overlaps_impl(a, a, true)
}

/// Every vertex of `inner` inside `outer`'s ring and no edge crossing it.
pub fn inside_ring(outer: &[Coord], outer_box: &Rect, inner: &Polygon) -> bool {
    let ring = &inner.exterior().0;
    if !ring.iter().all(|&c| crate::geom::in_ring(outer, c)) {
        return false;
    }
    let r = inner.bounding_rect().expect("ring");
    if !rects_overlap(&r, outer_box) {
        return false;
    }
    for w in ring.windows(2) {
        for k in 0..outer.len() {
            let (a, b) = (outer[k], outer[(k + 1) % outer.len()]);
            if a.x.max(b.x) < r.min().x
                || a.x.min(b.x) > r.max().x
                || a.y.max(b.y) < r.min().y
                || a.y.min(b.y) > r.max().y
            {
                continue;
            }
            if crate::geom::seg_intersection(w[0], w[1], a, b).is_some() {
                return false;
            }
        }
    }
    true
}
