//! The plan's composite vector tiles, z`min`–z`max`, as one PMTiles v3 archive: the bytes
//! `GET /tiles/{plan}/{z}/{x}/{y}.pbf` answers (each layer encoded by the server's tile cache,
//! the layers' tiles concatenated), gzip-compressed by the `pmtiles` writer, which dedups equal
//! tiles and writes them clustered in tile-id order.

use std::fs::File;
use std::path::Path;

use geo::Rect;
use planmap_io::mvt::TileId;
use planmap_server::resources::tile_cache::TileCache;
use planmap_server::Snapshot;
use pmtiles::{PmTilesWriter, TileCoord, TileId as PmTileId};
use rayon::prelude::*;
use serde_json::json;

/// What was written.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct ArchiveStats {
    /// Tile positions holding data (empty ones are left out, as the server answers 204).
    pub tiles: u64,
    /// Tile positions looked at (the data's box, one tile more on each side, every zoom).
    pub positions: u64,
    pub bytes: u64,
}

/// The tile column and row holding `(lon, lat)` at zoom `z` (Web Mercator, clamped).
pub fn tile_xy(lon: f64, lat: f64, z: u8) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let lat = lat.clamp(-85.051_128_78, 85.051_128_78).to_radians();
    let x = ((lon + 180.0) / 360.0 * n).floor();
    let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
    let max = n - 1.0;
    (x.clamp(0.0, max) as u32, y.clamp(0.0, max) as u32)
}

/// Every tile position of zoom `z` meeting `b`, widened by one tile each side (a tile's
/// buffer reaches into its neighbours).
pub fn positions(b: &Rect<f64>, z: u8) -> Vec<TileId> {
    let (x0, y0) = tile_xy(b.min().x, b.max().y, z);
    let (x1, y1) = tile_xy(b.max().x, b.min().y, z);
    let last = (1u32 << z) - 1;
    let mut out = Vec::new();
    for x in x0.saturating_sub(1)..=(x1 + 1).min(last) {
        for y in y0.saturating_sub(1)..=(y1 + 1).min(last) {
            out.push(TileId { z, x, y });
        }
    }
    out
}

/// The box of every layer's features.
pub fn data_bounds(snap: &Snapshot) -> Option<Rect<f64>> {
    let boxes: Vec<Rect<f64>> = snap.engine.layers.iter().filter_map(|l| l.bbox()).collect();
    let first = *boxes.first()?;
    Some(boxes.iter().fold(first, |a, b| {
        Rect::new(
            geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
            geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
        )
    }))
}

/// The composite tile at `t`: every layer's tile, concatenated (a tile message is its
/// repeated layers), as the server's plan tile.
fn plan_tile(snap: &Snapshot, cache: &TileCache, t: TileId) -> Vec<u8> {
    (0..snap.engine.layers.len())
        .flat_map(|li| cache.get_or_encode(&snap.engine, li, t).to_vec())
        .collect()
}

/// Writes the archive at `path` (through a temporary file beside it, renamed when complete).
pub fn write(snap: &Snapshot, path: &Path, zooms: (u8, u8)) -> Result<ArchiveStats, String> {
    let plan = &snap.engine.plan;
    let bounds = data_bounds(snap).ok_or("the plan has no features to tile")?;
    let center = plan
        .center
        .unwrap_or([bounds.center().x, bounds.center().y]);
    let vector_layers: Vec<_> = snap
        .engine
        .layers
        .iter()
        .map(|l| {
            json!({ "id": l.def.id, "description": l.def.name, "minzoom": zooms.0,
                    "maxzoom": zooms.1, "fields": {} })
        })
        .collect();
    let metadata = json!({
        "name": plan.name,
        "description": format!("{} ({})", plan.name, plan.period),
        "attribution": plan.caveat,
        "version": snap.data_version,
        "type": "overlay",
        "vector_layers": vector_layers,
    });
    let center_zoom = plan.zoom.unwrap_or(10.0).round().clamp(0.0, 22.0) as u8;
    let tmp = path.with_extension("pmtiles.part");
    let file = File::create(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let io = |e: pmtiles::PmtError| format!("{}: {e}", tmp.display());
    let mut out = PmTilesWriter::new(pmtiles::TileType::Mvt)
        .min_zoom(zooms.0)
        .max_zoom(zooms.1)
        .bounds(
            bounds.min().x,
            bounds.min().y,
            bounds.max().x,
            bounds.max().y,
        )
        .center(center[0], center[1])
        .center_zoom(center_zoom.clamp(zooms.0, zooms.1))
        .metadata(metadata.to_string())
        .create(file)
        .map_err(io)?;
    // The layers' vertices in world coordinates are computed once, kept by the cache; the
    // tiles themselves are not kept (each is written once).
    let cache = TileCache::new(1, snap.engine.layers.len());
    let mut stats = ArchiveStats::default();
    for z in zooms.0..=zooms.1 {
        let all = positions(&bounds, z);
        stats.positions += all.len() as u64;
        let mut tiles: Vec<(u64, TileCoord, Vec<u8>)> = all
            .into_par_iter()
            .filter_map(|t| {
                let bytes = plan_tile(snap, &cache, t);
                let coord = TileCoord::new(t.z, t.x, t.y).ok()?;
                (!bytes.is_empty()).then(|| (PmTileId::from(coord).value(), coord, bytes))
            })
            .collect();
        tiles.sort_unstable_by_key(|t| t.0);
        for (_, coord, bytes) in &tiles {
            out.add_tile(*coord, bytes).map_err(io)?;
        }
        stats.tiles += tiles.len() as u64;
    }
    out.finalize().map_err(io)?;
    stats.bytes = std::fs::metadata(&tmp).map(|m| m.len()).unwrap_or(0);
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_of_a_point() {
        // Worked by hand: lon 112.03 at z10 → (112.03 + 180) / 360 × 1024 = 830.66 → 830;
        // lat 37.43: ln(tan φ + sec φ) = 0.705412, (1 − 0.705412/π) / 2 × 1024 = 397.04 → 397.
        assert_eq!(tile_xy(112.03, 37.43, 10), (830, 397));
        assert_eq!(tile_xy(-180.0, 85.06, 3), (0, 0));
        assert_eq!(tile_xy(180.0, -85.06, 3), (7, 7));
    }

    #[test]
    fn positions_cover_the_box_and_one_more() {
        let b = Rect::new(
            geo::coord! { x: 112.0, y: 37.4 },
            geo::coord! { x: 112.001, y: 37.401 },
        );
        let p = positions(&b, 10);
        assert_eq!(p.len(), 9, "one tile, and its eight neighbours");
        assert!(p.contains(&TileId {
            z: 10,
            x: 830,
            y: 397
        }));
    }
}
