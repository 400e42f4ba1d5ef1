//! Readable tables for people at a terminal.

use std::fmt::Write;

use planmap_core::across::PlanVerdict;
use planmap_core::check::{CheckReport, Verdict};
use planmap_core::stats::PlanStats;
use planmap_core::ConflictScan;

fn caveat(out: &mut String, illustrative: bool, text: &str) {
    if illustrative {
        let _ = writeln!(out, "注意：{text}");
    }
}

/// A deviation from a target as a signed percentage; one that rounds to zero is `±0.000%`,
/// never `-0.000%` (as the web's plan panel writes it).
fn deviation(d: f64) -> String {
    let s = format!("{:+.3}%", d * 100.0);
    if s[1..] == *"0.000%" {
        "±0.000%".into()
    } else {
        s
    }
}

pub fn stats(s: &PlanStats) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} — {}  (data {})", s.plan, s.county, s.data_version);
    caveat(&mut out, s.illustrative, &s.caveat);
    let _ = writeln!(
        out,
        "{:<16} {:>8} {:>12} {:>14} {:>10}  名称",
        "layer", "features", "km²", "亩", "vs target"
    );
    for l in &s.layers {
        let dev = l.target_deviation.map(deviation).unwrap_or_default();
        let (km2, mu) = if l.geometry == "polygon" {
            (format!("{:.3}", l.area_km2), format!("{:.0}", l.area_mu))
        } else {
            (String::from("-"), String::from("-"))
        };
        let _ = writeln!(
            out,
            "{:<16} {:>8} {:>12} {:>14} {:>10}  {}",
            l.id, l.features, km2, mu, dev, l.name
        );
    }
    out
}

pub fn check(r: &CheckReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "结论 verdict: {} ({})", r.verdict.zh(), r.verdict_en);
    let _ = writeln!(
        out,
        "用地面积 site: {:.1} m² = {:.4} 公顷 = {:.2} 亩",
        r.site_area_m2, r.site_area_ha, r.site_area_mu
    );
    if r.inside_county_share < 0.999_999 {
        let _ = writeln!(
            out,
            "注意：{:.1}% of the site lies outside the county",
            (1.0 - r.inside_county_share) * 100.0
        );
    }
    let _ = writeln!(out, "乡镇 townships: {}", list(&r.townships));
    let _ = writeln!(out, "园区 parks: {}", list(&r.parks));
    if r.overlaps.is_empty() {
        let _ = writeln!(out, "no overlap with protected or assessed layers");
    } else {
        let _ = writeln!(
            out,
            "{:<16} {:>12} {:>10} {:>10} {:>7}  features",
            "layer", "m²", "公顷", "亩", "share"
        );
        for o in &r.overlaps {
            let _ = writeln!(
                out,
                "{:<16} {:>12.1} {:>10.4} {:>10.2} {:>6.1}%  {}",
                o.layer,
                o.area_m2,
                o.area_ha,
                o.area_mu,
                o.share * 100.0,
                o.feature_ids.join(", ")
            );
        }
    }
    for s in &r.slivers {
        let _ = writeln!(
            out,
            "sliver (< {} m², not counted): {} {} {:.3} m²",
            r.sliver_tolerance_m2, s.layer, s.feature_id, s.area_m2
        );
    }
    if let Some(d) = r.nearest_red_line_m {
        let _ = writeln!(out, "最近生态保护红线 nearest red line: {d:.0} m");
    }
    let _ = writeln!(
        out,
        "避让后面积 after avoidance: {:.1} m²",
        r.avoidance_area_m2
    );
    caveat(&mut out, r.illustrative, &r.caveat);
    out
}

/// A site across county lines: each plan's report under its name and the site's area in its
/// county, then the strictest verdict.
pub fn across(plans: &[PlanVerdict], overall: Verdict) -> String {
    let mut out = String::new();
    for p in plans {
        let _ = writeln!(
            out,
            "== {} {} — 县内面积 area in its county: {:.1} m² ==",
            p.plan, p.name, p.area_m2
        );
        out.push_str(&check(&p.report));
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "总体结论 overall verdict: {} ({}) — the strictest of {} plans",
        overall.zh(),
        overall.en(),
        plans.len()
    );
    out
}

pub fn conflicts(s: &ConflictScan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<32} {:>9} {:>6} {:>14} {:>12} {:>8}",
        "rule", "severity", "count", "m²", "亩", "slivers"
    );
    for r in &s.summary {
        let _ = writeln!(
            out,
            "{:<32} {:>9} {:>6} {:>14.1} {:>12.2} {:>8}",
            r.rule,
            format!("{:?}", r.severity).to_lowercase(),
            r.count,
            r.area_m2,
            r.area_mu,
            r.sliver_count
        );
    }
    for c in &s.conflicts {
        let _ = writeln!(
            out,
            "  {} {} ({}) × {} ({}): {:.1} m² = {:.2} 亩",
            c.rule, c.a_id, c.a_name, c.b_id, c.b_name, c.area_m2, c.area_mu
        );
    }
    out
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "-".into()
    } else {
        v.join("、")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_deviation_that_rounds_to_zero_has_no_sign() {
        assert_eq!(super::deviation(-2.4e-7), "±0.000%");
        assert_eq!(super::deviation(-0.0), "±0.000%");
        assert_eq!(super::deviation(0.00072), "+0.072%");
        assert_eq!(super::deviation(-0.00002), "-0.002%");
    }
}
