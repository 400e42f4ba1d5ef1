//! Encoded vector tiles of one snapshot, bounded in bytes (quick_cache), and each layer's
//! shapes projected once to Web Mercator world coordinates. The endpoint is
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

/// Encoded tiles by (layer, tile), and each layer's shapes in Web Mercator world coordinates
/// (projected on a layer's first tile, so later tiles only scale and shift them).
pub struct TileCache {
    tiles: Cache<(usize, TileId), Bytes, ByteWeight>,
    world: Vec<OnceLock<mvt::WorldLayer>>,
}

impl TileCache {
    pub fn new(bytes: u64, layers: usize) -> TileCache {
        TileCache {
            tiles: Cache::with_weighter(16_384, bytes.max(1), ByteWeight),
            world: (0..layers).map(|_| OnceLock::new()).collect(),
        }
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
                        let world = w.get_or_init(|| mvt::WorldLayer::new(features));
                        mvt::encode_world(engine, layer, t, world)
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
