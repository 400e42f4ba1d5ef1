//! The printable report of a batch check (`POST /api/check/batch?format=report`): the summary
//! (sites per verdict, errors, totals per layer), an overview map of every site coloured by
//! its verdict over the plan, and the table of planmap-batch, one row a site.

use base64::Engine as _;
use geo::{BoundingRect, MultiPolygon, Rect};
use planmap_batch::table::{Cell, Table};
use planmap_batch::SiteResult;
use planmap_core::{Engine, Shape, Verdict};

use crate::frame::Frame;
use crate::image::{Png, RenderError};
use crate::maps::{plan_layers, SiteMap};
use crate::report::{esc, fixed, CSS};
use crate::scene::{parse_color, report_style, LayerStyle, MapLayer, Paint};

/// A verdict's colour on the overview map and in the table (the web's batch colours).
pub fn verdict_color(v: Verdict) -> &'static str {
    match v {
        Verdict::NotPermitted => "#d32f2f",
        Verdict::NeedsAssessment => "#f9a825",
        Verdict::Permitted => "#2e7d32",
    }
}

const VERDICTS: [Verdict; 3] = [
    Verdict::NotPermitted,
    Verdict::NeedsAssessment,
    Verdict::Permitted,
];

/// The overview map: the plan around every checked site, the sites filled and outlined in
/// their verdict's colour. `None` when no site was checked.
pub fn batch_map(engine: &Engine, results: &[SiteResult]) -> Option<SiteMap> {
    let mut bbox: Option<Rect<f64>> = None;
    let mut by_verdict: Vec<Vec<Shape>> = vec![Vec::new(); VERDICTS.len()];
    for r in results {
        let (Some(shape), Ok(report)) = (&r.shape, &r.result) else {
            continue;
        };
        let Some(b) = shape.bounding_rect() else {
            continue;
        };
        bbox = Some(bbox.map_or(b, |a| union(a, b)));
        let i = VERDICTS.iter().position(|v| *v == report.verdict)?;
        by_verdict[i].push(Shape::Polygon(MultiPolygon::clone(shape)));
    }
    let frame = Frame::around(bbox?, 0.1, 1_000.0);
    let mut layers = plan_layers(engine, &frame.lonlat_bounds());
    let mut style = report_style(&engine.plan);
    for (v, shapes) in VERDICTS.iter().zip(by_verdict) {
        let id = format!("batch-{}", v.zh());
        let color = parse_color(verdict_color(*v));
        style.layers.push(LayerStyle {
            source: id.clone(),
            color,
            paint: Paint::Fill,
        });
        style.layers.push(LayerStyle {
            source: id.clone(),
            color,
            paint: Paint::Line { width_px: 3.0 },
        });
        layers.push(MapLayer { id, shapes });
    }
    Some(SiteMap {
        frame,
        layers,
        style,
    })
}

fn union(a: Rect<f64>, b: Rect<f64>) -> Rect<f64> {
    Rect::new(
        (a.min().x.min(b.min().x), a.min().y.min(b.min().y)),
        (a.max().x.max(b.max().x), a.max().y.max(b.max().y)),
    )
}

/// The batch report as one self-contained HTML page, its map rendered at `size` px; when the
/// map cannot be rendered the page says why, and the error is returned beside it.
pub fn batch_report_page(
    engine: &Engine,
    results: &[SiteResult],
    table: &Table,
    file: Option<&str>,
    size: u32,
    date: String,
) -> (String, Option<RenderError>) {
    let png = match batch_map(engine, results) {
        Some(m) => m.render(size),
        None => Err(RenderError::Failed("no site could be checked".into())),
    };
    let error = png.as_ref().err().cloned();
    (batch_html(engine, table, file, &png, &date), error)
}

