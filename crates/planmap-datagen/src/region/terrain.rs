//! A relief proxy over a county: no elevation model is used (none ships offline), so where
//! the ground is "high" is a stated, deterministic rule.
//!
//! County lines in Shanxi's mountains mostly follow watersheds, so ground is taken as rising
//! toward the outline; smooth noise breaks that up into ridges and basins, and a tilt in one
//! direction per county gives one side the higher ground (as Wenshui's west):
//!
//! `height = w_edge·(1 − min(d / (0.6·d_max), 1)) + w_noise·noise + w_tilt·tilt`
//!
//! with `d` the distance to the outline (0 outside), `noise` two octaves of value noise on a
//! lattice of a quarter of the county's size, `tilt` a linear ramp across the county in [0, 1]
//! and the weights drawn per county. The red line takes the highest part, farmland the
//! flattest (lowest) part.

use super::contour::Grid;
use crate::raster::Raster;
use crate::rng::{fractal_noise, value_noise, Rng};
use geo::{BoundingRect, Coord, MultiPolygon};

pub struct Terrain {
    pub origin: Coord,
    pub cell: f64,
    pub w: usize,
    pub h: usize,
    inside: Vec<bool>,
    /// Distance (m) of each point to the outline (chamfer 3-4 on the grid), 0 outside.
    pub dist: Vec<f64>,
    /// The relief proxy, in [0, 1].
    pub height: Vec<f64>,
}

impl Terrain {
    /// The field over the county, sampled every `cell` metres (frame coordinates).
    pub fn build(county: &MultiPolygon, cell: f64, seed: u64) -> Terrain {
        let bb = county.bounding_rect().expect("a county outline");
        let origin = Coord {
            x: bb.min().x - 2.0 * cell,
            y: bb.min().y - 2.0 * cell,
        };
        let w = (bb.width() / cell).ceil() as usize + 5;
        let h = (bb.height() / cell).ceil() as usize + 5;
        // Points are the centres of the raster's cells.
        let mut mask = Raster::new(
            origin.x - cell / 2.0,
            origin.y - cell / 2.0,
            origin.x + (w as f64 - 0.5) * cell,
            origin.y + (h as f64 - 0.5) * cell,
            cell,
        );
        mask.fill_multi(county);
        let inside: Vec<bool> = (0..w * h).map(|k| mask.get(k % w, k / w)).collect();
        let dist = chamfer(&inside, w, h, cell);
        let mut t = Terrain {
            origin,
            cell,
            w,
            h,
            inside,
            dist,
            height: vec![0.0; w * h],
        };

        let mut rng = Rng::new(seed);
        let w_edge = rng.range(0.20, 0.35);
        let w_tilt = rng.range(0.15, 0.35);
        let w_noise = 1.0 - w_edge - w_tilt;
        let dir = rng.range(0.0, std::f64::consts::TAU);
        let (ux, uy) = (dir.cos(), dir.sin());
        let d_max = t.dist.iter().cloned().fold(0.0, f64::max).max(cell);
        let size = bb.width().max(bb.height());
        let centre = Coord {
            x: (bb.min().x + bb.max().x) / 2.0,
            y: (bb.min().y + bb.max().y) / 2.0,
        };
        let noise_seed = rng.next_u64();
        for k in 0..w * h {
            let p = t.point(k);
            let edge = 1.0 - (t.dist[k] / (0.6 * d_max)).min(1.0);
            let noise = 0.85 * fractal_noise(noise_seed, p.x, p.y, size / 5.0)
                + 0.15 * value_noise(noise_seed ^ 0x77, p.x, p.y, size / 25.0);
            let tilt =
                (0.5 + ((p.x - centre.x) * ux + (p.y - centre.y) * uy) / size).clamp(0.0, 1.0);
            t.height[k] = w_edge * edge + w_noise * noise + w_tilt * tilt;
        }
        t
    }

