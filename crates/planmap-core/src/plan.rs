//! The plan: what a county's spatial plan is made of, as the manifest describes it.
//!
//! A plan folder holds a manifest (`plan.toml`), its indicator table and one file a
//! layer. The structs here are the manifest's shape; reading the files is `planmap-io`'s job.

use serde::{Deserialize, Serialize};

use crate::error::PlanError;

/// The plan's metadata, layers and rules, as written in its manifest.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    pub county: String,
    #[serde(default)]
    pub county_en: String,
    #[serde(default)]
    pub adcode: String,
    #[serde(default)]
    pub province: String,
    #[serde(default)]
    pub city: String,
    /// The county area the plan states, km².
    pub county_area_km2: f64,
    #[serde(default)]
    pub period: String,
    #[serde(default)]
    pub base_year: Option<i32>,
    /// Relative path of the indicator CSV inside the plan folder.
    #[serde(default, skip_serializing)]
    pub indicators: Option<String>,
    /// Overlaps smaller than this, in m², are slivers, counted apart.
    #[serde(default = "default_sliver")]
    pub sliver_tolerance_m2: f64,
    /// Whether the shipped layers are illustrative rather than the official ones.
    #[serde(default)]
    pub illustrative: bool,
    #[serde(default)]
    pub caveat: String,
    #[serde(default)]
    pub caveat_en: String,
    #[serde(default)]
    pub center: Option<[f64; 2]>,
    #[serde(default)]
    pub zoom: Option<f64>,
    pub layers: Vec<LayerDef>,
    #[serde(default)]
    pub rules: Vec<Rule>,
}

fn default_sliver() -> f64 {
    1.0
}

/// One layer of the plan.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LayerDef {
    pub id: String,
    /// 中文名
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    pub kind: LayerKind,
    pub geometry: GeometryKind,
    /// CSS colour, `#rrggbb`.
    pub color: String,
    /// Relative path of the layer file inside the plan folder.
    #[serde(default, skip_serializing)]
    pub file: Option<String>,
    #[serde(default)]
    pub site_role: SiteRole,
    /// The figure the plan sets for this layer, if any.
    #[serde(default)]
    pub target: Option<Target>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerKind {
    Boundary,
    Zoning,
    Protected,
    Ecology,
    Development,
    Reference,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GeometryKind {
    Polygon,
    Line,
    Point,
}

impl GeometryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GeometryKind::Polygon => "polygon",
            GeometryKind::Line => "line",
            GeometryKind::Point => "point",
        }
    }
}

/// What overlapping this layer means for a project site.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SiteRole {
    /// Overlap beyond the sliver tolerance: 不通过.
    Prohibited,
    /// Overlap: 需论证 (needs assessment).
    Assess,
    /// Not a constraint; the report names which features contain the site.
    Locate,
    #[default]
    None,
}

/// A figure the plan sets for a layer's total.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Target {
    pub value: f64,
    pub unit: TargetUnit,
    #[serde(default)]
    pub indicator: Option<u32>,
    #[serde(default)]
    pub source: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetUnit {
    Km2,
    Wanmu,
    Mu,
    Ha,
}

impl Target {
    /// The target in m².
    pub fn m2(&self) -> f64 {
        use crate::units::Area;
        match self.unit {
            TargetUnit::Km2 => Area::from_km2(self.value).m2(),
            TargetUnit::Wanmu => Area::from_mu(self.value * crate::units::MU_PER_WANMU).m2(),
            TargetUnit::Mu => Area::from_mu(self.value).m2(),
            TargetUnit::Ha => self.value * crate::units::M2_PER_HA,
        }
    }
}

/// A conflict rule: features of `a` must not overlap features of `b`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rule {
    pub a: String,
    pub b: String,
    pub severity: Severity,
    #[serde(default)]
    pub reason: String,
}

impl Rule {
    /// `red_line×farmland`
    pub fn key(&self) -> String {
        format!("{}×{}", self.a, self.b)
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Conflict,
}

/// One row of the plan's indicator table.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Indicator {
    pub category: String,
    pub no: u32,
    pub indicator: String,
    pub unit: String,
    pub baseline_2023: String,
    pub target_2027: String,
    pub target_2035: String,
    /// 约束性 (binding) or 预期性 (expected).
    pub binding: String,
}

impl Plan {
    pub fn layer(&self, id: &str) -> Option<&LayerDef> {
        self.layers.iter().find(|l| l.id == id)
    }

    /// Checks the manifest is consistent: unique layer ids, rules naming known polygon layers.
    pub fn validate(&self) -> Result<(), PlanError> {
        for (i, l) in self.layers.iter().enumerate() {
            if self.layers[..i].iter().any(|o| o.id == l.id) {
                return Err(PlanError::DuplicateLayer(l.id.clone()));
            }
        }
        for (index, r) in self.rules.iter().enumerate() {
            for layer in [&r.a, &r.b] {
                match self.layer(layer) {
                    Some(l) if l.geometry == GeometryKind::Polygon => {}
                    Some(_) => {
                        return Err(PlanError::Manifest(format!(
                            "rule {index} names layer '{layer}', which is not a polygon layer"
                        )))
                    }
                    None => {
                        return Err(PlanError::RuleUnknownLayer {
                            index,
                            layer: layer.clone(),
                        })
                    }
                }
            }
        }
        if !(self.sliver_tolerance_m2 >= 0.0 && self.sliver_tolerance_m2.is_finite()) {
            return Err(PlanError::Manifest(
                "sliver_tolerance_m2 must be a finite number ≥ 0".into(),
            ));
        }
        Ok(())
    }
}
