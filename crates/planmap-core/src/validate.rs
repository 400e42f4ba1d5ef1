//! Checks a user's site geometry before anything is computed with it.
//!
//! The rules are OGC's, as geo's `Validation` states and words them, decided in O(n log n):
//! geo tests every pair of a ring's segments for a self-intersection, so a site at the vertex
//! limit (100,000) took a minute. Here one R-tree join over all the site's segments finds the
//! pairs whose boxes meet; geo's own segment predicate decides each; rings and parts whose
//! boundaries never meet are related by one exact point-in-ring test, and only those in
//! contact (rare in a valid site) go to geo's `Relate`.

use std::collections::BTreeSet;

use geo::algorithm::validation::{GeometryIndex, InvalidMultiPolygon, InvalidPolygon, RingRole};
use geo::coordinate_position::CoordPos;
use geo::dimensions::Dimensions;
use geo::{
    Coord, CoordsIter, Intersects, Line, LineString, MultiPolygon, Polygon, PreparedGeometry,
    Relate, RemoveRepeatedPoints,
};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

use crate::cancel::{Cancel, Cancelled, CheckError};
use crate::error::SiteError;
use crate::relate::Edges;

/// Validates a site: coordinates finite and within lon/lat range, every polygon valid by the
/// OGC rules (closed, ≥ 3 distinct points, no self-intersection, holes inside), non-zero area.
/// Returns the site's geodesic area in m².
pub fn validate_site(site: &MultiPolygon<f64>, max_vertices: usize) -> Result<f64, SiteError> {
    crate::cancel::never(validate_site_cancellable(
        site,
        max_vertices,
        &Cancel::new(),
    ))
}

/// [`validate_site`], stopped when `cancel` is set (read every few thousand segments).
pub fn validate_site_cancellable(
    site: &MultiPolygon<f64>,
    max_vertices: usize,
    cancel: &Cancel,
) -> Result<f64, CheckError> {
    validate_indexed(site, max_vertices, cancel).map(|(area, _)| area)
}

/// [`validate_site_cancellable`], and the site's edge index when it has many edges (built
/// once for the rules and for the check after them).
pub(crate) fn validate_indexed(
    site: &MultiPolygon<f64>,
    max_vertices: usize,
    cancel: &Cancel,
) -> Result<(f64, Option<Edges>), CheckError> {
    if site.0.is_empty() {
        return Err(SiteError::Empty.into());
    }
    let count = site.coords_count();
    if count > max_vertices {
        return Err(SiteError::TooManyVertices {
            count,
            limit: max_vertices,
        }
        .into());
    }
    for (index, c) in site.coords_iter().enumerate() {
        if !c.x.is_finite() || !c.y.is_finite() {
            return Err(SiteError::NonFinite { index }.into());
        }
        if !(-180.0..=180.0).contains(&c.x) || !(-90.0..=90.0).contains(&c.y) {
            return Err(SiteError::OutOfRange {
                index,
                lon: c.x,
                lat: c.y,
            }
            .into());
        }
    }
    let edges = match Edges::worth_it(site) {
        true => Some(Edges::new_cancellable(site, cancel)?),
        false => None,
    };
    if let Some((part, reason)) = Segments::new(site, edges.as_ref()).invalidity(site, cancel)? {
        return Err(SiteError::Invalid { part, reason }.into());
    }
    // Collinear rings pass the OGC rules but enclose nothing. Their planar area is zero (the
    // geodesic one is not quite: geodesics between points on a parallel bow poleward).
    for (part, p) in site.0.iter().enumerate() {
        if geo::Area::unsigned_area(&geo::Polygon::new(p.exterior().clone(), vec![])) == 0.0 {
            return Err(SiteError::Invalid {
                part,
                reason: "exterior ring is degenerate: its points are collinear and enclose no area"
                    .into(),
            }
            .into());
        }
    }
    cancel.check()?;
    let area = crate::geodesy::area_m2(site);
    if area <= 0.0 {
        return Err(SiteError::ZeroArea.into());
    }
    Ok((area, edges))
}

/// A ring of the site: its part, its segments, and the sequence number of its first edge in
/// the site's [`Edges`].
struct Ring {
    part: usize,
    segments: std::ops::Range<usize>,
    first_seq: u32,
}

/// Every segment of the site, the ring of each, and (for many) the site's edge index.
struct Segments<'e> {
    lines: Vec<Line<f64>>,
    ring_of: Vec<usize>,
    rings: Vec<Ring>,
    tree: Option<&'e Edges>,
}

