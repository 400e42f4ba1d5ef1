//! `--basemap URL` (with `--basemap-attribution`, `--basemap-approval`, `--basemap-tk`) of
//! `serve` and `publish`: a basemap under the plan's layers in place of the manifest's
//! `[basemap]`. None by default: the map stays fully offline.

use clap::Args;
use planmap_core::plan::Basemap;

#[derive(Args, Debug, Clone, Default)]
pub struct BasemapArgs {
    /// An XYZ raster tile URL template ({z}/{x}/{y}; 天地图's WMTS KVP or XYZ URL with {tk})
    /// drawn under the plan's layers.
    #[arg(long, env = "PLANMAP_BASEMAP", value_name = "URL")]
    pub basemap: Option<String>,
    /// The key put in place of the basemap URL's {tk} (天地图).
    #[arg(long, env = "PLANMAP_BASEMAP_TK", requires = "basemap")]
    pub basemap_tk: Option<String>,
    /// Whose the basemap is, credited on the map and in reports.
    #[arg(long, requires = "basemap", default_value = "")]
    pub basemap_attribution: String,
    /// The basemap's map approval number (审图号), shown on the map and in every report.
    #[arg(long, requires = "basemap", default_value = "")]
    pub basemap_approval: String,
}

impl BasemapArgs {
    /// The basemap given, checked (a bad URL is named).
    pub fn basemap(&self) -> Result<Option<Basemap>, String> {
        let Some(url) = &self.basemap else {
            return Ok(None);
        };
        let b = Basemap {
            tk: self.basemap_tk.clone(),
            attribution: self.basemap_attribution.clone(),
            approval: self.basemap_approval.clone(),
            ..Basemap::from_url(url)
        };
        b.validate().map_err(|e| format!("--basemap: {e}"))?;
        Ok(Some(b))
    }
}
