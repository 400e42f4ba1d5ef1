//! Layer figures: feature counts and geodesic totals beside the plan's targets.

use serde::Serialize;

use crate::engine::Engine;
use crate::plan::{LayerKind, Role, SiteRole, Target};
use crate::units::Area;

/// One layer's figures.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct LayerStats {
    pub id: String,
    pub name: String,
    pub name_en: String,
    pub kind: LayerKind,
    pub geometry: &'static str,
    pub color: String,
    pub site_role: SiteRole,
    /// The part the layer plays (`county`, `subdivisions`, …), if any.
    pub role: Option<Role>,
    pub features: usize,
    pub area_m2: f64,
    pub area_km2: f64,
    pub area_ha: f64,
    pub area_mu: f64,
    pub area_wanmu: f64,
    pub target: Option<Target>,
    /// Measured total / target − 1, when the layer has an area target.
    pub target_deviation: Option<f64>,
    pub bbox: Option<[f64; 4]>,
    pub version: String,
}

/// All layers' figures.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct PlanStats {
    pub plan: String,
    pub county: String,
    pub illustrative: bool,
    pub caveat: String,
    pub data_version: String,
    pub layers: Vec<LayerStats>,
}

impl Engine {
    pub fn stats(&self) -> PlanStats {
        let layers = self
            .layers
            .iter()
            .map(|l| {
                let a = Area::from_m2(l.total_area_m2());
                LayerStats {
                    id: l.def.id.clone(),
                    name: l.def.name.clone(),
                    name_en: l.def.name_en.clone(),
                    kind: l.def.kind,
                    geometry: l.def.geometry.as_str(),
                    color: l.def.color.clone(),
                    site_role: l.def.site_role,
                    role: l.def.role,
                    features: l.features.len(),
                    area_m2: a.m2(),
                    area_km2: a.km2(),
                    area_ha: a.ha(),
                    area_mu: a.mu(),
                    area_wanmu: a.wanmu(),
                    target_deviation: l.def.target.as_ref().map(|t| a.m2() / t.m2() - 1.0),
                    target: l.def.target.clone(),
                    bbox: l
                        .bbox()
                        .map(|b| [b.min().x, b.min().y, b.max().x, b.max().y]),
                    version: l.version.clone(),
                }
            })
            .collect();
        PlanStats {
            plan: self.plan.name.clone(),
            county: self.plan.county.clone(),
            illustrative: self.plan.illustrative,
            caveat: self.plan.caveat.clone(),
            data_version: self.data_version(),
            layers,
        }
    }
}
