//! Sutherland–Hodgman: polygons cut to an axis-aligned box — the overlay's cuts around where
//! two polygons meet, and vector tiles' cut to the tile's buffered square (planmap-io's mvt).

use geo::{BoundingRect, Coord, LineString, MultiPolygon, Polygon, Rect};

/// A closed ring cut to the box `r`, through its four sides in turn: closed, or empty when
/// fewer than 3 points are left. A ring wholly inside comes back as it is. Where a concave ring
/// leaves and re-enters the box, the cut runs along the box's side (zero-width doubled edges
/// there enclose nothing).
pub fn clip_ring(ring: &[Coord<f64>], r: &Rect<f64>) -> Vec<Coord<f64>> {
    if ring.iter().all(|c| inside_box(c, r)) {
        return ring.to_vec();
    }
    // Open ring (no repeated first point) through the four half-planes.
    let mut pts: Vec<Coord<f64>> = ring[..ring.len().saturating_sub(1)].to_vec();
    for side in 0..4 {
        if pts.is_empty() {
            break;
        }
        pts = clip_side(&pts, r, side);
    }
    if pts.len() < 3 {
        return vec![];
    }
    pts.push(pts[0]);
    pts
}

/// `mp` cut to the box: each polygon meeting it, each ring with [`clip_ring`]; rings left
/// with nothing are dropped (a polygon whose exterior is, with its holes).
pub fn clip_to(mp: &MultiPolygon<f64>, r: &Rect<f64>) -> MultiPolygon<f64> {
    let ring = |ls: &LineString<f64>| -> Option<LineString<f64>> {
        let out = clip_ring(&ls.0, r);
        (out.len() >= 4).then_some(LineString(out))
    };
    MultiPolygon(
        mp.0.iter()
            .filter(|p| {
                p.bounding_rect()
                    .is_some_and(|b| crate::bbox::rects_intersect(&b, r))
            })
            .filter_map(|p| {
                let ext = ring(p.exterior())?;
                Some(Polygon::new(
                    ext,
                    p.interiors().iter().filter_map(ring).collect(),
                ))
            })
            .collect(),
    )
}

fn inside_box(c: &Coord<f64>, r: &Rect<f64>) -> bool {
    (r.min().x..=r.max().x).contains(&c.x) && (r.min().y..=r.max().y).contains(&c.y)
}

/// The open ring `pts` cut by one side of the box (0: west, 1: east, 2: south, 3: north).
fn clip_side(pts: &[Coord<f64>], r: &Rect<f64>, side: u8) -> Vec<Coord<f64>> {
    let inside = |c: &Coord<f64>| match side {
        0 => c.x >= r.min().x,
        1 => c.x <= r.max().x,
        2 => c.y >= r.min().y,
        _ => c.y <= r.max().y,
    };
    let cut = |a: Coord<f64>, b: Coord<f64>| -> Coord<f64> {
        if side < 2 {
            let x = if side == 0 { r.min().x } else { r.max().x };
            let t = (x - a.x) / (b.x - a.x);
            Coord {
                x,
                y: a.y + t * (b.y - a.y),
            }
        } else {
            let y = if side == 2 { r.min().y } else { r.max().y };
            let t = (y - a.y) / (b.y - a.y);
            Coord {
                x: a.x + t * (b.x - a.x),
                y,
            }
        }
    };
    let mut out = Vec::with_capacity(pts.len() + 4);
    let mut a = pts[pts.len() - 1];
    for &b in pts {
        // Keep b when inside; add the crossing point when the edge a→b crosses the side.
        if inside(&a) != inside(&b) {
            out.push(cut(a, b));
        }
        if inside(&b) {
            out.push(b);
        }
        a = b;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, Polygon};

    fn c(x: f64, y: f64) -> Coord<f64> {
        Coord { x, y }
    }

    fn square() -> Rect<f64> {
        Rect::new(c(0.0, 0.0), c(10.0, 10.0))
    }

    #[test]
    fn ring_half_outside_keeps_the_inside_area() {
        // A 20×4 rectangle from x=-5 to 15: the part inside x∈[0,10] is 10×4 = 40.
        let ring = vec![
            c(-5.0, 2.0),
            c(15.0, 2.0),
            c(15.0, 6.0),
            c(-5.0, 6.0),
            c(-5.0, 2.0),
        ];
        let out = clip_ring(&ring, &square());
        assert_eq!(out.first(), out.last());
        let area = Polygon::new(LineString(out), vec![]).unsigned_area();
        assert!((area - 40.0).abs() < 1e-9, "{area}");
    }

    #[test]
    fn ring_outside_vanishes_and_ring_around_becomes_the_square() {
        let far = vec![c(20.0, 20.0), c(30.0, 20.0), c(30.0, 30.0), c(20.0, 20.0)];
        assert!(clip_ring(&far, &square()).is_empty());
        let around = vec![
            c(-1.0, -1.0),
            c(11.0, -1.0),
            c(11.0, 11.0),
            c(-1.0, 11.0),
            c(-1.0, -1.0),
        ];
        let area = Polygon::new(LineString(clip_ring(&around, &square())), vec![]).unsigned_area();
        assert!((area - 100.0).abs() < 1e-9);
        // A ring inside comes back unchanged.
        let inside = vec![c(1.0, 1.0), c(2.0, 1.0), c(2.0, 2.0), c(1.0, 1.0)];
        assert_eq!(clip_ring(&inside, &square()), inside);
    }
}
