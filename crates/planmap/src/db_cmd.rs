//! `planmap db init|load|prune|status` and `--db URL` on the commands that read a plan: the
//! PostgreSQL/PostGIS store (docs/postgis.md).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use planmap_core::Engine;
use planmap_pg::{Db, Imported, InitReport, LoadedPlan, PgError, PgPlan, PoolOptions};

use crate::failure::Failure;

#[derive(Args)]
pub(crate) struct DbArgs {
    /// The PostgreSQL database, postgres://USER[:PASSWORD]@HOST[:PORT]/DB, with PostGIS 3
    /// installed on its server.
    #[arg(long, env = "PLANMAP_DB", global = true)]
    db: Option<String>,
    #[command(subcommand)]
    command: DbCommand,
}

#[derive(Subcommand)]
enum DbCommand {
    /// Creates planmap's schema (PostGIS, plans, layers, layer versions, features, check
    /// history) or migrates it to this version; does nothing when it is current.
    Init,
    /// Copies a plan folder (or each plan folder in a folder) into the database: manifest,
    /// indicators, each layer's served file as its new current version (one transaction a
    /// plan; a plan already there keeps its old versions).
    Load {
        /// A plan folder (holding plan.toml), or a folder of plan folders.
        dir: PathBuf,
    },
    /// Removes old layer versions: each layer keeps its N newest versions and the one it
    /// serves (one transaction; replicas are not disturbed).
    Prune {
        /// Versions each layer keeps, the served one among them (at least 1).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        keep: u32,
        /// Only this plan's layers (default: every plan's).
        #[arg(long)]
        plan: Option<String>,
        /// Say what would be removed, remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// What the database holds: its schema version, each plan's layers (the version served,
    /// the versions kept, SQL edits, the keeper's tables), the check history's size.
    Status {
        /// Only this plan.
        #[arg(long)]
        plan: Option<String>,
    },
}

/// `--db URL` and `--plan ID`: the plan read from the database instead of a folder.
#[derive(Args, Clone, Default)]
pub(crate) struct DbSource {
    /// Read the plan from this PostgreSQL database (postgres://USER@HOST:PORT/DB) instead of
    /// a folder; exclusive with --data.
    #[arg(long, env = "PLANMAP_DB")]
    pub db: Option<String>,
    /// With --db: the plan's id (default: the database's only plan).
    #[arg(long, requires = "db")]
    pub plan: Option<String>,
}

/// The user's to fix (exit 2) or not (exit 1).
fn failure(e: PgError) -> Failure {
    match e {
        PgError::Url { .. } | PgError::NoPlan { .. } | PgError::Folder(_) | PgError::Invalid(_) => {
            Failure::input(e)
        }
        _ => Failure::other(e),
    }
}

fn config(url: Option<&str>) -> Result<planmap_pg::Config, Failure> {
    let url = url
        .ok_or_else(|| Failure::input("db: no database given (--db postgres://… or PLANMAP_DB)"))?;
    planmap_pg::parse_url(url).map_err(Failure::input)
}

/// Runs `f` with a pool on a runtime of the command's own (long statements: loads, imports).
fn with_db<T>(
    url: Option<&str>,
    f: impl AsyncFnOnce(&Db) -> Result<T, PgError>,
) -> Result<T, Failure> {
    let cfg = config(url)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Failure::other)?;
    rt.block_on(async {
        let opts = PoolOptions {
            size: 2,
            wait: Duration::from_secs(10),
            connect: Duration::from_secs(5),
            statement: Duration::from_secs(600),
        };
        let db = Db::new(&cfg, opts).map_err(failure)?;
        db.ping().await.map_err(failure)?;
        f(&db).await.map_err(failure)
    })
}

pub(crate) fn run(args: DbArgs) -> Result<String, Failure> {
    match args.command {
        DbCommand::Init => {
            let cfg = config(args.db.as_deref())?;
            planmap_pg::init_blocking(&cfg)
                .map(|r| report(&r))
                .map_err(failure)
        }
        DbCommand::Load { dir } => {
            let loaded = with_db(args.db.as_deref(), async |db| {
                planmap_pg::load_dir(db, &dir).await
            })?;
            Ok(loaded
                .iter()
                .map(load_report)
                .collect::<Vec<_>>()
                .join("\n"))
        }
        DbCommand::Prune {
            keep,
            plan,
            dry_run,
        } => {
            let pruned = with_db(args.db.as_deref(), async |db| {
                planmap_pg::prune(db, plan.as_deref(), keep, dry_run).await
            })?;
            Ok(crate::db_report::prune(&pruned, keep, dry_run))
        }
        DbCommand::Status { plan } => {
            let status = with_db(args.db.as_deref(), async |db| {
                planmap_pg::status(db, plan.as_deref()).await
            })?;
            Ok(crate::db_report::status(&status))
        }
    }
}

