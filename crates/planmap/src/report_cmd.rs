//! `planmap check SITE --report FILE`: the printable HTML report, its map rendered with
//! maplibre-rs when planmap is built with the `render` feature.

use std::path::Path;

use planmap_core::{CheckReport, Engine};
use planmap_render::check_report_page;
use planmap_render::report::today_utc;

/// The report map's side in pixels.
pub const MAP_SIZE: u32 = 1024;

/// The report page; a map that cannot be rendered is named in the report and on stderr.
pub fn page(engine: &Engine, report: &CheckReport) -> String {
    let (html, error) = check_report_page(engine, report, MAP_SIZE, today_utc());
    if let Some(e) = error {
        eprintln!("planmap: report without a map: {e}");
    }
    html
}

/// Writes the report page.
pub fn write(html: String, path: &Path) -> Result<(), String> {
    std::fs::write(path, html).map_err(|e| format!("{}: {e}", path.display()))
}