/// What the join of all segments with all segments found: rings that cross or touch
/// themselves, pairs of rings (of one polygon) and of parts whose boundaries meet.
#[derive(Default)]
struct Contacts {
    self_crossing: BTreeSet<usize>,
    rings: BTreeSet<(usize, usize)>,
    parts: BTreeSet<(usize, usize)>,
}

impl<'e> Segments<'e> {
    fn new(site: &MultiPolygon<f64>, tree: Option<&'e Edges>) -> Segments<'e> {
        let (mut lines, mut ring_of, mut rings) = (Vec::new(), Vec::new(), Vec::new());
        for (part, p) in site.0.iter().enumerate() {
            for r in std::iter::once(p.exterior()).chain(p.interiors()) {
                let start = lines.len();
                lines.extend(r.lines());
                ring_of.resize(lines.len(), rings.len());
                rings.push(Ring {
                    part,
                    segments: start..lines.len(),
                    // The edge index numbers a ring's edges on from the last ring's, one more.
                    first_seq: (start + rings.len()) as u32,
                });
            }
        }
        Segments {
            lines,
            ring_of,
            rings,
            tree,
        }
    }

    /// The segment an edge of the index is.
    fn line(&self, e: &crate::relate::Edge) -> usize {
        let r = self.rings.partition_point(|r| r.first_seq <= e.seq) - 1;
        self.rings[r].segments.start + (e.seq - self.rings[r].first_seq) as usize
    }

    /// The first OGC rule the site breaks: (part, reason), in the order of geo's
    /// `MultiPolygon::check_validation` for each part (rings in order: too few points, then a
    /// self-intersection; then the holes), then the pairs of parts.
    fn invalidity(
        &self,
        site: &MultiPolygon<f64>,
        cancel: &Cancel,
    ) -> Result<Option<(usize, String)>, Cancelled> {
        let contacts = self.contacts(cancel)?;
        let mut first_ring = 0;
        for (part, p) in site.0.iter().enumerate() {
            let rings = 1 + p.interiors().len();
            if let Some(e) = self.polygon_invalidity(p, first_ring, &contacts, cancel)? {
                return Ok(Some((part, e.to_string())));
            }
            first_ring += rings;
        }
        Ok(self
            .parts_invalidity(site, &contacts, cancel)?
            .map(|e| (0, e.to_string())))
    }

    /// Pairs of segments whose boxes may meet, `i < j`: from a join of the R-tree with itself,
    /// or (few segments) all of them.
    fn pairs(&self) -> Box<dyn Iterator<Item = (usize, usize)> + '_> {
        match self.tree {
            Some(tree) => Box::new(
                tree.pairs()
                    .map(|(x, y)| (self.line(&x), self.line(&y)))
                    .filter(|(i, j)| i < j), // the join gives both orders, and each with itself
            ),
            None => {
                let n = self.lines.len();
                Box::new((0..n).flat_map(move |i| (i + 1..n).map(move |j| (i, j))))
            }
        }
    }

    /// One pass over the pairs of segments whose boxes meet.
    fn contacts(&self, cancel: &Cancel) -> Result<Contacts, Cancelled> {
        let mut c = Contacts::default();
        for (n, (i, j)) in self.pairs().enumerate() {
            if n % 4096 == 0 {
                cancel.check()?;
            }
            let (a, b) = (&self.lines[i], &self.lines[j]);
            if !boxes_meet(a, b) {
                continue;
            }
            let (ri, rj) = (self.ring_of[i], self.ring_of[j]);
            if ri == rj {
                // geo's rule: segments that meet, other than where one ends and the other
                // begins.
                if !c.self_crossing.contains(&ri)
                    && a.start != b.end
                    && a.end != b.start
                    && a.intersects(b)
                {
                    c.self_crossing.insert(ri);
                }
                continue;
            }
            let (pi, pj) = (self.rings[ri].part, self.rings[rj].part);
            let known = if pi == pj {
                c.rings.contains(&(ri, rj))
            } else {
                c.parts.contains(&(pi, pj))
            };
            if known || !a.intersects(b) {
                continue;
            }
            if pi == pj {
                c.rings.insert((ri, rj));
            } else {
                c.parts.insert((pi, pj));
            }
        }
        Ok(c)
    }

