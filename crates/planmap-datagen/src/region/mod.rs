//! The region catalog: an illustrative plan for every county outline of
//! `data/sources/counties_gcj02.geojson` (Taiyuan, Jinzhong, Lüliang: 34 counties), one plan
//! folder each (`<adcode>/`), with Wenshui's hand-laid plan linked in (`wenshui/`, a relative
//! symlink to `data/wenshui`, not regenerated).
//!
//! ```text
//! planmap-datagen region --out data/region [--wenshui data/wenshui] [--only 140105,141182]
//! ```
//!
//! Each plan is drawn by [`plan::draw`] from its outline alone; plans are independent, so they
//! are drawn in parallel, and each is deterministic (its seed is its adcode's).

mod contour;
mod farmland;
mod layers;
pub mod manifest;
pub mod neighbours;
mod plan;
mod readme;
mod redline;
mod river;
mod seeds;
mod sites;
mod summary;
mod terrain;

use crate::county::{self, Boundary};
use crate::write;
use rayon::prelude::*;
use std::path::{Component, Path, PathBuf};
pub use summary::{Row, Summary, WENSHUI_ID};

pub use plan::{draw, Drawn};

pub const SOURCES: &str = "data/sources/counties_gcj02.geojson";
/// Wenshui's adcode: its plan is the hand-laid one, linked rather than drawn.
pub const WENSHUI_ADCODE: &str = "141121";
const SEED: u64 = 0x5EED_2024_0000_0034;

#[derive(Clone, Debug)]
pub struct Options {
    /// The catalog folder (created; plan folders in it are replaced).
    pub out: PathBuf,
    pub sources: PathBuf,
    /// Wenshui's plan folder, linked in as `wenshui/` instead of drawing 141121; None draws
    /// 141121 like any other county.
    pub wenshui: Option<PathBuf>,
    /// Only these adcodes (and Wenshui's link only if 141121 is among them).
    pub only: Option<Vec<String>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            out: PathBuf::from("data/region"),
            sources: PathBuf::from(SOURCES),
            wenshui: Some(PathBuf::from("data/wenshui")),
            only: None,
        }
    }
}

/// 64-bit FNV-1a (a county's seed from its adcode).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

fn io<E: std::fmt::Display>(path: &Path) -> impl FnOnce(E) -> String + '_ {
    move |e| format!("{}: {e}", path.display())
}

/// Writes one plan folder: into a temporary folder first, then swapped in for the old one.
fn write_plan(out: &Path, d: &Drawn) -> Result<Row, String> {
    let tmp = out.join(format!(".{}.tmp", d.id));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
    }
    let layers_dir = tmp.join("layers");
    std::fs::create_dir_all(&layers_dir).map_err(io(&layers_dir))?;
    let mut bytes = 0;
    for (id, fs) in &d.layers {
        let path = layers_dir.join(format!("{id}.geojson"));
        bytes += write::layer(&path, fs).map_err(io(&path))?;
    }
    let files = [
        ("plan.toml", manifest::plan_toml(&d.meta(), &d.totals)),
        ("indicators.csv", manifest::indicators_csv(&d.totals)),
        ("planted_conflicts.json", write::planted_json(&d.planted)),
    ];
    for (name, text) in files {
        let path = tmp.join(name);
        std::fs::write(&path, &text).map_err(io(&path))?;
        bytes += text.len();
    }
    let dir = out.join(&d.id);
    if dir.exists() {
        if !dir.join("plan.toml").is_file() {
            return Err(format!(
                "{} exists and is not a plan folder: not replacing it",
                dir.display()
            ));
        }
        std::fs::remove_dir_all(&dir).map_err(io(&dir))?;
    }
    std::fs::rename(&tmp, &dir).map_err(io(&dir))?;
    let total = |id: &str| d.totals.iter().find(|t| t.0 == id).map_or(0.0, |t| t.1);
    Ok(Row {
        id: d.id.clone(),
        county: d.county.name.clone(),
        city: d.county.city.clone(),
        area_km2: d.area_km2,
        townships: d.layer(manifest::TOWNSHIPS).len(),
        red_km2: total(manifest::RED_LINE) / 1e6,
        farmland_patches: d.layer(manifest::FARMLAND).len(),
        farmland_wanmu: total(manifest::FARMLAND) * crate::out::MU_PER_M2 / 1e4,
        urban_km2: total(manifest::URBAN) / 1e6,
        parks: d.layer(manifest::PARKS).len(),
        water_km2: total(manifest::WATER) / 1e6,
        planted: d.planted.len(),
        neighbours: d
            .layer(manifest::NEIGHBOURS)
            .iter()
            .map(|f| f.name().to_string())
            .collect(),
        bytes,
    })
}

