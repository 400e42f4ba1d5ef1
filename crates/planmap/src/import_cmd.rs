//! `planmap import` and reading `planmap check`'s site from any supported format.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::Args;
use geo::MultiPolygon;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use planmap_io::crs::Crs;
use planmap_io::import::{self, ImportError, ImportOptions, ImportReport, Progress};
use planmap_io::sandbox::{Job, Limits, Sandbox, SandboxSettings};
use planmap_io::source::{Dataset, Format, ReadOptions};
use planmap_io::{PlanDir, ReadError, SourceError};

use crate::failure::Failure;

/// `planmap import` arguments.
#[derive(Args)]
pub struct ImportArgs {
    /// The file: GeoJSON, coordinate TXT, Shapefile (.shp or .zip), GeoPackage, FileGDB
    /// (.gdb), DXF or KML.
    pub file: PathBuf,
    /// The plan layer it becomes (its new version).
    #[arg(long)]
    pub layer: String,
    /// The file's coordinate system, overriding what it states: EPSG:4525, gk37, wgs84,
    /// gcj02, bd09 …
    #[arg(long)]
    pub crs: Option<String>,
    /// An OGR SQL attribute filter: only features matching it are imported.
    #[arg(long = "where")]
    pub filter: Option<String>,
    /// The attribute that becomes each feature's name.
    #[arg(long)]
    pub name_field: Option<String>,
    /// The attribute that becomes each feature's id (default: the file's own ids when all
    /// features have distinct ones, else <layer>-000001, …).
    #[arg(long)]
    pub id_field: Option<String>,
    /// The layer of a multi-layer file (GeoPackage table, FileGDB feature class).
    #[arg(long)]
    pub source_layer: Option<String>,
    /// The DBF encoding of a Shapefile that has no .cpg (e.g. GBK).
    #[arg(long)]
    pub encoding: Option<String>,
    /// The file's format, overriding its extension (geojson, txt, shp, zip, gpkg, gdb, dxf, kml).
    #[arg(long)]
    pub format: Option<String>,
    /// Make invalid geometries valid instead of refusing the file.
    #[arg(long)]
    pub repair: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// CPU seconds the reader of a file that needs GDAL may use (it runs in a process of its
    /// own, stopped at this limit).
    #[arg(long, default_value_t = CLI_LIMITS.cpu_seconds)]
    pub reader_cpu_seconds: u64,
    /// Memory (address space, MiB) the reader of a file that needs GDAL may use.
    #[arg(long, default_value_t = CLI_LIMITS.memory_mib)]
    pub reader_memory_mb: u64,
    #[command(flatten)]
    pub source: crate::db_cmd::DbSource,
}

/// The reader's limits for files named on the command line: the user's own, possibly large
/// (a county's farmland as a FileGDB), so far above the server's.
pub const CLI_LIMITS: Limits = Limits {
    cpu_seconds: 600,
    memory_mib: 8192,
};

/// The sandbox of one command: this executable as the worker, none started in advance.
pub(crate) fn sandbox(limits: Limits) -> Sandbox {
    Sandbox::new(SandboxSettings {
        limits,
        idle: 0,
        ..SandboxSettings::current_exe()
    })
}

/// A file that could not be read: the file's fault exits 2, planmap's own (the reader
/// process, GDAL) 1.
pub(crate) fn read_failure(e: SourceError) -> Failure {
    match e.error {
        ReadError::Gdal(_) | ReadError::Worker(_) => Failure::other(e),
        _ => Failure::input(e),
    }
}

pub(crate) fn parse_crs(s: &Option<String>) -> Result<Option<Crs>, Failure> {
    s.as_deref()
        .map(|s| s.parse::<Crs>().map_err(Failure::input))
        .transpose()
}

pub(crate) fn parse_format(s: &Option<String>) -> Result<Option<Format>, Failure> {
    s.as_deref()
        .map(|s| {
            Format::from_ext(s.trim_start_matches('.'))
                .ok_or_else(|| Failure::input(format!("unknown --format '{s}'")))
        })
        .transpose()
}

