//! `planmap check SITE --report FILE`: the printable HTML report, its map rendered with
//! maplibre-rs when planmap is built with the `render` feature.

use std::path::Path;

use planmap_core::{CheckReport, Engine};
use planmap_render::report::today_utc;
use planmap_render::{report_html, site_map, RenderError, ReportInput};

/// The report map's side in pixels.
pub const MAP_SIZE: u32 = 1024;

/// Writes the report; a map that cannot be rendered is named in the report and on stderr.
pub fn write(engine: &Engine, report: &CheckReport, path: &Path) -> Result<(), String> {
    let map = site_map(engine, report);
    let png = match &map {
        Some(m) => m.render(MAP_SIZE),
        None => Err(RenderError::Failed("empty site".into())),
    };
    if let Err(e) = &png {
        eprintln!("planmap: report without a map: {e}");
    }
    let html = report_html(&ReportInput {
        plan: &engine.plan,
        report,
        map: png,
        style: map.as_ref().map(|m| &m.style),
        date: today_utc(),
    });
    std::fs::write(path, html).map_err(|e| format!("{}: {e}", path.display()))
}
