//! The loaded plan: layers with their features, per-feature measures, and one R-tree over all.

use geo::{BoundingRect, Rect};
use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::{RTree, AABB};

use crate::error::PlanError;
use crate::feature::{Feature, Shape};
use crate::geodesy;
use crate::overlay::Measured;
use crate::plan::{GeometryKind, LayerDef, Plan, Role};
use crate::store::LayerStore;

/// Which feature an R-tree entry stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureRef {
    pub layer: u16,
    pub feature: u32,
}

type Entry = GeomWithData<rstar::primitives::Rectangle<[f64; 2]>, FeatureRef>;

/// One loaded layer.
#[derive(Debug, Clone)]
pub struct Layer {
    pub def: LayerDef,
    pub features: Vec<Feature>,
    /// Geodesic area of each feature in m² (0 for lines and points).
    pub areas: Vec<f64>,
    pub bboxes: Vec<Option<Rect<f64>>>,
    /// Edge indexes of the big polygons (see [`crate::relate::Edges`]), `None` for small ones
    /// (boxed: a million small patches hold a pointer each, not an empty tree).
    pub edges: Vec<Option<Box<crate::relate::Edges>>>,
    /// The store's version of this layer's data.
    pub version: String,
}

impl Layer {
    pub fn total_area_m2(&self) -> f64 {
        self.areas.iter().sum::<f64>() + 0.0 // an empty layer is 0, not -0
    }

    pub fn feature(&self, id: &str) -> Option<&Feature> {
        self.features.iter().find(|f| f.id == id)
    }

    /// Feature `i` as a polygon with its box, area and edge index; `None` for other shapes.
    pub fn measured(&self, i: usize) -> Option<Measured<'_>> {
        let poly = self.features[i].shape.as_polygon()?;
        Some(Measured::new(
            poly,
            self.bboxes[i]?,
            self.areas[i],
            self.edges[i].as_deref(),
        ))
    }

    /// Bytes the layer holds: its features and their measures (areas, boxes, edge indexes).
    pub fn memory_bytes(&self) -> usize {
        use crate::memory::block;
        use std::mem::size_of;
        let n = self.features.len();
        let vectors = block(self.features.capacity() * size_of::<Feature>())
            + block(n * size_of::<f64>())
            + block(n * size_of::<Option<Rect<f64>>>())
            + block(n * size_of::<Option<Box<crate::relate::Edges>>>());
        let features: usize = self.features.iter().map(Feature::heap_bytes).sum();
        let edges: usize = self
            .edges
            .iter()
            .flatten()
            .map(|e| block(size_of::<crate::relate::Edges>()) + e.heap_bytes())
            .sum();
        vectors + features + edges
    }

    pub fn bbox(&self) -> Option<Rect<f64>> {
        self.bboxes.iter().flatten().copied().reduce(|a, b| {
            Rect::new(
                geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
            )
        })
    }
}

/// The plan with all its layers loaded and indexed. Immutable once built; share it behind an
/// `Arc` and build a new one when data changes.
pub struct Engine {
    pub plan: Plan,
    pub layers: Vec<Layer>,
    trees: Vec<RTree<Entry>>,
}

impl Engine {
    /// Loads every layer of the store's plan and indexes it.
    pub fn load<S: LayerStore>(store: &S) -> Result<Engine, LoadError<S::Error>> {
        let plan = store.plan().map_err(LoadError::Store)?;
        let mut layers = Vec::with_capacity(plan.layers.len());
        for def in &plan.layers {
            let features = store.features(&def.id).map_err(LoadError::Store)?;
            let version = store.version(&def.id).map_err(LoadError::Store)?;
            layers.push((features, version));
        }
        Engine::new(plan, layers).map_err(LoadError::Plan)
    }

    /// Builds the engine from a plan and, in the plan's layer order, each layer's features and
    /// version.
    pub fn new(plan: Plan, data: Vec<(Vec<Feature>, String)>) -> Result<Engine, PlanError> {
        plan.validate()?;
        if data.len() != plan.layers.len() {
            return Err(PlanError::Manifest(format!(
                "{} layers defined, {} loaded",
                plan.layers.len(),
                data.len()
            )));
        }
        let mut layers = Vec::with_capacity(data.len());
        for (def, (features, version)) in plan.layers.iter().zip(data) {
            layers.push(Layer::build(def.clone(), features, version)?);
        }
        // One R-tree a layer, bulk-loaded: a query touches only the layer it asks about.
        let trees = layers
            .iter()
            .enumerate()
            .map(|(li, layer)| {
                let entries = layer
                    .bboxes
                    .iter()
                    .enumerate()
                    .filter_map(|(fi, bb)| {
                        let bb = bb.as_ref()?;
                        Some(Entry::new(
                            rstar::primitives::Rectangle::from_corners(
                                [bb.min().x, bb.min().y],
                                [bb.max().x, bb.max().y],
                            ),
                            FeatureRef {
                                layer: li as u16,
                                feature: fi as u32,
                            },
                        ))
                    })
                    .collect();
                RTree::bulk_load(entries)
            })
            .collect();
        Ok(Engine {
            plan,
            layers,
            trees,
        })
    }

