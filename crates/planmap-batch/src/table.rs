//! A batch's results as a table: one row a site, its columns named for people (Chinese, with
//! units), and a summary (sites per verdict, errors, totals per layer). The CSV and the XLSX
//! are written from this one table, so they hold the same figures.

use planmap_core::plan::SiteRole;
use planmap_core::{Engine, Verdict};
use serde::Serialize;
use serde_json::Value;

use crate::SiteResult;

/// One cell: text (the user's attributes, names) or a number (areas, shares, distances).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

/// A layer a site is measured against: prohibited (不通过) or needing assessment (需论证).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LayerTotal {
    pub layer: String,
    pub name: String,
    /// Sites of the batch that overlap it.
    pub sites: usize,
    /// Their overlap with it, summed, m².
    pub area_m2: f64,
}

/// What the batch came to.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Summary {
    /// Features in the file, checked or not.
    pub sites: usize,
    /// Sites per verdict, in the order 不通过, 需论证, 通过: `[verdict, count]` pairs.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Vec<Value>>))]
    pub verdicts: Vec<(String, usize)>,
    /// Features that could not be checked.
    pub errors: usize,
    /// The checked sites' area, m².
    pub site_area_m2: f64,
    pub layers: Vec<LayerTotal>,
}

/// The table: column names, one row a site in file order, and the summary.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Table {
    pub columns: Vec<String>,
    /// One row a site: its cells in the columns' order, text, numbers or null (empty).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Vec<Value>>))]
    pub rows: Vec<Vec<Cell>>,
    pub summary: Summary,
}

/// The verdicts in the summary's order.
pub const VERDICTS: [Verdict; 3] = [
    Verdict::NotPermitted,
    Verdict::NeedsAssessment,
    Verdict::Permitted,
];

/// The columns before the per-layer ones.
const HEAD: [&str; 8] = [
    "序号",
    "要素编号",
    "结论",
    "错误",
    "用地面积(m²)",
    "用地面积(公顷)",
    "用地面积(亩)",
    "县域内占比",
];

/// The columns after the per-layer ones, before the feature's own attributes.
const TAIL: [&str; 3] = ["所在乡镇", "所在园区", "最近生态保护红线(m)"];

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn attribute(v: Option<&Value>) -> Cell {
    match v {
        None | Some(Value::Null) => Cell::Empty,
        Some(Value::String(s)) => text(s.as_str()),
        Some(Value::Number(n)) => n.as_f64().map_or(Cell::Empty, Cell::Number),
        Some(Value::Bool(b)) => text(b.to_string()),
        Some(v) => text(v.to_string()),
    }
}

/// Lays the results out: [`HEAD`], an area (m²) and a share column for each prohibited or
/// assess layer in manifest order, [`TAIL`], then every attribute any feature has (in the
/// order first met; a feature without it has an empty cell).
pub fn build(engine: &Engine, results: &[SiteResult]) -> Table {
    let layers: Vec<_> = engine
        .plan
        .layers
        .iter()
        .filter(|l| matches!(l.site_role, SiteRole::Prohibited | SiteRole::Assess))
        .collect();
    let mut attrs: Vec<&str> = Vec::new();
    for r in results {
        for k in r.properties.keys() {
            if !attrs.contains(&k.as_str()) {
                attrs.push(k);
            }
        }
    }
    let mut columns: Vec<String> = HEAD.iter().map(|s| s.to_string()).collect();
    for l in &layers {
        columns.push(format!("{}(m²)", l.name));
        columns.push(format!("{}占比", l.name));
    }
    columns.extend(TAIL.iter().map(|s| s.to_string()));
    columns.extend(attrs.iter().map(|s| s.to_string()));

    let mut totals: Vec<LayerTotal> = layers
        .iter()
        .map(|l| LayerTotal {
            layer: l.id.clone(),
            name: l.name.clone(),
            sites: 0,
            area_m2: 0.0,
        })
        .collect();
    let mut counts = [0usize; 3];
    let mut errors = 0;
    let mut site_area_m2 = 0.0;
    let mut rows = Vec::with_capacity(results.len());
    for r in results {
        let mut row = vec![
            Cell::Number(r.index as f64),
            r.id.clone().map_or(Cell::Empty, Cell::Text),
        ];
        match &r.result {
            Err(e) => {
                errors += 1;
                row.extend([text("无法审查"), text(e.as_str())]);
                row.resize(HEAD.len() + 2 * layers.len() + TAIL.len(), Cell::Empty);
            }
            Ok(c) => {
                counts[VERDICTS.iter().position(|v| *v == c.verdict).unwrap_or(0)] += 1;
                site_area_m2 += c.site_area_m2;
                row.extend([
                    text(c.verdict.zh()),
                    Cell::Empty,
                    Cell::Number(c.site_area_m2),
                    Cell::Number(c.site_area_ha),
                    Cell::Number(c.site_area_mu),
                    Cell::Number(c.inside_county_share),
                ]);
                for (l, t) in layers.iter().zip(totals.iter_mut()) {
                    let o = c.overlaps.iter().find(|o| o.layer == l.id);
                    let (m2, share) = o.map_or((0.0, 0.0), |o| (o.area_m2, o.share));
                    if m2 > 0.0 {
                        t.sites += 1;
                        t.area_m2 += m2;
                    }
                    row.extend([Cell::Number(m2), Cell::Number(share)]);
                }
                row.extend([
                    text(c.townships.join("、")),
                    text(c.parks.join("、")),
                    c.nearest_red_line_m.map_or(Cell::Empty, Cell::Number),
                ]);
            }
        }
        row.extend(attrs.iter().map(|k| attribute(r.properties.get(*k))));
        rows.push(row);
    }
    Table {
        columns,
        rows,
        summary: Summary {
            sites: results.len(),
            verdicts: VERDICTS
                .iter()
                .zip(counts)
                .map(|(v, n)| (v.zh().to_string(), n))
                .collect(),
            errors,
            site_area_m2,
            layers: totals,
        },
    }
}
