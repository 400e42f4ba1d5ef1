//! 永久基本农田: tens of thousands of field patches (图斑) on the eastern plain.
//!
//! Fields are jittered quadrilaterals on a slightly rotated grid with ditches between fields
//! and farm roads between blocks, kept off everything they must not touch by an occupancy
//! raster. The plan's 46.44 万亩 is then hit by leaving out whole patches in the order of a
//! smooth noise field (so the gaps look like general farmland, orchards and greenhouses
//! rather than salt and pepper); the planted patches are always kept.

use crate::fields::{self, FieldGrid};
use crate::frame::{self, Ll};
use crate::geom::{in_polygon, in_ring};
use crate::out::{self, OutFeature, OutGeom};
use crate::raster::Raster;
use crate::rng::{fractal_noise, value_noise, Rng};
use crate::wenshui::planted::{self, Site, PATCHES};
use geo::{Coord, LineString, MultiPolygon, Polygon};

pub struct Patch {
    pub ring: Vec<Ll>,
    pub centre: Coord,
    pub site: Option<Site>,
    pub township: usize,
    pub dlbm: &'static str,
    pub area_m2: f64,
}

/// Everything the fields must keep clear of, and what they are attributed to.
pub struct Obstacles<'a> {
    pub county: &'a MultiPolygon,
    pub areas: Vec<&'a MultiPolygon>,
    pub polygons: Vec<&'a Polygon>,
    /// Lines with a half-width (m): township boundaries, roads, railways.
    pub lines: Vec<(&'a LineString, f64)>,
    /// Village sites on the plain (centre, radius m).
    pub villages: Vec<(Coord, f64)>,
    pub townships: &'a [Polygon],
    pub foot: &'a LineString,
    pub wenyu: &'a LineString,
}

pub struct Stats {
    pub candidates: usize,
    pub candidate_area: f64,
    pub blocked_fraction: f64,
}

/// 160 × 94 m fields on a grid turned by 0.14 rad (about 8°).
const GRID: FieldGrid = FieldGrid {
    angle: 0.14,
    field_u: 160.0,
    field_v: 94.0,
    ditch: 6.0,
    road: 12.0,
    block_u: 5,
    block_v: 4,
    jitter: 2.4,
};

fn ring_of(b: planted::LlBox) -> Vec<Coord> {
    let p = planted::box_poly(b);
    p.exterior().0[..4].to_vec()
}

/// The x of the foot line at height y (the line runs north to south).
fn foot_x(foot: &LineString, y: f64) -> f64 {
    for w in foot.0.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a.y - y) * (b.y - y) <= 0.0 && (a.y - b.y).abs() > 1e-9 {
            return a.x + (b.x - a.x) * (y - a.y) / (b.y - a.y);
        }
    }
    foot.0[0].x
}

fn dist_to_line(l: &LineString, p: Coord) -> f64 {
    l.0.windows(2)
        .map(|w| {
            let (a, b) = (w[0], w[1]);
            let d = b - a;
            let t = (((p - a).x * d.x + (p - a).y * d.y) / (d.x * d.x + d.y * d.y)).clamp(0.0, 1.0);
            let q = a + d * t;
            (p - q).x.hypot((p - q).y)
        })
        .fold(f64::MAX, f64::min)
}

