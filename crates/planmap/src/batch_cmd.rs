//! `planmap check --each FILE`: every feature of the file checked as its own site, the
//! results as a table (planmap-batch builds and writes it).

use std::fmt::Write;
use std::path::{Path, PathBuf};

use planmap_batch::{check_each, forms, table};
use planmap_core::{CheckOptions, Engine};
use planmap_io::sandbox::Job;
use planmap_io::source::ReadOptions;
use planmap_io::PlanDir;

use crate::failure::Failure;
use crate::import_cmd::{
    near_lon, parse_crs, parse_format, read_failure, sandbox, warn, CLI_LIMITS,
};

/// What `check --each` prints on standard output.
pub enum Print {
    Human,
    Json,
    GeoJson,
    Csv,
}

/// A `check --each` request.
pub struct Each<'a> {
    pub file: &'a Path,
    pub crs: &'a Option<String>,
    pub format: &'a Option<String>,
    pub opts: CheckOptions,
    pub print: Print,
    /// Written by its extension: .xlsx, .csv, .geojson/.json.
    pub output: &'a Option<PathBuf>,
}

/// Runs `check --each`: reads the file (GDAL formats in the sandbox, as a single check),
/// checks each feature, writes the output file and returns what goes to standard output.
pub fn run(dir: &PlanDir, engine: &Engine, a: Each) -> Result<String, Failure> {
    let Each {
        file,
        crs,
        format,
        opts,
        print,
        output,
    } = a;
    if file.as_os_str() == "-" {
        return Err(Failure::input(
            "check --each reads a file, not standard input",
        ));
    }
    let ro = ReadOptions {
        crs: parse_crs(crs)?,
        near_lon: near_lon(dir),
        format: parse_format(format)?,
        ..ReadOptions::default()
    };
    let dataset = sandbox(CLI_LIMITS)
        .read_path(file, &ro, &Job::new())
        .map_err(read_failure)?;
    warn(&dataset.warnings, "warning");
    let results = check_each(engine, dataset, &opts);
    let t = table::build(engine, &results);
    if let Some(path) = output {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let bytes = match ext.as_deref() {
            Some("xlsx") => forms::to_xlsx(&t).map_err(Failure::other)?,
            Some("csv") => forms::to_csv(&t).into_bytes(),
            Some("geojson" | "json") => forms::to_geojson(&t, &results).into_bytes(),
            _ => {
                return Err(Failure::input(format!(
                    "{}: -o writes .xlsx, .csv or .geojson",
                    path.display()
                )))
            }
        };
        std::fs::write(path, bytes)
            .map_err(|e| Failure::other(format!("{}: {e}", path.display())))?;
    }
    Ok(match print {
        Print::Json => serde_json::to_string_pretty(&t).map_err(Failure::other)?,
        Print::GeoJson => forms::to_geojson(&t, &results),
        Print::Csv => forms::to_csv(&t),
        Print::Human => human(&t),
    })
}

/// The summary and one line a site, for a terminal.
fn human(t: &table::Table) -> String {
    let s = &t.summary;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} features, {} could not be checked",
        s.sites, s.errors
    );
    for (v, n) in &s.verdicts {
        let _ = writeln!(out, "  {v}: {n}");
    }
    for l in &s.layers {
        if l.sites > 0 {
            let _ = writeln!(out, "  {}: {} sites, {:.1} m²", l.name, l.sites, l.area_m2);
        }
    }
    for row in &t.rows {
        let cells: Vec<String> = row[..7]
            .iter()
            .map(|c| match c {
                table::Cell::Text(s) => s.clone(),
                table::Cell::Number(n) if n.fract() == 0.0 => format!("{n:.0}"),
                table::Cell::Number(n) => format!("{n:.1}"),
                table::Cell::Empty => "-".into(),
            })
            .collect();
        let _ = writeln!(out, "{}", cells.join("  "));
    }
    out
}
