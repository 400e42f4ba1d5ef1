//! Clipping to a tile's buffered square, in tile coordinates: Sutherland–Hodgman for rings
//! (a clipped ring may run along the square's edge, which the buffer keeps out of sight) and
//! Liang–Barsky for line segments.

use geo::{Coord, LineString};

/// An axis-aligned square `[min, max]²` in tile units.
#[derive(Debug, Clone, Copy)]
pub struct Square {
    pub min: f64,
    pub max: f64,
}

impl Square {
    fn contains(&self, c: Coord<f64>) -> bool {
        (self.min..=self.max).contains(&c.x) && (self.min..=self.max).contains(&c.y)
    }
}

/// Clips a closed ring; the result is closed, or empty when nothing of the ring is inside.
pub fn clip_ring(ring: &[Coord<f64>], sq: Square) -> Vec<Coord<f64>> {
    if ring.iter().all(|c| sq.contains(*c)) {
        return ring.to_vec();
    }
    // Open ring (no repeated first point) through the four half-planes.
    let mut pts: Vec<Coord<f64>> = ring[..ring.len().saturating_sub(1)].to_vec();
    for edge in 0..4 {
        if pts.is_empty() {
            break;
        }
        let inside = |c: &Coord<f64>| match edge {
            0 => c.x >= sq.min,
            1 => c.x <= sq.max,
            2 => c.y >= sq.min,
            _ => c.y <= sq.max,
        };
        let cross = |a: Coord<f64>, b: Coord<f64>| {
            let (t, fixed_x) = match edge {
                0 => ((sq.min - a.x) / (b.x - a.x), Some(sq.min)),
                1 => ((sq.max - a.x) / (b.x - a.x), Some(sq.max)),
                2 => ((sq.min - a.y) / (b.y - a.y), None),
                _ => ((sq.max - a.y) / (b.y - a.y), None),
            };
            match fixed_x {
                Some(x) => Coord {
                    x,
                    y: a.y + t * (b.y - a.y),
                },
                None => Coord {
                    x: a.x + t * (b.x - a.x),
                    y: if edge == 2 { sq.min } else { sq.max },
                },
            }
        };
        let mut out = Vec::with_capacity(pts.len() + 4);
        for i in 0..pts.len() {
            let cur = pts[i];
            let prev = pts[(i + pts.len() - 1) % pts.len()];
            match (inside(&prev), inside(&cur)) {
                (true, true) => out.push(cur),
                (true, false) => out.push(cross(prev, cur)),
                (false, true) => {
                    out.push(cross(prev, cur));
                    out.push(cur);
                }
                (false, false) => {}
            }
        }
        pts = out;
    }
    if pts.len() < 3 {
        return vec![];
    }
    pts.push(pts[0]);
    pts
}

/// Clips a line string; the parts inside the square, each with at least two points.
pub fn clip_line(line: &LineString<f64>, sq: Square) -> Vec<LineString<f64>> {
    let mut parts = Vec::new();
    let mut cur: Vec<Coord<f64>> = Vec::new();
    for w in line.0.windows(2) {
        match clip_segment(w[0], w[1], sq) {
            Some((a, b)) => {
                if cur.last() != Some(&a) {
                    if cur.len() >= 2 {
                        parts.push(LineString(std::mem::take(&mut cur)));
                    }
                    cur.clear();
                    cur.push(a);
                }
                cur.push(b);
            }
            None => {
                if cur.len() >= 2 {
                    parts.push(LineString(std::mem::take(&mut cur)));
                }
                cur.clear();
            }
        }
    }
    if cur.len() >= 2 {
        parts.push(LineString(cur));
    }
    parts
}

/// Liang–Barsky: the part of segment `a`–`b` inside the square.
fn clip_segment(a: Coord<f64>, b: Coord<f64>, sq: Square) -> Option<(Coord<f64>, Coord<f64>)> {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
    for (p, q) in [
        (-dx, a.x - sq.min),
        (dx, sq.max - a.x),
        (-dy, a.y - sq.min),
        (dy, sq.max - a.y),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
            if t0 > t1 {
                return None;
            }
        }
    }
    let at = |t: f64| Coord {
        x: a.x + t * dx,
        y: a.y + t * dy,
    };
    Some((at(t0), at(t1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, Polygon};

    const SQ: Square = Square {
        min: 0.0,
        max: 10.0,
    };

    fn c(x: f64, y: f64) -> Coord<f64> {
        Coord { x, y }
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
        let out = clip_ring(&ring, SQ);
        assert_eq!(out.first(), out.last());
        let area = Polygon::new(LineString(out), vec![]).unsigned_area();
        assert!((area - 40.0).abs() < 1e-9, "{area}");
    }

    #[test]
    fn ring_outside_vanishes_and_ring_around_becomes_the_square() {
        let far = vec![c(20.0, 20.0), c(30.0, 20.0), c(30.0, 30.0), c(20.0, 20.0)];
        assert!(clip_ring(&far, SQ).is_empty());
        let around = vec![
            c(-1.0, -1.0),
            c(11.0, -1.0),
            c(11.0, 11.0),
            c(-1.0, 11.0),
            c(-1.0, -1.0),
        ];
        let area = Polygon::new(LineString(clip_ring(&around, SQ)), vec![]).unsigned_area();
        assert!((area - 100.0).abs() < 1e-9);
    }

    #[test]
    fn line_leaving_and_reentering_splits_in_two() {
        let l = LineString(vec![c(1.0, 5.0), c(15.0, 5.0), c(15.0, 8.0), c(5.0, 8.0)]);
        let parts = clip_line(&l, SQ);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].0, vec![c(1.0, 5.0), c(10.0, 5.0)]);
        assert_eq!(parts[1].0, vec![c(10.0, 8.0), c(5.0, 8.0)]);
    }
}
