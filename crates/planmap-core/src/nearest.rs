//! The nearest feature of a polygon layer to a site: distance in a transverse Mercator frame
//! centred on the site's meridian (true scale to ~1e-5 within 30 km).
//!
//! Lower bounds in metres from lon/lat boxes (features first, then each feature's edges) skip
//! everything that cannot be nearer than the best distance so far, so only the few edges that
//! face the site are projected and measured.

use geo::{Centroid, Coord, MultiPolygon, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

use crate::cancel::{Cancel, Cancelled};
use crate::engine::Layer;
use crate::overlay::Measured;
use crate::relate::{self, Relation};
use crate::tmerc::{TransverseMercator, WGS84};

/// The distance from the site to the nearest feature of `layer`: (feature index, metres);
/// `Err` once `cancel` is set (read before each feature and each window).
pub fn nearest(
    layer: &Layer,
    site: &Measured,
    cancel: &Cancel,
) -> Result<Option<(usize, f64)>, Cancelled> {
    let Some(origin) = site.shape.polygon.centroid() else {
        return Ok(None);
    };
    let tm = TransverseMercator::new(WGS84, origin.0.x, 1.0, 0.0, 0.0);
    let site_edges = SiteEdges::new(site.shape.polygon, &tm);
    let sb = site.shape.bbox;
    let mut order: Vec<(f64, usize)> = layer
        .bboxes
        .iter()
        .enumerate()
        .filter_map(|(i, b)| Some((gap_m(&(*b)?, &sb), i)))
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut best: Option<(f64, usize)> = None;
    for (lb, i) in order {
        cancel.check()?;
        if best.is_some_and(|(d, _)| lb > d) {
            break;
        }
        let Some(f) = layer.measured(i) else {
            continue;
        };
        if relate::relate(&site.shape, &f.shape) != Relation::Disjoint {
            return Ok(Some((i, 0.0))); // touches, crosses or contains: nothing is nearer
        }
        let mut d = best.map_or(f64::INFINITY, |(d, _)| d);
        let mut found = false;
        let mut measure = |a: Coord<f64>, b: Coord<f64>, d: &mut f64| {
            let (pa, pb) = (tm.forward(a), tm.forward(b));
            if let Some(e) = site_edges.nearer_than(pa, pb, *d) {
                *d = e;
                found = true;
            }
        };
        match f.shape.edges {
            // A big polygon: only its edges in a window around the site, nearest boxes first,
            // the window growing until it holds an edge at most its own reach away (every edge
            // outside it is farther), or holds the whole polygon.
            Some(edges) => {
                let mut reach = lb.max(WINDOW_START_M);
                let mut near: Vec<(f64, Coord<f64>, Coord<f64>)> = Vec::new();
                loop {
                    cancel.check()?;
                    let (w, whole) = window(&sb, reach, &f.shape.bbox);
                    let scale = Scale::within(&[&w, &sb]);
                    near.clear();
                    near.extend(
                        edges
                            .within(&w)
                            .map(|(a, b)| (scale.gap(&Rect::new(a, b), &sb), a, b)),
                    );
                    near.sort_unstable_by(|x, y| x.0.total_cmp(&y.0));
                    for &(gap, a, b) in &near {
                        if gap > d {
                            break;
                        }
                        measure(a, b, &mut d);
                    }
                    if whole || d <= reach {
                        break;
                    }
                    reach *= 4.0;
                }
            }
            None => {
                let scale = Scale::within(&[&f.shape.bbox, &sb]);
                segments(f.shape.polygon).for_each(|(a, b)| {
                    if scale.gap(&Rect::new(a, b), &sb) <= d {
                        measure(a, b, &mut d);
                    }
                })
            }
        }
        if found {
            best = Some((d, i));
        }
    }
    Ok(best.map(|(d, i)| (i, d)))
}

/// The site's edges in the frame, with their boxes in an R-tree when there are many.
struct SiteEdges {
    edges: Vec<(Coord<f64>, Coord<f64>)>,
    boxes: Vec<Rect<f64>>,
    tree: Option<RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>>,
}

impl SiteEdges {
    fn new(site: &MultiPolygon<f64>, tm: &TransverseMercator) -> SiteEdges {
        let mut edges = Vec::new();
        for ring in site
            .0
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        {
            // Each vertex projected once.
            let pts: Vec<Coord<f64>> = ring.0.iter().map(|&c| tm.forward(c)).collect();
            edges.extend(pts.windows(2).map(|w| (w[0], w[1])));
        }
        let boxes: Vec<Rect<f64>> = edges.iter().map(|&(a, b)| planar_box(a, b)).collect();
        let tree = (edges.len() >= relate::INDEX_MIN_EDGES).then(|| {
            RTree::bulk_load(
                boxes
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        GeomWithData::new(
                            Rectangle::from_corners(corner(r.min()), corner(r.max())),
                            i,
                        )
                    })
                    .collect(),
            )
        });
        SiteEdges { edges, boxes, tree }
    }

    /// The distance from the segment `a`–`b` (in the frame) to the nearest site edge, when it
    /// is less than `d`.
    fn nearer_than(&self, a: Coord<f64>, b: Coord<f64>, d: f64) -> Option<f64> {
        let eb = planar_box(a, b);
        let mut best = d;
        let try_edge = |k: usize, best: &mut f64| {
            if box_gap(&eb, &self.boxes[k]) >= *best {
                return;
            }
            let (s1, s2) = self.edges[k];
            *best = best.min(segment_distance(a, b, s1, s2));
        };
        match &self.tree {
            Some(tree) => {
                // Any site vertex bounds the distance: search only that far.
                let v = self.edges.first()?.0;
                let reach = best.min((a.x - v.x).hypot(a.y - v.y));
                let env = AABB::from_corners(
                    [eb.min().x - reach, eb.min().y - reach],
                    [eb.max().x + reach, eb.max().y + reach],
                );
                let mut near: Vec<usize> = tree
                    .locate_in_envelope_intersecting(&env)
                    .map(|e| e.data)
                    .collect();
                near.sort_unstable(); // ring order, as without the tree
                for k in near {
                    try_edge(k, &mut best);
                }
            }
            None => (0..self.edges.len()).for_each(|k| try_edge(k, &mut best)),
        }
        (best < d).then_some(best)
    }
}