    /// The first rule polygon `p` (whose exterior is ring `first`) breaks, as
    /// `Polygon::check_validation` finds it (coordinates are known finite here).
    fn polygon_invalidity(
        &self,
        p: &Polygon<f64>,
        first: usize,
        contacts: &Contacts,
        cancel: &Cancel,
    ) -> Result<Option<InvalidPolygon>, Cancelled> {
        let role = |k: usize| {
            if k == 0 {
                RingRole::Exterior
            } else {
                RingRole::Interior(k - 1)
            }
        };
        let rings: Vec<&LineString<f64>> =
            std::iter::once(p.exterior()).chain(p.interiors()).collect();
        for (k, ring) in rings.iter().enumerate() {
            if ring.0.is_empty() {
                continue;
            }
            if ring.remove_repeated_points().0.len() < 4 {
                return Ok(Some(InvalidPolygon::TooFewPointsInRing(role(k))));
            }
            if contacts.self_crossing.contains(&(first + k)) {
                return Ok(Some(InvalidPolygon::SelfIntersection(role(k))));
            }
        }
        let holes: Vec<usize> = (1..rings.len())
            .filter(|&k| !rings[k].0.is_empty())
            .collect();
        if holes.is_empty() {
            return Ok(None);
        }
        // Rings in contact are related by geo (as `check_validation` does for every pair);
        // rings apart lie wholly inside or outside one another: one vertex tells which.
        let ring_polygon = |k: usize| Polygon::new(rings[k].clone(), vec![]);
        let shell = ring_polygon(0);
        let mut shell_prepared = None;
        for (n, &h) in holes.iter().enumerate() {
            cancel.check()?;
            let (contained, on_a_line) = if contacts.rings.contains(&(first, first + h)) {
                let prepared = shell_prepared.get_or_insert_with(|| PreparedGeometry::from(&shell));
                let im = prepared.relate(&ring_polygon(h));
                let line = im.get(CoordPos::OnBoundary, CoordPos::OnBoundary)
                    == Dimensions::OneDimensional;
                (im.is_contains(), line)
            } else {
                (self.in_rings(rings[h].0[0], &[first]), false)
            };
            if !contained {
                return Ok(Some(
                    InvalidPolygon::InteriorRingNotContainedInExteriorRing(role(h)),
                ));
            }
            if on_a_line {
                return Ok(Some(InvalidPolygon::IntersectingRingsOnALine(
                    RingRole::Exterior,
                    role(h),
                )));
            }
            for &g in &holes[n + 1..] {
                let (area, line) = if contacts.rings.contains(&(first + h, first + g)) {
                    let im = ring_polygon(h).relate(&ring_polygon(g));
                    (
                        im.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional,
                        im.get(CoordPos::OnBoundary, CoordPos::OnBoundary)
                            == Dimensions::OneDimensional,
                    )
                } else {
                    let nested = self.in_rings(rings[g].0[0], &[first + h])
                        || self.in_rings(rings[h].0[0], &[first + g]);
                    (nested, false)
                };
                if area {
                    return Ok(Some(InvalidPolygon::IntersectingRingsOnAnArea(
                        role(h),
                        role(g),
                    )));
                }
                if line {
                    return Ok(Some(InvalidPolygon::IntersectingRingsOnALine(
                        role(h),
                        role(g),
                    )));
                }
            }
        }
        Ok(None)
    }

