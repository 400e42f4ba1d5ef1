//! `planmap`: the command line of the plan viewer and checker.

mod basemap_args;
mod batch_cmd;
mod catalog;
mod check_cmd;
mod db_cmd;
mod db_report;
mod export_cmd;
mod failure;
mod human;
mod import_cmd;
mod plan_location;
mod publish_cmd;
mod report_cmd;
mod serve;
mod stdio;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use planmap_core::{CheckOptions, Engine};
use planmap_io::{export, PlanDir};

use failure::Failure;
use stdio::json;

#[derive(Parser)]
#[command(
    name = "planmap",
    version,
    about = "County spatial plan viewer and checker (美丽文水建设规划 2024—2035)"
)]
struct Cli {
    /// The plan folder (manifest `plan.toml` and its layers). Default: `data/wenshui` here,
    /// else `$XDG_DATA_HOME/planmap/plan` (`~/.local/share/planmap/plan`), else
    /// `planmap/plan` under `$XDG_DATA_DIRS` (`/usr/local/share`, `/usr/share`).
    #[arg(long, global = true, env = "PLANMAP_DATA")]
    data: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Each layer's feature count and geodesic total beside the plan's target.
    Stats {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        source: db_cmd::DbSource,
    },
    /// Checks a project site (GeoJSON Polygon/MultiPolygon, Feature or FeatureCollection), or
    /// with `--each` every feature of a file as its own site.
    Check {
        /// The site file; `-` reads standard input.
        site: PathBuf,
        /// Check every feature of the file on its own (a batch: a table of sites with their
        /// attributes, verdicts and areas; features that cannot be checked get a row with the
        /// error).
        #[arg(long)]
        each: bool,
        /// Print the batch table as CSV (with `--each`).
        #[arg(long, requires = "each", conflicts_with_all = ["json", "geojson"])]
        csv: bool,
        /// Write the batch table to this file: .xlsx, .csv or .geojson (with `--each`).
        #[arg(short = 'o', long = "output", value_name = "FILE", requires = "each")]
        output: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Print the site, overlap pieces and 避让 geometry as a GeoJSON FeatureCollection.
        #[arg(long, conflicts_with = "json")]
        geojson: bool,
        /// Refuse sites with more vertices than this.
        #[arg(long, default_value_t = 100_000)]
        max_vertices: usize,
        /// The site file's coordinate system (EPSG:4525, gk37, gcj02, bd09 …); default: what
        /// the file states, else told from its coordinates.
        #[arg(long)]
        crs: Option<String>,
        /// The site's format, overriding its extension (geojson, txt, shp, zip, gpkg, dxf, kml).
        #[arg(long)]
        format: Option<String>,
        /// Also write the printable HTML report (map, legend, tables, verdict) to this file.
        #[arg(long = "report", value_name = "FILE")]
        report_file: Option<PathBuf>,
        #[command(flatten)]
        source: db_cmd::DbSource,
    },
    /// Scans every conflict rule of the plan (三线 overlaps and the rest).
    Conflicts {
        #[arg(long)]
        json: bool,
        /// Print the conflict pieces as a GeoJSON FeatureCollection.
        #[arg(long, conflicts_with = "json")]
        geojson: bool,
        #[command(flatten)]
        source: db_cmd::DbSource,
    },
    /// Imports a file as the new version of a layer (switched to only once complete).
    Import(import_cmd::ImportArgs),
    /// Writes a layer as RFC 7946 GeoJSON, a GeoPackage, a zipped Shapefile or a coordinate TXT.
    Export(export_cmd::ExportArgs),
    /// Serves the plan over HTTP: API, exports, vector tiles, OGC API - Features, the web map.
    Serve(Box<serve::ServeArgs>),
    /// Writes the plan as a static site any web server serves: the web map, one PMTiles
    /// archive of every layer, glyphs, GeoJSON downloads, the plan and conflicts as JSON.
    Publish(publish_cmd::PublishArgs),
    /// The PostgreSQL/PostGIS store: `db init` creates or migrates its schema, `db load`
    /// copies plan folders in.
    Db(db_cmd::DbArgs),
}

/// The plan folder (see `plan_location`): not finding one is the user's to fix.
fn plan_folder(data: &Option<PathBuf>) -> Result<PathBuf, Failure> {
    plan_location::plan_folder(data).map_err(Failure::input)
}

