//! The printable site-check report as one self-contained HTML page: the same content as the
//! web's report (web/src/report.ts) — header with date and data version, the illustrative-data
//! caveat, verdict and site area, reasons, the map (a PNG embedded as a data URL) with its
//! legend, the overlap table of every prohibited and assess layer, the facts, the boundary
//! points, and the footer.

use base64::Engine as _;
use planmap_core::plan::SiteRole;
use planmap_core::{CheckReport, Plan, Role};

use crate::image::{Png, RenderError};
use crate::scene::{parse_color, MapStyle, Paint, SITE_COLOR};

/// What a report is made of.
pub struct ReportInput<'a> {
    pub plan: &'a Plan,
    pub report: &'a CheckReport,
    /// The rendered map, or why there is none.
    pub map: Result<Png, RenderError>,
    /// The style the map was drawn with (for the legend).
    pub style: Option<&'a MapStyle>,
    /// The date the report is made, `YYYY-MM-DD`.
    pub date: String,
}

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `s` escaped for HTML text and attribute values.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `v` to `decimals` places; a value that rounds to zero reads `0` (never `-0.00`).
pub fn fixed(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.bytes().all(|b| matches!(b, b'-' | b'0' | b'.')) {
        "0".into()
    } else {
        s
    }
}

/// An area in m², 公顷 and 亩 as three table cells.
fn area_cells(m2: f64) -> String {
    format!(
        "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
        fixed(m2, 1),
        fixed(m2 / 10_000.0, 4),
        fixed(m2 * 15.0 / 10_000.0, 2)
    )
}

fn swatch(c: &str) -> String {
    format!("<i class=\"sw\" style=\"background:{}\"></i>", esc(c))
}

fn overlap_table(plan: &Plan, r: &CheckReport) -> String {
    let mut rows = String::new();
    for d in &plan.layers {
        let tag = match d.site_role {
            SiteRole::Prohibited => "禁止占用",
            SiteRole::Assess => "需论证",
            _ => continue,
        };
        let name = format!(
            "{}{} <span class=\"tag\">{tag}</span>",
            swatch(&d.color),
            esc(&d.name)
        );
        match r.overlaps.iter().find(|o| o.layer == d.id) {
            None => rows.push_str(&format!(
                "<tr class=\"zero\" data-layer=\"{}\" data-m2=\"0\"><td>{name}</td><td colspan=\"5\" class=\"muted\">未涉及</td></tr>",
                esc(&d.id)
            )),
            Some(o) => rows.push_str(&format!(
                "<tr class=\"hit\" data-layer=\"{}\" data-m2=\"{}\"><td>{name}<div class=\"muted small\">{}</div></td>{}<td class=\"n\">{}%</td><td class=\"small\">{}</td></tr>",
                esc(&d.id),
                o.area_m2,
                esc(&o.feature_names.iter().filter(|n| !n.is_empty()).cloned().collect::<Vec<_>>().join("、")),
                area_cells(o.area_m2),
                fixed(o.share * 100.0, 2),
                esc(&o.feature_ids.join(", ")),
            )),
        }
    }
    format!(
        "<table class=\"data\"><thead><tr><th>图层 layer</th><th class=\"n\">平方米 m²</th><th class=\"n\">公顷 ha</th><th class=\"n\">亩 mu</th><th class=\"n\">占比 share</th><th>图斑 features</th></tr></thead><tbody>{rows}</tbody></table>"
    )
}

/// Townships (the `subdivisions` layer), parks, the nearest red line (the `red_line` layer),
/// avoidance, county share, slivers.
fn facts(plan: &Plan, r: &CheckReport) -> String {
    let list = |v: &[String]| {
        if v.is_empty() {
            "—".to_string()
        } else {
            esc(&v.join("、"))
        }
    };
    let red = match r.nearest_red_line_m {
        Some(d) if d >= 1000.0 => format!("{:.2} km", d / 1000.0),
        Some(d) => format!("{} m", fixed(d, 0)),
        None if plan
            .role(Role::RedLine)
            .is_some_and(|red| r.overlaps.iter().any(|o| o.layer == red.id)) =>
        {
            "占用红线 overlaps".into()
        }
        None => "—".into(),
    };
    let mut out = format!(
        "<ul class=\"facts\"><li><b>所在乡镇</b> {}</li><li><b>所在园区</b> {}</li><li><b>距最近生态保护红线</b> {red}</li><li><b>避让后可用面积</b> <span data-m2=\"{}\">{} m² · {} 亩</span></li>",
        list(&r.townships),
        list(&r.parks),
        r.avoidance_area_m2 + 0.0,
        fixed(r.avoidance_area_m2, 1),
        fixed(r.avoidance_area_m2 * 15.0 / 10_000.0, 2),
    );
    if r.inside_county_share < 0.9995 {
        out.push_str(&format!(
            "<li class=\"warn\">用地 {:.1}% 位于县域内</li>",
            r.inside_county_share * 100.0
        ));
    }
    if !r.slivers.is_empty() {
        out.push_str(&format!(
            "<li class=\"muted\">{} 处碎片重叠（&lt; {} m²）单列，不影响结论</li>",
            r.slivers.len(),
            r.sliver_tolerance_m2
        ));
    }
    out + "</ul>"
}

