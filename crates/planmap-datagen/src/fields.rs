//! Field grids: candidate field patches (图斑) as jittered quadrilaterals on a rotated grid,
//! with ditches between fields and farm roads between blocks, each kept only where an
//! occupancy [`Raster`] says it is clear (else its halves, else their halves: fields shrink
//! at the edges of free ground), and the choice of which to keep to reach a total.

use crate::geom::in_multi;
use crate::raster::Raster;
use crate::rng::Rng;
use geo::{Coord, MultiPolygon};

/// The shape of a field grid (metres, radians).
#[derive(Clone, Copy, Debug)]
pub struct FieldGrid {
    /// Rotation of the grid.
    pub angle: f64,
    /// A field's size along and across the grid.
    pub field_u: f64,
    pub field_v: f64,
    /// Gap between fields of a block, and between blocks.
    pub ditch: f64,
    pub road: f64,
    /// Fields a block, along and across.
    pub block_u: i64,
    pub block_v: i64,
    /// Corner jitter (± metres).
    pub jitter: f64,
}

/// Every clear field of the grid over the frame rectangle `[x0, x1] × [y0, y1]`, each with a
/// uniform random number for its caller (one draw after its four jittered corners).
pub fn candidates(
    raster: &Raster,
    g: &FieldGrid,
    (x0, y0, x1, y1): (f64, f64, f64, f64),
    rng: &mut Rng,
) -> Vec<(Vec<Coord>, f64)> {
    let (cs, sn) = (g.angle.cos(), g.angle.sin());
    let to_xy = |u: f64, v: f64| Coord {
        x: u * cs - v * sn,
        y: u * sn + v * cs,
    };
    let corners = [
        Coord { x: x0, y: y0 },
        Coord { x: x1, y: y0 },
        Coord { x: x1, y: y1 },
        Coord { x: x0, y: y1 },
    ];
    let uv: Vec<(f64, f64)> = corners
        .iter()
        .map(|c| (c.x * cs + c.y * sn, -c.x * sn + c.y * cs))
        .collect();
    let umin = uv.iter().map(|p| p.0).fold(f64::MAX, f64::min);
    let umax = uv.iter().map(|p| p.0).fold(f64::MIN, f64::max);
    let vmin = uv.iter().map(|p| p.1).fold(f64::MAX, f64::min);
    let vmax = uv.iter().map(|p| p.1).fold(f64::MIN, f64::max);
    let pitch_u = g.field_u + g.ditch;
    let pitch_v = g.field_v + g.ditch;
    let block_u = g.block_u as f64 * pitch_u + g.road;
    let block_v = g.block_v as f64 * pitch_v + g.road;
    let mut cands: Vec<(Vec<Coord>, f64)> = Vec::new();
    let (mut bi, mut bj) = (
        (umin / block_u).floor() as i64,
        (vmin / block_v).floor() as i64,
    );
    let bj0 = bj;
    while bi as f64 * block_u < umax {
        bj = bj0;
        while bj as f64 * block_v < vmax {
            for ci in 0..g.block_u {
                for cj in 0..g.block_v {
                    let u0 = bi as f64 * block_u + ci as f64 * pitch_u;
                    let v0 = bj as f64 * block_v + cj as f64 * pitch_v;
                    // The whole field if it fits, else its halves, else their halves (edges).
                    let hu = (g.field_u - g.ditch) / 2.0;
                    let hv = (g.field_v - g.ditch) / 2.0;
                    let mut todo = vec![(0.0, g.field_u, 0.0, g.field_v, 0u8)];
                    while let Some((ua, ub, va, vb, level)) = todo.pop() {
                        let quad: Vec<Coord> = [(ua, va), (ub, va), (ub, vb), (ua, vb)]
                            .iter()
                            .map(|&(du, dv)| {
                                let c = to_xy(u0 + du, v0 + dv);
                                Coord {
                                    x: c.x + rng.range(-g.jitter, g.jitter),
                                    y: c.y + rng.range(-g.jitter, g.jitter),
                                }
                            })
                            .collect();
                        let noise = rng.f64();
                        if raster.free_quad(&quad) {
                            cands.push((quad, noise));
                        } else if level == 0 {
                            todo.push((ua, ua + hu, va, vb, 1));
                            todo.push((ub - hu, ub, va, vb, 1));
                        } else if level == 1 {
                            todo.push((ua, ub, va, va + hv, 2));
                            todo.push((ua, ub, vb - hv, vb, 2));
                        }
                    }
                }
            }
            bj += 1;
        }
        bi += 1;
    }
    cands
}

/// Sorts `items` by priority (lowest first) and keeps the shortest prefix whose areas come
/// nearest to `target` (m²); returns the kept total.
pub fn keep_to_target<T>(items: &mut Vec<(f64, T)>, area: impl Fn(&T) -> f64, target: f64) -> f64 {
    items.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut sum = 0.0;
    let mut keep = items.len();
    for (k, (_, p)) in items.iter().enumerate() {
        let a = area(p);
        if sum + a >= target {
            keep = if sum + a - target < target - sum {
                k + 1
            } else {
                k
            };
            if keep == k + 1 {
                sum += a;
            }
            break;
        }
        sum += a;
    }
    items.truncate(keep);
    sum
}

/// Village sites (centre, radius m): a jittered 2 km grid over the county outside `exclude`,
/// plus the named villages (radius 320 m) first.
pub fn villages(
    county: &MultiPolygon,
    exclude: &MultiPolygon,
    named: &[Coord],
    seed: u64,
) -> Vec<(Coord, f64)> {
    let mut rng = Rng::new(seed);
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for c in county.0.iter().flat_map(|p| p.exterior().0.iter()) {
        (x0, y0, x1, y1) = (x0.min(c.x), y0.min(c.y), x1.max(c.x), y1.max(c.y));
    }
    let spacing = 2000.0;
    let mut out: Vec<(Coord, f64)> = named.iter().map(|&c| (c, 320.0)).collect();
    let mut y = y0;
    while y < y1 {
        let mut x = x0;
        while x < x1 {
            let c = Coord {
                x: x + rng.range(-0.35, 0.35) * spacing,
                y: y + rng.range(-0.35, 0.35) * spacing,
            };
            let r = rng.range(110.0, 300.0);
            if in_multi(county, c) && !in_multi(exclude, c) {
                out.push((c, r));
            }
            x += spacing;
        }
        y += spacing;
    }
    out
}