fn corner(c: Coord<f64>) -> [f64; 2] {
    [c.x, c.y]
}

fn segments(mp: &MultiPolygon<f64>) -> impl Iterator<Item = (Coord<f64>, Coord<f64>)> + '_ {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.0.windows(2).map(|w| (w[0], w[1])))
}

/// A lower bound of the distance in metres between two lon/lat boxes, as the frame measures
/// it: the box gap at the smallest radius of curvature of the ellipsoid (6 335 km, the
/// meridian's at the equator) and the parallels' shrinking towards the pole; 1 % margin.
fn gap_m(a: &Rect<f64>, b: &Rect<f64>) -> f64 {
    Scale::within(&[a, b]).gap(a, b)
}

/// Metres per degree as [`gap_m`] counts them, for boxes within some latitudes: computed once
/// for the many edges of a window.
struct Scale {
    k: f64,
    kx: f64,
}

impl Scale {
    /// For boxes lying within `boxes` (the parallels shrink most at the highest latitude).
    fn within(boxes: &[&Rect<f64>]) -> Scale {
        let lat = boxes
            .iter()
            .map(|r| r.max().y.abs().max(r.min().y.abs()))
            .fold(0.0, f64::max);
        let k = 6_335_000.0 * std::f64::consts::PI / 180.0 * 0.99;
        Scale {
            k,
            kx: k * lat.min(90.0).to_radians().cos(),
        }
    }

    fn gap(&self, a: &Rect<f64>, b: &Rect<f64>) -> f64 {
        let dx = (a.min().x - b.max().x).max(b.min().x - a.max().x).max(0.0);
        let dy = (a.min().y - b.max().y).max(b.min().y - a.max().y).max(0.0);
        ((dx * self.kx).powi(2) + (dy * self.k).powi(2)).sqrt()
    }
}

fn planar_box(a: Coord<f64>, b: Coord<f64>) -> Rect<f64> {
    Rect::new(a, b)
}

/// The distance between two planar boxes (0 when they meet): a lower bound of the distance
/// between anything inside them.
fn box_gap(a: &Rect<f64>, b: &Rect<f64>) -> f64 {
    let dx = (a.min().x - b.max().x).max(b.min().x - a.max().x).max(0.0);
    let dy = (a.min().y - b.max().y).max(b.min().y - a.max().y).max(0.0);
    dx.hypot(dy)
}

/// The first reach of the window search, in metres.
const WINDOW_START_M: f64 = 200.0;

