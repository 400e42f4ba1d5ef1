//! What a catalog run wrote: one [`Row`] a plan, the [`Summary`] of them.

use std::path::PathBuf;

/// The folder (and plan id) Wenshui's plan has in the catalog.
pub const WENSHUI_ID: &str = "wenshui";

/// One plan of the catalog, as written.
pub struct Row {
    pub id: String,
    pub county: String,
    pub city: String,
    pub area_km2: f64,
    pub townships: usize,
    pub red_km2: f64,
    pub farmland_patches: usize,
    pub farmland_wanmu: f64,
    pub urban_km2: f64,
    pub parks: usize,
    pub water_km2: f64,
    pub planted: usize,
    pub neighbours: Vec<String>,
    pub bytes: usize,
}

pub struct Summary {
    pub rows: Vec<Row>,
    /// Where `wenshui/` points, if it was linked.
    pub wenshui_link: Option<PathBuf>,
}

impl Summary {
    /// A table for the terminal.
    pub fn table(&self) -> String {
        let mut s = format!(
            "{:<8} {:<8} {:>9} {:>3} {:>8} {:>6} {:>9} {:>7} {:>3} {:>6} {:>9}\n",
            "id",
            "county",
            "km²",
            "tw",
            "red km²",
            "fields",
            "万亩",
            "urban",
            "pk",
            "water",
            "bytes"
        );
        for r in &self.rows {
            s.push_str(&format!(
                "{:<8} {:<8} {:>9.2} {:>3} {:>8.2} {:>6} {:>9.4} {:>7.2} {:>3} {:>6.3} {:>9}\n",
                r.id,
                r.county,
                r.area_km2,
                r.townships,
                r.red_km2,
                r.farmland_patches,
                r.farmland_wanmu,
                r.urban_km2,
                r.parks,
                r.water_km2,
                r.bytes
            ));
        }
        if let Some(l) = &self.wenshui_link {
            s.push_str(&format!("{WENSHUI_ID:<8} -> {}\n", l.display()));
        }
        s
    }
}
