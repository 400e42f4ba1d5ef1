//! `planmap check SITE` (one site): against one plan (a plan folder, or `--db` with `--plan`
//! or holding one plan) as a report; against a catalog ([`crate::catalog`]) as the server
//! answers it — one plan's report when the site lies in one plan's county, else every such
//! plan's answer and the strictest verdict ([`planmap_core::across`]).

use std::path::{Path, PathBuf};

use geo::MultiPolygon;
use planmap_core::across::{overall, Across, PlanVerdict};
use planmap_core::{CheckOptions, CheckReport, Engine, LayerStore, SiteError};
use planmap_io::plan_dir::plan_folders;
use planmap_io::{export, geojson_io, PlanDir};

use crate::catalog::Catalog;
use crate::db_cmd::{self, DbSource};
use crate::failure::Failure;
use crate::human;
use crate::import_cmd;
use crate::report_cmd;
use crate::stdio::{json, read_input};

/// How the answer is printed (CSV: a batch's table only).
#[derive(Clone, Copy)]
pub(crate) enum Print {
    Human,
    Json,
    GeoJson,
    Csv,
}

/// A site file (or `--each`'s file of sites) and how to read, check and print it.
pub(crate) struct SiteArgs<'a> {
    pub file: &'a Path,
    pub crs: &'a Option<String>,
    pub format: &'a Option<String>,
    pub opts: CheckOptions,
    pub print: Print,
}

/// One site to check, and the HTML report's file (`--report`).
pub(crate) struct Single<'a> {
    pub site: SiteArgs<'a>,
    pub report_file: &'a Option<PathBuf>,
}

/// Where the plans are.
enum Plans {
    /// A plan folder (loaded once the site is read, as before catalogs).
    Folder(PathBuf),
    /// The plan of `--db`, read first: its centre places the site's zone.
    Engine(Box<Engine>),
    Catalog(Catalog),
}

impl Plans {
    fn open(folder: Result<PathBuf, Failure>, source: &DbSource) -> Result<Plans, Failure> {
        if source.db.is_some() {
            if source.plan.is_none() {
                if let Some(c) = Catalog::database(source)? {
                    return Ok(Plans::Catalog(c));
                }
            }
            return Ok(Plans::Engine(Box::new(db_cmd::engine(source)?)));
        }
        let dir = folder?;
        match plan_folders(&dir) {
            Ok((false, dirs)) => Ok(Plans::Catalog(Catalog::folders(
                dir.display().to_string(),
                dirs,
            )?)),
            // One plan folder, or none: opening it says what is wrong.
            _ => Ok(Plans::Folder(dir)),
        }
    }

    /// The longitude a file's Gauss-Krüger zone is guessed near (the catalog's first plan's).
    fn near_lon(&self) -> Result<Option<f64>, Failure> {
        Ok(match self {
            Plans::Folder(dir) => {
                let pd = PlanDir::open(dir).map_err(Failure::other)?;
                import_cmd::near_lon(&LayerStore::plan(&pd).map_err(Failure::other)?)
            }
            Plans::Engine(engine) => import_cmd::near_lon(&engine.plan),
            Plans::Catalog(c) => c.plans.first().and_then(|p| import_cmd::near_lon(&p.plan)),
        })
    }
}

/// Checks one site; `folder` is the plan folder or catalog of `--data` (or its default).
pub(crate) fn run(
    folder: Result<PathBuf, Failure>,
    source: &DbSource,
    a: Single,
) -> Result<String, Failure> {
    let plans = Plans::open(folder, source)?;
    let site = read_site(&plans, &a)?;
    let engine = match plans {
        Plans::Engine(engine) => *engine,
        Plans::Folder(dir) => {
            let pd = PlanDir::open(&dir).map_err(Failure::other)?;
            Engine::load(&pd).map_err(Failure::other)?
        }
        Plans::Catalog(c) => return across(&c, &site, &a),
    };
    single(&engine, &site, &a)
}

fn read_site(plans: &Plans, a: &Single) -> Result<MultiPolygon<f64>, Failure> {
    if import_cmd::needs_dispatch(a.site.file, a.site.crs, a.site.format) {
        return import_cmd::read_site(plans.near_lon()?, a.site.file, a.site.crs, a.site.format);
    }
    let text = read_input(a.site.file)?;
    geojson_io::parse_site(&text)
        .map_err(|e| Failure::input(format!("{}: {e}", a.site.file.display())))
}

fn check(engine: &Engine, site: &MultiPolygon<f64>, a: &Single) -> Result<CheckReport, Failure> {
    engine
        .check(site, a.site.opts)
        .map_err(|e: SiteError| Failure::input(format!("{}: {e}", a.site.file.display())))
}

/// One plan's report, as `check` answered before catalogs.
fn single(engine: &Engine, site: &MultiPolygon<f64>, a: &Single) -> Result<String, Failure> {
    let report = check(engine, site, a)?;
    if let Some(path) = a.report_file {
        report_cmd::write(report_cmd::page(engine, &report), path).map_err(Failure::other)?;
    }
    match a.site.print {
        Print::Json => json(&report),
        Print::GeoJson => Ok(export::check_geojson(&report)),
        Print::Human | Print::Csv => Ok(human::check(&report)),
    }
}

/// The site against a catalog: one plan's report when it lies in one county; every touched
/// plan's answer and the strictest verdict when it lies across a county line (the first
/// plan's report leads, as at the server's root when its default plan is the first id).
fn across(c: &Catalog, site: &MultiPolygon<f64>, a: &Single) -> Result<String, Failure> {
    let parts = c.counties_of(site);
    let which: Vec<usize> = parts.iter().map(|p| p.0).collect();
    if which.is_empty() {
        return Err(Failure::input(format!(
            "{}: the site lies in none of the counties of the catalog {} ({})",
            a.site.file.display(),
            c.whence,
            c.ids()
        )));
    }
    let engines = c.engines(&which)?;
    if let [engine] = engines.as_slice() {
        return single(engine, site, a);
    }
    let mut plans = Vec::with_capacity(engines.len());
    for ((i, area), engine) in parts.iter().zip(&engines) {
        let report = check(engine, site, a)?;
        let (id, name) = (&c.plans[*i].plan.id, &engine.plan.name);
        plans.push(PlanVerdict::new(
            id.clone(),
            name.clone(),
            Some(*area),
            report,
        ));
    }
    let overall = overall(&plans);
    let lead = &plans[0].report;
    if let Some(path) = a.report_file {
        let page = report_cmd::page(&engines[0], lead);
        let page = planmap_render::report::with_plans(page, overall, &plans);
        report_cmd::write(page, path).map_err(Failure::other)?;
    }
    match a.site.print {
        Print::Json => json(&Across {
            report: lead,
            overall_verdict: overall,
            plans: &plans,
        }),
        Print::GeoJson => Ok(export::check_geojson_across(
            &export::check_geojson(lead),
            overall,
            &plans,
        )),
        Print::Human | Print::Csv => Ok(human::across(&plans, overall)),
    }
}