/// The plan's longitude, for guessing a Gauss-Krüger zone a file does not state.
/// The plan's central longitude (the zone a Gauss-Krüger file without one is read in).
pub(crate) fn near_lon(plan: &planmap_core::Plan) -> Option<f64> {
    plan.center.map(|c| c[0])
}

pub(crate) fn warn(lines: &[String], kind: &str) {
    for l in lines {
        eprintln!("planmap: {kind}: {}", l.replace('\n', " "));
    }
}

/// A progress bar on stderr, drawn only when stderr is a terminal.
struct Bar(ProgressBar);

impl Bar {
    fn new() -> Bar {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        bar.set_style(ProgressStyle::with_template("{spinner} {msg}").unwrap());
        Bar(bar)
    }
}

impl Progress for Bar {
    fn stage(&self, name: &str, total: u64) {
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {wide_bar} {pos}/{len}") {
            self.0.set_style(style);
        }
        self.0.set_message(name.to_string());
        self.0.set_length(total);
        self.0.set_position(0);
    }
    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
}

/// Reads the file to import (in the sandbox when it needs GDAL), near the plan's longitude.
fn read_dataset(a: &ImportArgs, near_lon: Option<f64>, bar: &Bar) -> Result<Dataset, Failure> {
    let opts = ReadOptions {
        crs: parse_crs(&a.crs)?,
        near_lon,
        filter: a.filter.clone(),
        source_layer: a.source_layer.clone(),
        encoding: a.encoding.clone(),
        format: parse_format(&a.format)?,
        // A file named on the command line is the user's own: no upload limits apply.
        ..ReadOptions::default()
    };
    bar.0.set_message("reading");
    bar.0
        .enable_steady_tick(std::time::Duration::from_millis(120));
    let limits = Limits {
        cpu_seconds: a.reader_cpu_seconds.max(1),
        memory_mib: a.reader_memory_mb.max(1),
    };
    sandbox(limits)
        .read_path(&a.file, &opts, &Job::new())
        .map_err(read_failure)
}

fn import_options(a: &ImportArgs) -> ImportOptions {
    ImportOptions {
        name_field: a.name_field.clone(),
        id_field: a.id_field.clone(),
        repair: a.repair,
    }
}

/// An import that failed: invalid geometries listed on stderr, the file's fault exits 2.
fn import_failure(a: &ImportArgs, e: ImportError) -> Failure {
    match e {
        ImportError::Invalid(issues) => {
            for i in &issues {
                eprintln!("planmap: invalid geometry {i}");
            }
            Failure::input(format!(
                "{}: {}",
                a.file.display(),
                ImportError::Invalid(issues)
            ))
        }
        e @ ImportError::Store(_) => Failure::other(e),
        e => Failure::input(format!("{}: {e}", a.file.display())),
    }
}

/// Runs `planmap import` into a plan folder.
pub fn run(data: PathBuf, a: ImportArgs) -> Result<String, Failure> {
    let dir = PlanDir::open(&data).map_err(Failure::other)?;
    let near = planmap_core::LayerStore::plan(&dir)
        .ok()
        .and_then(|p| near_lon(&p));
    let bar = Bar::new();
    let dataset = read_dataset(&a, near, &bar)?;
    let result = import::import(&dir, &a.layer, dataset, &import_options(&a), &bar);
    bar.0.finish_and_clear();
    let r = result.map_err(|e| import_failure(&a, e))?;
    let place = format!("{}, {} bytes", r.file, r.bytes);
    print(&a, &r, &place)
}

