//! A coarse occupancy raster in the frame, used to place field patches clear of everything
//! they must not touch. Obstacles are filled by cell centre, then dilated by a margin larger
//! than a cell's half-diagonal, so a field over free cells cannot reach an obstacle. (The
//! exact overlay check at the end confirms it.)

use geo::{Coord, LineString, MultiPolygon, Polygon};

pub struct Raster {
    pub x0: f64,
    pub y0: f64,
    pub cell: f64,
    pub w: usize,
    pub h: usize,
    data: Vec<bool>,
}

impl Raster {
    pub fn new(x0: f64, y0: f64, x1: f64, y1: f64, cell: f64) -> Raster {
        let w = ((x1 - x0) / cell).ceil() as usize;
        let h = ((y1 - y0) / cell).ceil() as usize;
        Raster {
            x0,
            y0,
            cell,
            w,
            h,
            data: vec![false; w * h],
        }
    }

    fn centre(&self, i: usize, j: usize) -> Coord {
        Coord {
            x: self.x0 + (i as f64 + 0.5) * self.cell,
            y: self.y0 + (j as f64 + 0.5) * self.cell,
        }
    }

    /// Marks cells whose centres are inside the polygon (even–odd over all rings).
    pub fn fill_polygon(&mut self, p: &Polygon) {
        let rings: Vec<&LineString> = std::iter::once(p.exterior()).chain(p.interiors()).collect();
        let (mut ymin, mut ymax) = (f64::MAX, f64::MIN);
        for c in &p.exterior().0 {
            ymin = ymin.min(c.y);
            ymax = ymax.max(c.y);
        }
        let j0 = (((ymin - self.y0) / self.cell - 0.5).ceil().max(0.0)) as usize;
        let j1 = (((ymax - self.y0) / self.cell - 0.5).floor()).min(self.h as f64 - 1.0);
        if j1 < 0.0 {
            return;
        }
        let mut xs = Vec::new();
        for j in j0..=(j1 as usize) {
            let y = self.centre(0, j).y;
            xs.clear();
            for r in &rings {
                for w in r.0.windows(2) {
                    let (a, b) = (w[0], w[1]);
                    if (a.y > y) != (b.y > y) {
                        xs.push(a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y));
                    }
                }
            }
            xs.sort_by(f64::total_cmp);
            for pair in xs.chunks(2) {
                if pair.len() < 2 {
                    continue;
                }
                let i0 = ((pair[0] - self.x0) / self.cell - 0.5).ceil().max(0.0);
                let i1 = ((pair[1] - self.x0) / self.cell - 0.5)
                    .floor()
                    .min(self.w as f64 - 1.0);
                if i1 < i0 {
                    continue;
                }
                for i in i0 as usize..=i1 as usize {
                    self.data[j * self.w + i] = true;
                }
            }
        }
    }

    pub fn fill_multi(&mut self, mp: &MultiPolygon) {
        for p in &mp.0 {
            self.fill_polygon(p);
        }
    }

    /// Marks every cell within `r` metres of the line (sampled densely).
    pub fn fill_line(&mut self, l: &LineString, r: f64) {
        let step = self.cell * 0.5;
        for w in l.0.windows(2) {
            let (a, b) = (w[0], w[1]);
            let len = (b - a).x.hypot((b - a).y);
            let n = (len / step).ceil().max(1.0) as usize;
            for k in 0..=n {
                self.fill_disc(a + (b - a) * (k as f64 / n as f64), r);
            }
        }
    }

    /// Marks every cell within `r` metres of `c` (plus three quarters of a cell).
    pub fn fill_disc(&mut self, c: Coord, r: f64) {
        let rc = (r / self.cell).ceil() as i64 + 1;
        let ci = ((c.x - self.x0) / self.cell).floor() as i64;
        let cj = ((c.y - self.y0) / self.cell).floor() as i64;
        for j in (cj - rc).max(0)..=(cj + rc).min(self.h as i64 - 1) {
            for i in (ci - rc).max(0)..=(ci + rc).min(self.w as i64 - 1) {
                let p = self.centre(i as usize, j as usize);
                if (p.x - c.x).hypot(p.y - c.y) <= r + self.cell * 0.75 {
                    self.data[j as usize * self.w + i as usize] = true;
                }
            }
        }
    }

    /// Whether cell (i, j) is marked.
    pub fn get(&self, i: usize, j: usize) -> bool {
        self.data[j * self.w + i]
    }

    pub fn invert(&mut self) {
        for v in &mut self.data {
            *v = !*v;
        }
    }

    pub fn or(&mut self, other: &Raster) {
        for (a, b) in self.data.iter_mut().zip(&other.data) {
            *a |= *b;
        }
    }

    /// Square dilation by `k` cells (separable max filter).
    pub fn dilate(&mut self, k: usize) {
        let (w, h) = (self.w, self.h);
        let mut tmp = vec![false; w * h];
        for j in 0..h {
            for i in 0..w {
                let (a, b) = (i.saturating_sub(k), (i + k).min(w - 1));
                tmp[j * w + i] = self.data[j * w + a..=j * w + b].iter().any(|&v| v);
            }
        }
        for j in 0..h {
            let (a, b) = (j.saturating_sub(k), (j + k).min(h - 1));
            for i in 0..w {
                self.data[j * w + i] = (a..=b).any(|jj| tmp[jj * w + i]);
            }
        }
    }

    /// True when no blocked cell can touch the convex quadrilateral (a cell counts when its
    /// centre is inside the quad or within half a cell diagonal of its boundary).
    pub fn free_quad(&self, quad: &[Coord]) -> bool {
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for c in quad {
            (x0, y0, x1, y1) = (x0.min(c.x), y0.min(c.y), x1.max(c.x), y1.max(c.y));
        }
        let reach = self.cell * std::f64::consts::FRAC_1_SQRT_2 + 0.01;
        let i0 = ((x0 - reach - self.x0) / self.cell - 0.5).floor();
        let i1 = ((x1 + reach - self.x0) / self.cell - 0.5).ceil();
        let j0 = ((y0 - reach - self.y0) / self.cell - 0.5).floor();
        let j1 = ((y1 + reach - self.y0) / self.cell - 0.5).ceil();
        if i0 < 0.0 || j0 < 0.0 || i1 >= self.w as f64 || j1 >= self.h as f64 {
            return false;
        }
        for j in j0 as usize..=j1 as usize {
            for i in i0 as usize..=i1 as usize {
                if self.data[j * self.w + i] && near_quad(quad, self.centre(i, j), reach) {
                    return false;
                }
            }
        }
        true
    }

    /// Fraction of blocked cells (for diagnostics).
    pub fn blocked_fraction(&self) -> f64 {
        self.data.iter().filter(|&&v| v).count() as f64 / self.data.len() as f64
    }
}

