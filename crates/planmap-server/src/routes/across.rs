//! A check across county lines: the plans whose county a site touches, each one's verdict and
//! the area of the site's part in its county, and the strictest verdict of all — as the JSON
//! answer's `plans` and `overall_verdict`, the GeoJSON's foreign members and a section of the
//! HTML report. The geometry and the answers are planmap-core's ([`planmap_core::across`]),
//! the GeoJSON's members planmap-io's, the report's section planmap-render's.

use std::sync::Arc;

use planmap_core::across::PlanVerdict;
use planmap_core::{CheckReport, Verdict};
use serde::Serialize;

use crate::catalog::plans::PlanEntry;
use crate::routes::schemas::{Feature, FeatureCollectionType};
use crate::snapshot::Snapshot;

/// A plan a site is checked against: the part of the site in its county, m² (`None`: the
/// report's own `inside_county_share` tells it — a site checked against one plan only).
pub struct Target {
    pub plan: Arc<PlanEntry>,
    pub snap: Arc<Snapshot>,
    pub area_m2: Option<f64>,
}

/// One plan's answer to a site, for the check of `t`.
pub fn plan_verdict(t: &Target, report: CheckReport) -> PlanVerdict {
    PlanVerdict::new(
        t.plan.id.clone(),
        t.snap.engine.plan.name.clone(),
        t.area_m2,
        report,
    )
}

/// `POST /api/check?format=geojson`'s answer (for the document): the check's RFC 7946
/// FeatureCollection with `overall_verdict` and `plans` as foreign members.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[allow(dead_code)] // a description for the document, never built
pub struct CheckCollection {
    #[serde(rename = "type")]
    pub kind: FeatureCollectionType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub features: Vec<Feature>,
    /// The strictest verdict of all the plans whose county the site touches.
    pub overall_verdict: Verdict,
    /// Every plan whose county the site touches, as in the JSON answer.
    pub plans: Vec<PlanVerdict>,
}
