//! A catalog of plans for `planmap check`: a folder of plan folders (`--data region/`) or a
//! database holding several plans (`--db URL` without `--plan`). Each plan's manifest and
//! county outline are read first; a site is checked only against the plans whose county it
//! covers, found with planmap-core's [`planmap_core::across`] as the server finds them.

use std::path::PathBuf;

use geo::MultiPolygon;
use planmap_core::across::{county_shape, site_parts, Outline};
use planmap_core::{Engine, LayerStore, Plan};
use planmap_io::PlanDir;

use crate::db_cmd::{self, DbSource};
use crate::failure::Failure;

/// A plan of the catalog, not loaded: its manifest and county outline.
pub(crate) struct CatalogPlan {
    pub(crate) plan: Plan,
    outline: Outline,
    /// Its folder (none: a plan of the database).
    dir: Option<PathBuf>,
}

/// The plans of a catalog, in id order, and where they are.
pub(crate) struct Catalog {
    /// The folder, or `PostgreSQL user@host/db`, for messages.
    pub(crate) whence: String,
    pub(crate) plans: Vec<CatalogPlan>,
    db: Option<DbSource>,
}

impl Catalog {
    /// The plans of the plan folders `dirs` of the catalog folder `whence`.
    pub(crate) fn folders(whence: String, dirs: Vec<PathBuf>) -> Result<Catalog, Failure> {
        let mut plans = Vec::with_capacity(dirs.len());
        for dir in dirs {
            let at = |e: planmap_io::IoError| Failure::other(format!("{}: {e}", dir.display()));
            let pd = PlanDir::open(&dir).map_err(at)?;
            let plan = pd.plan().map_err(at)?;
            let shape = county_shape(&plan, |layer| pd.features(layer)).map_err(at)?;
            plans.push((plan, shape, Some(dir)));
        }
        Catalog::of(whence, plans, None)
    }

    /// The plans of `--db` (with their county layers only), or `None` when it holds at most
    /// one (the single-plan path, which also names an empty database).
    pub(crate) fn database(src: &DbSource) -> Result<Option<Catalog>, Failure> {
        let (read, whence) = db_cmd::read_counties(src)?;
        if read.len() < 2 {
            return Ok(None);
        }
        let mut plans = Vec::with_capacity(read.len());
        for p in read {
            let plan = p.plan().map_err(Failure::other)?;
            let shape = county_shape(&plan, |layer| p.features(layer)).map_err(Failure::other)?;
            plans.push((plan, shape, None));
        }
        Catalog::of(whence, plans, Some(src.clone())).map(Some)
    }

    /// The catalog of the plans read, sorted by id; a plan id found twice is refused.
    fn of(
        whence: String,
        mut read: Vec<(Plan, MultiPolygon<f64>, Option<PathBuf>)>,
        db: Option<DbSource>,
    ) -> Result<Catalog, Failure> {
        read.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        if let Some(w) = read.windows(2).find(|w| w[0].0.id == w[1].0.id) {
            return Err(Failure::input(format!(
                "{whence}: two plan folders hold plan '{}': a plan id may be in a catalog once",
                w[0].0.id
            )));
        }
        let plans = read
            .into_iter()
            .map(|(plan, shape, dir)| CatalogPlan {
                plan,
                outline: Outline::new(shape),
                dir,
            })
            .collect();
        Ok(Catalog { whence, plans, db })
    }

    /// The plans' ids, for messages.
    pub(crate) fn ids(&self) -> String {
        let ids: Vec<&str> = self.plans.iter().map(|p| p.plan.id.as_str()).collect();
        ids.join(", ")
    }

    /// The plans whose county outline the site covers with positive area (their index), with
    /// the geodesic area of the site's part in each (m²), in id order.
    pub(crate) fn counties_of(&self, site: &MultiPolygon<f64>) -> Vec<(usize, f64)> {
        let outlines: Vec<&Outline> = self.plans.iter().map(|p| &p.outline).collect();
        site_parts(site, &outlines)
    }

    /// The engines of the plans `which` (indexes), loaded whole.
    pub(crate) fn engines(&self, which: &[usize]) -> Result<Vec<Engine>, Failure> {
        if let Some(src) = &self.db {
            let ids: Vec<&str> = which
                .iter()
                .map(|&i| self.plans[i].plan.id.as_str())
                .collect();
            return db_cmd::engines(src, &ids);
        }
        which
            .iter()
            .filter_map(|&i| self.plans[i].dir.as_ref())
            .map(|dir| {
                let pd = PlanDir::open(dir).map_err(Failure::other)?;
                Engine::load(&pd).map_err(|e| Failure::other(format!("{}: {e}", dir.display())))
            })
            .collect()
    }
}
