//! A site across county lines: which county outlines it touches, the geodesic area of its part
//! in each, each plan's answer ([`PlanVerdict`]) and the strictest verdict ([`overall`]) —
//! what the server's check and the CLI's check of a catalog answer alike. No I/O: the
//! outlines and the features they are made of are given.

use geo::{BooleanOps, BoundingRect, Coord, Intersects, Line, MultiPolygon, Rect};
use rstar::{RTree, AABB};
use serde::Serialize;

use crate::check::{CheckReport, Verdict};
use crate::feature::Feature;
use crate::geodesy;
use crate::plan::{Plan, Role};

/// The county outline of a plan: the polygons of its county-role layer, read with
/// `features` (empty when the plan has no county layer).
pub fn county_shape<E>(
    plan: &Plan,
    features: impl FnOnce(&str) -> Result<Vec<Feature>, E>,
) -> Result<MultiPolygon<f64>, E> {
    let mut polys = Vec::new();
    if let Some(county) = plan.role(Role::County) {
        for f in features(&county.id)? {
            if let Some(mp) = f.shape.as_polygon() {
                polys.extend(mp.0.iter().cloned());
            }
        }
    }
    Ok(MultiPolygon(polys))
}

/// A county outline with its bounding box and an index of its edges: a site whose box meets
/// no edge lies wholly inside or wholly outside, told by one of its points, and only a site
/// across the outline's line is intersected with it.
#[derive(Debug, Clone)]
pub struct Outline {
    pub shape: MultiPolygon<f64>,
    pub bbox: Option<Rect<f64>>,
    edges: RTree<Line<f64>>,
}

impl Outline {
    pub fn new(shape: MultiPolygon<f64>) -> Outline {
        let bbox = shape.bounding_rect();
        let edges = shape
            .0
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .flat_map(|r| r.lines())
            .collect();
        Outline {
            shape,
            bbox,
            edges: RTree::bulk_load(edges),
        }
    }

    /// Whether some edge's box meets `b`.
    fn edge_near(&self, b: &Rect<f64>) -> bool {
        let env = AABB::from_corners(b.min().into(), b.max().into());
        self.edges
            .locate_in_envelope_intersecting(&env)
            .next()
            .is_some()
    }

    /// The outline's geodesic area, m².
    pub fn area_m2(&self) -> f64 {
        geodesy::area_m2(&self.shape)
    }

    /// The part of `site` inside this outline (geo's boolean intersection), `None` when the
    /// boxes do not meet.
    pub fn part(
        &self,
        site: &MultiPolygon<f64>,
        site_box: &Rect<f64>,
    ) -> Option<MultiPolygon<f64>> {
        let b = self.bbox?;
        if !b.intersects(site_box) {
            return None;
        }
        Some(site.intersection(&self.shape))
    }
}

/// For each outline the site's part covers with positive area: its index and the part's
/// geodesic area (m²), in the outlines' order. Only the outlines whose box meets the site's
/// are looked at; a site across an outline's line is cut with geo's boolean intersection;
/// one wholly inside counts whole.
pub fn site_parts(site: &MultiPolygon<f64>, outlines: &[&Outline]) -> Vec<(usize, f64)> {
    let Some(site_box) = site.bounding_rect() else {
        return Vec::new();
    };
    let mut whole = None;
    outlines
        .iter()
        .enumerate()
        .filter_map(|(i, o)| {
            if !o.bbox?.intersects(&site_box) {
                return None;
            }
            let a = if o.edge_near(&site_box) {
                geodesy::area_m2(&o.part(site, &site_box)?)
            } else {
                let inside = o.bbox?.intersects(&site_box) && o.shape.intersects(&first(site)?);
                if !inside {
                    return None;
                }
                *whole.get_or_insert_with(|| geodesy::area_m2(site))
            };
            (a > 0.0).then_some((i, a))
        })
        .collect()
}

/// A vertex of the site.
fn first(site: &MultiPolygon<f64>) -> Option<Coord<f64>> {
    site.0.first()?.exterior().0.first().copied()
}

/// How strict a verdict is: not permitted is the strictest.
fn rank(v: Verdict) -> u8 {
    match v {
        Verdict::NotPermitted => 2,
        Verdict::NeedsAssessment => 1,
        Verdict::Permitted => 0,
    }
}

