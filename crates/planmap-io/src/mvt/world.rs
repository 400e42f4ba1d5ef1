//! A layer's Web Mercator world y, computed once for the server's tiles.
//!
//! A vertex's world x is an affine function of its longitude, cheap to compute per tile; its
//! world y costs a tangent, a cosine and a logarithm. [`WorldLayer`] keeps only the y of every
//! vertex of a layer, in one flat buffer (8 bytes a vertex) beside the layer's own lon/lat
//! shapes — not a second copy of the shapes — and a tile reads x from the longitude, y from
//! the buffer, with the same arithmetic as [`super::TileId::project`]: the same tile units to
//! the bit.

use geo::Coord;
use planmap_core::{Engine, Feature, Shape};

use super::{encode_with, world_x, world_y, TileId, Vertices, EXTENT};

/// Every vertex's world y of a layer's features, in the order [`Vertices`] counts them;
/// feature `i`'s run from `starts[i]` to `starts[i + 1]`.
pub struct WorldLayer {
    ys: Vec<f64>,
    starts: Vec<usize>,
}

/// Calls `f` on every vertex of a shape, exterior then holes, polygon by polygon.
fn for_each_vertex(shape: &Shape, mut f: impl FnMut(Coord<f64>)) {
    match shape {
        Shape::Polygon(mp) => {
            mp.0.iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .flat_map(|r| &r.0)
                .for_each(|c| f(*c))
        }
        Shape::Line(ml) => ml.0.iter().flat_map(|l| &l.0).for_each(|c| f(*c)),
        Shape::Point(p) => f(p.0),
    }
}

impl WorldLayer {
    pub fn new(features: &[Feature]) -> WorldLayer {
        let mut starts = Vec::with_capacity(features.len() + 1);
        starts.push(0);
        let mut ys = Vec::new();
        for f in features {
            for_each_vertex(&f.shape, |c| ys.push(world_y(c.y)));
            starts.push(ys.len());
        }
        ys.shrink_to_fit();
        WorldLayer { ys, starts }
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        (self.ys.capacity() + self.starts.capacity()) * 8
    }

    fn feature(&self, i: usize) -> &[f64] {
        &self.ys[self.starts[i]..self.starts[i + 1]]
    }
}

/// One feature's vertices in a tile: x from the longitude, y from the layer's buffer.
struct WorldVertices<'a> {
    tile: TileId,
    ys: &'a [f64],
}

impl Vertices for WorldVertices<'_> {
    fn tolerance(&self) -> f64 {
        super::simplify_tolerance(self.tile.z)
    }

    fn project(&self, first: usize, coords: &[Coord<f64>]) -> Vec<Coord<f64>> {
        let (n, e) = (self.tile.n(), EXTENT as f64);
        let (tx, ty) = (self.tile.x as f64, self.tile.y as f64);
        coords
            .iter()
            .zip(&self.ys[first..])
            .map(|(c, &wy)| Coord {
                x: (world_x(c.x) * n - tx) * e,
                y: (wy * n - ty) * e,
            })
            .collect()
    }
}

/// [`super::encode`] with the layer's world y from `world` (the same bytes).
pub fn encode_world(engine: &Engine, layer: usize, t: TileId, world: &WorldLayer) -> Vec<u8> {
    encode_with(engine, layer, t, |fi| WorldVertices {
        tile: t,
        ys: world.feature(fi),
    })
}
