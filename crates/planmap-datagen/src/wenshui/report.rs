//! The planted-conflict records (planted_conflicts.json) and the checks that tie them to the
//! written layers.

use crate::frame::Ll;
use crate::out::{OutFeature, OutGeom};
use crate::wenshui::check::{self, overlaps, prepare, Prepared, EXTRA, RULES};
use crate::wenshui::planted::{overlap_box, Site};
use crate::write;
use std::collections::BTreeMap;

pub use crate::out::MU_PER_M2;

pub struct Layers {
    pub list: Vec<(&'static str, Vec<OutFeature>)>,
}

impl Layers {
    pub fn get(&self, id: &str) -> &[OutFeature] {
        &self
            .list
            .iter()
            .find(|l| l.0 == id)
            .unwrap_or_else(|| panic!("layer {id}"))
            .1
    }
}

pub struct Planted {
    pub layer_a: &'static str,
    pub layer_b: &'static str,
    pub a: String,
    pub b: String,
    pub ring: Vec<Ll>,
    pub area_m2: f64,
    pub how: &'static str,
}

impl Planted {
    pub fn severity(&self) -> &'static str {
        if self.area_m2 < 1.0 {
            "sliver"
        } else {
            RULES
                .iter()
                .find(|r| r.0 == self.layer_a && r.1 == self.layer_b)
                .map(|r| r.2)
                .unwrap_or("?")
        }
    }
}

fn ring_of_box(b: crate::wenshui::planted::LlBox) -> Vec<Ll> {
    let g = |v: f64| (v * crate::frame::SCALE).round() as i64;
    vec![
        (g(b.0), g(b.2)),
        (g(b.1), g(b.2)),
        (g(b.1), g(b.3)),
        (g(b.0), g(b.3)),
    ]
}

/// Builds the records from the ids the features were given.
pub fn planted(layers: &Layers, farm_ids: &BTreeMap<Site, String>) -> Vec<Planted> {
    let by_name = |layer: &str, name: &str| -> String {
        layers
            .get(layer)
            .iter()
            .find(|f| f.name() == name)
            .unwrap_or_else(|| panic!("{layer}: {name}"))
            .id
            .clone()
    };
    let wenyu_red = layers
        .get("red_line")
        .iter()
        .find(|f| f.name().starts_with("文峪河河湖岸线"))
        .expect("文峪河 strip")
        .id
        .clone();
    let sites: [(Site, &str, &str, String, &str); 7] = [
        (
            Site::RedFull,
            "red_line",
            "farmland",
            wenyu_red.clone(),
            "河滩地上的耕地图斑整块位于文峪河河湖岸线红线条带内",
        ),
        (
            Site::RedPartial,
            "red_line",
            "farmland",
            wenyu_red.clone(),
            "耕地图斑跨越文峪河红线条带西边界",
        ),
        (
            Site::RedSliver,
            "red_line",
            "farmland",
            wenyu_red,
            "耕地图斑东边界压入红线条带一个坐标步长（1e-7°），属于碎片（sliver）",
        ),
        (
            Site::ParkA,
            "farmland",
            "industrial_parks",
            by_name("industrial_parks", "东庄产业园"),
            "东庄产业园西边界压占耕地图斑",
        ),
        (
            Site::ParkB,
            "farmland",
            "industrial_parks",
            by_name("industrial_parks", "东庄产业园"),
            "东庄产业园西边界压占耕地图斑",
        ),
        (
            Site::Town,
            "farmland",
            "urban_boundary",
            by_name("urban_boundary", "南武乡集镇区城镇开发边界"),
            "南武乡镇区开发边界南缘压占耕地图斑",
        ),
        (
            Site::Corridor,
            "eco_corridors",
            "industrial_parks",
            by_name("eco_corridors", "汾河生态廊道"),
            "百金堡产业园东缘伸入汾河生态廊道",
        ),
    ];
    let geodesic = |ring: &[Ll]| {
        OutFeature::new(String::new(), "", OutGeom::Polygon(vec![ring.to_vec()])).area_m2()
    };
    sites
        .into_iter()
        .map(|(site, la, lb, other, how)| {
            let (a, b) = match site {
                Site::RedFull | Site::RedPartial | Site::RedSliver => {
                    (other, farm_ids[&site].clone())
                }
                Site::Corridor => (other, by_name("industrial_parks", "百金堡产业园")),
                _ => (farm_ids[&site].clone(), other),
            };
            let ring = ring_of_box(overlap_box(site));
            let area_m2 = geodesic(&ring);
            Planted {
                layer_a: la,
                layer_b: lb,
                a,
                b,
                ring,
                area_m2,
                how,
            }
        })
        .collect()
}