pub fn build(ob: &Obstacles, target_m2: f64, seed: u64) -> (Vec<Patch>, Stats) {
    let mut rng = Rng::new(seed);
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for c in ob.county.0.iter().flat_map(|p| p.exterior().0.iter()) {
        (x0, y0, x1, y1) = (x0.min(c.x), y0.min(c.y), x1.max(c.x), y1.max(c.y));
    }
    let xw = frame::deg(111.90, 37.42).x;
    let mut raster = Raster::new(xw, y0 - 200.0, x1 + 200.0, y1 + 200.0, 10.0);
    raster.fill_multi(ob.county);
    raster.invert();
    for a in &ob.areas {
        raster.fill_multi(a);
    }
    for p in &ob.polygons {
        raster.fill_polygon(p);
    }
    for &(_, b) in &PATCHES {
        raster.fill_polygon(&planted::box_poly(b));
    }
    raster.dilate(2);
    let mut lines = Raster::new(raster.x0, raster.y0, x1 + 200.0, y1 + 200.0, 10.0);
    for &(l, r) in &ob.lines {
        lines.fill_line(l, r);
    }
    for &(c, r) in &ob.villages {
        lines.fill_line(&LineString::new(vec![c, c]), r);
    }
    raster.or(&lines);
    let blocked_fraction = raster.blocked_fraction();

    // Candidate fields on the rotated grid.
    let cands = fields::candidates(
        &raster,
        &GRID,
        (raster.x0, raster.y0, x1 + 200.0, y1 + 200.0),
        &mut rng,
    );

    // Written form, area and keep priority; the planted patches first.
    let mut patches: Vec<(f64, Patch)> = Vec::new();
    let add = |quad: &[Coord], site: Option<Site>, prio: f64, patches: &mut Vec<(f64, Patch)>| {
        let ring = out::grid_ring(&frame::wenshui(), quad, true);
        let centre = quad.iter().fold(Coord { x: 0.0, y: 0.0 }, |a, &c| a + c) / quad.len() as f64;
        let f = OutFeature::new(String::new(), "", OutGeom::Polygon(vec![ring.clone()]));
        let area_m2 = f.area_m2();
        patches.push((
            prio,
            Patch {
                ring,
                centre,
                site,
                township: usize::MAX,
                dlbm: "0102",
                area_m2,
            },
        ));
    };
    for &(site, b) in &PATCHES {
        add(&ring_of(b), Some(site), f64::MIN, &mut patches);
    }
    let candidate_area_before = patches.iter().map(|p| p.1.area_m2).sum::<f64>();
    for (quad, r) in &cands {
        let c = quad.iter().fold(Coord { x: 0.0, y: 0.0 }, |a, &p| a + p) / 4.0;
        let prio = fractal_noise(seed ^ 0xFA, c.x, c.y, 2600.0) + 0.22 * r;
        add(quad, None, prio, &mut patches);
    }
    let candidate_area = patches.iter().map(|p| p.1.area_m2).sum::<f64>() - candidate_area_before;
    let sum = fields::keep_to_target(&mut patches, |p| p.area_m2, target_m2);
    if (sum - target_m2).abs() > 0.0005 * target_m2 {
        eprintln!("not enough room on the plain for the farmland target: {sum} of {target_m2} m²");
    }
    let mut patches: Vec<Patch> = patches.into_iter().map(|(_, p)| p).collect();

    // Attributes.
    for p in &mut patches {
        p.township = ob
            .townships
            .iter()
            .position(|t| in_polygon(t, p.centre))
            .or_else(|| {
                ob.townships
                    .iter()
                    .position(|t| in_ring(&t.exterior().0, p.centre))
            })
            .expect("patch centre in a township");
        let n = value_noise(seed ^ 0xD1, p.centre.x, p.centre.y, 3000.0);
        let near_foot = p.centre.x < foot_x(ob.foot, p.centre.y) + 2500.0;
        let near_wenyu = dist_to_line(ob.wenyu, p.centre) < 1800.0;
        p.dlbm = if near_foot && n < 0.65 {
            "0103"
        } else if near_wenyu && n > 0.5 {
            "0101"
        } else {
            "0102"
        };
    }
    // Stable order: north to south in 300 m bands, west to east within a band.
    patches.sort_by(|a, b| {
        let ka = (-(a.centre.y / 300.0).floor() as i64, a.centre.x);
        let kb = (-(b.centre.y / 300.0).floor() as i64, b.centre.x);
        ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
    });
    let stats = Stats {
        candidates: cands.len(),
        candidate_area,
        blocked_fraction,
    };
    (patches, stats)
}