fn load_folder(data: &Option<PathBuf>) -> Result<Engine, Failure> {
    let dir = plan_folder(data)?;
    plan_location::not_a_catalog(&dir).map_err(Failure::input)?;
    let store = PlanDir::open(&dir).map_err(Failure::other)?;
    Engine::load(&store).map_err(Failure::other)
}

fn both_sources() -> Failure {
    Failure::input("--db and --data (or PLANMAP_DB and PLANMAP_DATA) both name a plan: give one")
}

/// The plan's engine: from the database with `--db`, else from the plan folder.
fn load(data: &Option<PathBuf>, source: &db_cmd::DbSource) -> Result<Engine, Failure> {
    if source.db.is_none() {
        return load_folder(data);
    }
    if data.is_some() {
        return Err(both_sources());
    }
    db_cmd::engine(source)
}

fn run(cli: Cli) -> Result<String, Failure> {
    match cli.command {
        Command::Stats {
            json: as_json,
            source,
        } => {
            let engine = load(&cli.data, &source)?;
            let stats = engine.stats();
            if as_json {
                json(&stats)
            } else {
                Ok(human::stats(&stats))
            }
        }
        Command::Check {
            site,
            json: as_json,
            geojson,
            max_vertices,
            crs,
            format,
            report_file,
            each,
            csv,
            output,
            source,
        } => {
            let opts = CheckOptions {
                max_vertices,
                ..Default::default()
            };
            let print = match (as_json, geojson, csv) {
                (true, _, _) => check_cmd::Print::Json,
                (_, true, _) => check_cmd::Print::GeoJson,
                (_, _, true) => check_cmd::Print::Csv,
                _ => check_cmd::Print::Human,
            };
            let site = check_cmd::SiteArgs {
                file: &site,
                crs: &crs,
                format: &format,
                opts,
                print,
            };
            if each {
                if report_file.is_some() {
                    return Err(Failure::input("--report is for a single site, not --each"));
                }
                let engine = load(&cli.data, &source)?;
                let a = batch_cmd::Each {
                    site,
                    output: &output,
                };
                return batch_cmd::run(&engine, a);
            }
            if source.db.is_some() && cli.data.is_some() {
                return Err(both_sources());
            }
            let a = check_cmd::Single {
                site,
                report_file: &report_file,
            };
            check_cmd::run(plan_folder(&cli.data), &source, a)
        }
        Command::Conflicts {
            json: as_json,
            geojson,
            source,
        } => {
            let engine = load(&cli.data, &source)?;
            let scan = engine.conflicts();
            if as_json {
                json(&scan)
            } else if geojson {
                Ok(export::conflicts_geojson(&scan))
            } else {
                Ok(human::conflicts(&scan))
            }
        }
        Command::Import(args) => match args.source.db {
            Some(_) if cli.data.is_some() => Err(both_sources()),
            Some(_) => import_cmd::run_db(args),
            None => import_cmd::run(plan_folder(&cli.data)?, args),
        },
        Command::Export(args) => {
            let engine = load(&cli.data, &args.source)?;
            export_cmd::run(&engine, args)
        }
        Command::Publish(args) => publish_cmd::run(plan_folder(&cli.data)?, args),
        Command::Db(args) => db_cmd::run(args),
        Command::Serve(args) => {
            // `--db` without `--data`: the plans are the database's.
            let data = match (&cli.data, args.plans_in_db()) {
                (None, true) => None,
                _ => Some(plan_folder(&cli.data)?),
            };
            args.run(data).map_err(Failure::other)?;
            Ok(String::new())
        }
    }
}

fn main() -> ExitCode {
    // `planmap __reader …`: this process is a worker of the sandbox, reading one untrusted
    // file for a parent planmap (not a command for people, so not in the help).
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(planmap_io::sandbox::wire::WORKER_COMMAND) {
        let code = planmap_io::sandbox::worker::run(&args[2..]);
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    // Before any thread: report maps render without touching a desktop session.
    planmap_render::headless_environment();
    let cli = Cli::parse();
    match run(cli) {
        Ok(out) => {
            if !out.is_empty() {
                use std::io::Write;
                let mut stdout = std::io::stdout().lock();
                let _ = stdout.write_all(out.as_bytes());
                if !out.ends_with('\n') {
                    let _ = stdout.write_all(b"\n");
                }
            }
            ExitCode::SUCCESS
        }
        Err(f) => {
            eprintln!("planmap: {}", f.message.replace('\n', " "));
            ExitCode::from(f.code)
        }
    }
}
