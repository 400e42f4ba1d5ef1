//! `planmap db init`: the PostgreSQL/PostGIS store's schema (docs/postgis.md).

use clap::{Args, Subcommand};
use planmap_pg::{InitReport, PgError};

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
}

pub(crate) fn run(args: DbArgs) -> Result<String, Failure> {
    let url = args
        .db
        .ok_or_else(|| Failure::input("db: no database given (--db postgres://… or PLANMAP_DB)"))?;
    let cfg = planmap_pg::parse_url(&url).map_err(Failure::input)?;
    match args.command {
        DbCommand::Init => {
            planmap_pg::init_blocking(&cfg)
                .map(|r| report(&r))
                .map_err(|e| match e {
                    PgError::Url { .. } => Failure::input(e),
                    _ => Failure::other(e),
                })
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
