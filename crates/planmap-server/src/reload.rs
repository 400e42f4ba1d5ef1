//! Picking up new data without a restart: [`reload_now`] (`POST /api/admin/reload`,
//! [`crate::routes::admin`]), and a watch that reloads
//! when the plan folder changes (a `planmap import` switching a layer's version, a manifest
//! edit). A reload builds a whole new snapshot beside the served one and swaps it in only
//! when it loaded; requests in flight finish on the old one, and a folder that does not load
//! leaves the old one served.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use planmap_core::LayerStore;
use planmap_io::PlanDir;
use serde::Serialize;

use crate::catalog::plans::PlanEntry;
use crate::catalog::source::load_snapshot;
use crate::error::{ApiError, ApiResult};
use crate::http::blocking;
use crate::state::AppState;

/// What a reload did (the answer of `POST /api/admin/reload`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Reloaded {
    /// Always true: a folder that does not load is an error, the old data still served.
    pub reloaded: bool,
    /// Whether the data version changed.
    pub changed: bool,
    pub data_version: String,
    pub previous_data_version: String,
    /// Each layer's feature count and version, by layer id.
    pub layers: BTreeMap<String, LayerVersion>,
}

/// A layer as a reload found it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LayerVersion {
    pub features: usize,
    pub version: String,
}

/// One reload at a time, whoever asks.
static RELOADING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn stamp(path: &Path) -> String {
    match std::fs::metadata(path) {
        Ok(m) => {
            let t = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{}:{}:{t}", path.display(), m.len())
        }
        Err(_) => format!("{}:-", path.display()),
    }
}

/// What the served data is made of, cheaply: the manifest's and each layer's served file's
/// name, size and modification time. Changes when an import switches a layer.
pub fn fingerprint(data_dir: &Path) -> Result<String, String> {
    let mut parts = vec![stamp(&data_dir.join("plan.toml"))];
    let dir = PlanDir::open(data_dir).map_err(|e| e.to_string())?;
    let plan = dir.plan().map_err(|e| e.to_string())?;
    for l in &plan.layers {
        parts.push(stamp(&dir.layer_path(&l.id).map_err(|e| e.to_string())?));
    }
    Ok(parts.join("\n"))
}

/// Loads a plan's folder again and serves it; the old snapshot stays if it does not load.
pub async fn reload_now(st: &AppState, plan: &Arc<PlanEntry>) -> ApiResult<Reloaded> {
    let _one = RELOADING.lock().await;
    let before = plan.summary().version.clone();
    let (source, tiles) = (plan.source.clone(), st.config().tile_cache_bytes);
    let (id, basemap) = (plan.id.clone(), st.config().basemap.clone());
    let snap = blocking(move || {
        load_snapshot(&source, &id, tiles, basemap.as_ref())
            .map_err(|e| ApiError::unprocessable(format!("reload: {e}")))
    })
    .await?;
    let layers = snap
        .engine
        .layers
        .iter()
        .map(|l| {
            let v = LayerVersion {
                features: l.len(),
                version: l.version.clone(),
            };
            (l.def.id.clone(), v)
        })
        .collect();
    let after = snap.data_version.clone();
    plan.slot.set(Arc::new(snap));
    if let Err(e) = refresh(plan).await {
        tracing::warn!(plan = %plan.id, "reload: {e}");
    }
    st.catalog().keep_budget(&plan.id);
    tracing::info!(plan = %plan.id, %before, %after, "reloaded the plan folder");
    Ok(Reloaded {
        reloaded: true,
        changed: before != after,
        data_version: after,
        previous_data_version: before,
        layers,
    })
}

/// Reads a plan's summary again, on a blocking thread (a database is read blocking).
pub async fn refresh(plan: &Arc<PlanEntry>) -> Result<(), String> {
    let p = Arc::clone(plan);
    tokio::task::spawn_blocking(move || p.refresh())
        .await
        .unwrap_or_else(|e| Err(e.to_string()))
}

/// Reloads a loaded plan, or reads an unloaded one's summary again (it loads fresh on next
/// use).
pub async fn renew(st: &AppState, plan: &Arc<PlanEntry>) -> Result<(), String> {
    match plan.slot.current() {
        Some(_) => reload_now(st, plan)
            .await
            .map(|_| ())
            .map_err(|e| e.message),
        None => refresh(plan).await,
    }
}

/// [`renew`] when the plan's data in its source differs from the loaded snapshot's (or the
/// plan is not loaded): after a resync, most plans have not changed and are left as they
/// are.
pub async fn renew_if_changed(st: &AppState, plan: &Arc<PlanEntry>) -> Result<(), String> {
    if let Some(snap) = plan.slot.current() {
        let p = Arc::clone(plan);
        let now = tokio::task::spawn_blocking(move || p.source_version())
            .await
            .unwrap_or_else(|e| Err(e.to_string()))?;
        if now == snap.data_version {
            return Ok(());
        }
    }
    renew(st, plan).await
}

/// Watches every plan folder every `every`; a loaded plan whose fingerprint changed is
/// reloaded, an unloaded one has its summary read again (it loads fresh on next use).
pub fn spawn_watch(st: AppState, every: Duration) {
    tokio::spawn(async move {
        // A plan in the database has no folder to watch: its changes are notified.
        let dirs: Vec<Option<PathBuf>> = st
            .catalog()
            .plans()
            .iter()
            .map(|p| p.source.folder().map(Path::to_path_buf))
            .collect();
        if dirs.iter().all(Option::is_none) {
            return;
        }
        let fps = |dirs: Vec<Option<PathBuf>>| async move {
            tokio::task::spawn_blocking(move || {
                dirs.iter()
                    .map(|d| d.as_deref().and_then(|d| fingerprint(d).ok()))
                    .collect::<Vec<_>>()
            })
            .await
            .unwrap_or_default()
        };
        let mut seen = fps(dirs.clone()).await;
        loop {
            tokio::time::sleep(every).await;
            let now = fps(dirs.clone()).await;
            for (i, plan) in st.catalog().plans().iter().enumerate() {
                let (Some(fp), Some(old)) = (now.get(i).cloned().flatten(), seen.get_mut(i)) else {
                    continue;
                };
                if old.as_ref() == Some(&fp) {
                    continue;
                }
                match renew(&st, plan).await {
                    Ok(()) => *old = Some(fp),
                    // Half-written manifest or the like: try again next time.
                    Err(e) => tracing::warn!(plan = %plan.id, "watch: {e}"),
                }
            }
        }
    });
}
