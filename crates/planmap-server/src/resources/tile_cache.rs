//! Encoded vector tiles of one snapshot, bounded in bytes (quick_cache), and each layer's
//! vertices' Web Mercator world y, computed once. The endpoint is
//! [`crate::routes::tiles`].

use std::sync::OnceLock;

use axum::body::Bytes;
use planmap_core::Engine;
use planmap_io::mvt::{self, TileId};
use quick_cache::sync::Cache;
use quick_cache::Weighter;

#[derive(Clone)]
struct ByteWeight;

impl Weighter<(usize, TileId), Bytes> for ByteWeight {
    fn weight(&self, _: &(usize, TileId), v: &Bytes) -> u64 {
        v.len() as u64 + 64
    }
}

/// Encoded tiles by (layer, tile), and each layer's vertices' Web Mercator world y (computed
/// on a layer's first tile, so later tiles only scale and shift; 8 bytes a vertex, not a copy
/// of the shapes).
pub struct TileCache {
    tiles: Cache<(usize, TileId), Bytes, ByteWeight>,
    world: Vec<OnceLock<mvt::world::WorldLayer>>,
}

impl TileCache {
    pub fn new(bytes: u64, layers: usize) -> TileCache {
        TileCache {
            tiles: Cache::with_weighter(16_384, bytes.max(1), ByteWeight),
            world: (0..layers).map(|_| OnceLock::new()).collect(),
        }
    }

    /// Bytes held: the encoded tiles (as the cache weighs them) and the layers' world y.
    pub fn memory_bytes(&self) -> u64 {
        let world: usize = self
            .world
            .iter()
            .filter_map(OnceLock::get)
            .map(mvt::world::WorldLayer::heap_bytes)
            .sum();
        self.tiles.weight() + world as u64
    }

    /// The tile if it is cached (a lookup: fine on the async threads).
    pub fn get(&self, layer: usize, t: TileId) -> Option<Bytes> {
        self.tiles.get(&(layer, t))
    }

    /// The tile, from the cache or encoded now (callers run this off the async threads).
    pub fn get_or_encode(&self, engine: &Engine, layer: usize, t: TileId) -> Bytes {
        let r: Result<Bytes, std::convert::Infallible> =
            self.tiles.get_or_insert_with(&(layer, t), || {
                let bytes = match self.world.get(layer) {
                    Some(w) => {
                        let features = &engine.layers[layer].features;
                        let world = w.get_or_init(|| mvt::world::WorldLayer::new(features));
                        mvt::world::encode_world(engine, layer, t, world)
                    }
                    None => mvt::encode(engine, layer, t),
                };
                Ok(bytes.into())
            });
        match r {
            Ok(b) => b,
            Err(never) => match never {},
        }
    }
}
