//! What a loaded plan holds in memory, estimated from its parts (for a budget over many plans:
//! [`crate::Engine::memory_bytes`]). Heap blocks are counted at their capacity plus
//! [`ALLOC_OVERHEAD`] each; what the allocator keeps beyond that (free lists, fragments left by
//! the parse) is not the engine's and is not counted.

use std::mem::size_of;

use geo::{LineString, Polygon};
use rstar::{ParentNode, RTree, RTreeNode, RTreeObject};

use crate::feature::{Feature, Shape};

/// Bytes a heap block costs beyond its contents: glibc's chunk header and rounding to 16.
pub const ALLOC_OVERHEAD: usize = 16;

/// What a heap block of `bytes` costs (nothing for none).
pub(crate) fn block(bytes: usize) -> usize {
    if bytes == 0 {
        0
    } else {
        bytes + ALLOC_OVERHEAD
    }
}

fn ring_bytes(r: &LineString<f64>) -> usize {
    block(r.0.capacity() * size_of::<geo::Coord<f64>>())
}

fn polygon_bytes(p: &Polygon<f64>) -> usize {
    ring_bytes(p.exterior())
        + block(std::mem::size_of_val(p.interiors()))
        + p.interiors().iter().map(ring_bytes).sum::<usize>()
}

impl Shape {
    /// Heap bytes of the geometry (its vectors; the enum itself is counted by its holder).
    pub fn heap_bytes(&self) -> usize {
        match self {
            Shape::Polygon(mp) => {
                block(mp.0.capacity() * size_of::<Polygon<f64>>())
                    + mp.0.iter().map(polygon_bytes).sum::<usize>()
            }
            Shape::Line(ml) => {
                block(ml.0.capacity() * size_of::<LineString<f64>>())
                    + ml.0.iter().map(ring_bytes).sum::<usize>()
            }
            Shape::Point(_) => 0,
        }
    }
}

impl Feature {
    /// Heap bytes of the feature: id, geometry, attributes.
    pub fn heap_bytes(&self) -> usize {
        block(self.id.capacity()) + self.shape.heap_bytes() + block(self.properties.heap_bytes())
    }
}

/// Heap bytes of an R-tree's nodes.
pub(crate) fn tree_bytes<T: RTreeObject>(tree: &RTree<T>) -> usize {
    fn node<T: RTreeObject>(p: &ParentNode<T>) -> usize {
        block(std::mem::size_of_val(p.children()))
            + p.children()
                .iter()
                .map(|c| match c {
                    RTreeNode::Parent(p) => node(p),
                    RTreeNode::Leaf(_) => 0,
                })
                .sum::<usize>()
    }
    node(tree.root())
}