fn batch_html(
    engine: &Engine,
    t: &Table,
    file: Option<&str>,
    map: &Result<Png, RenderError>,
    date: &str,
) -> String {
    let plan = &engine.plan;
    let s = &t.summary;
    let map = match map {
        Ok(png) => format!(
            "<img id=\"map-img\" alt=\"项目分布图\" src=\"data:image/png;base64,{}\">",
            base64::engine::general_purpose::STANDARD.encode(&png.0)
        ),
        Err(e) => format!(
            "<div class=\"nomap\">地图未能生成 map not rendered: {}</div>",
            esc(&e.to_string())
        ),
    };
    let mut counts = String::new();
    for (v, n) in &s.verdicts {
        counts.push_str(&format!(
            "<tr><td>{}</td><td class=\"n\" data-verdict=\"{0}\">{n}</td></tr>",
            esc(v)
        ));
    }
    let mut layers = String::new();
    for l in &s.layers {
        layers.push_str(&format!(
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&l.name),
            l.sites,
            fixed(l.area_m2, 1),
            fixed(l.area_m2 / 10_000.0, 4)
        ));
    }
    let verdict_col = t.columns.iter().position(|c| c == "结论");
    let head: String = t
        .columns
        .iter()
        .map(|c| format!("<th>{}</th>", esc(c)))
        .collect();
    let rows: String = t
        .rows
        .iter()
        .map(|row| {
            let cells: String = row
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let style = match (Some(i) == verdict_col, c) {
                        (true, Cell::Text(v)) => VERDICTS
                            .iter()
                            .find(|x| x.zh() == v)
                            .map(|x| format!(" style=\"color:{}\"", verdict_color(*x)))
                            .unwrap_or_default(),
                        _ => String::new(),
                    };
                    match c {
                        Cell::Text(s) => format!("<td{style}>{}</td>", esc(s)),
                        Cell::Number(n) if t.columns[i].ends_with("占比") => {
                            format!("<td class=\"n\">{}%</td>", fixed(n * 100.0, 2))
                        }
                        Cell::Number(n) if n.fract() == 0.0 => format!("<td class=\"n\">{n}</td>"),
                        Cell::Number(n) => format!("<td class=\"n\">{}</td>", fixed(*n, 2)),
                        Cell::Empty => "<td></td>".into(),
                    }
                })
                .collect();
            format!("<tr>{cells}</tr>")
        })
        .collect();
    let caveat = if plan.illustrative {
        format!(
            "<div class=\"caveat\"><b>{}</b> {}</div>",
            esc(&plan.caveat),
            esc(&plan.caveat_en)
        )
    } else {
        String::new()
    };
    let legend: String = VERDICTS
        .iter()
        .map(|v| {
            format!(
                "<span class=\"sw\" style=\"background:{}\"></span>{} ",
                verdict_color(*v),
                v.zh()
            )
        })
        .collect();
    format!(
        r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>批量选址合规性审查报告 — {county}</title><style>{CSS}
table.rows{{font-size:7.5pt}} .n{{text-align:right}} .sw{{display:inline-block;width:10px;height:10px;margin:0 3px 0 8px}}</style></head>
<body>
<header class="head"><div><div class="kicker">{county} · {plan_name}</div><h1>批量选址合规性审查报告</h1></div>
<dl><dt>审查日期</dt><dd class="date">{date}</dd><dt>文件</dt><dd class="file">{file}</dd></dl></header>
{caveat}
<h2>汇总</h2>
<table class="summary"><tr><th>项目</th><th>个数</th></tr>
<tr><td>要素总数</td><td class="n" id="sites">{sites}</td></tr>{counts}
<tr><td>无法审查</td><td class="n" id="errors">{errors}</td></tr>
<tr><td>已审查用地面积(m²)</td><td class="n">{area}</td></tr></table>
<table class="layers"><tr><th>图层</th><th>涉及用地个数</th><th>压占面积合计(m²)</th><th>(公顷)</th></tr>{layers}</table>
<figure>{map}<figcaption>项目分布图 · 按审查结论着色{legend}</figcaption></figure>
<h2>逐项审查结果</h2>
<table class="rows"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>
<footer><p>本报告由 planmap 依据规划图层自动生成，面积为 CGCS2000 椭球面积。</p></footer>
</body></html>
"#,
        county = esc(&plan.county),
        plan_name = esc(&plan.name),
        file = esc(file.unwrap_or("—")),
        sites = s.sites,
        errors = s.errors,
        area = fixed(s.site_area_m2, 1),
    )
}
