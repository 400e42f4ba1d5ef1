//! `planmap db load DIR`: plan folders copied into the store ([`load_dir`]).
//!
//! DIR is a plan folder (it holds `plan.toml`) or a folder of plan folders. Each plan goes in
//! in one transaction: its manifest and indicator table as their text, and each layer's
//! served file as a new current version (version 1 the first time; a plan already there gets
//! version n + 1 of every layer, the old ones kept). The layer's digest is the folder's
//! version of that file, so a plan loaded from the store versions its layers as the folder
//! does. A layer kept in the keeper's own table (`[layers.postgis]`) is not copied: its
//! table gets planmap's change trigger and is registered as the layer's source
//! ([`keeper::register`]).

use std::path::{Path, PathBuf};

use planmap_core::{Feature, LayerStore, PostgisSource};
use planmap_io::PlanDir;

use crate::error::{query_err, PgError};
use crate::import::{write_version, NewVersion};
use crate::keeper;
use crate::pool::Db;

/// A plan as loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedPlan {
    pub id: String,
    pub dir: PathBuf,
    pub layers: Vec<LoadedLayer>,
}

/// A layer as loaded: its new current version and feature count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedLayer {
    pub id: String,
    pub version: i32,
    pub features: usize,
}

/// A plan folder read whole, ready to write.
struct FolderPlan {
    id: String,
    dir: PathBuf,
    manifest: String,
    indicators: Option<String>,
    layers: Vec<(String, String, Vec<Feature>, String)>, // id, digest, features, source
    /// The layers kept in the keeper's tables (`[layers.postgis]`).
    sources: Vec<(String, PostgisSource)>,
}

/// The plan folders of `dir` (planmap-io's [`planmap_io::plan_dir::plan_folders`]).
fn plan_folders(dir: &Path) -> Result<Vec<PathBuf>, PgError> {
    planmap_io::plan_dir::plan_folders(dir)
        .map(|(_, dirs)| dirs)
        .map_err(PgError::Folder)
}

fn read_folder(dir: &Path) -> Result<FolderPlan, PgError> {
    let err = |e: planmap_io::IoError| PgError::Folder(e.to_string());
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|e| PgError::Folder(format!("{}: {e}", p.display())))
    };
    let store = PlanDir::open(dir).map_err(err)?;
    let plan = store.plan().map_err(err)?;
    let manifest = read(&dir.join("plan.toml"))?;
    // The indicators must read as the folder reads them; kept as their text.
    store.indicators().map_err(err)?;
    let indicators = match &plan.indicators {
        Some(rel) => Some(read(&dir.join(rel))?),
        None => None,
    };
    let mut layers = Vec::new();
    let mut sources = Vec::new();
    for def in &plan.layers {
        if let Some(src) = &def.postgis {
            sources.push((def.id.clone(), src.clone()));
            continue;
        }
        let features = store.features(&def.id).map_err(err)?;
        let digest = store.version(&def.id).map_err(err)?;
        let path = store.layer_path(&def.id).map_err(err)?;
        let source = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        layers.push((def.id.clone(), digest, features, source));
    }
    Ok(FolderPlan {
        id: plan.id,
        dir: dir.to_path_buf(),
        manifest,
        indicators,
        layers,
        sources,
    })
}

/// Copies the plan folder `dir` (or each plan folder in it) into the store, each plan in one
/// transaction; a plan already there gets a new version of each layer.
pub async fn load_dir(db: &Db, dir: &Path) -> Result<Vec<LoadedPlan>, PgError> {
    let mut out = Vec::new();
    for folder in plan_folders(dir)? {
        let plan = tokio::task::spawn_blocking(move || read_folder(&folder))
            .await
            .map_err(|e| PgError::Folder(format!("reading a plan folder: {e}")))??;
        out.push(write_plan(db, &plan).await?);
    }
    Ok(out)
}

async fn write_plan(db: &Db, p: &FolderPlan) -> Result<LoadedPlan, PgError> {
    let at = db.at().to_string();
    let mut c = db.get().await?;
    let tx = c.transaction().await.map_err(query_err(&at, "BEGIN"))?;
    tx.execute(
        "INSERT INTO planmap.plans (id, manifest, indicators) VALUES ($1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET manifest = excluded.manifest, \
         indicators = excluded.indicators, updated_at = now()",
        &[&p.id, &p.manifest, &p.indicators],
    )
    .await
    .map_err(query_err(&at, format!("writing plan '{}'", p.id)))?;
    let mut layers = Vec::new();
    for (id, digest, features, source) in &p.layers {
        let v = NewVersion {
            plan: &p.id,
            layer: id,
            features,
            digest,
            source,
        };
        let version = write_version(&tx, &at, &v).await?;
        layers.push(LoadedLayer {
            id: id.clone(),
            version,
            features: features.len(),
        });
    }
    keeper::register(&tx, &at, &p.id, &p.sources).await?;
    tx.commit().await.map_err(query_err(&at, "COMMIT"))?;
    Ok(LoadedPlan {
        id: p.id.clone(),
        dir: p.dir.clone(),
        layers,
    })
}
