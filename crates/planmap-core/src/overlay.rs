//! Exact overlay of polygons (geo's `BooleanOps`), with the cheap early-outs in front of it.

use geo::{BooleanOps, BoundingRect, MultiPolygon, Rect};

use crate::geodesy;

/// A piece of overlap between two polygonal features.
#[derive(Debug, Clone)]
pub struct Piece {
    pub geometry: MultiPolygon<f64>,
    pub area_m2: f64,
}

pub fn rects_intersect(a: &Rect<f64>, b: &Rect<f64>) -> bool {
    a.min().x <= b.max().x
        && b.min().x <= a.max().x
        && a.min().y <= b.max().y
        && b.min().y <= a.max().y
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
    use geo::polygon;

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