fn vertices(r: &CheckReport) -> String {
    let pts: Vec<(f64, f64)> = r
        .site
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|ring| {
            ring.0
                .iter()
                .take(ring.0.len().saturating_sub(1))
                .map(|c| (c.x, c.y))
        })
        .collect();
    let rows: String = pts
        .iter()
        .take(40)
        .enumerate()
        .map(|(i, (x, y))| {
            format!(
                "<tr><td>J{}</td><td class=\"n\">{x:.7}</td><td class=\"n\">{y:.7}</td></tr>",
                i + 1
            )
        })
        .collect();
    let more = if pts.len() > 40 {
        format!(
            "<tr><td colspan=\"3\" class=\"muted\">… {}</td></tr>",
            pts.len() - 40
        )
    } else {
        String::new()
    };
    format!("<table class=\"data\"><thead><tr><th>界址点 ({})</th><th class=\"n\">lon (CGCS2000)</th><th class=\"n\">lat</th></tr></thead><tbody>{rows}{more}</tbody></table>", pts.len())
}

fn legend(plan: &Plan, style: Option<&MapStyle>) -> String {
    let site = format!(
        "#{:02x}{:02x}{:02x}",
        SITE_COLOR[0], SITE_COLOR[1], SITE_COLOR[2]
    );
    let mut items = vec![format!(
        "<span><i class=\"sw line\" style=\"border-color:{site}\"></i>项目用地</span>"
    )];
    items.push("<span><i class=\"sw\" style=\"background:linear-gradient(90deg,#e60000,#ffd600)\"></i>重叠部分（图层原色）</span>".into());
    let drawn: Vec<&str> = style
        .map(|s| {
            s.layers
                .iter()
                .filter(|l| l.paint == Paint::Fill)
                .map(|l| l.source.as_str())
                .collect()
        })
        .unwrap_or_default();
    // The county's fill is the paper under the map, not a layer to explain.
    for d in plan.layers.iter().filter(|d| d.role != Some(Role::County)) {
        if drawn.contains(&d.id.as_str()) {
            let c = parse_color(&d.color);
            items.push(format!(
                "<span>{}{}</span>",
                swatch(&format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])),
                esc(&d.name)
            ));
        }
    }
    format!("<div class=\"legend\">{}</div>", items.join(""))
}