/// The strictest of the verdicts (`None` for none).
pub fn strictest(verdicts: impl IntoIterator<Item = Verdict>) -> Option<Verdict> {
    verdicts.into_iter().max_by_key(|v| rank(*v))
}

/// One plan's answer to a site.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct PlanVerdict {
    /// The plan's id.
    pub plan: String,
    pub name: String,
    pub verdict: Verdict,
    /// The geodesic area of the part of the site inside this plan's county, m².
    pub area_m2: f64,
    /// That plan's full check report.
    pub report: CheckReport,
}

impl PlanVerdict {
    /// Plan `plan` (named `name`)'s answer; `area_m2` is the site's part in its county
    /// (`None`: the report's own `inside_county_share` tells it — a site checked against one
    /// plan only).
    pub fn new(plan: String, name: String, area_m2: Option<f64>, report: CheckReport) -> Self {
        PlanVerdict {
            plan,
            name,
            verdict: report.verdict,
            area_m2: area_m2.unwrap_or(report.site_area_m2 * report.inside_county_share),
            report,
        }
    }
}

/// The strictest verdict of the plans' (permitted when there are none).
pub fn overall(plans: &[PlanVerdict]) -> Verdict {
    strictest(plans.iter().map(|p| p.verdict)).unwrap_or(Verdict::Permitted)
}

/// A check against several plans as JSON: the leading plan's report, the strictest verdict
/// and every plan's answer (the shape of the server's `POST /api/check` answer).
#[derive(Debug, Serialize)]
pub struct Across<'a> {
    #[serde(flatten)]
    pub report: &'a CheckReport,
    pub overall_verdict: Verdict,
    pub plans: &'a [PlanVerdict],
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn sq(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![
            (x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1), (x: x0, y: y0)
        ]])
    }

    #[test]
    fn a_site_across_a_line_splits_into_the_two_counties_parts() {
        let west = Outline::new(sq(111.0, 37.0, 112.0, 38.0));
        let east = Outline::new(sq(112.0, 37.0, 113.0, 38.0));
        let far = Outline::new(sq(120.0, 30.0, 121.0, 31.0));
        // 1/4 of the site west of the line at 112°, 3/4 east of it.
        let site = sq(111.99, 37.5, 112.03, 37.51);
        let parts = site_parts(&site, &[&west, &far, &east]);
        assert_eq!(parts.iter().map(|p| p.0).collect::<Vec<_>>(), vec![0, 2]);
        // Independent: the pieces as hand-built rectangles.
        let w = geodesy::area_m2(&sq(111.99, 37.5, 112.0, 37.51));
        let e = geodesy::area_m2(&sq(112.0, 37.5, 112.03, 37.51));
        assert!((parts[0].1 - w).abs() < 1e-6 * w);
        assert!((parts[1].1 - e).abs() < 1e-6 * e);
        let whole = geodesy::area_m2(&site);
        assert!((parts[0].1 + parts[1].1 - whole).abs() < 1e-6 * whole);
    }

    #[test]
    fn a_site_wholly_inside_counts_whole_and_one_around_a_hole_not_at_all() {
        let holed = MultiPolygon(vec![geo::Polygon::new(
            sq(111.0, 37.0, 112.0, 38.0).0[0].exterior().clone(),
            vec![sq(111.4, 37.4, 111.6, 37.6).0[0].exterior().clone()],
        )]);
        let county = Outline::new(holed);
        let inside = sq(111.1, 37.1, 111.2, 37.2);
        let parts = site_parts(&inside, &[&county]);
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].1, geodesy::area_m2(&inside));
        // In the hole: no part.
        assert!(site_parts(&sq(111.45, 37.45, 111.5, 37.5), &[&county]).is_empty());
    }

    #[test]
    fn a_site_touching_only_an_edge_or_nothing_has_no_part() {
        let west = Outline::new(sq(111.0, 37.0, 112.0, 38.0));
        assert!(site_parts(&sq(112.0, 37.5, 112.1, 37.6), &[&west]).is_empty());
        assert!(site_parts(&MultiPolygon(vec![]), &[&west]).is_empty());
    }

    #[test]
    fn the_strictest_verdict_wins() {
        use Verdict::*;
        assert_eq!(
            strictest([Permitted, NotPermitted, NeedsAssessment]),
            Some(NotPermitted)
        );
        assert_eq!(
            strictest([Permitted, NeedsAssessment]),
            Some(NeedsAssessment)
        );
        assert_eq!(strictest([]), None);
    }
}
