//! `planmap check --each FILE`: every feature of the file checked as its own site, the
//! results as a table (planmap-batch builds and writes it).

use std::fmt::Write;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use planmap_batch::{check_each_with, forms, table, txt_zip};
use planmap_core::{Cancel, Engine};
use planmap_io::sandbox::Job;
use planmap_io::source::ReadOptions;

use crate::check_cmd::{Print, SiteArgs};
use crate::failure::Failure;
use crate::import_cmd::{
    near_lon, parse_crs, parse_format, read_failure, sandbox, warn, CLI_LIMITS,
};

/// A `check --each` request: the file's features as sites, the table also written to
/// `output` (by its extension: .xlsx, .csv, .geojson/.json).
pub(crate) struct Each<'a> {
    pub site: SiteArgs<'a>,
    pub output: &'a Option<PathBuf>,
}

/// Runs `check --each`: reads the file (GDAL formats in the sandbox, as a single check),
/// checks each feature, writes the output file and returns what goes to standard output.
pub(crate) fn run(engine: &Engine, a: Each) -> Result<String, Failure> {
    let Each {
        site:
            SiteArgs {
                file,
                crs,
                format,
                opts,
                print,
            },
        output,
    } = a;
    if file.as_os_str() == "-" {
        return Err(Failure::input(
            "check --each reads a file, not standard input",
        ));
    }
    let ro = ReadOptions {
        crs: parse_crs(crs)?,
        near_lon: near_lon(&engine.plan),
        format: parse_format(format)?,
        ..ReadOptions::default()
    };
    let dataset = match txt_zip_bytes(file, &ro) {
        Some(bytes) => txt_zip::read(&bytes, &ro),
        None => sandbox(CLI_LIMITS).read_path(file, &ro, &Job::new()),
    }
    .map_err(read_failure)?;
    warn(&dataset.warnings, "warning");
    let bar = bar(dataset.features.len() as u64);
    let results = check_each_with(engine, dataset, &opts, &Cancel::new(), &|| bar.inc(1))
        .map_err(Failure::other)?;
    bar.finish_and_clear();
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

/// The bytes of a zip of coordinate TXT files (one site a file), when `file` is one.
fn txt_zip_bytes(file: &Path, ro: &ReadOptions) -> Option<Vec<u8>> {
    let zip = ro.format.map_or_else(
        || {
            file.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
        },
        |f| f == planmap_io::Format::Zip,
    );
    let bytes = zip.then(|| std::fs::read(file).ok()).flatten()?;
    txt_zip::is_txt_zip(&bytes).then_some(bytes)
}

/// A progress bar of the sites checked on stderr, drawn only when stderr is a terminal
/// (tests and pipes read stderr's lines).
fn bar(total: u64) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(total), target);
    if let Ok(style) = ProgressStyle::with_template("checking sites {wide_bar} {pos}/{len} {eta}") {
        bar.set_style(style);
    }
    bar
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