pub(crate) const CSS: &str = "body{font-family:'Noto Sans CJK SC','Source Han Sans SC',sans-serif;color:#222;max-width:190mm;margin:12mm auto;font-size:10.5pt}
h1{font-size:17pt;margin:2pt 0}h2{font-size:12pt;margin:14pt 0 4pt;border-bottom:1px solid #ccc}
.head{display:flex;justify-content:space-between;align-items:flex-end;border-bottom:2px solid #333;padding-bottom:4pt}
.kicker{color:#555}dl{margin:0;display:grid;grid-template-columns:auto auto;gap:0 8pt}dt{color:#666}dd{margin:0}
.caveat{background:#fff4e5;border:1px solid #f0a030;padding:4pt 8pt;margin:8pt 0}
.verdict{display:inline-block;font-size:15pt;font-weight:700;padding:3pt 12pt;border-radius:4pt;color:#fff}
.v-fail{background:#c62828}.v-warn{background:#ef6c00}.v-ok{background:#2e7d32}
table.data{border-collapse:collapse;width:100%}table.data th,table.data td{border-bottom:1px solid #ddd;padding:2pt 4pt;text-align:left}
.n{text-align:right!important;font-variant-numeric:tabular-nums}.muted{color:#777}.small{font-size:9pt}.tag{font-size:8.5pt;color:#a00}
figure{margin:8pt 0;page-break-inside:avoid}figure img{width:100%;max-width:150mm;display:block;border:1px solid #999}
.legend span{margin-right:10pt;white-space:nowrap;font-size:9pt}.sw{display:inline-block;width:12px;height:10px;margin-right:3px;vertical-align:middle;border:1px solid #0003}
.sw.line{background:none;border:2.5px solid}.nomap{border:1px dashed #999;padding:20pt;color:#777}.warn{color:#b00}
footer{margin-top:14pt;border-top:1px solid #ccc;font-size:9pt;color:#555}@media print{body{margin:0 auto}}";

/// The report as a complete HTML document.
pub fn report_html(input: &ReportInput) -> String {
    let (plan, r) = (input.plan, input.report);
    let caveat_en = &plan.caveat_en;
    let verdict_class = match r.verdict.zh() {
        "不通过" => "v-fail",
        "需论证" => "v-warn",
        _ => "v-ok",
    };
    let reasons = if r.reasons.is_empty() {
        "<p>未占用任何管控图层</p>".to_string()
    } else {
        format!(
            "<ul class=\"reasons\">{}</ul>",
            r.reasons
                .iter()
                .map(|x| format!("<li>{}</li>", esc(x)))
                .collect::<String>()
        )
    };
    let map = match &input.map {
        Ok(png) => format!(
            "<img id=\"map-img\" alt=\"选址位置图\" src=\"data:image/png;base64,{}\">",
            base64::engine::general_purpose::STANDARD.encode(&png.0)
        ),
        Err(e) => format!(
            "<div class=\"nomap\">地图未能生成 map not rendered: {}</div>",
            esc(&e.to_string())
        ),
    };
    let caveat = if r.illustrative {
        format!(
            "<div class=\"caveat\"><b>{}</b> {}</div>",
            esc(&r.caveat),
            esc(caveat_en)
        )
    } else {
        String::new()
    };
    let caveat_note = if r.illustrative {
        format!("（{}）", esc(caveat_en))
    } else {
        String::new()
    };
    format!(
        r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>项目选址合规性审查报告 — {county}</title><style>{CSS}</style></head>
<body>
<header class="head"><div><div class="kicker">{county} · {plan_name}</div><h1>项目选址合规性审查报告</h1></div>
<dl><dt>审查日期</dt><dd class="date">{date}</dd><dt>数据版本</dt><dd class="data-version">{version}</dd></dl></header>
{caveat}
<section><span class="k">结论</span> <span class="verdict {verdict_class}" data-verdict="{verdict}">{verdict}</span> <span class="muted">{verdict_en}</span>
<p class="site-area" data-m2="{site_m2}"><b>用地面积</b> {site_m2_text} m² · {site_ha} 公顷 · {site_mu} 亩</p></section>
{reasons}
<figure>{map}<figcaption>选址位置图 · 范围 {bbox}{legend}</figcaption></figure>
<h2>与各图层的重叠</h2>
{table}
{facts}
<h2>界址点坐标</h2>
{vertices}
<footer><p><b>数据说明：</b>{caveat_text}{caveat_note}。本报告由 planmap 依据规划图层自动生成，面积为 CGCS2000 椭球面积。</p>
<p>依据规划：{plan_name} · {province}{city}{county}</p>{basemap}</footer>
</body></html>
"#,
        county = esc(&plan.county),
        plan_name = esc(&plan.name),
        date = esc(&input.date),
        version = esc(&r.data_version),
        verdict = r.verdict.zh(),
        verdict_en = r.verdict_en,
        site_m2 = r.site_area_m2,
        site_m2_text = fixed(r.site_area_m2, 1),
        site_ha = fixed(r.site_area_ha, 4),
        site_mu = fixed(r.site_area_mu, 2),
        bbox = bbox_text(r),
        legend = legend(plan, input.style),
        table = overlap_table(plan, r),
        facts = facts(plan, r),
        vertices = vertices(r),
        caveat_text = esc(&r.caveat),
        province = esc(&plan.province),
        city = esc(&plan.city),
        basemap = basemap_credit(plan),
    )
}

/// The basemap's credit and 审图号 when the plan has one (every report names them).
fn basemap_credit(plan: &Plan) -> String {
    match plan.basemap.as_ref().map(|b| b.credit()) {
        Some(c) if !c.is_empty() => {
            format!("<p class=\"basemap-credit\"><b>底图：</b>{}</p>", esc(&c))
        }
        _ => String::new(),
    }
}

fn bbox_text(r: &CheckReport) -> String {
    use geo::BoundingRect;
    r.site
        .bounding_rect()
        .map(|b| {
            format!(
                "{:.5}, {:.5} — {:.5}, {:.5}",
                b.min().x,
                b.min().y,
                b.max().x,
                b.max().y
            )
        })
        .unwrap_or_default()
}

/// The report page with a section naming every plan the site touches, its verdict and the
/// site's area in its county, and the overall verdict (the page as it is for one plan).
pub fn with_plans(
    html: String,
    overall: planmap_core::Verdict,
    plans: &[planmap_core::across::PlanVerdict],
) -> String {
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

#[cfg(test)]
mod tests {
    use super::fixed;

    #[test]
    fn zero_reads_zero() {
        assert_eq!(fixed(-0.0, 1), "0");
        assert_eq!(fixed(0.0, 2), "0");
        assert_eq!(fixed(-0.004, 2), "0");
        assert_eq!(fixed(1e-12, 4), "0");
        assert_eq!(fixed(0.05, 1), "0.1");
        assert_eq!(fixed(-1.25, 1), "-1.2");
        assert_eq!(fixed(16512.46, 1), "16512.5");
    }
}
