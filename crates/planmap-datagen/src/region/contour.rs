//! Marching squares: the region where a gridded field exceeds a level, as valid polygons.
//!
//! Crossing points are interpolated linearly on grid edges and computed once per edge, so the
//! neighbouring cells share them; each cell's segments keep the region on their left, so the
//! traced rings are counter-clockwise exteriors and clockwise holes. Saddles are decided by
//! the cell's mean. Points on the grid's border count as below the level, so every ring closes.

use crate::geom::{in_ring, signed_area};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use std::collections::{BTreeMap, BTreeSet};

/// A field sampled at `origin + (i, j)·cell`, `i < w`, `j < h`, row-major.
pub struct Grid<'a> {
    pub values: &'a [f64],
    pub w: usize,
    pub h: usize,
    pub origin: Coord,
    pub cell: f64,
}

impl Grid<'_> {
    fn border(&self, i: usize, j: usize) -> bool {
        i == 0 || j == 0 || i + 1 >= self.w || j + 1 >= self.h
    }

    /// The value used: border points are pushed below the level.
    fn value(&self, i: usize, j: usize, level: f64) -> f64 {
        if self.border(i, j) {
            level - 1.0
        } else {
            self.values[j * self.w + i]
        }
    }

    fn point(&self, i: usize, j: usize) -> Coord {
        Coord {
            x: self.origin.x + i as f64 * self.cell,
            y: self.origin.y + j as f64 * self.cell,
        }
    }

    /// The crossing on the edge from (i, j) to (i + di, j + dj) (di + dj = 1): its id and point.
    fn crossing(&self, i: usize, j: usize, vertical: bool, level: f64) -> (usize, Coord) {
        let (i2, j2) = if vertical { (i, j + 1) } else { (i + 1, j) };
        let (a, b) = (self.value(i, j, level), self.value(i2, j2, level));
        let t = ((level - a) / (b - a)).clamp(0.001, 0.999);
        let (p, q) = (self.point(i, j), self.point(i2, j2));
        let id = 2 * (j * self.w + i) + usize::from(vertical);
        (id, p + (q - p) * t)
    }

    /// The region where the field is above `level`.
    pub fn above(&self, level: f64) -> MultiPolygon {
        let mut next: BTreeMap<usize, usize> = BTreeMap::new();
        let mut pos: BTreeMap<usize, Coord> = BTreeMap::new();
        for j in 0..self.h.saturating_sub(1) {
            for i in 0..self.w.saturating_sub(1) {
                let corners = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)];
                let vals = corners.map(|(a, b)| self.value(a, b, level));
                let inside = vals.map(|v| v > level);
                // Edges counter-clockwise: bottom, right, top, left; each as (i, j, vertical).
                let edges = [
                    (i, j, false),
                    (i + 1, j, true),
                    (i, j + 1, false),
                    (i, j, true),
                ];
                let mut cross: Vec<(usize, bool)> = Vec::with_capacity(4);
                for k in 0..4 {
                    if inside[k] != inside[(k + 1) % 4] {
                        let (ei, ej, v) = edges[k];
                        let (id, p) = self.crossing(ei, ej, v, level);
                        pos.insert(id, p);
                        // leaving the region along the cell's boundary = an "out" crossing
                        cross.push((id, inside[k]));
                    }
                }
                match cross.len() {
                    2 => {
                        let (out, inn) = if cross[0].1 {
                            (cross[0].0, cross[1].0)
                        } else {
                            (cross[1].0, cross[0].0)
                        };
                        next.insert(out, inn);
                    }
                    4 => {
                        // Region joined through the centre: each "out" goes to the next "in"
                        // (cutting off the low corners); else to the previous one.
                        let joined = vals.iter().sum::<f64>() / 4.0 > level;
                        for k in 0..4 {
                            if cross[k].1 {
                                let to = if joined { (k + 1) % 4 } else { (k + 3) % 4 };
                                next.insert(cross[k].0, cross[to].0);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        assemble(trace(&next, &pos))
    }
}

/// Follows the links into closed rings (open: no repeated first point).
fn trace(next: &BTreeMap<usize, usize>, pos: &BTreeMap<usize, Coord>) -> Vec<Vec<Coord>> {
    let mut seen: BTreeSet<usize> = BTreeSet::new();
    let mut rings = Vec::new();
    for &start in next.keys() {
        if seen.contains(&start) {
            continue;
        }
        let mut ring = Vec::new();
        let mut at = start;
        while seen.insert(at) {
            ring.push(pos[&at]);
            match next.get(&at) {
                Some(&n) => at = n,
                None => break,
            }
        }
        if ring.len() >= 3 {
            rings.push(ring);
        }
    }
    rings
}

/// Counter-clockwise rings are exteriors; each clockwise ring is a hole of the smallest
/// exterior around it.
fn assemble(rings: Vec<Vec<Coord>>) -> MultiPolygon {
    let mut exteriors: Vec<(f64, Vec<Coord>, Vec<LineString>)> = Vec::new();
    let mut holes = Vec::new();
    for r in rings {
        let a = signed_area(&r);
        if a > 0.0 {
            exteriors.push((a, r, Vec::new()));
        } else if a < 0.0 {
            holes.push(r);
        }
    }
    for h in holes {
        let host = exteriors
            .iter()
            .enumerate()
            .filter(|(_, e)| in_ring(&e.1, h[0]))
            .min_by(|a, b| a.1 .0.total_cmp(&b.1 .0))
            .map(|(k, _)| k);
        if let Some(k) = host {
            let mut ring = h;
            ring.push(ring[0]);
            exteriors[k].2.push(LineString::new(ring));
        }
    }
    MultiPolygon(
        exteriors
            .into_iter()
            .map(|(_, mut r, holes)| {
                r.push(r[0]);
                Polygon::new(LineString::new(r), holes)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, Validation};

    #[test]
    fn a_cone_gives_a_disc_and_a_ring_gives_a_hole() {
        // f = distance from the centre of a 41 × 41 grid of 1 m cells.
        let (w, h) = (41, 41);
        let mut cone = Vec::new();
        for j in 0..h {
            for i in 0..w {
                cone.push(-((i as f64 - 20.0).hypot(j as f64 - 20.0)));
            }
        }
        let g = Grid {
            values: &cone,
            w,
            h,
            origin: Coord { x: 0.0, y: 0.0 },
            cell: 1.0,
        };
        // {f > −10}: a disc of radius 10 (a polygon inscribed in it, a little smaller).
        let disc = g.above(-10.0);
        assert_eq!(disc.0.len(), 1);
        assert!(disc.is_valid());
        let a = disc.unsigned_area();
        let pi100 = std::f64::consts::PI * 100.0;
        assert!(a < pi100 && a > 0.98 * pi100, "{a}");
        // An annulus 5 < r < 10: one polygon with one hole.
        let ring: Vec<f64> = cone.iter().map(|v| -(v + 7.5).abs()).collect();
        let g = Grid { values: &ring, ..g };
        let annulus = g.above(-2.5);
        assert_eq!(annulus.0.len(), 1);
        assert_eq!(annulus.0[0].interiors().len(), 1);
        assert!(annulus.is_valid());
        let want = std::f64::consts::PI * (100.0 - 25.0);
        assert!((annulus.unsigned_area() / want - 1.0).abs() < 0.03);
    }

    #[test]
    fn saddles_and_the_border_stay_valid() {
        // a checkerboard of highs: every cell a saddle; highs on the border are cut off
        let (w, h) = (12, 9);
        let v: Vec<f64> = (0..w * h)
            .map(|k| if (k % w + k / w) % 2 == 0 { 1.0 } else { 0.0 })
            .collect();
        for level in [0.4, 0.5001, 0.6] {
            let g = Grid {
                values: &v,
                w,
                h,
                origin: Coord { x: 3.0, y: -2.0 },
                cell: 2.0,
            };
            let mp = g.above(level);
            assert!(mp.is_valid(), "level {level}");
            assert!(mp.unsigned_area() > 0.0);
        }
    }
}