/// Runs `planmap import --db`: the layer's new version written into the database and
/// switched to in one transaction.
pub fn run_db(a: ImportArgs) -> Result<String, Failure> {
    let plan = crate::db_cmd::read_manifest(&a.source)?;
    let def = planmap_core::LayerStore::plan(&plan).map_err(Failure::other)?;
    let def_layer = def.layer(&a.layer).cloned().ok_or_else(|| {
        let e = ImportError::UnknownLayer {
            layer: a.layer.clone(),
            known: def.layers.iter().map(|l| l.id.clone()).collect(),
        };
        Failure::input(e)
    })?;
    let bar = Bar::new();
    let dataset = read_dataset(&a, near_lon(&def), &bar)?;
    let prepared = import::prepare(&def_layer, &dataset, &import_options(&a), &bar);
    bar.0.finish_and_clear();
    let p = prepared.map_err(|e| import_failure(&a, e))?;
    let source = a
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let done = crate::db_cmd::import(&a.source, plan.id(), &a.layer, &p.features, &source)?;
    let r = ImportReport {
        layer: a.layer.clone(),
        features: done.features,
        version: done.version.max(0) as u32,
        file: format!("plan '{}' in the database", plan.id()),
        bytes: 0,
        crs: dataset.crs,
        area_m2: p
            .features
            .iter()
            .filter_map(|f| f.shape.as_polygon())
            .map(planmap_core::geodesy::area_m2)
            .sum(),
        warnings: dataset.warnings,
        repaired: p.repaired,
        dropped: p.dropped,
        areas: dataset.areas,
    };
    let place = r.file.clone();
    print(&a, &r, &place)
}

/// The import's report: JSON, or lines for people (`place`: where the version was written).
fn print(a: &ImportArgs, r: &ImportReport, place: &str) -> Result<String, Failure> {
    if a.json {
        return serde_json::to_string_pretty(&r.to_json()).map_err(Failure::other);
    }
    warn(&r.warnings, "warning");
    let mut out = format!(
        "imported {} features into layer '{}': version {} ({place})\ncoordinates read as {}\n",
        r.features, r.layer, r.version, r.crs
    );
    if r.area_m2 > 0.0 {
        out.push_str(&format!(
            "geodesic area {:.4} km² ({:.2} 亩)\n",
            r.area_m2 / 1e6,
            r.area_m2 * 15.0 / 10_000.0
        ));
    }
    for i in &r.repaired {
        out.push_str(&format!("repaired {i}\n"));
    }
    for i in &r.dropped {
        out.push_str(&format!("left out {i}\n"));
    }
    for p in &r.areas {
        out.push_str(&format!("{p}\n"));
    }
    Ok(out)
}

/// Whether `check` must go through the format dispatcher rather than the GeoJSON parser.
pub fn needs_dispatch(site: &Path, crs: &Option<String>, format: &Option<String>) -> bool {
    let geojson = site.as_os_str() == "-" || Format::from_path(site) == Some(Format::GeoJson);
    crs.is_some() || format.is_some() || !geojson
}

/// Reads `check`'s site from a file of any supported format (or stdin with `--format`),
/// printing warnings and a coordinate TXT's stated areas on stderr.
pub fn read_site(
    near_lon: Option<f64>,
    site: &Path,
    crs: &Option<String>,
    format: &Option<String>,
) -> Result<MultiPolygon<f64>, Failure> {
    let opts = ReadOptions {
        crs: parse_crs(crs)?,
        near_lon,
        format: parse_format(format)?,
        ..ReadOptions::default()
    };
    let sandbox = sandbox(CLI_LIMITS);
    let s = if site.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
            .map_err(|e| Failure::input(format!("stdin: {e}")))?;
        let f = opts.format.unwrap_or(Format::GeoJson);
        sandbox.read_site_bytes(&bytes, f, &opts, &Job::new())
    } else {
        sandbox.read_site(site, &opts, &Job::new())
    }
    .map_err(read_failure)?;
    warn(&s.warnings, "warning");
    let notes: Vec<String> = s.areas.iter().map(ToString::to_string).collect();
    warn(&notes, "note");
    Ok(s.shape)
}
