//! Clipping to a tile's buffered square, in tile coordinates: rings with the core's
//! Sutherland–Hodgman ([`planmap_core::clip::clip_ring`]: a clipped ring may run along the
//! square's edge, which the buffer keeps out of sight), line segments with Liang–Barsky.

use geo::{Coord, LineString, Rect};

/// An axis-aligned square `[min, max]²` in tile units.
#[derive(Debug, Clone, Copy)]
pub struct Square {
    pub min: f64,
    pub max: f64,
}

impl Square {
    /// The square as a box, for the core's ring clipper.
    pub fn rect(&self) -> Rect<f64> {
        Rect::new(
            Coord {
                x: self.min,
                y: self.min,
            },
            Coord {
                x: self.max,
                y: self.max,
            },
        )
    }
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

    const SQ: Square = Square {
        min: 0.0,
        max: 10.0,
    };

    fn c(x: f64, y: f64) -> Coord<f64> {
        Coord { x, y }
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
