//! The illustrative Wenshui data set (data/wenshui/layers/*.geojson and
//! data/wenshui/planted_conflicts.json), drawn deterministically from the real county boundary
//! to the plan's text and figures (hand-placed townships, rivers, parks: `layout.rs`).
//!
//! ```text
//! cargo run --release -p planmap-datagen -- --out data/wenshui
//! ```
//!
//! Everything but the county and neighbour boundaries is illustrative (示意数据): see
//! data/wenshui/README.md. `data/wenshui/plan.toml` is written by hand, not by this module.

mod assemble;
mod check;
mod ecology;
mod farmland;
mod layout;
mod planted;
mod redline;
mod report;
mod zoning;

use crate::county::{self, Boundary};
use crate::{fields, frame, geom, out, townships, write};
use geo::{Coord, GeodesicArea, LineString, MultiPolygon, Polygon};
use report::{Layers, MU_PER_M2};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

/// The plan's binding figures.
const RED_LINE_M2: f64 = 367.4e6;
const FARMLAND_MU: f64 = 464_400.0;
const SEED: u64 = 0x57E4_5401_2024_2035;

/// The real county outlines (GCJ-02).
pub const SOURCES: &str = "data/sources/counties_gcj02.geojson";

pub const WENSHUI_ADCODE: &str = "141121";
pub const NEIGHBOURS: [&str; 6] = ["清徐县", "交城县", "离石区", "汾阳市", "祁县", "平遥县"];

/// Reads Wenshui (first) and its neighbours (in the order of [`NEIGHBOURS`]).
fn load(path: &Path) -> Result<(Boundary, Vec<Boundary>), String> {
    let mut all = county::load_all(path)?;
    let county = all
        .iter()
        .position(|b| b.adcode == WENSHUI_ADCODE)
        .map(|i| all.swap_remove(i))
        .ok_or("Wenshui (141121) not found")?;
    let mut neighbours = Vec::new();
    for name in NEIGHBOURS {
        let b = all
            .iter()
            .find(|b| b.name == name)
            .ok_or_else(|| format!("neighbour {name} not found"))?;
        neighbours.push(b.clone());
    }
    if county.polygons.len() != 1 || county.polygons[0].len() != 1 {
        return Err("expected Wenshui as one polygon without holes".into());
    }
    Ok((county, neighbours))
}

