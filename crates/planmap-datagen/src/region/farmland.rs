//! 永久基本农田: field patches on the flat part of the county (the terrain's lowest share),
//! kept clear of everything they must not touch by an occupancy raster (20 m cells, 40 m
//! margin), then thinned in the order of a smooth noise field; and the planted conflicts: a
//! small rectangular red-line patch with a field across its west edge and another overlapping
//! its east edge by one grid step (a sliver), and a field across a park's west edge.

use super::terrain::Terrain;
use crate::fields::{self, FieldGrid};
use crate::frame::{Frame, Ll, SCALE};
use crate::geom::in_polygon;
use crate::out::{self, OutFeature, OutGeom};
use crate::raster::Raster;
use crate::rng::{fractal_noise, value_noise, Rng};
use geo::{BoundingRect, Coord, Distance, Euclidean, LineString, MultiPolygon, Point, Polygon};

/// A box on the written grid (units of 1e-7°): lon0, lon1, lat0, lat1.
pub type GridBox = (i64, i64, i64, i64);

/// The planted overlaps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Plant {
    /// A field across the red-line rectangle's west edge.
    RedAcross,
    /// A field whose west edge lies one grid step inside the rectangle's east edge.
    RedSliver,
    /// A field across the park's west edge.
    ParkAcross,
}

pub struct Field {
    pub ring: Vec<Ll>,
    pub centre: Coord,
    pub township: usize,
    pub dlbm: &'static str,
    pub area_m2: f64,
    pub plant: Option<Plant>,
}

/// The planted geometry: the red-line rectangle (if a site was found) and each planted
/// field's expected overlap.
pub struct Planted {
    pub red: Option<(Polygon, usize)>,
    pub overlaps: Vec<(Plant, GridBox)>,
}

pub struct Input<'a> {
    pub frame: &'a Frame,
    pub county: &'a MultiPolygon,
    /// Ground that is not flat (no fields): above `flat` on the terrain.
    pub not_flat: &'a MultiPolygon,
    pub flat: f64,
    /// Polygons fields keep clear of: red line, towns, parks, water.
    pub areas: Vec<&'a MultiPolygon>,
    /// Lines with a half-width (m): township boundaries, the river.
    pub lines: Vec<(&'a LineString, f64)>,
    pub villages: Vec<(Coord, f64)>,
    pub cells: &'a [Polygon],
    /// The park to plant a field across (its lon/lat box).
    pub park: Option<(f64, f64, f64, f64)>,
    pub terrain: &'a Terrain,
    pub river: Option<&'a LineString>,
    /// Planted red-line site: searched outward from here, beyond `min_dist` metres.
    pub seat: Coord,
    pub min_dist: f64,
}

fn box_poly(fr: &Frame, b: GridBox) -> Polygon {
    fr.rect_deg(
        b.0 as f64 / SCALE,
        b.1 as f64 / SCALE,
        b.2 as f64 / SCALE,
        b.3 as f64 / SCALE,
    )
}

fn quad(p: &Polygon) -> Vec<Coord> {
    p.exterior().0[..4].to_vec()
}

/// The red-line rectangle (0.0045° × 0.0030°) with its planted fields, placed on the first
/// flat spot (from `inp.seat` outward) clear of everything by 0.003° around.
/// A planted field: which, its box, its expected overlap.
type PlantedField = (Plant, GridBox, GridBox);

fn red_site(inp: &Input, raster: &Raster) -> Option<(GridBox, [PlantedField; 2])> {
    let fr = inp.frame;
    let t = inp.terrain;
    let mut spots: Vec<(f64, usize)> = t
        .inside_points()
        .filter(|&k| t.dist[k] >= 1500.0 && t.height[k] <= inp.flat)
        .map(|k| {
            let d = t.point(k) - inp.seat;
            (d.x.hypot(d.y), k)
        })
        .filter(|&(d, _)| d >= inp.min_dist)
        .collect();
    spots.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    for &(_, k) in spots.iter().take(4000) {
        let (lon, lat) = fr.to_lonlat(t.point(k));
        let lon0 = (lon * 1e4).round() as i64 * 1000;
        let lat0 = (lat * 1e4).round() as i64 * 1000;
        let red = (lon0, lon0 + 45_000, lat0, lat0 + 30_000);
        let m = 30_000;
        let site = box_poly(fr, (red.0 - m, red.1 + m, red.2 - m, red.3 + m));
        if raster.free_quad(&quad(&site)) {
            let across = (red.0 - 12_000, red.0 + 8_000, red.2 + 6_000, red.2 + 14_000);
            let sliver = (red.1 - 1, red.1 + 14_000, red.2 + 16_000, red.2 + 21_000);
            return Some((
                red,
                [
                    (
                        Plant::RedAcross,
                        across,
                        (red.0, across.1, across.2, across.3),
                    ),
                    (
                        Plant::RedSliver,
                        sliver,
                        (sliver.0, red.1, sliver.2, sliver.3),
                    ),
                ],
            ));
        }
    }
    None
}

