//! Turns the built geometry into the written layers: ids, Chinese attributes, grid geometry.

use crate::county::Boundary;
use crate::frame::{self, Ll};
use crate::geom::in_polygon;
use crate::out::{
    field, grid_line, grid_multi, grid_polygon, numbered, OutFeature, OutGeom, ILLUSTRATIVE, REAL,
};
use crate::wenshui::ecology::Ecology;
use crate::wenshui::farmland::Patch;
use crate::wenshui::layout;
use crate::wenshui::redline::RedPatch;
use crate::wenshui::zoning::Zoning;
use geo::{Coord, InteriorPoint, Polygon};

pub fn id(layer: &str, n: usize) -> String {
    if layer == "farmland" {
        format!("{layer}-{n:06}")
    } else {
        format!("{layer}-{n:03}")
    }
}

fn source(f: OutFeature) -> OutFeature {
    f.prop("source", ILLUSTRATIVE)
}

/// Which township (index) a frame point lies in.
pub fn township_of(cells: &[Polygon], p: Coord) -> Option<usize> {
    cells.iter().position(|c| in_polygon(c, p))
}

pub fn county(b: &Boundary, ring: &[Coord]) -> Vec<OutFeature> {
    let r = crate::out::grid_ring(&frame::wenshui(), ring, true);
    vec![
        OutFeature::new(id("county", 1), &b.name, OutGeom::Polygon(vec![r]))
            .prop("adcode", b.adcode.as_str())
            .prop("city", b.city.as_str())
            .prop("province", b.province.as_str())
            .prop("official_area_km2", 1068.57)
            .prop("source", REAL),
    ]
}

pub fn neighbours(bs: &[Boundary]) -> Vec<OutFeature> {
    bs.iter()
        .enumerate()
        .map(|(i, b)| {
            OutFeature::new(id("neighbours", i + 1), &b.name, b.geometry())
                .prop("adcode", b.adcode.as_str())
                .prop("city", b.city.as_str())
                .prop("province", b.province.as_str())
                .prop("source", REAL)
        })
        .collect()
}

pub fn townships(cells: &[Vec<Coord>]) -> Vec<OutFeature> {
    cells
        .iter()
        .zip(&layout::TOWNSHIPS)
        .enumerate()
        .map(|(i, (ring, t))| {
            let r = crate::out::grid_ring(&frame::wenshui(), ring, true);
            source(
                OutFeature::new(id("townships", i + 1), t.name, OutGeom::Polygon(vec![r]))
                    .prop("type", t.kind),
            )
        })
        .collect()
}

pub fn ecology(
    eco: &Ecology,
) -> (
    Vec<OutFeature>,
    Vec<OutFeature>,
    Vec<OutFeature>,
    Vec<OutFeature>,
) {
    let barrier = vec![source(
        OutFeature::new(
            id("eco_barrier", 1),
            "西部山区绿色屏障",
            grid_multi(&frame::wenshui(), &eco.barrier),
        )
        .prop("pattern", "一屏")
        .prop("focus", "苍儿会")
        .prop("function", "水源涵养、水土保持"),
    )];
    let corridors = eco
        .corridors
        .iter()
        .enumerate()
        .map(|(i, c)| {
            source(
                OutFeature::new(
                    id("eco_corridors", i + 1),
                    c.name,
                    grid_multi(&frame::wenshui(), &c.area),
                )
                .prop("pattern", "三廊")
                .prop("river", c.river)
                .prop("half_width_m", c.half_width_m),
            )
        })
        .collect();
    let rivers = eco
        .rivers
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut parts: Vec<Vec<Ll>> = r
                .inside
                .iter()
                .map(|l| grid_line(&frame::wenshui(), l))
                .collect();
            let g = if parts.len() == 1 {
                OutGeom::Line(parts.pop().expect("one"))
            } else {
                OutGeom::MultiLine(parts)
            };
            source(OutFeature::new(id("rivers", i + 1), r.name, g).prop("note", r.note))
        })
        .collect();
    let network = eco
        .network
        .iter()
        .enumerate()
        .map(|(i, (name, parts))| {
            let mut parts: Vec<Vec<Ll>> = parts
                .iter()
                .map(|l| grid_line(&frame::wenshui(), l))
                .collect();
            let g = if parts.len() == 1 {
                OutGeom::Line(parts.pop().expect("one"))
            } else {
                OutGeom::MultiLine(parts)
            };
            let kind = if name.ends_with("绿化带") {
                "道路绿化带"
            } else if name.ends_with("绿道") {
                "绿道"
            } else {
                "森林生态廊道"
            };
            source(
                OutFeature::new(id("eco_network", i + 1), name, g)
                    .prop("pattern", "一网")
                    .prop("kind", kind),
            )
        })
        .collect();
    (barrier, corridors, rivers, network)
}

