//! `planmap publish OUT/`: the plan as a folder any static web server serves, with no planmap
//! process behind it. The layout leaves room for a catalog of plans:
//!
//! ```text
//! OUT/index.html, assets/…      the web app (the same build), told by a <meta> to read
//! OUT/config.json               {"planmap": "static", "plans": [{id, name, path}], "api_url"}
//! OUT/fonts/{stack}/{a}-{b}.pbf the glyph ranges the labels use
//! OUT/plans/{id}/{id}.pmtiles   every layer's tiles z6–z16 (the server's composite tiles)
//! OUT/plans/{id}/style.json     the server's style, its source the archive (pmtiles://)
//! OUT/plans/{id}/plan.json, layers.json, conflicts.json, conflicts.geojson, areas.json,
//!                layers/{layer}.geojson   what /api/plan, /api/layers, … answer
//! ```
//!
//! Everything is computed by the server's own code on a loaded snapshot (no second encoder).

use std::path::PathBuf;
use std::time::Instant;

use planmap_io::export;
use planmap_server::http::{BaseUrl, UrlPolicy};
use planmap_server::routes::{plan::PlanAnswer, style};
use planmap_server::{AppState, Snapshot};
use serde_json::{json, Value};

pub mod archive;
pub mod glyphs;
mod site;

use site::write;

/// The zooms of the archive: the web map's least zoom, the tiles' full detail.
pub const ZOOMS: (u8, u8) = (6, planmap_server::routes::tiles::NATIVE_MAX_ZOOM);

/// What to publish, and where.
#[derive(Debug, Clone)]
pub struct Options {
    pub out: PathBuf,
    /// The web app's folder (a `web/dist`); default: the one built into this binary.
    pub web: Option<PathBuf>,
    /// The planners' `planmap serve` (checks happen there), named on the public map.
    pub api_url: Option<String>,
}

/// What was written.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub plan: String,
    pub out: PathBuf,
    pub archive: archive::ArchiveStats,
    pub glyph_ranges: usize,
    pub files: usize,
    pub seconds: f64,
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, String> {
    serde_json::to_vec(v).map_err(|e| e.to_string())
}

/// The server's style with its one source the archive (`pmtiles://` + its path from the site's
/// root) and glyphs from `fonts/`: the web app makes both absolute from its own address.
pub fn static_style(snap: &Snapshot, font: &[String], archive: &str) -> Value {
    let mut s = style::build(snap, &BaseUrl(String::new()), font);
    let id = &snap.engine.plan.id;
    if let Some(src) = s["sources"].get_mut(id) {
        let mut new = json!({ "type": "vector", "url": format!("pmtiles://{archive}") });
        for key in ["attribution", "bounds"] {
            if let Some(v) = src.get(key) {
                new[key] = v.clone();
            }
        }
        *src = new;
    }
    s["glyphs"] = json!("fonts/{fontstack}/{range}.pbf");
    s
}

/// Each polygon's geodesic area by layer and feature id (what a pop-up shows; the static map
/// has no `/api/identify`).
fn areas(snap: &Snapshot) -> Value {
    let e = &snap.engine;
    let mut out = serde_json::Map::new();
    for (li, l) in e.layers.iter().enumerate() {
        let mut m = serde_json::Map::new();
        for fi in 0..l.features.len() {
            if let Some(v) = e.feature_view(li, fi).filter(|v| v.area_m2 > 0.0) {
                m.insert(v.feature.id.clone(), json!(v.area_m2));
            }
        }
        out.insert(l.def.id.clone(), Value::Object(m));
    }
    Value::Object(out)
}

/// Publishes the state's plan into `o.out`.
pub fn publish(state: &AppState, o: &Options) -> Result<Summary, String> {
    let started = Instant::now();
    let api_url = o
        .api_url
        .as_deref()
        .map(UrlPolicy::check_public)
        .transpose()
        .map_err(|e| format!("--api-url {e}"))?;
    site::check_out(&o.out)?;
    let snap = state.default_snapshot().ok_or("the plan is not loaded")?;
    let plan = &snap.engine.plan;
    let rel = format!("plans/{}/", plan.id);
    let dir = o.out.join(&rel);
    let mut files = site::write_web(&o.out, o.web.as_deref())?;

    let answer = PlanAnswer {
        plan: plan.clone(),
        data_version: snap.data_version.clone(),
        indicators: snap.indicators.clone(),
        skipped_rows: snap.skipped.clone(),
    };
    write(&dir.join("plan.json"), &to_json(&answer)?)?;
    write(&dir.join("layers.json"), &to_json(&snap.engine.stats())?)?;
    let scan = snap.engine.conflicts();
    write(&dir.join("conflicts.json"), &to_json(&scan)?)?;
    write(
        &dir.join("conflicts.geojson"),
        export::conflicts_geojson(&scan).as_bytes(),
    )?;
    write(&dir.join("areas.json"), &to_json(&areas(&snap))?)?;
    for (li, l) in snap.engine.layers.iter().enumerate() {
        write(
            &dir.join("layers").join(format!("{}.geojson", l.def.id)),
            &snap.export(li),
        )?;
    }
    files += 5 + snap.engine.layers.len();

    let font = state.fonts().default_stack();
    let archive_name = format!("{}.pmtiles", plan.id);
    let style = static_style(&snap, &font, &format!("{rel}{archive_name}"));
    write(&dir.join("style.json"), &to_json(&style)?)?;
    let archive = archive::write(&snap, &dir.join(&archive_name), ZOOMS)?;
    let ranges = glyphs::label_ranges(&snap);
    let glyph_ranges = glyphs::write(state.fonts(), &font, &ranges, &o.out.join("fonts"))?;

    let config = json!({
        "planmap": "static",
        "version": env!("CARGO_PKG_VERSION"),
        "plans": [{ "id": plan.id, "name": plan.name, "name_en": plan.name_en, "path": rel,
                    "data_version": snap.data_version }],
        "api_url": api_url,
    });
    write(&o.out.join(site::CONFIG), &to_json(&config)?)?;
    files += 3 + glyph_ranges;
    Ok(Summary {
        plan: plan.id.clone(),
        out: o.out.clone(),
        archive,
        glyph_ranges,
        files,
        seconds: started.elapsed().as_secs_f64(),
    })
}
