//! One county's illustrative plan, drawn from its outline alone.
//!
//! Order: the terrain proxy; the seat and township seeds, the township partition (Wenshui's
//! `townships::partition`); the river; towns, parks and water sources; the red line (high
//! ground and the river strip, clear of towns and parks); the fields on the flat part, clear
//! of everything, with the planted conflicts. Then the written layers, checked, and the
//! figures the manifest and indicator table report.

use super::farmland::{self, Plant};
use super::layers;
use super::manifest::{self, FARMLAND, PARKS, RED_LINE};
use super::redline::{self, RedPatch};
use super::sites::{self, Ground};
use super::{river, seeds, terrain::Terrain};
use crate::county::Boundary;
use crate::fields::{self, FieldGrid};
use crate::frame::{Frame, Ll};
use crate::geom::{self, buffer_line, clip_line, in_polygon};
use crate::out::{self, OutFeature, OutGeom};
use crate::rng::Rng;
use crate::townships;
use crate::write::PlantedRecord;
use geo::{BooleanOps, Buffer, Coord, InteriorPoint, LineString, MultiPolygon, Polygon};

/// A drawn plan: its layers in manifest order and what the manifest says about it.
pub struct Drawn {
    pub id: String,
    pub county: Boundary,
    pub area_km2: f64,
    pub center: (f64, f64),
    pub zoom: f64,
    pub layers: Vec<(&'static str, Vec<OutFeature>)>,
    pub planted: Vec<PlantedRecord>,
    /// Total area (m²) of each layer with an indicator.
    pub totals: Vec<(&'static str, f64)>,
}

impl Drawn {
    pub fn layer(&self, id: &str) -> &[OutFeature] {
        self.layers
            .iter()
            .find(|l| l.0 == id)
            .map_or(&[], |l| l.1.as_slice())
    }

    pub fn meta(&self) -> manifest::Meta<'_> {
        manifest::Meta {
            id: &self.id,
            county: &self.county.name,
            adcode: &self.county.adcode,
            city: &self.county.city,
            province: &self.county.province,
            area_km2: self.area_km2,
            center: self.center,
            zoom: self.zoom,
        }
    }
}

/// The frame origin: the outline's box centre, to 0.01°.
fn frame_of(ring: &[Ll]) -> Frame {
    let (mut a, mut b) = ((i64::MAX, i64::MAX), (i64::MIN, i64::MIN));
    for p in ring {
        a = (a.0.min(p.0), a.1.min(p.1));
        b = (b.0.max(p.0), b.1.max(p.1));
    }
    let c = |lo: i64, hi: i64| ((lo + hi) as f64 / 2e7 * 100.0).round() / 100.0;
    Frame::new(c(a.0, b.0), c(a.1, b.1))
}

/// Where and how far a map opens: the outline's box centre, a zoom that fits it.
fn view(ring: &[Ll]) -> ((f64, f64), f64) {
    let lon: Vec<f64> = ring.iter().map(|p| p.0 as f64 / 1e7).collect();
    let lat: Vec<f64> = ring.iter().map(|p| p.1 as f64 / 1e7).collect();
    let span = |v: &[f64]| {
        let (lo, hi) = v
            .iter()
            .fold((f64::MAX, f64::MIN), |a, &x| (a.0.min(x), a.1.max(x)));
        (lo, hi, hi - lo)
    };
    let (x0, _, dx) = span(&lon);
    let (y0, _, dy) = span(&lat);
    let round = |v: f64, d: f64| (v * d).round() / d;
    let extent = dx.max(dy * 1.26).max(1e-3);
    let zoom = round((9.6 + (0.8 / extent).log2()).clamp(7.0, 12.5), 10.0);
    ((round(x0 + dx / 2.0, 1e4), round(y0 + dy / 2.0, 1e4)), zoom)
}

/// The township partition, tried with other wavy edges until every cell is valid.
fn partition(
    ring: &[Coord],
    seeds: &[Coord],
    fr: &Frame,
    seed: u64,
) -> Result<townships::Partition, String> {
    let mut last = String::new();
    for attempt in 0..8u64 {
        match townships::partition(ring, seeds, seed ^ (attempt << 32)) {
            Ok(p) => {
                let bad = p.cells.iter().find_map(|c| {
                    let f = OutFeature::new(
                        String::new(),
                        "",
                        OutGeom::Polygon(vec![out::grid_ring(fr, c, true)]),
                    );
                    out::check(&f).err()
                });
                match bad {
                    None => return Ok(p),
                    Some(e) => last = e,
                }
            }
            Err(e) => last = e,
        }
    }
    Err(format!("the township partition failed: {last}"))
}

pub fn draw(b: &Boundary, neighbours: &[&Boundary], seed: u64) -> Result<Drawn, String> {
    if b.polygons.len() != 1 || b.polygons[0].len() != 1 {
        return Err(format!(
            "{} ({}): only an outline of one polygon without holes is supported",
            b.name, b.adcode
        ));
    }
    let mut rng = Rng::new(seed);
    let mut grid_ring: Vec<Ll> = out::clean_ring(b.polygons[0][0].clone());
    if out::twice_area(&grid_ring) < 0 {
        grid_ring.reverse();
    }
    let fr = frame_of(&grid_ring);
    let ring: Vec<Coord> = grid_ring.iter().map(|&p| fr.ll_to_frame(p)).collect();
    let outline = geom::mp(geom::polygon(ring.clone()));
    let area_m2 =
        OutFeature::new(String::new(), "", OutGeom::Polygon(vec![grid_ring.clone()])).area_m2();
    let area_km2 = area_m2 / 1e6;

    // Terrain, townships.
    let terrain = Terrain::build(&outline, 200.0, rng.next_u64());
    let red_level = terrain.quantile(rng.range(0.62, 0.78));
    let flat = terrain.quantile(rng.range(0.40, 0.55));
    let placed = seeds::place(&terrain, seeds::count(area_km2));
    let part = partition(&ring, &placed.seeds, &fr, rng.next_u64())
        .map_err(|e| format!("{} ({}): {e}", b.name, b.adcode))?;
    let county_poly = geom::polygon(part.county.clone());
    let county = geom::mp(county_poly.clone());
    let cells: Vec<Polygon> = part
        .cells
        .iter()
        .map(|c| geom::polygon(c.clone()))
        .collect();
    let names: Vec<String> = (1..=cells.len())
        .map(|i| format!("示意乡镇{i:02}"))
        .collect();
    let seats: Vec<Coord> = placed
        .seats
        .iter()
        .zip(&cells)
        .map(|(&s, c)| {
            if in_polygon(c, s) {
                s
            } else {
                c.interior_point().map_or(s, |p| p.0)
            }
        })
        .collect();

    // River, towns, parks, water.
    let river = river::trace(&terrain, rng.next_u64());
    let inside: Vec<LineString> = river
        .as_ref()
        .map_or(vec![], |l| clip_line(&county, l, 300.0));
    let strip = river.as_ref().map_or(MultiPolygon(vec![]), |l| {
        buffer_line(l, 150.0).intersection(&county)
    });
    let sites = sites::place(
        &Ground {
            frame: &fr,
            county_name: &b.name,
            county: &county_poly,
            cells: &cells,
            township_names: &names,
            seats: &seats,
            terrain: &terrain,
            flat,
            area_km2,
        },
        rng.next_u64(),
    );
    let mut keep_out = MultiPolygon(vec![]);
    for t in &sites.towns {
        keep_out = keep_out.union(&t.area.buffer(150.0));
    }
    for p in &sites.parks {
        keep_out = keep_out.union(&p.area.buffer(150.0));
    }

    // Red line.
    let mut red: Vec<RedPatch> = redline::build(
        &redline::Input {
            county: &county,
            cells: &cells,
            terrain: &terrain,
            level: red_level,
            strip: &strip,
            keep_out: &keep_out,
        },
        rng.next_u64(),
    );

    // Farmland (and the planted red-line rectangle).
    let not_flat = terrain.above(flat);
    let villages = fields::villages(&county, &not_flat, &seats, rng.next_u64());
    let red_mp: Vec<MultiPolygon> = red.iter().map(|p| geom::mp(p.area.clone())).collect();
    let mut areas: Vec<&MultiPolygon> = red_mp.iter().collect();
    areas.extend(sites.towns.iter().map(|t| &t.area));
    let others: Vec<MultiPolygon> = sites
        .parks
        .iter()
        .map(|p| geom::mp(p.area.clone()))
        .chain(sites.water.iter().map(|w| geom::mp(w.area.clone())))
        .collect();
    areas.extend(others.iter());
    let lines: Vec<(&LineString, f64)> = cells
        .iter()
        .map(|c| (c.exterior(), 10.0))
        .chain(river.iter().map(|l| (l, 40.0)))
        .collect();
    // Fields grow with the county (at most twice as long), so that no plan gets much more
    // than about 8,000 of them.
    let size = (area_km2 / 1000.0).sqrt().clamp(1.0, 2.0);
    let grid = FieldGrid {
        angle: rng.range(-0.45, 0.45),
        field_u: 280.0 * size,
        field_v: 160.0 * size,
        ditch: 8.0,
        road: 16.0,
        block_u: 4,
        block_v: 3,
        jitter: 3.0,
    };
    let share = rng.range(0.70, 0.85);
    let (fields, planted) = farmland::build(
        &farmland::Input {
            frame: &fr,
            county: &county,
            not_flat: &not_flat,
            flat,
            areas,
            lines,
            villages,
            cells: &cells,
            park: sites.parks.first().map(|p| p.rect),
            terrain: &terrain,
            river: river.as_ref(),
            seat: seats[0],
            min_dist: sites.seat_radius + 2000.0,
        },
        &grid,
        share,
        rng.next_u64(),
    );
    let red_rect_at = planted.red.as_ref().map(|(poly, township)| {
        red.push(RedPatch {
            township: *township,
            kind: "水源涵养",
            what: "湿地",
            area: poly.clone(),
        });
        red.len() - 1
    });

    // Written layers.
    let (urban, parks, water) = layers::sites(&fr, &sites, &names);
    let red_features = layers::red_line(&fr, &red, &names);
    let farm = layers::farmland(&fields, &names);
    let nb: Vec<&Boundary> = neighbours.to_vec();
    let list: Vec<(&'static str, Vec<OutFeature>)> = vec![
        (manifest::NEIGHBOURS, layers::neighbours(&nb)),
        (manifest::COUNTY, layers::county(&fr, b, &part.county)),
        (
            manifest::TOWNSHIPS,
            layers::townships(&fr, &part.cells, &names),
        ),
        (manifest::RIVERS, layers::rivers(&fr, &inside)),
        (RED_LINE, red_features),
        (FARMLAND, farm),
        (manifest::URBAN, urban),
        (PARKS, parks),
        (manifest::WATER, water),
        (
            manifest::PLACES,
            layers::places(&fr, &b.name, &seats, &names),
        ),
    ];
    let mut errors: Vec<String> = Vec::new();
    for (_, fs) in &list {
        errors.extend(fs.iter().filter_map(|f| out::check(f).err()));
    }
    for (id, fs) in &list {
        if fs.is_empty() && *id != manifest::RIVERS {
            errors.push(format!("layer {id} is empty"));
        }
    }
    if !errors.is_empty() {
        return Err(format!("{} ({}): {}", b.name, b.adcode, errors.join("; ")));
    }

    // The planted overlaps, by the ids the features were given.
    let id_of = |layer: &str, i: usize| {
        list.iter()
            .find(|l| l.0 == layer)
            .map(|l| l.1[i].id.clone())
    };
    let mut planted_out = Vec::new();
    for &(plant, bx) in &planted.overlaps {
        let field = fields.iter().position(|f| f.plant == Some(plant));
        let Some(field) = field.and_then(|i| id_of(FARMLAND, i)) else {
            continue;
        };
        let ring: Vec<Ll> = vec![(bx.0, bx.2), (bx.1, bx.2), (bx.1, bx.3), (bx.0, bx.3)];
        let area_m2 =
            OutFeature::new(String::new(), "", OutGeom::Polygon(vec![ring.clone()])).area_m2();
        let (rule, a, b, severity, how) = match plant {
            Plant::RedAcross | Plant::RedSliver => {
                let Some(red_id) = red_rect_at.and_then(|i| id_of(RED_LINE, i)) else {
                    continue;
                };
                let (sev, how) = if plant == Plant::RedAcross {
                    ("conflict", "耕地图斑跨越湿地红线斑块西边界")
                } else {
                    (
                        "sliver",
                        "耕地图斑西边界压入湿地红线斑块东边界一个坐标步长（1e-7°），属于碎片（sliver）",
                    )
                };
                (format!("{RED_LINE}×{FARMLAND}"), red_id, field, sev, how)
            }
            Plant::ParkAcross => {
                let Some(park) = id_of(PARKS, 0) else {
                    continue;
                };
                (
                    format!("{FARMLAND}×{PARKS}"),
                    field,
                    park,
                    "conflict",
                    "产业园区西边界压占耕地图斑",
                )
            }
        };
        planted_out.push(PlantedRecord {
            rule,
            severity,
            a,
            b,
            area_m2,
            how,
            ring,
        });
    }

    let totals: Vec<(&'static str, f64)> = manifest::LAYERS
        .iter()
        .filter(|l| l.indicator.is_some())
        .map(|l| {
            let fs = list
                .iter()
                .find(|x| x.0 == l.id)
                .map_or(&[][..], |x| &x.1[..]);
            (l.id, fs.iter().map(|f| f.area_m2()).sum())
        })
        .collect();
    let (center, zoom) = view(&grid_ring);
    Ok(Drawn {
        id: b.adcode.clone(),
        county: b.clone(),
        area_km2,
        center,
        zoom,
        layers: list,
        planted: planted_out,
        totals,
    })
}