    /// The first pair of parts that overlap or touch along a line, in index order.
    fn parts_invalidity(
        &self,
        site: &MultiPolygon<f64>,
        contacts: &Contacts,
        cancel: &Cancel,
    ) -> Result<Option<InvalidMultiPolygon>, Cancelled> {
        if site.0.len() < 2 {
            return Ok(None);
        }
        let mut rings_of: Vec<Vec<usize>> = vec![Vec::new(); site.0.len()];
        for (r, ring) in self.rings.iter().enumerate() {
            if !self.lines[ring.segments.clone()].is_empty() {
                rings_of[ring.part].push(r);
            }
        }
        let exterior_vertex = |i: usize| site.0[i].exterior().0.first().copied();
        let boxes: Vec<_> = site
            .0
            .iter()
            .map(geo::BoundingRect::bounding_rect)
            .collect();
        let index = RTree::bulk_load(
            boxes
                .iter()
                .enumerate()
                .filter_map(|(i, b)| {
                    let b = (*b)?;
                    Some(GeomWithData::new(
                        Rectangle::from_corners(corner(b.min()), corner(b.max())),
                        i,
                    ))
                })
                .collect(),
        );
        for (i, p) in site.0.iter().enumerate() {
            cancel.check()?;
            let Some(b) = boxes[i] else { continue };
            let mut others: Vec<usize> = index
                .locate_in_envelope_intersecting(&AABB::from_corners(
                    corner(b.min()),
                    corner(b.max()),
                ))
                .map(|e| e.data)
                .filter(|&j| j > i)
                .collect();
            others.sort_unstable();
            let mut prepared = None;
            for j in others {
                let (area, line) = if contacts.parts.contains(&(i, j)) {
                    let prepared = prepared.get_or_insert_with(|| PreparedGeometry::from(p));
                    let im = prepared.relate(&site.0[j]);
                    (
                        im.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional,
                        im.get(CoordPos::OnBoundary, CoordPos::OnBoundary)
                            == Dimensions::OneDimensional,
                    )
                } else {
                    // Boundaries apart: the parts overlap when one lies inside the other.
                    let inside = |v: Option<Coord<f64>>, rings: &[usize]| {
                        v.is_some_and(|v| self.in_rings(v, rings))
                    };
                    let nested = inside(exterior_vertex(j), &rings_of[i])
                        || inside(exterior_vertex(i), &rings_of[j]);
                    (nested, false)
                };
                let (a, b) = (GeometryIndex(i), GeometryIndex(j));
                if area {
                    return Ok(Some(InvalidMultiPolygon::ElementsOverlaps(a, b)));
                }
                if line {
                    return Ok(Some(InvalidMultiPolygon::ElementsTouchOnALine(a, b)));
                }
            }
        }
        Ok(None)
    }

    /// Whether `p` (on none of these rings) lies inside the area the rings bound (even-odd):
    /// exact crossings of a ray east, from the segments whose boxes meet it.
    fn in_rings(&self, p: Coord<f64>, rings: &[usize]) -> bool {
        let crosses = |&k: &usize| {
            let l = &self.lines[k];
            rings.contains(&self.ring_of[k])
                && crate::relate::crossing_side(l.start, l.end, p) == Some(true)
        };
        let count = match self.tree {
            Some(tree) => {
                let ray = geo::Rect::new(
                    p,
                    Coord {
                        x: f64::MAX,
                        y: p.y,
                    },
                );
                let near = tree.edges_within(&ray);
                near.map(|e| self.line(&e)).filter(crosses).count()
            }
            None => (0..self.lines.len()).filter(crosses).count(),
        };
        count % 2 == 1
    }
}

fn corner(c: Coord<f64>) -> [f64; 2] {
    [c.x, c.y]
}