/// `site` grown by `reach` metres as [`gap_m`] measures (so every box outside it is more than
/// `reach` away), and whether it covers `all`.
fn window(site: &Rect<f64>, reach: f64, all: &Rect<f64>) -> (Rect<f64>, bool) {
    let k = 6_335_000.0 * std::f64::consts::PI / 180.0 * 0.99;
    let gy = reach / k;
    let lat = site.min().y.abs().max(site.max().y.abs()) + gy;
    let cos = if lat < 89.0 {
        lat.to_radians().cos()
    } else {
        0.0
    };
    let gx = if cos > 0.0 { reach / (k * cos) } else { 360.0 };
    let w = crate::overlay::grown(site, gx, gy);
    let whole = w.min().x <= all.min().x
        && w.min().y <= all.min().y
        && w.max().x >= all.max().x
        && w.max().y >= all.max().y;
    (w, whole)
}

fn point_segment(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p.x - a.x) * dx + (p.y - a.y) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (qx, qy) = (a.x + t * dx - p.x, a.y + t * dy - p.y);
    (qx * qx + qy * qy).sqrt()
}

/// Distance between two segments (planar) that do not cross: the least of each end's
/// distance to the other segment. (The site and a feature measured here have no point in
/// common: [`relate::relate`] said so first.)
fn segment_distance(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>, d: Coord<f64>) -> f64 {
    point_segment(a, c, d)
        .min(point_segment(b, c, d))
        .min(point_segment(c, a, b))
        .min(point_segment(d, a, b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feature::{Feature, Shape};
    use geo::{BoundingRect, Distance, Euclidean, LineString, MapCoords, Polygon};

    fn blob(lon: f64, lat: f64, r: f64, n: usize) -> MultiPolygon<f64> {
        let pts: Vec<(f64, f64)> = (0..n)
            .map(|k| {
                let a = k as f64 * std::f64::consts::TAU / n as f64;
                let rr = r * (1.0 + 0.3 * (4.0 * a).sin());
                (lon + rr * a.cos(), lat + rr * a.sin())
            })
            .collect();
        MultiPolygon(vec![Polygon::new(LineString::from(pts), vec![])])
    }

    /// The pruned search finds what measuring every feature whole finds (the plain way: geo's
    /// distance between the projected polygons), and 0 for a touching or crossing site.
    #[test]
    fn pruned_search_matches_measuring_everything() {
        let features: Vec<Feature> = [
            (112.0, 37.5, 0.02, 300),
            (112.1, 37.4, 0.01, 80),
            (111.9, 37.3, 0.03, 500),
        ]
        .iter()
        .enumerate()
        .map(|(i, &(x, y, r, n))| Feature {
            id: format!("f{i}"),
            shape: Shape::Polygon(blob(x, y, r, n)),
            properties: Default::default(),
        })
        .collect();
        let def: crate::plan::LayerDef = serde_json::from_value(serde_json::json!({
            "id": "red_line", "name": "r", "kind": "protected", "geometry": "polygon",
            "color": "#e60000", "site_role": "prohibited"
        }))
        .unwrap();
        let layer = Layer::build(def, features, "1".into()).unwrap();
        for (x, y) in [
            (112.05, 37.45),
            (112.13, 37.41),
            (111.95, 37.35),
            (112.3, 37.2),
            (112.0, 37.53),
            (111.93, 37.26),
            (112.09, 37.39),
            (112.0, 38.4),
        ] {
            let site = blob(x, y, 0.003, 12);
            let m = Measured::new(&site, site.bounding_rect().unwrap(), 1.0, None);
            let (i, d) = nearest(&layer, &m, &Cancel::new()).unwrap().unwrap();
            let tm = TransverseMercator::new(WGS84, site.centroid().unwrap().x(), 1.0, 0.0, 0.0);
            let p = |mp: &MultiPolygon<f64>| mp.map_coords(|c| tm.forward(c));
            let (j, e) = layer
                .features
                .iter()
                .enumerate()
                .map(|(j, f)| {
                    (
                        j,
                        Euclidean.distance(&p(f.shape.as_polygon().unwrap()), &p(&site)),
                    )
                })
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap();
            assert_eq!(i, j);
            assert!((d - e).abs() <= 1e-9 * e.max(1.0), "{d} vs {e}");
        }
        // A site across a feature's edge is at 0.
        let across = blob(112.02, 37.5, 0.003, 12);
        let m = Measured::new(&across, across.bounding_rect().unwrap(), 1.0, None);
        assert_eq!(nearest(&layer, &m, &Cancel::new()), Ok(Some((0, 0.0))));
    }
}
