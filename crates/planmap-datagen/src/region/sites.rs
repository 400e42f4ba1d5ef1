//! Urban development boundaries (the county seat's central area and a town area at each
//! township seat), industrial parks (lon/lat rectangles on flat ground beside the seat) and
//! drinking-water source zones (one main source with 一级 and 二级 zones, the 一级 zone a hole
//! of the 二级, and up to two township sources).

use super::terrain::Terrain;
use crate::frame::Frame;
use crate::geom::{self, blob, disc};
use crate::rng::Rng;
use geo::{BooleanOps, Buffer, Contains, Coord, Intersects, MultiPolygon, Polygon};

pub struct Town {
    pub township: usize,
    pub name: String,
    pub kind: &'static str,
    pub area: MultiPolygon,
}

pub struct Park {
    pub name: String,
    pub industries: &'static str,
    /// lon0, lon1, lat0, lat1 (degrees, on the 1e-4° grid).
    pub rect: (f64, f64, f64, f64),
    pub area: Polygon,
}

pub struct WaterZone {
    pub name: String,
    pub source: String,
    pub level: &'static str,
    pub area: Polygon,
}

pub struct Sites {
    pub towns: Vec<Town>,
    pub parks: Vec<Park>,
    pub water: Vec<WaterZone>,
    /// Radius (m) of the county seat's central area.
    pub seat_radius: f64,
}

/// What the sites are placed in and around.
pub struct Ground<'a> {
    pub frame: &'a Frame,
    pub county_name: &'a str,
    pub county: &'a Polygon,
    pub cells: &'a [Polygon],
    pub township_names: &'a [String],
    pub seats: &'a [Coord],
    pub terrain: &'a Terrain,
    /// Ground below this height counts as flat.
    pub flat: f64,
    pub area_km2: f64,
}

const INDUSTRIES: [&str; 6] = [
    "装备制造、新材料",
    "农副产品加工、食品制造",
    "现代物流、商贸",
    "新能源、节能环保",
    "煤化工、精细化工",
    "医药、电子信息",
];

fn rect(c: Coord, hw: f64, hh: f64) -> Polygon {
    geom::polygon(vec![
        Coord {
            x: c.x - hw,
            y: c.y - hh,
        },
        Coord {
            x: c.x + hw,
            y: c.y - hh,
        },
        Coord {
            x: c.x + hw,
            y: c.y + hh,
        },
        Coord {
            x: c.x - hw,
            y: c.y + hh,
        },
    ])
}

fn round4(v: f64) -> f64 {
    (v * 1e4).round() / 1e4
}

