//! Batch checks: every feature of a file checked as its own site, keeping its attributes, and
//! the result as a table people file (CSV, XLSX) or a map (GeoJSON).
//!
//! [`check_each`] turns a read [`Dataset`] into one [`SiteResult`] a feature — its check
//! report, or the error that kept it from being checked (not a polygon, self-intersecting,
//! outside the county …): nothing is dropped. [`table`] lays the results out as rows and
//! columns with a summary; [`forms`] writes them. No file or network I/O here: callers (the
//! CLI, later the API) read the file and write the bytes.

pub mod forms;
pub mod table;
pub mod txt_zip;

use geo::MultiPolygon;
use planmap_core::check::CheckReport;
use planmap_core::{Cancel, Cancelled, CheckError, CheckOptions, Engine, Properties};
use planmap_io::site::site_from;
use planmap_io::source::{Dataset, RawFeature};
use rayon::prelude::*;

/// One feature of the batch: where it was in the file, its attributes, and its result.
#[derive(Debug)]
pub struct SiteResult {
    /// 1-based position in the file.
    pub index: usize,
    /// The feature's id in the source, if it has one.
    pub id: Option<String>,
    pub properties: Properties,
    /// The feature's polygons (lon/lat), when it has any.
    pub shape: Option<MultiPolygon<f64>>,
    /// The check, or why the feature could not be checked.
    pub result: Result<CheckReport, String>,
}

/// Every feature of a data set checked on its own, in file order, in parallel.
pub fn check_each(engine: &Engine, d: Dataset, opts: &CheckOptions) -> Vec<SiteResult> {
    let never = Cancel::new();
    check_each_with(engine, d, opts, &never, &|| {}).unwrap_or_default()
}

/// [`check_each`], stopped when `cancel` is set (no results then: `Cancelled`), calling
/// `tick` once a feature is done (from any of rayon's threads) — a progress bar's or a
/// stream's count.
pub fn check_each_with(
    engine: &Engine,
    d: Dataset,
    opts: &CheckOptions,
    cancel: &Cancel,
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<SiteResult>, Cancelled> {
    let crs = d.crs;
    d.features
        .into_par_iter()
        .enumerate()
        .map(|(i, f)| {
            if cancel.is_cancelled() {
                return Err(Cancelled);
            }
            let r = check_one(engine, i + 1, f, &crs, opts, cancel)?;
            tick();
            Ok(r)
        })
        .collect()
}

fn check_one(
    engine: &Engine,
    index: usize,
    f: RawFeature,
    crs: &str,
    opts: &CheckOptions,
    cancel: &Cancel,
) -> Result<SiteResult, Cancelled> {
    let id = f.id.clone();
    let properties = f.properties.clone();
    // The single check's own reading of a file into a site, applied to this feature alone.
    let one = Dataset {
        features: vec![f],
        crs: crs.to_string(),
        warnings: Vec::new(),
        areas: Vec::new(),
    };
    let (shape, result) = match site_from(one) {
        Err(e) => (None, Err(not_a_site(e.to_string()))),
        Ok(site) => {
            let r = match engine.check_cancellable(&site.shape, *opts, cancel) {
                Err(CheckError::Cancelled(c)) => return Err(c),
                r => r.map_err(|e| e.to_string()),
            };
            (Some(site.shape), r)
        }
    };
    Ok(SiteResult {
        index,
        id,
        properties,
        shape,
        result,
    })
}

/// A feature without polygons is "not a polygon" (the reader's words name the file).
fn not_a_site(e: String) -> String {
    if e.contains("no polygon") {
        "not a polygon: the feature has no polygon (or closed polyline)".into()
    } else {
        e
    }
}
