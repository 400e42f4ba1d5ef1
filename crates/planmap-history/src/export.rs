//! Records as GeoJSON (with the sites) and as CSV (a table for spreadsheets, without them).

use serde::Serialize;
use serde_json::value::RawValue;

use crate::record::Record;

/// The CSV columns, in order.
pub const CSV_COLUMNS: [&str; 13] = [
    "id",
    "time",
    "verdict",
    "site_area_m2",
    "data_version",
    "source",
    "project",
    "applicant",
    "overlaps",
    "plan",
    "batch_id",
    "batch_file",
    "batch_feature",
];

#[derive(Serialize)]
struct Collection<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    features: Vec<Feature<'a>>,
}

#[derive(Serialize)]
struct Feature<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    id: i64,
    geometry: &'a RawValue,
    properties: Properties<'a>,
}

#[derive(Serialize)]
struct Properties<'a> {
    id: i64,
    time: &'a str,
    verdict: &'a str,
    site_area_m2: f64,
    overlaps: &'a RawValue,
    data_version: &'a str,
    source: &'a str,
    project: Option<&'a str>,
    applicant: Option<&'a str>,
    plan: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    batch: Option<&'a crate::record::BatchRef>,
}

/// An RFC 7946 FeatureCollection: one Feature a record, its geometry the site as submitted
/// (lon/lat), its id and properties the record's fields (`overlaps` as JSON; `batch`, as in
/// the JSON listing, only for a batch check's site).
pub fn to_geojson(records: &[Record]) -> String {
    let features = records
        .iter()
        .map(|r| Feature {
            ty: "Feature",
            id: r.id,
            geometry: &r.site,
            properties: Properties {
                id: r.id,
                time: &r.time,
                verdict: &r.verdict,
                site_area_m2: r.site_area_m2,
                overlaps: &r.overlaps,
                data_version: &r.data_version,
                source: &r.source,
                project: r.project.as_deref(),
                applicant: r.applicant.as_deref(),
                plan: r.plan.as_deref(),
                batch: r.batch.as_ref(),
            },
        })
        .collect();
    let fc = Collection {
        ty: "FeatureCollection",
        features,
    };
    serde_json::to_string(&fc).expect("plain data serialises")
}

/// A CSV table of the records, one row each under [`CSV_COLUMNS`].
///
/// - UTF-8 with a byte-order mark, so that Excel reads the Chinese right; RFC 4180 quoting;
///   CRLF line ends.
/// - No geometry: a site can outgrow a spreadsheet cell (Excel holds 32,767 characters); the
///   GeoJSON export has the sites, joined by `id`.
/// - `overlaps` is the per-layer JSON as recorded.
/// - A batch check's batch id, uploaded file and feature number (1-based) in the last three
///   columns; empty for a single check.
/// - A project or applicant beginning with `=`, `+`, `-`, `@`, tab or CR is written with a
///   leading `'`, so that a spreadsheet shows it as text rather than running it as a formula
///   (CSV injection); the GeoJSON and JSON keep the text as given.
pub fn to_csv(records: &[Record]) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(CSV_COLUMNS).expect("writes to memory");
    for r in records {
        let b = r.batch.as_ref();
        w.write_record([
            r.id.to_string().as_str(),
            &r.time,
            &r.verdict,
            &r.site_area_m2.to_string(),
            &r.data_version,
            &r.source,
            &as_text(r.project.as_deref()),
            &as_text(r.applicant.as_deref()),
            r.overlaps.get(),
            r.plan.as_deref().unwrap_or(""),
            b.map_or("", |b| b.id.as_str()),
            &as_text(b.and_then(|b| b.file.as_deref())),
            &b.map_or(String::new(), |b| b.feature.to_string()),
        ])
        .expect("writes to memory");
    }
    let body = w.into_inner().expect("writes to memory");
    let mut out = String::with_capacity(body.len() + 3);
    out.push('\u{feff}');
    out.push_str(&String::from_utf8(body).expect("written from UTF-8 strings"));
    out
}

/// A user's text as a spreadsheet will show it as text: one beginning with `=`, `+`, `-`,
/// `@`, tab or CR gets a leading `'` (CSV injection). The batch CSV writes its text with it too.
pub fn as_text(s: Option<&str>) -> String {
    match s {
        None => String::new(),
        Some(s) if s.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{s}"),
        Some(s) => s.to_string(),
    }
}
