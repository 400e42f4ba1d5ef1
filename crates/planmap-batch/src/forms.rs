//! A batch's [`Table`] written as CSV, XLSX and (with the sites) GeoJSON.

use geo::Geometry;
use planmap_history::export::as_text;
use planmap_io::geojson_io;
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde_json::{Map, Value};

use crate::table::{Cell, Table};
use crate::SiteResult;

/// The table as CSV: UTF-8 with a byte-order mark (so that Excel reads the Chinese right),
/// CRLF line ends, RFC 4180 quoting; text that a spreadsheet would run as a formula is
/// neutralised as the history's CSV does ([`as_text`]). The summary is not in it (a CSV holds
/// one table): the XLSX has it on its own sheet.
pub fn to_csv(t: &Table) -> String {
    // The byte-order mark first, then the table.
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer("\u{feff}".as_bytes().to_vec());
    w.write_record(t.columns.iter().map(|c| as_text(Some(c))))
        .expect("writes to memory");
    for row in &t.rows {
        w.write_record(row.iter().map(|c| match c {
            Cell::Text(s) => as_text(Some(s)),
            Cell::Number(n) => n.to_string(),
            Cell::Empty => String::new(),
        }))
        .expect("writes to memory");
    }
    String::from_utf8(w.into_inner().expect("writes to memory")).expect("written from UTF-8")
}

/// The sites as an RFC 7946 FeatureCollection, one Feature a row (file order), its
/// properties the row's cells under the table's column names; a feature that had no polygon
/// has a null geometry (its row still says why).
pub fn to_geojson(t: &Table, results: &[SiteResult]) -> String {
    let features = results.iter().zip(&t.rows).map(|(r, row)| {
        let mut props = Map::new();
        for (k, c) in t.columns.iter().zip(row) {
            let v = match c {
                Cell::Text(s) => Value::String(s.clone()),
                Cell::Number(n) => {
                    serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number)
                }
                Cell::Empty => Value::Null,
            };
            props.insert(k.clone(), v);
        }
        let id = r.index.to_string();
        match &r.shape {
            Some(s) => geojson_io::feature(&id, &Geometry::MultiPolygon(s.clone()), props),
            None => geojson::Feature {
                bbox: None,
                geometry: None,
                id: Some(geojson::feature::Id::String(id)),
                properties: Some(props),
                foreign_members: None,
            },
        }
    });
    geojson_io::write_collection(features, None)
}

/// The table as an XLSX workbook: sheet 审查结果 (one row a site; text cells are always
/// strings, never formulas) and sheet 汇总 (sites per verdict, errors, totals per layer).
pub fn to_xlsx(t: &Table) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let area = Format::new().set_num_format("#,##0.00");
    let share = Format::new().set_num_format("0.00%");

    let sheet = wb.add_worksheet().set_name("审查结果")?;
    for (c, name) in t.columns.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, name, &bold)?;
    }
    for (r, row) in t.rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let col = c as u16;
            match cell {
                Cell::Text(s) => {
                    sheet.write_string(r, col, s)?;
                }
                Cell::Number(n) if t.columns[c].ends_with("占比") => {
                    sheet.write_number_with_format(r, col, *n, &share)?;
                }
                Cell::Number(n) if t.columns[c].contains("(m²)") => {
                    sheet.write_number_with_format(r, col, *n, &area)?;
                }
                Cell::Number(n) => {
                    sheet.write_number(r, col, *n)?;
                }
                Cell::Empty => {}
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofit();

    let s = &t.summary;
    let sheet = wb.add_worksheet().set_name("汇总")?;
    sheet.write_string_with_format(0, 0, "项目", &bold)?;
    sheet.write_string_with_format(0, 1, "个数", &bold)?;
    sheet.write_string_with_format(0, 2, "面积(m²)", &bold)?;
    sheet.write_string(1, 0, "要素总数")?;
    sheet.write_number(1, 1, s.sites as f64)?;
    sheet.write_number_with_format(1, 2, s.site_area_m2, &area)?;
    let mut r = 2;
    for (v, n) in &s.verdicts {
        sheet.write_string(r, 0, v)?;
        sheet.write_number(r, 1, *n as f64)?;
        r += 1;
    }
    sheet.write_string(r, 0, "无法审查")?;
    sheet.write_number(r, 1, s.errors as f64)?;
    r += 2;
    sheet.write_string_with_format(r, 0, "图层", &bold)?;
    sheet.write_string_with_format(r, 1, "涉及用地个数", &bold)?;
    sheet.write_string_with_format(r, 2, "压占面积合计(m²)", &bold)?;
    for l in &s.layers {
        r += 1;
        sheet.write_string(r, 0, &l.name)?;
        sheet.write_number(r, 1, l.sites as f64)?;
        sheet.write_number_with_format(r, 2, l.area_m2, &area)?;
    }
    sheet.autofit();
    wb.save_to_buffer()
}