    /// An estimate of the bytes this loaded plan holds: every layer's features, measures and
    /// R-tree ([`crate::memory`]). Caches built beside it (vector tiles, exports) are not the
    /// engine's and report their own. About a tenth above the live heap of the engine's parts
    /// (each block's allocator header is counted); a process's RSS after loading is higher by
    /// what the allocator keeps from parsing.
    pub fn memory_bytes(&self) -> usize {
        let layers: usize = self.layers.iter().map(Layer::memory_bytes).sum();
        let trees: usize = self.trees.iter().map(crate::memory::tree_bytes).sum();
        layers + trees
    }

    pub fn layer_index(&self, id: &str) -> Option<usize> {
        self.layers.iter().position(|l| l.def.id == id)
    }

    pub fn layer(&self, id: &str) -> Option<&Layer> {
        self.layers.iter().find(|l| l.def.id == id)
    }

    pub fn feature(&self, r: FeatureRef) -> &Feature {
        &self.layers[r.layer as usize].features[r.feature as usize]
    }

    /// Features of `layer` whose bounding boxes intersect `bbox`, in index order.
    pub fn candidates(&self, layer: usize, bbox: &Rect<f64>) -> Vec<usize> {
        let env = AABB::from_corners([bbox.min().x, bbox.min().y], [bbox.max().x, bbox.max().y]);
        let mut out: Vec<usize> = self.trees[layer]
            .locate_in_envelope_intersecting(&env)
            .map(|e| e.data.feature as usize)
            .collect();
        out.sort_unstable();
        out
    }

    /// Whether at most `cap` features of the site-role layers have boxes meeting `bbox` — a
    /// bound on a check's work (each such feature is measured against the site), known
    /// after at most `cap + 1` index hits, for a caller choosing where to run the check.
    pub fn few_candidates(&self, bbox: &Rect<f64>, cap: usize) -> bool {
        let env = AABB::from_corners([bbox.min().x, bbox.min().y], [bbox.max().x, bbox.max().y]);
        let mut left = cap;
        for layer in self.site_layers() {
            let hits = self.trees[layer]
                .locate_in_envelope_intersecting(&env)
                .take(left + 1)
                .count();
            if hits > left {
                return false;
            }
            left -= hits;
        }
        true
    }

    /// All features (of any layer) whose bounding boxes contain the point.
    pub fn at_point(&self, lon: f64, lat: f64) -> impl Iterator<Item = FeatureRef> + '_ {
        self.trees
            .iter()
            .flat_map(move |t| t.locate_all_at_point(&[lon, lat]).map(|e| e.data))
    }

    /// The index of the layer that plays `role`, if any.
    pub fn role_index(&self, role: Role) -> Option<usize> {
        self.layers.iter().position(|l| l.def.role == Some(role))
    }

    /// The layer that plays `role`, if any.
    pub fn role(&self, role: Role) -> Option<&Layer> {
        self.role_index(role).map(|i| &self.layers[i])
    }

    /// The plan's county boundary: the layer with `role = "county"` (every valid plan has
    /// one).
    pub fn county(&self) -> Option<&Layer> {
        self.role(Role::County)
    }
}

impl Layer {
    pub(crate) fn build(
        def: LayerDef,
        features: Vec<Feature>,
        version: String,
    ) -> Result<Layer, PlanError> {
        let mut seen = std::collections::HashSet::with_capacity(features.len());
        for f in &features {
            if !seen.insert(f.id.as_str()) {
                return Err(PlanError::DuplicateFeature {
                    layer: def.id.clone(),
                    id: f.id.clone(),
                });
            }
            let matches = matches!(
                (&f.shape, def.geometry),
                (Shape::Polygon(_), GeometryKind::Polygon)
                    | (Shape::Line(_), GeometryKind::Line)
                    | (Shape::Point(_), GeometryKind::Point)
            );
            if !matches {
                return Err(PlanError::GeometryKind {
                    layer: def.id.clone(),
                    id: f.id.clone(),
                    found: f.shape.kind_name().into(),
                    expected: def.geometry.as_str().into(),
                });
            }
        }
        // Measures of every feature, on every core: area, box, edge index when big.
        type Measures = (f64, Option<Rect<f64>>, Option<Box<crate::relate::Edges>>);
        let measures: Vec<Measures> = features
            .par_iter()
            .with_min_len(1024)
            .map(|f| match &f.shape {
                Shape::Polygon(mp) => (
                    geodesy::area_m2(mp),
                    mp.bounding_rect(),
                    crate::relate::Edges::worth_it(mp)
                        .then(|| Box::new(crate::relate::Edges::new(mp))),
                ),
                Shape::Line(l) => (0.0, l.bounding_rect(), None),
                Shape::Point(p) => (0.0, Some(Rect::new(p.0, p.0)), None),
            })
            .collect();
        let mut areas = Vec::with_capacity(features.len());
        let mut bboxes = Vec::with_capacity(features.len());
        let mut edges = Vec::with_capacity(features.len());
        for (a, b, e) in measures {
            areas.push(a);
            bboxes.push(b);
            edges.push(e);
        }
        Ok(Layer {
            def,
            features,
            areas,
            bboxes,
            edges,
            version,
        })
    }
}

/// Loading failed in the store or in the plan's consistency.
#[derive(Debug, thiserror::Error)]
pub enum LoadError<E: std::error::Error + 'static> {
    #[error(transparent)]
    Store(E),
    #[error(transparent)]
    Plan(PlanError),
}
