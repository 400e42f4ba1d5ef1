//! A check across county lines: the plans whose county a site touches, each one's verdict and
//! the area of the site's part in its county, and the strictest verdict of all — as the JSON
//! answer's `plans` and `overall_verdict`, the GeoJSON's foreign members and a section of the
//! HTML report. The geometry is planmap-core's ([`planmap_core::across`]).

use std::sync::Arc;

use planmap_core::{CheckReport, Verdict};
use planmap_render::report::{esc, fixed};
use serde::Serialize;

use crate::catalog::plans::PlanEntry;
use crate::snapshot::Snapshot;

/// A plan a site is checked against: the part of the site in its county, m² (`None`: the
/// report's own `inside_county_share` tells it — a site checked against one plan only).
pub struct Target {
    pub plan: Arc<PlanEntry>,
    pub snap: Arc<Snapshot>,
    pub area_m2: Option<f64>,
}

/// One plan's answer to a site.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlanVerdict {
    /// The plan's id.
    pub plan: String,
    pub name: String,
    pub verdict: Verdict,
    /// The geodesic area of the part of the site inside this plan's county, m².
    pub area_m2: f64,
    /// That plan's full check report.
    pub report: CheckReport,
}

impl PlanVerdict {
    pub fn new(t: &Target, report: CheckReport) -> PlanVerdict {
        PlanVerdict {
            plan: t.plan.id.clone(),
            name: t.snap.engine.plan.name.clone(),
            verdict: report.verdict,
            area_m2: t
                .area_m2
                .unwrap_or(report.site_area_m2 * report.inside_county_share),
            report,
        }
    }
}

/// The strictest verdict of the plans' (permitted when there are none).
pub fn overall(plans: &[PlanVerdict]) -> Verdict {
    planmap_core::across::strictest(plans.iter().map(|p| p.verdict)).unwrap_or(Verdict::Permitted)
}

/// The check's GeoJSON with `overall_verdict` and `plans` as foreign members.
pub fn geojson_with(geojson: &str, overall: Verdict, plans: &[PlanVerdict]) -> String {
    let Ok(serde_json::Value::Object(mut fc)) = serde_json::from_str(geojson) else {
        return geojson.to_string();
    };
    let value = |v: serde_json::Result<serde_json::Value>| v.unwrap_or_default();
    fc.insert(
        "overall_verdict".into(),
        value(serde_json::to_value(overall)),
    );
    fc.insert("plans".into(), value(serde_json::to_value(plans)));
    serde_json::to_string(&fc).unwrap_or_else(|_| geojson.to_string())
}

/// The report page with a section naming every plan the site touches, its verdict and the
/// site's area in its county, and the overall verdict (the page as it is for one plan).
pub fn report_with(html: String, overall: Verdict, plans: &[PlanVerdict]) -> String {
    if plans.len() < 2 {
        return html;
    }
    let rows: String = plans
        .iter()
        .map(|p| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
                esc(&p.plan),
                esc(&p.name),
                p.verdict.zh(),
                fixed(p.area_m2, 2)
            )
        })
        .collect();
    let section = format!(
        "<section id=\"across\"><h2>跨县用地 Across county lines</h2>\
         <p>总体结论 Overall: <strong>{} ({})</strong> — 取各规划中最严者 the strictest of the plans.</p>\
         <table><thead><tr><th>规划 Plan</th><th>名称 Name</th><th>结论 Verdict</th>\
         <th>县内面积 Area in county (m²)</th></tr></thead><tbody>{rows}</tbody></table></section>",
        overall.zh(),
        overall.en()
    );
    match html.rfind("</body>") {
        Some(i) => format!("{}{section}{}", &html[..i], &html[i..]),
        None => html + &section,
    }
}