/// Red-line features with names completed from their township and de-duplicated.
pub fn red_line(patches: &[RedPatch], cells: &[Polygon]) -> Vec<OutFeature> {
    let mut names: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (i, p) in patches.iter().enumerate() {
        let prefix = if p.name.is_empty() {
            let ip = p.area.interior_point().expect("interior point").0;
            township_of(cells, ip)
                .map(|t| layout::TOWNSHIPS[t].name)
                .unwrap_or("西部山区")
                .to_string()
        } else {
            p.name.clone()
        };
        let name = numbered(&mut names, format!("{prefix}{}生态保护红线", p.kind));
        let g = OutGeom::Polygon(grid_polygon(&frame::wenshui(), &p.area).expect("red-line patch"));
        out.push(source(
            OutFeature::new(id("red_line", i + 1), &name, g).prop("type", p.kind),
        ));
    }
    out
}

pub fn farmland(patches: &[Patch]) -> Vec<OutFeature> {
    patches
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let t = layout::TOWNSHIPS[p.township].name;
            source(field(
                id("farmland", i + 1),
                i + 1,
                p.ring.clone(),
                t,
                p.dlbm,
            ))
        })
        .collect()
}

pub fn zoning(z: &Zoning) -> (Vec<OutFeature>, Vec<OutFeature>, Vec<OutFeature>) {
    let urban = z
        .towns
        .iter()
        .enumerate()
        .map(|(i, t)| {
            source(
                OutFeature::new(
                    id("urban_boundary", i + 1),
                    &t.name,
                    grid_multi(&frame::wenshui(), &t.area),
                )
                .prop("township", t.township)
                .prop("kind", t.kind),
            )
        })
        .collect();
    let parks = z
        .parks
        .iter()
        .enumerate()
        .map(|(i, p)| {
            source(
                OutFeature::new(
                    id("industrial_parks", i + 1),
                    p.name,
                    grid_multi(&frame::wenshui(), &p.area),
                )
                .prop("zone", "文水经济开发区")
                .prop("industries", p.industries),
            )
        })
        .collect();
    let water = z
        .water
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let g = OutGeom::Polygon(grid_polygon(&frame::wenshui(), &w.area).expect("water zone"));
            source(
                OutFeature::new(id("water_sources", i + 1), &w.name, g)
                    .prop("source_name", w.source)
                    .prop("level", w.level),
            )
        })
        .collect();
    (urban, parks, water)
}

pub fn places(cells: &[Polygon]) -> Vec<OutFeature> {
    let mut list: Vec<(String, &str, (f64, f64))> = layout::PLACES
        .iter()
        .map(|&(n, k, lon, lat)| (n.to_string(), k, (lon, lat)))
        .collect();
    for t in &layout::TOWNSHIPS {
        let kind = if t.kind == "镇" {
            "镇政府驻地"
        } else {
            "乡政府驻地"
        };
        if t.name != "凤城镇" {
            list.push((t.name.to_string(), kind, t.seat));
        }
    }
    list.iter()
        .enumerate()
        .map(|(i, (name, kind, (lon, lat)))| {
            let c = frame::deg(*lon, *lat);
            let mut f = OutFeature::new(id("places", i + 1), name, OutGeom::Point(frame::to_ll(c)))
                .prop("kind", *kind);
            if let Some(t) = township_of(cells, c) {
                f = f.prop("township", layout::TOWNSHIPS[t].name);
            }
            source(f)
        })
        .collect()
}