pub fn place(g: &Ground, seed: u64) -> Sites {
    let mut rng = Rng::new(seed);
    let fr = g.frame;
    let is_district = g.county_name.ends_with('区');
    let seat_radius = 75.0 * g.area_km2.sqrt() * if is_district { 1.6 } else { 1.0 };
    // Towns: the seat's central area, then one town area a township.
    let inset = g.county.buffer(-50.0);
    let mut towns: Vec<Town> = Vec::new();
    let mut taken = MultiPolygon(vec![]);
    for (s, &c) in g.seats.iter().enumerate() {
        let r = if s == 0 {
            seat_radius
        } else {
            rng.range(350.0, 750.0)
        };
        let e = rng.range(0.7, 0.95);
        let rot = rng.range(0.0, std::f64::consts::PI);
        let b = geom::mp(blob(c, r / e.sqrt(), r * e.sqrt(), rot, 0.15, 24, &mut rng));
        let within = if s == 0 {
            inset.clone()
        } else {
            g.cells[s].buffer(-30.0)
        };
        let area = geom::drop_small(
            b.intersection(&within).difference(&taken),
            20_000.0,
            5_000.0,
        );
        if area.0.is_empty() {
            continue;
        }
        taken = taken.union(&area.buffer(100.0));
        let (name, kind) = if s == 0 {
            (format!("{}中心城区城镇开发边界", g.county_name), "中心城区")
        } else {
            (
                format!("{}集镇区城镇开发边界", g.township_names[s]),
                "乡镇驻地",
            )
        };
        towns.push(Town {
            township: s,
            name,
            kind,
            area,
        });
    }

    // Parks: rectangles on flat ground just outside the central area.
    let n_parks = if g.area_km2 < 400.0 { 1 } else { 2 };
    let mut parks: Vec<Park> = Vec::new();
    let seat = g.seats[0];
    let a0 = rng.range(0.0, std::f64::consts::TAU);
    // Smaller parks in small counties; beyond the third ring, not only on flat ground.
    let scale = (g.area_km2 / 1000.0).sqrt().clamp(0.5, 1.0);
    'rings: for ring in 0..6 {
        for k in 0..12 {
            if parks.len() == n_parks {
                break 'rings;
            }
            let hw = rng.range(550.0, 900.0) * scale;
            let hh = rng.range(450.0, 700.0) * scale;
            let a = a0 + k as f64 * std::f64::consts::TAU / 12.0;
            let d = seat_radius + 600.0 + hw.max(hh) + ring as f64 * 1200.0;
            let c = seat
                + Coord {
                    x: a.cos() * d,
                    y: a.sin() * d,
                };
            let (lon, lat) = fr.to_lonlat(c);
            let (dlon, dlat) = (hw / fr.kx(), hh / fr.ky());
            let r = (
                round4(lon - dlon),
                round4(lon + dlon),
                round4(lat - dlat),
                round4(lat + dlat),
            );
            let area = fr.rect_deg(r.0, r.1, r.2, r.3);
            let clear = rect(c, hw + 400.0, hh + 400.0);
            let near = rect(c, hw + 300.0, hh + 300.0);
            let ok = (ring >= 3 || g.terrain.sample(c) <= g.flat)
                && g.county.contains(&clear)
                && !towns.iter().any(|t| t.area.intersects(&near))
                && !parks.iter().any(|p| p.area.intersects(&near));
            if ok {
                parks.push(Park {
                    name: format!("示意产业园{}", parks.len() + 1),
                    industries: INDUSTRIES[(rng.next_u64() % INDUSTRIES.len() as u64) as usize],
                    rect: r,
                    area,
                });
            }
        }
    }

    // Water: the main source near the seat, then the sources of two townships.
    let mut water: Vec<WaterZone> = Vec::new();
    let clear_of = |zone: &Polygon, parks: &[Park], towns: &[Town], water: &[WaterZone]| {
        g.county.contains(zone)
            && !parks.iter().any(|p| p.area.intersects(zone))
            && !towns.iter().any(|t| t.area.intersects(zone))
            && !water.iter().any(|w| w.area.intersects(zone))
    };
    let (r1, r2) = (300.0, 900.0);
    let b0 = rng.range(0.0, std::f64::consts::TAU);
    'main: for ring in 0..4 {
        for k in 0..12 {
            let a = b0 + k as f64 * std::f64::consts::TAU / 12.0;
            let d = seat_radius + r2 + 600.0 + ring as f64 * 1200.0;
            let c = seat
                + Coord {
                    x: a.cos() * d,
                    y: a.sin() * d,
                };
            if clear_of(&disc(c, r2 + 400.0, 36), &parks, &towns, &water) {
                let inner = disc(c, r1, 24);
                let outer = disc(c, r2, 36);
                let source = "示意水源地".to_string();
                water.push(WaterZone {
                    name: format!("{source}一级保护区"),
                    source: source.clone(),
                    level: "一级保护区",
                    area: inner.clone(),
                });
                water.push(WaterZone {
                    name: format!("{source}二级保护区"),
                    source,
                    level: "二级保护区",
                    // the 一级 zone is a hole: the two levels do not overlap
                    area: Polygon::new(outer.exterior().clone(), vec![inner.exterior().clone()]),
                });
                break 'main;
            }
        }
    }
    let mut sources = 0;
    for s in 1..g.seats.len() {
        if sources == 2 {
            break;
        }
        let r = rng.range(150.0, 220.0);
        let a = rng.range(0.0, std::f64::consts::TAU);
        let c = g.seats[s]
            + Coord {
                x: a.cos() * 1400.0,
                y: a.sin() * 1400.0,
            };
        if g.cells[s].contains(&disc(c, r + 200.0, 20))
            && clear_of(&disc(c, r + 300.0, 20), &parks, &towns, &water)
        {
            let source = format!("{}集中式饮用水水源地", g.township_names[s]);
            water.push(WaterZone {
                name: format!("{source}一级保护区"),
                source,
                level: "一级保护区",
                area: disc(c, r, 20),
            });
            sources += 1;
        }
    }
    Sites {
        towns,
        parks,
        water,
        seat_radius,
    }
}
