//! 城镇开发边界, 一区四园 and the drinking-water source protection zones.

use crate::frame::{self, poly_deg};
use crate::geom::{self, blob, disc};
use crate::rng::Rng;
use crate::wenshui::layout;
use crate::wenshui::planted::{self, NANWU_TOWN};
use geo::{MultiPolygon, Polygon};

pub struct Town {
    pub name: String,
    pub township: &'static str,
    pub kind: &'static str,
    pub area: MultiPolygon,
}

pub struct Park {
    pub name: &'static str,
    pub industries: &'static str,
    pub area: MultiPolygon,
}

pub struct WaterZone {
    pub name: String,
    pub source: &'static str,
    pub level: &'static str,
    pub area: Polygon,
}

pub struct Zoning {
    pub towns: Vec<Town>,
    pub parks: Vec<Park>,
    pub water: Vec<WaterZone>,
}

pub fn build(seed: u64) -> Zoning {
    let mut rng = Rng::new(seed);
    let mut towns = Vec::new();
    for t in &layout::TOWNSHIPS {
        let area = match t.name {
            "凤城镇" => geom::mp(poly_deg(&layout::SEAT_URBAN)),
            "南武乡" => planted::rect_mp(NANWU_TOWN),
            _ => {
                let c = frame::deg(t.seat.0, t.seat.1);
                let rot = rng.range(0.0, std::f64::consts::PI);
                let e = rng.range(0.75, 0.95);
                geom::mp(blob(
                    c,
                    t.town_radius / e.sqrt(),
                    t.town_radius * e.sqrt(),
                    rot,
                    0.12,
                    18,
                    &mut rng,
                ))
            }
        };
        let name = if t.name == "凤城镇" {
            "文水县中心城区城镇开发边界".to_string()
        } else {
            let area_name = if t.kind == "镇" {
                "镇区"
            } else {
                "集镇区"
            };
            format!("{}{area_name}城镇开发边界", t.name)
        };
        towns.push(Town {
            name,
            township: t.name,
            kind: if t.name == "凤城镇" {
                "中心城区"
            } else {
                "乡镇驻地"
            },
            area,
        });
    }
    let parks = planted::PARKS
        .iter()
        .map(|&(name, industries, pts)| Park {
            name,
            industries,
            area: geom::mp(poly_deg(pts)),
        })
        .collect();
    let c = frame::deg(layout::NANXU_SOURCE.0, layout::NANXU_SOURCE.1);
    let inner = disc(c, layout::NANXU_R1, 24);
    let outer = disc(c, layout::NANXU_R2, 36);
    let mut water = vec![
        WaterZone {
            name: "南徐水源地一级保护区".into(),
            source: "南徐水源地",
            level: "一级保护区",
            area: inner.clone(),
        },
        WaterZone {
            name: "南徐水源地二级保护区".into(),
            source: "南徐水源地",
            level: "二级保护区",
            // the 一级 zone is a hole: the two levels do not overlap
            area: Polygon::new(outer.exterior().clone(), vec![inner.exterior().clone()]),
        },
    ];
    for &(name, (lon, lat), r) in &layout::VILLAGE_SOURCES {
        water.push(WaterZone {
            name: format!("{name}一级保护区"),
            source: name,
            level: "一级保护区",
            area: disc(frame::deg(lon, lat), r, 20),
        });
    }
    Zoning {
        towns,
        parks,
        water,
    }
}
