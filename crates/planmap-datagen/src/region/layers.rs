//! A generated plan's layers as written features: ids `<LAYER>-<n>`, Chinese names and
//! attributes, geometry on the 1e-7° grid.

use super::farmland::Field;
use super::manifest::{
    COUNTY, FARMLAND, NEIGHBOURS, PARKS, PLACES, RED_LINE, RIVERS, TOWNSHIPS, URBAN, WATER,
};
use super::redline::RedPatch;
use super::sites::Sites;
use crate::county::Boundary;
use crate::frame::{Frame, Ll};
use crate::out::{
    field, grid_line, grid_multi, grid_polygon, grid_ring, numbered, OutFeature, OutGeom,
    ILLUSTRATIVE, REAL,
};
use geo::{Coord, LineString};

pub fn id(layer: &str, n: usize) -> String {
    if layer == FARMLAND {
        format!("{layer}-{n:06}")
    } else {
        format!("{layer}-{n:03}")
    }
}

fn drawn(f: OutFeature) -> OutFeature {
    f.prop("source", ILLUSTRATIVE)
}

fn real(f: OutFeature, b: &Boundary) -> OutFeature {
    f.prop("adcode", b.adcode.as_str())
        .prop("city", b.city.as_str())
        .prop("province", b.province.as_str())
        .prop("source", REAL)
}

pub fn neighbours(bs: &[&Boundary]) -> Vec<OutFeature> {
    bs.iter()
        .enumerate()
        .map(|(i, b)| {
            real(
                OutFeature::new(id(NEIGHBOURS, i + 1), &b.name, b.geometry()),
                b,
            )
        })
        .collect()
}

pub fn county(fr: &Frame, b: &Boundary, ring: &[Coord]) -> Vec<OutFeature> {
    let g = OutGeom::Polygon(vec![grid_ring(fr, ring, true)]);
    vec![real(OutFeature::new(id(COUNTY, 1), &b.name, g), b)]
}

pub fn townships(fr: &Frame, cells: &[Vec<Coord>], names: &[String]) -> Vec<OutFeature> {
    cells
        .iter()
        .zip(names)
        .enumerate()
        .map(|(i, (ring, name))| {
            let g = OutGeom::Polygon(vec![grid_ring(fr, ring, true)]);
            drawn(OutFeature::new(id(TOWNSHIPS, i + 1), name, g).prop("type", "乡镇"))
        })
        .collect()
}

pub fn rivers(fr: &Frame, inside: &[LineString]) -> Vec<OutFeature> {
    if inside.is_empty() {
        return vec![];
    }
    let mut parts: Vec<Vec<Ll>> = inside.iter().map(|l| grid_line(fr, l)).collect();
    let g = if parts.len() == 1 {
        OutGeom::Line(parts.pop().expect("one"))
    } else {
        OutGeom::MultiLine(parts)
    };
    vec![drawn(
        OutFeature::new(id(RIVERS, 1), "示意河流", g).prop("note", "沿地势最低处穿过县境（示意）"),
    )]
}

pub fn red_line(fr: &Frame, patches: &[RedPatch], names: &[String]) -> Vec<OutFeature> {
    let mut seen = Vec::new();
    patches
        .iter()
        .map(|p| (p, grid_polygon(fr, &p.area).expect("a red-line patch")))
        .enumerate()
        .map(|(i, (p, rings))| {
            let base = format!("{}{}{}生态保护红线", names[p.township], p.what, p.kind);
            let name = numbered(&mut seen, base);
            drawn(
                OutFeature::new(id(RED_LINE, i + 1), &name, OutGeom::Polygon(rings))
                    .prop("type", p.kind)
                    .prop("township", names[p.township].as_str()),
            )
        })
        .collect()
}

pub fn farmland(fields: &[Field], names: &[String]) -> Vec<OutFeature> {
    fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let t = &names[f.township];
            drawn(field(id(FARMLAND, i + 1), i + 1, f.ring.clone(), t, f.dlbm))
        })
        .collect()
}

/// Urban boundaries, parks and water zones.
pub fn sites(
    fr: &Frame,
    s: &Sites,
    names: &[String],
) -> (Vec<OutFeature>, Vec<OutFeature>, Vec<OutFeature>) {
    let urban = s
        .towns
        .iter()
        .enumerate()
        .map(|(i, t)| {
            drawn(
                OutFeature::new(id(URBAN, i + 1), &t.name, grid_multi(fr, &t.area))
                    .prop("township", names[t.township].as_str())
                    .prop("kind", t.kind),
            )
        })
        .collect();
    let parks = s
        .parks
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let g = OutGeom::Polygon(grid_polygon(fr, &p.area).expect("a park rectangle"));
            drawn(OutFeature::new(id(PARKS, i + 1), &p.name, g).prop("industries", p.industries))
        })
        .collect();
    let water = s
        .water
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let g = OutGeom::Polygon(grid_polygon(fr, &w.area).expect("a water zone"));
            drawn(
                OutFeature::new(id(WATER, i + 1), &w.name, g)
                    .prop("source_name", w.source.as_str())
                    .prop("level", w.level),
            )
        })
        .collect();
    (urban, parks, water)
}

/// The county seat and the township seats.
pub fn places(fr: &Frame, county: &str, seats: &[Coord], names: &[String]) -> Vec<OutFeature> {
    seats
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let (name, kind) = if i == 0 {
                (format!("{county}政府驻地（示意）"), "县级政府驻地")
            } else {
                (format!("{}驻地", names[i]), "乡镇驻地")
            };
            drawn(
                OutFeature::new(id(PLACES, i + 1), &name, OutGeom::Point(fr.to_ll(c)))
                    .prop("kind", kind)
                    .prop("township", names[i].as_str()),
            )
        })
        .collect()
}