/// Draws the fields (and the planted red-line rectangle, returned apart: it joins the red
/// line). `share` of the clear candidate area is kept.
pub fn build(inp: &Input, grid: &FieldGrid, share: f64, seed: u64) -> (Vec<Field>, Planted) {
    let fr = inp.frame;
    let mut rng = Rng::new(seed);
    let bb = inp.county.bounding_rect().expect("county");
    let (x0, y0, x1, y1) = (
        bb.min().x - 200.0,
        bb.min().y - 200.0,
        bb.max().x + 200.0,
        bb.max().y + 200.0,
    );
    let cell = 20.0;
    let mut raster = Raster::new(x0, y0, x1, y1, cell);
    raster.fill_multi(inp.county);
    raster.invert();
    raster.fill_multi(inp.not_flat);
    for a in &inp.areas {
        raster.fill_multi(a);
    }
    raster.dilate(2);
    let mut lines = Raster::new(x0, y0, x1, y1, cell);
    for &(l, r) in &inp.lines {
        lines.fill_line(l, r);
    }
    for &(c, r) in &inp.villages {
        lines.fill_disc(c, r);
    }
    raster.or(&lines);

    // The planted patches, and room around them.
    let mut planted = Planted {
        red: None,
        overlaps: Vec::new(),
    };
    let mut plants: Vec<(Plant, GridBox)> = Vec::new();
    let mut extra = Raster::new(x0, y0, x1, y1, cell);
    if let Some((red, fields)) = red_site(inp, &raster) {
        let poly = box_poly(fr, red);
        extra.fill_polygon(&poly);
        let township = inp
            .cells
            .iter()
            .position(|c| in_polygon(c, quad(&poly)[0]))
            .unwrap_or(0);
        planted.red = Some((poly, township));
        for (plant, field, overlap) in fields {
            plants.push((plant, field));
            planted.overlaps.push((plant, overlap));
        }
    }
    if let Some(p) = inp.park {
        let g = |v: f64| (v * SCALE).round() as i64;
        let (lon0, lat0) = (g(p.0), g(p.2));
        let field = (lon0 - 10_000, lon0 + 7_000, lat0 + 10_000, lat0 + 18_000);
        plants.push((Plant::ParkAcross, field));
        planted
            .overlaps
            .push((Plant::ParkAcross, (lon0, field.1, field.2, field.3)));
    }
    for &(_, b) in &plants {
        extra.fill_polygon(&box_poly(fr, b));
    }
    extra.dilate(2);
    raster.or(&extra);

    let cands = fields::candidates(&raster, grid, (x0, y0, x1, y1), &mut rng);
    let make = |q: &[Coord], plant: Option<Plant>| {
        let ring = out::grid_ring(fr, q, true);
        let centre = q.iter().fold(Coord { x: 0.0, y: 0.0 }, |a, &c| a + c) / q.len() as f64;
        let area_m2 =
            OutFeature::new(String::new(), "", OutGeom::Polygon(vec![ring.clone()])).area_m2();
        Field {
            ring,
            centre,
            township: usize::MAX,
            dlbm: "0102",
            area_m2,
            plant,
        }
    };
    let mut items: Vec<(f64, Field)> = plants
        .iter()
        .map(|&(p, b)| (f64::MIN, make(&quad(&box_poly(fr, b)), Some(p))))
        .collect();
    let mut candidate_area = 0.0;
    for (q, r) in &cands {
        let c = q.iter().fold(Coord { x: 0.0, y: 0.0 }, |a, &p| a + p) / 4.0;
        let prio = fractal_noise(seed ^ 0xFA, c.x, c.y, 2600.0) + 0.22 * r;
        let f = make(q, None);
        candidate_area += f.area_m2;
        items.push((prio, f));
    }
    fields::keep_to_target(&mut items, |f| f.area_m2, share * candidate_area);
    let mut out: Vec<Field> = items.into_iter().map(|(_, f)| f).collect();

    // Attributes: township; 水田 near the river, 旱地 on the higher flats, else 水浇地.
    let dry = inp.terrain.quantile(0.3);
    for f in &mut out {
        f.township = inp
            .cells
            .iter()
            .position(|t| in_polygon(t, f.centre))
            .unwrap_or(0);
        let n = value_noise(seed ^ 0xD1, f.centre.x, f.centre.y, 3000.0);
        let wet = inp
            .river
            .is_some_and(|r| Euclidean.distance(&Point(f.centre), r) < 1500.0);
        f.dlbm = if wet && n > 0.45 {
            "0101"
        } else if inp.terrain.sample(f.centre) > dry && n < 0.6 {
            "0103"
        } else {
            "0102"
        };
    }
    // Stable order: north to south in 300 m bands, west to east within a band.
    out.sort_by(|a, b| {
        let ka = -(a.centre.y / 300.0).floor();
        let kb = -(b.centre.y / 300.0).floor();
        ka.total_cmp(&kb).then(a.centre.x.total_cmp(&b.centre.x))
    });
    (out, planted)
}
