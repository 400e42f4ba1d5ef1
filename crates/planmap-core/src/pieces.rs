//! A check's overlap pieces, cut on first use.
//!
//! A check's verdict and areas need only the overlap areas ([`crate::green`] measures them
//! without building anything); the pieces' geometry is for the map, the GeoJSON answer and the
//! 避让 geometry. So the check keeps what each piece is made of — the site, a feature wholly
//! inside it, or the site cut by a feature — and the overlay runs when a piece is first asked
//! for.

use std::sync::{Arc, OnceLock};

use geo::{BoundingRect, MultiPolygon, Rect};

use crate::cancel::{Cancel, Cancelled};
use crate::overlay::{self, Piece, Share};
use crate::relate::{self, Relation, Shape};

/// What one layer's pieces are made of, and the pieces once made.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pieces {
    site: Option<Arc<MultiPolygon<f64>>>,
    sources: Vec<Entry>,
    made: OnceLock<Vec<(String, Piece)>>,
}

/// One piece before it is made: its feature (id, index in its layer), how, and its area.
#[derive(Debug, Clone)]
struct Entry {
    id: String,
    feature: usize,
    source: Source,
    area_m2: f64,
}

/// How a piece is made.
#[derive(Debug, Clone)]
enum Source {
    /// The site lies wholly inside the feature: the piece is the site.
    Site,
    /// The feature lies wholly inside the site: the piece is the feature.
    Feature(MultiPolygon<f64>),
    /// The boundaries cross: the site cut by the feature (with its box).
    Cut(MultiPolygon<f64>, Rect<f64>),
}

impl Pieces {
    /// Adds the piece of feature `feature` (`id`, `polygon`), which shares `share` with
    /// `site`.
    pub(crate) fn push(
        &mut self,
        site: &Arc<MultiPolygon<f64>>,
        (id, feature): (&str, usize),
        polygon: &MultiPolygon<f64>,
        bbox: Rect<f64>,
        share: Share,
    ) {
        self.site.get_or_insert_with(|| Arc::clone(site));
        let source = match share {
            Share::FirstInside(_) => Source::Site,
            Share::SecondInside(_) => Source::Feature(polygon.clone()),
            Share::Crossing(_) => Source::Cut(polygon.clone(), bbox),
        };
        self.sources.push(Entry {
            id: id.to_string(),
            feature,
            source,
            area_m2: share.area_m2(),
        });
    }

    /// The features of the pieces (index in their layer), in order.
    pub(crate) fn features(&self) -> impl Iterator<Item = usize> + '_ {
        self.sources.iter().map(|e| e.feature)
    }

    /// The pieces' areas, in order.
    pub(crate) fn areas(&self) -> impl Iterator<Item = f64> + '_ {
        self.sources.iter().map(|e| e.area_m2)
    }

    /// Whether a piece is the whole site.
    pub(crate) fn has_site(&self) -> bool {
        self.sources
            .iter()
            .any(|e| matches!(e.source, Source::Site))
    }

    /// The pieces (feature id, piece), in the order they were added.
    pub(crate) fn get(&self) -> &[(String, Piece)] {
        self.made.get_or_init(|| {
            let Some(site) = self.site.as_deref() else {
                return Vec::new();
            };
            let site_box = site.bounding_rect();
            self.sources
                .iter()
                .map(|e| {
                    let geometry = match (&e.source, site_box) {
                        (Source::Site, _) => site.clone(),
                        (Source::Feature(f), _) => f.clone(),
                        (Source::Cut(f, fb), Some(sb)) => overlay::piece(site, sb, f, *fb),
                        (Source::Cut(..), None) => MultiPolygon(vec![]),
                    };
                    let area_m2 = e.area_m2;
                    (e.id.clone(), Piece { geometry, area_m2 })
                })
                .collect()
        })
    }
}

/// The groups of shapes that have points in common (touch, cross or nest, one with the next),
/// each of two shapes or more, as indexes; a shape in no group has no point in common with any
/// other (decided exactly), so the area of the union of those is the sum of theirs. Only shapes
/// whose boxes meet (an R-tree of the boxes) are related.
pub(crate) fn groups(shapes: &[Shape], cancel: &Cancel) -> Result<Vec<Vec<usize>>, Cancelled> {
    use rstar::primitives::{GeomWithData, Rectangle};
    let corners = |r: &Rect<f64>| ([r.min().x, r.min().y], [r.max().x, r.max().y]);
    let boxes = rstar::RTree::bulk_load(
        shapes
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (lo, hi) = corners(&s.bbox);
                GeomWithData::new(Rectangle::from_corners(lo, hi), i)
            })
            .collect(),
    );
    // Union-find over the pairs in contact.
    let mut parent: Vec<usize> = (0..shapes.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for (i, a) in shapes.iter().enumerate() {
        if i % 256 == 0 {
            cancel.check()?;
        }
        let (lo, hi) = corners(&a.bbox);
        let near = boxes.locate_in_envelope_intersecting(&rstar::AABB::from_corners(lo, hi));
        for j in near.map(|e| e.data).filter(|&j| j > i) {
            let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
            if ri != rj && relate::relate(a, &shapes[j]) != Relation::Disjoint {
                parent[ri.max(rj)] = ri.min(rj);
            }
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for i in 0..shapes.len() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    Ok(groups.into_values().filter(|g| g.len() > 1).collect())
}

/// The union of the polygons, in a cascade of overlays of at most 64 at a time (so `cancel` is
/// read between them, and no overlay takes all at once).
pub(crate) fn union<'a>(
    polygons: impl Iterator<Item = &'a MultiPolygon<f64>>,
    cancel: &Cancel,
) -> Result<MultiPolygon<f64>, Cancelled> {
    const AT_ONCE: usize = 64;
    let mut level: Vec<MultiPolygon<f64>> = polygons.cloned().collect();
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len() / AT_ONCE + 1);
        for chunk in level.chunks(AT_ONCE) {
            cancel.check()?;
            next.push(overlay::union_all(chunk.iter().cloned()));
        }
        level = next;
    }
    Ok(level.pop().unwrap_or(MultiPolygon(vec![])))
}