/// `to` relative to the folder `from` (both made absolute first).
fn relative(from: &Path, to: &Path) -> Result<PathBuf, String> {
    let from = std::fs::canonicalize(from).map_err(io(from))?;
    let to = std::fs::canonicalize(to).map_err(io(to))?;
    let (f, t): (Vec<Component>, Vec<Component>) =
        (from.components().collect(), to.components().collect());
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut rel = PathBuf::new();
    for _ in common..f.len() {
        rel.push("..");
    }
    for c in &t[common..] {
        rel.push(c);
    }
    Ok(rel)
}

/// `<out>/wenshui` → Wenshui's plan folder (a relative symlink, replaced if it exists).
fn link_wenshui(out: &Path, wenshui: &Path) -> Result<PathBuf, String> {
    if !wenshui.join("plan.toml").is_file() {
        return Err(format!(
            "{}: no plan.toml (not a plan folder)",
            wenshui.display()
        ));
    }
    let target = relative(out, wenshui)?;
    let link = out.join(WENSHUI_ID);
    match std::fs::symlink_metadata(&link) {
        Ok(m) if m.file_type().is_symlink() => std::fs::remove_file(&link).map_err(io(&link))?,
        Ok(_) => {
            return Err(format!(
                "{} exists and is not a symlink: not replacing it",
                link.display()
            ))
        }
        Err(_) => {}
    }
    symlink_dir(&target, &link).map_err(io(&link))?;
    Ok(target)
}

#[cfg(unix)]
fn symlink_dir(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink_dir(_target: &Path, _link: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other("symlinks are only made on unix"))
}

/// Draws and writes the catalog (see the module docs); returns what was written.
pub fn write_catalog(o: &Options) -> Result<Summary, String> {
    let all: Vec<Boundary> = county::load_all(&o.sources)?;
    let touching = neighbours::all(&all);
    let wanted = |adcode: &str| {
        o.only
            .as_ref()
            .is_none_or(|v| v.iter().any(|a| a == adcode))
    };
    if let Some(only) = &o.only {
        if let Some(a) = only.iter().find(|a| !all.iter().any(|b| &b.adcode == *a)) {
            return Err(format!(
                "--only: no county with adcode {a} in {}",
                o.sources.display()
            ));
        }
    }
    let linked = o.wenshui.as_ref().filter(|_| wanted(WENSHUI_ADCODE));
    let drawn: Vec<usize> = (0..all.len())
        .filter(|&i| wanted(&all[i].adcode))
        .filter(|&i| !(o.wenshui.is_some() && all[i].adcode == WENSHUI_ADCODE))
        .collect();
    std::fs::create_dir_all(&o.out).map_err(io(&o.out))?;
    let rows: Vec<Result<Row, String>> = drawn
        .par_iter()
        .map(|&i| {
            let nb: Vec<&Boundary> = touching[i].iter().map(|&j| &all[j]).collect();
            let d = plan::draw(&all[i], &nb, SEED ^ fnv1a(all[i].adcode.as_bytes()))?;
            write_plan(&o.out, &d)
        })
        .collect();
    let rows: Vec<Row> = rows.into_iter().collect::<Result<_, _>>()?;
    let wenshui_link = match linked {
        Some(w) => Some(link_wenshui(&o.out, w)?),
        None => None,
    };
    let summary = Summary { rows, wenshui_link };
    let path = o.out.join("README.md");
    std::fs::write(&path, readme::text(&summary)).map_err(io(&path))?;
    Ok(summary)
}