    pub fn point(&self, k: usize) -> Coord {
        Coord {
            x: self.origin.x + (k % self.w) as f64 * self.cell,
            y: self.origin.y + (k / self.w) as f64 * self.cell,
        }
    }

    pub fn is_inside(&self, k: usize) -> bool {
        self.inside[k]
    }

    /// Indices of the points inside the county.
    pub fn inside_points(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.w * self.h).filter(|&k| self.inside[k])
    }

    /// The height with a share `q` of the county's points at or below it.
    pub fn quantile(&self, q: f64) -> f64 {
        let mut hs: Vec<f64> = self.inside_points().map(|k| self.height[k]).collect();
        hs.sort_by(f64::total_cmp);
        hs[((hs.len() - 1) as f64 * q).round() as usize]
    }

    /// The height at a point (bilinear between grid points).
    pub fn sample(&self, p: Coord) -> f64 {
        let u = ((p.x - self.origin.x) / self.cell).clamp(0.0, (self.w - 1) as f64 - 1e-9);
        let v = ((p.y - self.origin.y) / self.cell).clamp(0.0, (self.h - 1) as f64 - 1e-9);
        let (i, j) = (u.floor() as usize, v.floor() as usize);
        let (fu, fv) = (u - i as f64, v - j as f64);
        let at = |i: usize, j: usize| self.height[j * self.w + i];
        let bottom = at(i, j) + (at(i + 1, j) - at(i, j)) * fu;
        let top = at(i, j + 1) + (at(i + 1, j + 1) - at(i, j + 1)) * fu;
        bottom + (top - bottom) * fv
    }

    /// Where the height exceeds `level` (polygons in the frame, reaching past the outline).
    pub fn above(&self, level: f64) -> MultiPolygon {
        Grid {
            values: &self.height,
            w: self.w,
            h: self.h,
            origin: self.origin,
            cell: self.cell,
        }
        .above(level)
    }
}

/// Distance to the nearest outside point: two-pass 3-4 chamfer transform (within 8 % of the
/// Euclidean distance), in metres.
fn chamfer(inside: &[bool], w: usize, h: usize, cell: f64) -> Vec<f64> {
    let (a, b) = (cell, cell * 4.0 / 3.0);
    let mut d: Vec<f64> = inside
        .iter()
        .map(|&i| if i { f64::MAX / 4.0 } else { 0.0 })
        .collect();
    for j in 0..h {
        for i in 0..w {
            let k = j * w + i;
            let mut v = d[k];
            if i > 0 {
                v = v.min(d[k - 1] + a);
            }
            if j > 0 {
                v = v.min(d[k - w] + a);
                if i > 0 {
                    v = v.min(d[k - w - 1] + b);
                }
                if i + 1 < w {
                    v = v.min(d[k - w + 1] + b);
                }
            }
            d[k] = v;
        }
    }
    for j in (0..h).rev() {
        for i in (0..w).rev() {
            let k = j * w + i;
            let mut v = d[k];
            if i + 1 < w {
                v = v.min(d[k + 1] + a);
            }
            if j + 1 < h {
                v = v.min(d[k + w] + a);
                if i + 1 < w {
                    v = v.min(d[k + w + 1] + b);
                }
                if i > 0 {
                    v = v.min(d[k + w - 1] + b);
                }
            }
            d[k] = v;
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chamfer_distance_of_a_square() {
        // 21 × 21 points, inside = the 19 × 19 interior: the centre is 10 cells from outside.
        let (w, h) = (21, 21);
        let inside: Vec<bool> = (0..w * h)
            .map(|k| {
                let (i, j) = (k % w, k / w);
                i > 0 && j > 0 && i < w - 1 && j < h - 1
            })
            .collect();
        let d = chamfer(&inside, w, h, 100.0);
        assert_eq!(d[10 * w + 10], 1000.0);
        assert_eq!(d[w + 1], 100.0);
        assert_eq!(d[0], 0.0);
    }
}