fn report(r: &InitReport) -> String {
    if r.applied.is_empty() {
        return format!("{}: schema version {}, nothing to do", r.database, r.after);
    }
    let mut out = format!("{}: schema version {} → {}", r.database, r.before, r.after);
    for a in &r.applied {
        out.push_str(&format!("\n  applied {}: {}", a.version, a.name));
    }
    out
}

fn load_report(p: &LoadedPlan) -> String {
    let mut out = format!("loaded plan '{}' from {}", p.id, p.dir.display());
    for l in &p.layers {
        out.push_str(&format!(
            "\n  {}: version {}, {} features",
            l.id, l.version, l.features
        ));
    }
    out
}

/// The plan `--plan` names, else the database's only one (an error lists them when there
/// are several).
async fn pick_plan(db: &Db, plan: Option<&str>) -> Result<String, PgError> {
    if let Some(id) = plan {
        return Ok(id.to_string());
    }
    let ids = db.plan_ids().await?;
    match ids.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(PgError::Invalid(format!(
            "no plan in the database at {}: planmap db load DIR puts plan folders in",
            db.at()
        ))),
        many => Err(PgError::Invalid(format!(
            "the database holds {} plans ({}): pick one with --plan ID",
            many.len(),
            many.join(", ")
        ))),
    }
}

/// The plan of `--db` (and `--plan`) without its features: its manifest and versions.
pub(crate) fn read_manifest(src: &DbSource) -> Result<PgPlan, Failure> {
    with_db(src.db.as_deref(), async |db| {
        let id = pick_plan(db, src.plan.as_deref()).await?;
        db.read_plan(&id, Some(&[])).await
    })
}

/// A layer's new version written into `--db`'s plan `plan` and switched to.
pub(crate) fn import(
    src: &DbSource,
    plan: &str,
    layer: &str,
    features: &[planmap_core::Feature],
    source: &str,
) -> Result<Imported, Failure> {
    with_db(src.db.as_deref(), async |db| {
        planmap_pg::import_layer(db, plan, layer, features, source).await
    })
}

/// The plan of `--db` (and `--plan`), read whole; the rows of keeper tables that did not
/// load are named on stderr, one line each.
pub(crate) fn read_plan(src: &DbSource) -> Result<PgPlan, Failure> {
    let plan = with_db(src.db.as_deref(), async |db| {
        let id = pick_plan(db, src.plan.as_deref()).await?;
        db.read_plan(&id, None).await
    })?;
    warn_skipped(&plan);
    Ok(plan)
}

/// Names on stderr, one line each, the rows of keeper tables that did not load.
fn warn_skipped(plan: &PgPlan) {
    for (layer, warnings) in plan.warnings() {
        for w in warnings {
            eprintln!("warning: layer '{layer}': {w}");
        }
    }
}

/// Every plan of `--db` with the features of its county layer only (what a catalog check
/// needs to know of a plan before loading it), in id order; and where the database is.
pub(crate) fn read_counties(src: &DbSource) -> Result<(Vec<PgPlan>, String), Failure> {
    with_db(src.db.as_deref(), async |db| {
        let mut plans = Vec::new();
        for id in db.plan_ids().await? {
            plans.push(db.read_county(&id).await?);
        }
        Ok((plans, format!("PostgreSQL {}", db.at())))
    })
}

/// The engines of `--db`'s plans `ids`, each read whole.
pub(crate) fn engines(src: &DbSource, ids: &[&str]) -> Result<Vec<Engine>, Failure> {
    let plans = with_db(src.db.as_deref(), async |db| {
        let mut plans = Vec::with_capacity(ids.len());
        for id in ids {
            plans.push(db.read_plan(id, None).await?);
        }
        Ok(plans)
    })?;
    plans
        .iter()
        .map(|p| {
            warn_skipped(p);
            Engine::load(p).map_err(Failure::other)
        })
        .collect()
}

/// The engine of `--db`'s plan: the same engine a folder of the same data gives.
pub(crate) fn engine(src: &DbSource) -> Result<Engine, Failure> {
    let plan = read_plan(src)?;
    Engine::load(&plan).map_err(Failure::other)
}