/// Generates and writes the Wenshui layers into `out_dir` (its `layers/` and
/// `planted_conflicts.json`); with `force`, writes even when a check fails.
pub fn run(out_dir: &Path, sources: &Path, force: bool, verbose: bool) -> Result<(), String> {
    let t = Instant::now();
    let lap = |what: &str| println!("  [{:6.2} s] {what}", t.elapsed().as_secs_f64());

    // Real boundaries, then the township partition (which also fixes the county ring).
    let (county_b, neighbours_b) = load(sources)?;
    let mut ring: Vec<frame::Ll> = county_b.polygons[0][0].clone();
    if out::twice_area(&ring) < 0 {
        ring.reverse();
    }
    let ring: Vec<Coord> = ring.into_iter().map(frame::ll_to_frame).collect();
    let seeds: Vec<Coord> = layout::TOWNSHIPS
        .iter()
        .map(|t| frame::deg(t.seed.0, t.seed.1))
        .collect();
    let part = townships::partition(&ring, &seeds, SEED ^ 1)?;
    let county = geom::mp(geom::polygon(part.county.clone()));
    let cells: Vec<Polygon> = part
        .cells
        .iter()
        .map(|c| geom::polygon(c.clone()))
        .collect();
    lap("county and townships");

    let eco = ecology::build(&county);
    let zoning = zoning::build(SEED ^ 2);
    lap("ecology and zoning");
    let red = redline::build(&county, &cells, &eco, &zoning, RED_LINE_M2);
    lap("red line");

    // Farmland, clear of everything it must not touch.
    let red_mp: Vec<MultiPolygon> = red
        .patches
        .iter()
        .map(|p| geom::mp(p.area.clone()))
        .collect();
    let park_mp: Vec<&MultiPolygon> = zoning.parks.iter().map(|p| &p.area).collect();
    let mut areas: Vec<&MultiPolygon> = vec![&eco.barrier];
    areas.extend(red_mp.iter());
    areas.extend(eco.corridors.iter().map(|c| &c.area));
    areas.extend(zoning.towns.iter().map(|t| &t.area));
    areas.extend(park_mp);
    let water: Vec<&Polygon> = zoning.water.iter().map(|w| &w.area).collect();
    let boundaries: Vec<LineString> = part
        .cells
        .iter()
        .map(|c| LineString::new(c.clone()))
        .collect();
    let mut lines: Vec<(&LineString, f64)> = boundaries.iter().map(|l| (l, 8.0)).collect();
    for (_, parts) in &eco.network {
        lines.extend(parts.iter().map(|l| (l, 15.0)));
    }
    let named: Vec<Coord> = layout::PLACES
        .iter()
        .filter(|p| p.1 == "村庄")
        .map(|p| frame::deg(p.2, p.3))
        .collect();
    let villages = fields::villages(&county, &eco.west, &named, SEED ^ 3);
    let village_count = villages.len();
    let wenyu = &eco.rivers[0].line;
    let obstacles = farmland::Obstacles {
        county: &county,
        areas,
        polygons: water,
        lines,
        villages,
        townships: &cells,
        foot: &eco.foot,
        wenyu,
    };
    let farm_target = FARMLAND_MU / MU_PER_M2;
    let (patches, fstats) = farmland::build(&obstacles, farm_target, SEED ^ 4);
    lap("farmland");

    // Written layers, in the manifest's order.
    let mut farm_ids = BTreeMap::new();
    let farm = assemble::farmland(&patches);
    for (p, f) in patches.iter().zip(&farm) {
        if let Some(s) = p.site {
            farm_ids.insert(s, f.id.clone());
        }
    }
    let (barrier, corridors, rivers, network) = assemble::ecology(&eco);
    let (urban, parks, water) = assemble::zoning(&zoning);
    let layers = Layers {
        list: vec![
            ("neighbours", assemble::neighbours(&neighbours_b)),
            ("county", assemble::county(&county_b, &part.county)),
            ("townships", assemble::townships(&part.cells)),
            ("eco_barrier", barrier),
            ("eco_corridors", corridors),
            ("rivers", rivers),
            ("eco_network", network),
            ("red_line", assemble::red_line(&red.patches, &cells)),
            ("farmland", farm),
            ("urban_boundary", urban),
            ("industrial_parks", parks),
            ("water_sources", water),
            ("places", assemble::places(&cells)),
        ],
    };

    // Checks on the written form.
    let mut errors: Vec<String> = Vec::new();
    for (_, fs) in &layers.list {
        errors.extend(fs.iter().filter_map(|f| out::check(f).err()));
    }
    let county_area = layers.get("county")[0].area_m2();
    let ts = layers.get("townships");
    let ts_sum: f64 = ts.iter().map(|f| f.area_m2()).sum();
    if (ts_sum - county_area).abs() >= 1.0 {
        errors.push(format!(
            "townships sum to {ts_sum} m², county {county_area} m²"
        ));
    }
    let tprep = check::prepare(ts);
    let tover = check::self_overlaps(&tprep);
    if let Some(o) = tover.iter().max_by(|a, b| a.area_m2.total_cmp(&b.area_m2)) {
        if o.area_m2 > 1e-6 {
            errors.push(format!("townships overlap: {} m²", o.area_m2));
        }
    }
    let planted = report::planted(&layers, &farm_ids);
    let (scan_lines, scan_errors) = report::scan(&layers, &planted);
    errors.extend(scan_errors);
    let red_total: f64 = layers.get("red_line").iter().map(|f| f.area_m2()).sum();
    let farm_total: f64 = layers.get("farmland").iter().map(|f| f.area_m2()).sum();
    if (red_total / RED_LINE_M2 - 1.0).abs() > 0.001 {
        errors.push(format!(
            "red line total {red_total} m² is not within 0.1 % of {RED_LINE_M2}"
        ));
    }
    if (farm_total * MU_PER_M2 / FARMLAND_MU - 1.0).abs() > 0.001 {
        errors.push(format!(
            "farmland total {} 亩 is not within 0.1 % of {FARMLAND_MU}",
            farm_total * MU_PER_M2
        ));
    }
    lap("checks");

    // Summary.
    println!("county {:.4} km² (official 1068.57); townships sum {:.4} km², diff {:.6} m², {} shared-edge pairs",
        county_area / 1e6, ts_sum / 1e6, ts_sum - county_area, tover.len());
    println!(
        "red line {:.4} km² (target 367.4, {:+.4} %), spot scale {:.4}",
        red_total / 1e6,
        (red_total / RED_LINE_M2 - 1.0) * 100.0,
        red.spot_scale
    );
    println!("farmland {} patches, {:.2} 亩 (target 464400, {:+.4} %), {} candidates ({:.1} km²), raster blocked {:.1} %, {} villages",
        patches.len(), farm_total * MU_PER_M2, (farm_total * MU_PER_M2 / FARMLAND_MU - 1.0) * 100.0,
        fstats.candidates, fstats.candidate_area / 1e6, fstats.blocked_fraction * 100.0, village_count);
    for l in &scan_lines {
        println!("{l}");
    }
    for p in &planted {
        println!(
            "  planted {}×{} {} / {}: {:.4} m² = {:.4} 亩 ({})",
            p.layer_a,
            p.layer_b,
            p.a,
            p.b,
            p.area_m2,
            p.area_m2 * MU_PER_M2,
            p.severity()
        );
    }
    if verbose {
        for (id, fs) in layers.list.iter().filter(|l| l.0 != "farmland") {
            for f in fs.iter().filter(|f| f.area_m2() > 0.0) {
                println!(
                    "  {id:<16} {:<22} {:>14.1} m² {:>12.2} 亩  {}",
                    f.id,
                    f.area_m2(),
                    f.area_m2() * MU_PER_M2,
                    f.name()
                );
            }
        }
    }
    for e in &errors {
        eprintln!("ERROR: {e}");
    }
    if !errors.is_empty() && !force {
        return Err(format!("{} check(s) failed; nothing written", errors.len()));
    }

    // Write.
    let dir = out_dir.join("layers");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    println!(
        "{:<18} {:>8} {:>12} {:>14} {:>10}",
        "layer", "features", "km²", "亩", "bytes"
    );
    for (id, fs) in &layers.list {
        let path = dir.join(format!("{id}.geojson"));
        let bytes = write::layer(&path, fs).map_err(|e| format!("{}: {e}", path.display()))?;
        let area: f64 = fs
            .iter()
            .map(|f| f.multipolygon().geodesic_area_unsigned())
            .sum();
        println!(
            "{id:<18} {:>8} {:>12.4} {:>14.2} {bytes:>10}",
            fs.len(),
            area / 1e6,
            area * MU_PER_M2
        );
    }
    let path = out_dir.join("planted_conflicts.json");
    std::fs::write(&path, report::json(&planted))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    lap("written");
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} check(s) failed (written anyway: --force)",
            errors.len()
        ))
    }
}