/// Runs the rule scan; returns (report lines, errors).
pub fn scan(layers: &Layers, planted: &[Planted]) -> (Vec<String>, Vec<String>) {
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    let mut cache: BTreeMap<&str, Prepared> = BTreeMap::new();
    let pairs: Vec<(&str, &str, bool)> = RULES
        .iter()
        .map(|r| (r.0, r.1, true))
        .chain(EXTRA.iter().map(|r| (r.0, r.1, false)))
        .collect();
    for (la, lb, is_rule) in pairs {
        for l in [la, lb] {
            cache.entry(l).or_insert_with(|| prepare(layers.get(l)));
        }
        let found = overlaps(&cache[la], &cache[lb]);
        let (fa, fb) = (layers.get(la), layers.get(lb));
        let mut planted_seen = 0;
        for o in &found {
            let (ia, ib) = (&fa[o.a].id, &fb[o.b].id);
            let expected = planted.iter().find(|p| {
                (p.layer_a == la && p.layer_b == lb && &p.a == ia && &p.b == ib)
                    // the planted fields in 文峪河's strip also lie in its corridor
                    || (!is_rule && la == "eco_corridors" && lb == "farmland" && &p.b == ib && fa[o.a].name() == "文峪河生态廊道")
            });
            match expected {
                Some(p) if p.layer_a == la => {
                    planted_seen += 1;
                    // 1e-6 relative; a sliver one grid step wide only to 1e-4 m²
                    let tol = (1e-6 * p.area_m2).max(1e-4);
                    if (o.area_m2 - p.area_m2).abs() > tol || o.pieces.0.len() != 1 {
                        errors.push(format!(
                            "{la}×{lb} {ia}/{ib}: overlap {} m² in {} piece(s), planted {} m²",
                            o.area_m2,
                            o.pieces.0.len(),
                            p.area_m2
                        ));
                    }
                }
                Some(_) => {}
                None if o.area_m2 > 0.01 => errors.push(format!(
                    "unplanned overlap {la}×{lb}: {ia} / {ib}: {:.4} m²",
                    o.area_m2
                )),
                None => lines.push(format!(
                    "  note: negligible overlap {la}×{lb} {ia}/{ib}: {:.6} m²",
                    o.area_m2
                )),
            }
        }
        let expected = planted
            .iter()
            .filter(|p| p.layer_a == la && p.layer_b == lb)
            .count();
        if planted_seen != expected {
            errors.push(format!(
                "{la}×{lb}: found {planted_seen} of {expected} planted overlaps"
            ));
        }
        lines.push(format!(
            "  {la} × {lb}: {} overlapping pair(s), {} planted",
            found.len(),
            expected
        ));
    }
    // farmland: disjoint, inside the county
    let farm = cache
        .entry("farmland")
        .or_insert_with(|| prepare(layers.get("farmland")));
    let selfs = check::self_overlaps(farm);
    if let Some(o) = selfs.first() {
        errors.push(format!(
            "{} farmland patches overlap each other (first: {} / {}, {} m²)",
            selfs.len(),
            o.a,
            o.b,
            o.area_m2
        ));
    }
    let county = layers.get("county")[0].multipolygon();
    let ring = &county.0[0].exterior().0;
    let cbox = geo::BoundingRect::bounding_rect(&county).expect("county");
    let outside = farm
        .polys
        .iter()
        .filter(|(_, p, _)| !check::inside_ring(ring, &cbox, p))
        .count();
    if outside > 0 {
        errors.push(format!("{outside} farmland patches not inside the county"));
    }
    lines.push(format!(
        "  farmland: {} patches, none overlapping, all inside the county",
        farm.polys.len()
    ));
    (lines, errors)
}

/// planted_conflicts.json: one record a line.
pub fn json(planted: &[Planted]) -> String {
    let records: Vec<write::PlantedRecord> = planted
        .iter()
        .map(|p| write::PlantedRecord {
            rule: format!("{}×{}", p.layer_a, p.layer_b),
            severity: p.severity(),
            a: p.a.clone(),
            b: p.b.clone(),
            area_m2: p.area_m2,
            how: p.how,
            ring: p.ring.clone(),
        })
        .collect();
    write::planted_json(&records)
}
