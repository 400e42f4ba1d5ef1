//! One loaded version of a plan and everything derived from it.
//!
//! Everything derived from the data (the conflict scan, exports, tiles) lives in the
//! [`Snapshot`] beside the engine it came from, so replacing the snapshot (a reload) can never
//! mix old caches with new data.

use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use planmap_core::plan::Indicator;
use planmap_core::{Cancel, ConflictScan, Engine};
use planmap_io::export;

use crate::error::{ApiError, ApiResult};
use crate::resources::tile_cache::TileCache;

/// The conflict scan with its two serialisations, computed once per snapshot.
pub struct Conflicts {
    pub scan: ConflictScan,
    pub json: Bytes,
    pub geojson: Bytes,
}

/// The rows of one layer kept in the data keeper's own table (`[layers.postgis]`) that this
/// load skipped, each named by its id and why.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SkippedRows {
    pub layer: String,
    pub rows: Vec<String>,
}

/// One loaded version of the plan and everything derived from it.
pub struct Snapshot {
    pub engine: Engine,
    pub indicators: Vec<Indicator>,
    pub data_version: String,
    /// What the load skipped of the keeper's tables, by layer in the manifest's order.
    pub skipped: Vec<SkippedRows>,
    conflicts: tokio::sync::OnceCell<Arc<Conflicts>>,
    /// Whole-layer GeoJSON exports, built on first request.
    exports: Vec<OnceLock<Bytes>>,
    /// `/api/plan`'s JSON, written on first request.
    plan_answer: OnceLock<Bytes>,
    pub tiles: TileCache,
    /// The engine's [`Engine::memory_bytes`], counted once (it walks every feature).
    engine_bytes: u64,
}

impl Snapshot {
    pub fn new(engine: Engine, indicators: Vec<Indicator>, tile_cache_bytes: u64) -> Snapshot {
        let exports = engine.layers.iter().map(|_| OnceLock::new()).collect();
        let tiles = TileCache::new(tile_cache_bytes, engine.layers.len());
        Snapshot {
            engine_bytes: engine.memory_bytes() as u64,
            data_version: engine.data_version(),
            engine,
            indicators,
            skipped: Vec::new(),
            conflicts: tokio::sync::OnceCell::new(),
            exports,
            plan_answer: OnceLock::new(),
            tiles,
        }
    }

    /// What the plan holds in memory: the engine and the tile cache, bytes (what the
    /// catalog's `--max-memory` budget counts).
    pub fn memory_bytes(&self) -> u64 {
        self.engine_bytes + self.tiles.memory_bytes()
    }

    /// `/api/plan`'s answer, written by `write` on first request and kept with the data it
    /// describes (a failed write is not kept).
    pub fn plan_answer<E>(
        &self,
        write: impl FnOnce(&Snapshot) -> Result<Bytes, E>,
    ) -> Result<Bytes, E> {
        if let Some(b) = self.plan_answer.get() {
            return Ok(b.clone());
        }
        let b = write(self)?;
        Ok(self.plan_answer.get_or_init(|| b).clone())
    }

    /// The conflict scan, computed on a blocking thread the first time it is asked for;
    /// `stop` (the server's shutdown flag) stops it.
    pub async fn conflicts(self: &Arc<Self>, stop: &Arc<Cancel>) -> ApiResult<Arc<Conflicts>> {
        let snap = Arc::clone(self);
        let stop = Arc::clone(stop);
        self.conflicts
            .get_or_try_init(|| async move {
                tokio::task::spawn_blocking(move || {
                    let scan = snap
                        .engine
                        .conflicts_cancellable(&stop)
                        .map_err(|e| e.to_string())?;
                    let json = serde_json::to_vec(&scan).map_err(|e| e.to_string())?;
                    let geojson = export::conflicts_geojson(&scan);
                    Ok::<_, String>(Arc::new(Conflicts {
                        scan,
                        json: json.into(),
                        geojson: geojson.into(),
                    }))
                })
                .await
                .map_err(|e| ApiError::internal(format!("conflict scan failed: {e}")))?
                .map_err(ApiError::internal)
            })
            .await
            .cloned()
    }

    /// A whole layer as RFC 7946 GeoJSON, built once.
    pub fn export(&self, layer: usize) -> Bytes {
        self.exports[layer]
            .get_or_init(|| {
                let l = &self.engine.layers[layer];
                planmap_io::geojson_io::write_features(&l.features, Some(&l.def.id)).into()
            })
            .clone()
    }

    /// The index of a layer, or the 404 naming it and the known ones.
    pub fn layer_index(&self, id: &str) -> ApiResult<usize> {
        self.engine.layer_index(id).ok_or_else(|| {
            ApiError::unknown_layer(id, self.engine.layers.iter().map(|l| l.def.id.clone()))
        })
    }
}