/// Inside the convex quad (either orientation) or within `reach` of its boundary.
fn near_quad(quad: &[Coord], p: Coord, reach: f64) -> bool {
    let n = quad.len();
    let mut pos = 0;
    let mut neg = 0;
    let mut dmin = f64::MAX;
    for k in 0..n {
        let (a, b) = (quad[k], quad[(k + 1) % n]);
        let d = b - a;
        let cross = d.x * (p.y - a.y) - d.y * (p.x - a.x);
        if cross > 0.0 {
            pos += 1;
        } else if cross < 0.0 {
            neg += 1;
        }
        let t = (((p - a).x * d.x + (p - a).y * d.y) / (d.x * d.x + d.y * d.y)).clamp(0.0, 1.0);
        let q = a + d * t;
        dmin = dmin.min((p - q).x.hypot((p - q).y));
    }
    pos == 0 || neg == 0 || dmin <= reach
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quads_near_obstacles_are_not_free() {
        let mut r = Raster::new(0.0, 0.0, 1000.0, 1000.0, 10.0);
        let square = Polygon::new(
            LineString::new(vec![
                Coord { x: 400.0, y: 400.0 },
                Coord { x: 600.0, y: 400.0 },
                Coord { x: 600.0, y: 600.0 },
                Coord { x: 400.0, y: 600.0 },
                Coord { x: 400.0, y: 400.0 },
            ]),
            vec![],
        );
        r.fill_polygon(&square);
        r.dilate(2);
        let quad = |x: f64, y: f64| {
            vec![
                Coord { x, y },
                Coord { x: x + 50.0, y },
                Coord {
                    x: x + 50.0,
                    y: y + 50.0,
                },
                Coord { x, y: y + 50.0 },
            ]
        };
        assert!(!r.free_quad(&quad(360.0, 450.0))); // overlaps
        assert!(!r.free_quad(&quad(345.0, 450.0))); // 5 m short of the edge
        assert!(r.free_quad(&quad(300.0, 450.0))); // 50 m away
        assert!(!r.free_quad(&quad(-10.0, 450.0))); // off the raster
    }
}