fn boxes_meet(a: &Line<f64>, b: &Line<f64>) -> bool {
    a.start.x.min(a.end.x) <= b.start.x.max(b.end.x)
        && b.start.x.min(b.end.x) <= a.start.x.max(a.end.x)
        && a.start.y.min(a.end.y) <= b.start.y.max(b.end.y)
        && b.start.y.min(b.end.y) <= a.start.y.max(a.end.y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn bow_tie_is_a_self_intersection() {
        let bow = polygon![(x: 112.0, y: 37.4), (x: 112.01, y: 37.41), (x: 112.01, y: 37.4), (x: 112.0, y: 37.41)];
        let e = validate_site(&MultiPolygon(vec![bow]), 10_000).unwrap_err();
        assert!(e.to_string().contains("self-intersection"), "{e}");
    }

    #[test]
    fn a_plain_square_is_valid() {
        let p = polygon![(x: 112.0, y: 37.4), (x: 112.01, y: 37.4), (x: 112.01, y: 37.41), (x: 112.0, y: 37.41)];
        assert!(validate_site(&MultiPolygon(vec![p]), 100).is_ok_and(|a| a > 0.0));
    }

    #[test]
    fn nan_and_range_are_named() {
        let p = polygon![(x: 112.0, y: f64::NAN), (x: 112.01, y: 37.41), (x: 112.01, y: 37.4)];
        assert!(matches!(
            validate_site(&MultiPolygon(vec![p]), 100),
            Err(SiteError::NonFinite { index: 0 })
        ));
        let p = polygon![(x: 212.0, y: 37.0), (x: 112.01, y: 37.41), (x: 112.01, y: 37.4)];
        assert!(matches!(
            validate_site(&MultiPolygon(vec![p]), 100),
            Err(SiteError::OutOfRange { index: 0, .. })
        ));
    }

    #[test]
    fn a_huge_coordinate_is_named_in_a_short_line() {
        let p = polygon![(x: 1e308, y: 37.0), (x: 112.01, y: 37.41), (x: 112.01, y: 37.4)];
        let e = validate_site(&MultiPolygon(vec![p]), 100)
            .unwrap_err()
            .to_string();
        assert!(e.contains("(1e308, 37.0)"), "{e}");
        assert!(e.len() < 120, "{e}");
    }

    /// The fast rules give geo's answer, word for word, on random small multipolygons on an
    /// integer grid (so rings often touch, share edges, nest and cross): geo's own
    /// `check_validation` is the independent implementation.
    #[test]
    fn same_verdicts_as_geo() {
        use geo::Validation;
        fn reference(site: &MultiPolygon<f64>) -> Option<(usize, String)> {
            let e = site.check_validation().err()?;
            for (part, p) in site.0.iter().enumerate() {
                if let Err(e) = p.check_validation() {
                    return Some((part, e.to_string()));
                }
            }
            Some((0, e.to_string()))
        }
        let mut seed = 0x1234_5678_u64;
        let mut rnd = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let ring = |rnd: &mut dyn FnMut(u64) -> u64| -> LineString<f64> {
            let mut pts: Vec<(f64, f64)> = match rnd(3) {
                // An axis-aligned box, either way round.
                0 => {
                    let (x0, y0) = (rnd(8) as f64, rnd(8) as f64);
                    let (x1, y1) = (x0 + 1.0 + rnd(5) as f64, y0 + 1.0 + rnd(5) as f64);
                    vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
                }
                // A star around a centre (usually simple).
                1 => {
                    let (cx, cy) = (2.0 + rnd(6) as f64, 2.0 + rnd(6) as f64);
                    let n = 3 + rnd(6);
                    (0..n)
                        .map(|k| {
                            let a = k as f64 * std::f64::consts::TAU / n as f64;
                            let r = 1.0 + rnd(3) as f64;
                            ((cx + r * a.cos()).round(), (cy + r * a.sin()).round())
                        })
                        .collect()
                }
                // Any points (often crossing).
                _ => (0..3 + rnd(4))
                    .map(|_| (rnd(10) as f64, rnd(10) as f64))
                    .collect(),
            };
            if rnd(2) == 0 {
                pts.reverse();
            }
            LineString::from(pts)
        };
        let mut seen = std::collections::BTreeMap::new();
        for _ in 0..20_000 {
            let parts = 1 + rnd(3) as usize;
            let site = MultiPolygon(
                (0..parts)
                    .map(|_| {
                        let holes = (0..rnd(3)).map(|_| ring(&mut rnd)).collect();
                        Polygon::new(ring(&mut rnd), holes)
                    })
                    .collect(),
            );
            // With the edge index (as for big sites) and without (all pairs).
            let index = Edges::new(&site);
            let fast = Segments::new(&site, None)
                .invalidity(&site, &Cancel::new())
                .unwrap();
            assert_eq!(fast, reference(&site), "{site:?}");
            let indexed = Segments::new(&site, Some(&index))
                .invalidity(&site, &Cancel::new())
                .unwrap();
            assert_eq!(indexed, fast, "{site:?}");
            let kind = fast.map_or("valid".to_string(), |(_, e)| {
                e.chars().filter(|c| !c.is_ascii_digit()).collect()
            });
            *seen.entry(kind).or_insert(0) += 1;
        }
        // Every kind of answer came up.
        for kind in [
            "valid",
            " has a self-intersection",
            " is not contained within the polygon's exterior",
            " intersect on a line",
            " intersect on an area",
            " overlap",
            " touch on a line",
            " must have at least  distinct points",
        ] {
            assert!(seen.keys().any(|k| k.contains(kind)), "{kind}: {seen:?}");
        }
    }

    #[test]
    fn degenerate_ring_is_rejected() {
        let p = polygon![(x: 112.0, y: 37.4), (x: 112.01, y: 37.4), (x: 112.02, y: 37.4)];
        assert!(validate_site(&MultiPolygon(vec![p]), 100).is_err());
        assert!(matches!(
            validate_site(&MultiPolygon(vec![]), 100),
            Err(SiteError::Empty)
        ));
    }
}
