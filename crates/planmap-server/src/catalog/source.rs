//! Where a plan's data is read from: its folder, or the PostgreSQL/PostGIS store
//! (`serve --db` without `--data`). Both give a [`LayerStore`], so a plan loads into the same
//! engine and snapshot whatever its source; the database is read on the loading (blocking)
//! thread, blocking on the server's runtime there, never on an async worker.

use std::path::{Path, PathBuf};

use planmap_core::plan::{Basemap, Indicator};
use planmap_core::{Engine, LayerStore, Plan};
use planmap_io::PlanDir;
use planmap_pg::{Db, PgPlan};

use crate::snapshot::{SkippedRows, Snapshot};

/// Where a plan's data is read from.
#[derive(Clone, Debug)]
pub enum PlanSource {
    /// A plan folder.
    Folder(PathBuf),
    /// The plan of this id in the store.
    Db(Db),
}

/// A plan as read from its source, before it is loaded into an engine.
pub enum Read {
    Folder(Box<PlanDir>),
    Db(Box<PgPlan>),
}

impl PlanSource {
    /// How errors name the source of plan `id`: its folder, or `postgres user@host/db`.
    pub fn describe(&self, id: &str) -> String {
        match self {
            PlanSource::Folder(dir) => dir.display().to_string(),
            PlanSource::Db(db) => format!("plan '{id}' in PostgreSQL {}", db.at()),
        }
    }

    /// The folder, when the plan has one (a folder's own watch and import).
    pub fn folder(&self) -> Option<&Path> {
        match self {
            PlanSource::Folder(dir) => Some(dir),
            PlanSource::Db(_) => None,
        }
    }

    /// Reads plan `id` whole (call it on a blocking thread).
    pub fn read(&self, id: &str) -> Result<Read, String> {
        self.read_only(id, None)
    }

    /// Reads plan `id`, with the features of the layers `only` (all when `None`); a folder
    /// reads its layers lazily anyway.
    fn read_only(&self, id: &str, only: Option<&[String]>) -> Result<Read, String> {
        match self {
            PlanSource::Folder(dir) => PlanDir::open(dir)
                .map(|d| Read::Folder(Box::new(d)))
                .map_err(|e| e.to_string()),
            PlanSource::Db(db) => tokio::runtime::Handle::current()
                .block_on(db.read_plan(id, only))
                .map(|p| Read::Db(Box::new(p)))
                .map_err(|e| e.to_string()),
        }
    }

    /// Reads plan `id`'s manifest and layer versions, no features.
    pub fn read_versions(&self, id: &str) -> Result<Read, String> {
        self.read_only(id, Some(&[]))
    }

    /// Reads plan `id` with the features of its county layer only (what the catalog's
    /// summary needs).
    pub fn read_summary(&self, id: &str) -> Result<Read, String> {
        match self {
            PlanSource::Folder(_) => self.read(id),
            PlanSource::Db(db) => tokio::runtime::Handle::current()
                .block_on(db.read_county(id))
                .map(|p| Read::Db(Box::new(p)))
                .map_err(|e| e.to_string()),
        }
    }
}

impl Read {
    pub fn plan(&self) -> Result<Plan, String> {
        match self {
            Read::Folder(d) => d.plan().map_err(|e| e.to_string()),
            Read::Db(p) => p.plan().map_err(|e| e.to_string()),
        }
    }

    /// One layer's features, in the store's stable order.
    pub fn features(&self, layer: &str) -> Result<Vec<planmap_core::Feature>, String> {
        match self {
            Read::Folder(d) => d.features(layer).map_err(|e| e.to_string()),
            Read::Db(p) => p.features(layer).map_err(|e| e.to_string()),
        }
    }

    pub fn version(&self, layer: &str) -> Result<String, String> {
        match self {
            Read::Folder(d) => d.version(layer).map_err(|e| e.to_string()),
            Read::Db(p) => p.version(layer).map_err(|e| e.to_string()),
        }
    }

    fn indicators(&self) -> Result<Vec<Indicator>, String> {
        match self {
            Read::Folder(d) => d.indicators().map_err(|e| e.to_string()),
            Read::Db(p) => p.indicators().map_err(|e| e.to_string()),
        }
    }

    fn engine(&self) -> Result<Engine, String> {
        match self {
            Read::Folder(d) => Engine::load(&**d).map_err(|e| e.to_string()),
            Read::Db(p) => Engine::load(&**p).map_err(|e| e.to_string()),
        }
    }

    /// The plan loaded into a snapshot with a tile cache of `tile_cache_bytes`; `basemap`
    /// (`--basemap`) replaces the manifest's.
    pub fn snapshot(
        &self,
        tile_cache_bytes: u64,
        basemap: Option<&Basemap>,
    ) -> Result<Snapshot, String> {
        let indicators = self.indicators()?;
        let mut engine = self.engine()?;
        if let Some(b) = basemap {
            engine.plan.basemap = Some(b.clone());
        }
        let mut snap = Snapshot::new(engine, indicators, tile_cache_bytes);
        if let Read::Db(p) = self {
            snap.skipped = p
                .warnings()
                .into_iter()
                .map(|(layer, rows)| SkippedRows { layer, rows })
                .collect();
        }
        Ok(snap)
    }
}

/// Reads plan `id` from `source` into a snapshot (call it on a blocking thread).
pub fn load_snapshot(
    source: &PlanSource,
    id: &str,
    tile_cache_bytes: u64,
    basemap: Option<&Basemap>,
) -> Result<Snapshot, String> {
    source.read(id)?.snapshot(tile_cache_bytes, basemap)
}
