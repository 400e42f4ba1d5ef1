//! Site check (用地预审 / 选址合规性审查): does a project site touch the plan's protected layers?

use std::sync::OnceLock;

use geo::{BoundingRect, MultiPolygon};
use serde::Serialize;

pub use crate::options::CheckOptions;

use crate::areas::PreparedSite;
use crate::cancel::{Cancel, Cancelled, CheckError};
use crate::engine::Engine;
use crate::error::SiteError;
use crate::geodesy;
use crate::overlay::{self, Measured, Piece};
use crate::pieces::Pieces;
use crate::plan::{Role, SiteRole};
use crate::relate::Edges;
use crate::units::{Area, M2_PER_MU};

/// The outcome of a site check.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Verdict {
    /// Overlaps a prohibited layer beyond the sliver tolerance.
    #[serde(rename = "不通过")]
    NotPermitted,
    /// Overlaps a layer that needs assessment.
    #[serde(rename = "需论证")]
    NeedsAssessment,
    #[serde(rename = "通过")]
    Permitted,
}

impl Verdict {
    pub fn zh(self) -> &'static str {
        match self {
            Verdict::NotPermitted => "不通过",
            Verdict::NeedsAssessment => "需论证",
            Verdict::Permitted => "通过",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            Verdict::NotPermitted => "not permitted",
            Verdict::NeedsAssessment => "needs assessment",
            Verdict::Permitted => "permitted",
        }
    }
}

/// The site's overlap with one layer.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct LayerOverlap {
    pub layer: String,
    pub name: String,
    pub role: SiteRole,
    pub area_m2: f64,
    pub area_ha: f64,
    pub area_mu: f64,
    /// Overlap area / site area.
    pub share: f64,
    pub feature_ids: Vec<String>,
    pub feature_names: Vec<String>,
    /// The overlap pieces, cut on first use: [`LayerOverlap::pieces`].
    #[serde(skip)]
    pieces: Pieces,
}

impl LayerOverlap {
    /// The overlap pieces (feature id, piece lon/lat), one per feature in `feature_ids`'
    /// order. Cut by the overlay on first use (a check's verdict and areas need none).
    pub fn pieces(&self) -> &[(String, Piece)] {
        self.pieces.get()
    }
}

/// An overlap under the sliver tolerance: counted apart, does not change the verdict.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct Sliver {
    pub layer: String,
    pub feature_id: String,
    pub area_m2: f64,
}

/// A feature the site lies in (township, park), with the share of the site inside it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct Location {
    pub layer: String,
    pub feature_id: String,
    pub name: String,
    pub share: f64,
}

/// Distance from the site to the nearest feature of a layer it does not overlap.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct Nearest {
    pub layer: String,
    pub feature_id: String,
    pub distance_m: f64,
}

/// Everything a check finds; serialises to the report JSON of the CLI and the API.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub verdict: Verdict,
    pub verdict_en: &'static str,
    pub reasons: Vec<String>,
    pub site_area_m2: f64,
    pub site_area_ha: f64,
    pub site_area_mu: f64,
    /// Share of the site inside the county (1.0 unless it straddles the boundary).
    pub inside_county_share: f64,
    /// Prohibited and assess layers the site overlaps, in manifest order.
    pub overlaps: Vec<LayerOverlap>,
    pub slivers: Vec<Sliver>,
    /// Names of the features of the `subdivisions` layer (乡镇) the site lies in.
    pub townships: Vec<String>,
    /// Names of the features of the `parks` layer the site lies in.
    pub parks: Vec<String>,
    pub locations: Vec<Location>,
    /// Distance to the nearest feature of the `red_line` layer when the site does not
    /// overlap it.
    pub nearest_red_line_m: Option<f64>,
    pub nearest: Vec<Nearest>,
    /// Area of the site left after removing every prohibited overlap (避让).
    pub avoidance_area_m2: f64,
    pub sliver_tolerance_m2: f64,
    pub data_version: String,
    pub illustrative: bool,
    pub caveat: String,
    /// The site minus all prohibited layers (避让 geometry): see [`CheckReport::avoidance`].
    #[serde(skip)]
    avoidance: OnceLock<MultiPolygon<f64>>,
    #[serde(skip)]
    pub site: MultiPolygon<f64>,
}

impl CheckReport {
    /// The site minus all prohibited layers (避让 geometry), built on first use.
    pub fn avoidance(&self) -> &MultiPolygon<f64> {
        self.avoidance.get_or_init(|| {
            overlay::avoid(
                &self.site,
                prohibited_pieces(&self.overlaps).map(|p| &p.geometry),
            )
        })
    }
}

fn prohibited_pieces(overlaps: &[LayerOverlap]) -> impl Iterator<Item = &Piece> + Clone {
    overlaps
        .iter()
        .filter(|o| o.role == SiteRole::Prohibited)
        .flat_map(|o| o.pieces().iter().map(|(_, p)| p))
}

impl Engine {
    /// Checks a site against every layer of the plan: validates it, measures it, overlays it
    /// with every polygon layer that has a site role, and gives the verdict (不通过 / 需论证 /
    /// 通过), the overlap areas, the townships and park it lies in (the features of the
    /// `subdivisions` and `parks` layers), the distance to the nearest feature of the
    /// `red_line` layer and the area left after avoidance (避让).
    ///
    /// # Units
    ///
    /// Areas in m² (公顷 and 亩 beside them), geodesic on the WGS84 ellipsoid; distances in
    /// metres; shares as fractions of the site's area.
    ///
    /// # Assumptions
    ///
    /// - The site is lon/lat degrees (CGCS2000 ≈ WGS84), polygons with closed rings; a
    ///   self-intersecting, empty or oversized site (`opts`) is a [`SiteError`], as is a
    ///   site wholly outside the plan's `county` layer (the layer with that role).
    /// - Overlaps under the plan's `sliver_tolerance_m2` are slivers: counted apart, never in
    ///   the verdict; sharing only an edge or a point is no overlap.
    ///
    /// # Examples
    ///
    /// A plan reduced to a box of a county and one patch of Wenshui's red line — the planted
    /// red line × farmland overlap inside 文峪河河湖岸线生态保护红线 (`red_line-011`), the
    /// meridians 112.0985°–112.0997°E and parallels 37.385°–37.3858°N. A 100 m site across its
    /// east edge is 不通过, with half of it on the red line; a site by 刘胡兰纪念馆
    /// (112.176°E, 37.412°N) is 通过, 7.29 km from the patch.
    ///
    /// ```
    /// use geo::{polygon, MultiPolygon};
    /// use planmap_core::{CheckOptions, Engine, Feature, Shape, Verdict};
    ///
    /// # let plan: planmap_core::Plan = serde_json::from_value(serde_json::json!({
    /// #     "id": "wenshui", "name": "美丽文水", "county": "文水县", "county_area_km2": 1068.57,
    /// #     "layers": [
    /// #         {"id": "county", "name": "文水县", "kind": "boundary", "geometry": "polygon", "color": "#000000",
    /// #          "role": "county"},
    /// #         {"id": "red_line", "name": "生态保护红线", "kind": "protected", "geometry": "polygon",
    /// #          "color": "#e60000", "site_role": "prohibited", "role": "red_line"}]})).unwrap();
    /// let bx = |x0: f64, y0: f64, x1: f64, y1: f64| {
    ///     MultiPolygon(vec![polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1), (x: x0, y: y0)]])
    /// };
    /// let feature = |id: &str, shape| Feature { id: id.into(), shape: Shape::Polygon(shape), properties: Default::default() };
    /// let county = vec![feature("county-001", bx(111.8, 37.2, 112.4, 37.6))];
    /// let red_line = vec![feature("red_line-011", bx(112.0985, 37.385, 112.0997, 37.3858))];
    /// let engine = Engine::new(plan, vec![(county, "v1".into()), (red_line, "v1".into())]).unwrap();
    ///
    /// // 0.0012° × 0.0004° across the patch's east edge: the ellipsoid's area of a box of
    /// // meridians and parallels, a²(1 − e²)/2 · Δλ · [f(φ)] with f(φ) = sin φ/(1 − e² sin² φ)
    /// // + artanh(e sin φ)/e, is 4717.856 m², the half west of 112.0997°E 2358.928 m².
    /// let site = bx(112.0991, 37.3852, 112.1003, 37.3856);
    /// let r = engine.check(&site, CheckOptions::default()).unwrap();
    /// assert_eq!(r.verdict, Verdict::NotPermitted);
    /// assert!((r.site_area_m2 - 4717.856).abs() < 1e-3);
    /// assert!((r.overlaps[0].area_m2 - 2358.928).abs() < 1e-3);
    /// assert!((r.avoidance_area_m2 - 2358.928).abs() < 1e-3);
    ///
    /// // By 刘胡兰纪念馆: no overlap; the nearest red line is the patch's north-east corner,
    /// // 7292.64 m away (Vincenty's inverse on WGS84 from the site's south-west corner).
    /// let site = bx(112.1755, 37.4115, 112.1765, 37.4125);
    /// let r = engine.check(&site, CheckOptions::default()).unwrap();
    /// assert_eq!(r.verdict, Verdict::Permitted);
    /// assert!((r.nearest_red_line_m.unwrap() - 7292.64).abs() < 1.0);
    /// ```
    pub fn check(
        &self,
        site: &MultiPolygon<f64>,
        opts: CheckOptions,
    ) -> Result<CheckReport, SiteError> {
        crate::cancel::never(self.check_cancellable(site, opts, &Cancel::new()))
    }

    /// [`Engine::check`], stopped soon after `cancel` is set: the flag is read between pieces
    /// of work (each candidate feature, each layer, every few thousand edges of a big site),
    /// so the call returns [`CheckError::Cancelled`] within milliseconds even for a site at
    /// the vertex limit. A server flips the flag from a timer at the request's deadline (the
    /// core has no clock) and holds its slot until this returns.
    pub fn check_cancellable(
        &self,
        site: &MultiPolygon<f64>,
        opts: CheckOptions,
        cancel: &Cancel,
    ) -> Result<CheckReport, CheckError> {
        let prepared = PreparedSite::new_cancellable(site, &opts, cancel)?;
        let site_area = prepared.area_m2;
        let tol = self.plan.sliver_tolerance_m2;
        let measured_site = prepared.measured();
        let inside_county_share = (self.county_m2(&measured_site)? / site_area).min(1.0);

        let mut overlaps = Vec::new();
        let mut slivers = Vec::new();
        let mut locations = Vec::new();
        // The site the pieces are cut from (shared by them).
        let shared_site = std::sync::Arc::new(site.clone());
        for li in self.site_layers() {
            let layer = &self.layers[li];
            let role = layer.def.site_role;
            let mut lo = LayerOverlap {
                layer: layer.def.id.clone(),
                name: layer.def.name.clone(),
                role,
                area_m2: 0.0,
                area_ha: 0.0,
                area_mu: 0.0,
                share: 0.0,
                feature_ids: vec![],
                feature_names: vec![],
                pieces: Pieces::default(),
            };
            if role == SiteRole::Locate {
                // Only the shares: no piece geometry.
                for found in self.layer_areas(li, &measured_site, cancel) {
                    let (fi, area_m2) = found?;
                    if area_m2 > tol {
                        let f = &layer.features[fi];
                        locations.push(Location {
                            layer: layer.def.id.clone(),
                            feature_id: f.id.clone(),
                            name: f.name().to_string(),
                            share: area_m2 / site_area,
                        });
                    }
                }
                continue;
            }
            for found in self.layer_shares(li, &measured_site, cancel) {
                let (fi, share) = found?;
                let f = &layer.features[fi];
                let area_m2 = share.area_m2();
                if area_m2 <= tol {
                    slivers.push(Sliver {
                        layer: layer.def.id.clone(),
                        feature_id: f.id.clone(),
                        area_m2,
                    });
                    continue;
                }
                lo.area_m2 += area_m2;
                lo.feature_ids.push(f.id.clone());
                lo.feature_names.push(f.name().to_string());
                if let (Some(polygon), Some(bbox)) = (f.shape.as_polygon(), layer.bboxes[fi]) {
                    lo.pieces
                        .push(&shared_site, (&f.id, fi), polygon, bbox, share);
                }
            }
            if lo.feature_ids.is_empty() || role == SiteRole::Locate {
                continue;
            }
            let a = Area::from_m2(lo.area_m2);
            lo.area_ha = a.ha();
            lo.area_mu = a.mu();
            lo.share = lo.area_m2 / site_area;
            overlaps.push(lo);
        }

        // Prohibited layers first, then those needing assessment; manifest order within each.
        overlaps.sort_by_key(|o| o.role != SiteRole::Prohibited);
        let reasons: Vec<String> = overlaps
            .iter()
            .map(|lo| {
                format!(
                    "{}「{}」{:.1} m²（{:.2} 亩）",
                    if lo.role == SiteRole::Prohibited {
                        "占用"
                    } else {
                        "涉及"
                    },
                    lo.name,
                    lo.area_m2,
                    lo.area_m2 / M2_PER_MU
                )
            })
            .collect();
        let verdict = if overlaps.iter().any(|o| o.role == SiteRole::Prohibited) {
            Verdict::NotPermitted
        } else if overlaps.iter().any(|o| o.role == SiteRole::Assess) {
            Verdict::NeedsAssessment
        } else {
            Verdict::Permitted
        };

        // 避让: the site less the union of the prohibited pieces (the geometry itself is built
        // when asked for).
        let avoidance = OnceLock::new();
        let avoidance_area_m2 = self.avoidance_area(&measured_site, &overlaps, cancel)?;
        cancel.check()?;

        let mut nearest = Vec::new();
        let red_line = self.role(Role::RedLine);
        let apart = red_line.filter(|l| !overlaps.iter().any(|o| o.layer == l.def.id));
        if let Some(l) = apart {
            if let Some((i, distance_m)) = crate::nearest::nearest(l, &measured_site, cancel)? {
                nearest.push(Nearest {
                    layer: l.def.id.clone(),
                    feature_id: l.features[i].id.clone(),
                    distance_m,
                });
            }
        }
        let nearest_red_line_m = nearest.first().map(|n| n.distance_m);

        let names_in = |role: Role| -> Vec<String> {
            let Some(layer) = self.role(role) else {
                return Vec::new();
            };
            locations
                .iter()
                .filter(|l| l.layer == layer.def.id)
                .map(|l| l.name.clone())
                .collect()
        };
        let site_a = Area::from_m2(site_area);
        Ok(CheckReport {
            verdict,
            verdict_en: verdict.en(),
            reasons,
            site_area_m2: site_area,
            site_area_ha: site_a.ha(),
            site_area_mu: site_a.mu(),
            inside_county_share,
            townships: names_in(Role::Subdivisions),
            parks: names_in(Role::Parks),
            overlaps,
            slivers,
            locations,
            nearest_red_line_m,
            nearest,
            avoidance_area_m2,
            sliver_tolerance_m2: tol,
            data_version: self.data_version(),
            illustrative: self.plan.illustrative,
            caveat: self.plan.caveat.clone(),
            avoidance,
            site: site.clone(),
        })
    }

    /// The area of the site less the union of the prohibited pieces (避让). Pieces of features
    /// that have no point in common with any other are apart: their areas add up, with nothing
    /// cut. Each group of features in contact is united (the overlay) and measured against the
    /// site once: the union of its pieces is the site's overlap with the union of its features.
    fn avoidance_area(
        &self,
        site: &Measured,
        overlaps: &[LayerOverlap],
        cancel: &Cancel,
    ) -> Result<f64, Cancelled> {
        let site_area = site.area_m2;
        let prohibited = || overlaps.iter().filter(|o| o.role == SiteRole::Prohibited);
        if prohibited().any(|o| o.pieces.has_site()) {
            return Ok(0.0); // the site lies in a prohibited feature: nothing is left
        }
        let (mut shapes, mut areas) = (Vec::new(), Vec::new());
        for o in prohibited() {
            let Some(layer) = self.layer(&o.layer) else {
                continue;
            };
            for (fi, a) in o.pieces.features().zip(o.pieces.areas()) {
                if let Some(m) = layer.measured(fi) {
                    shapes.push(m.shape);
                    areas.push(a);
                }
            }
        }
        let groups = crate::pieces::groups(&shapes, cancel)?;
        let mut covered = 0.0;
        for g in &groups {
            let features = crate::pieces::union(g.iter().map(|&i| shapes[i].polygon), cancel)?;
            if let Some(bbox) = features.bounding_rect() {
                let edges = Edges::worth_it(&features).then(|| Edges::new(&features));
                let area = geodesy::area_m2(&features);
                let united = Measured::new(&features, bbox, area, edges.as_ref());
                covered += overlay::overlap_area(site, &united);
            }
            for &i in g {
                areas[i] = 0.0; // counted in the group's union
            }
        }
        covered += areas.iter().sum::<f64>();
        // A site wholly excluded leaves 0 m², never -0 (which reads "-0.00 m²").
        Ok((site_area - covered).max(0.0) + 0.0)
    }

    /// A version string of all the data: the layers' versions joined.
    pub fn data_version(&self) -> String {
        data_version_of(
            &self.plan.id,
            self.layers
                .iter()
                .map(|l| (l.def.id.as_str(), l.version.as_str())),
        )
    }
}

/// The data version of a plan from its layers' ids and versions, in manifest order (what
/// [`Engine::data_version`] says, computable without loading the features).
pub fn data_version_of<'a>(
    plan_id: &str,
    layers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (id, version) in layers {
        for b in id.bytes().chain(version.bytes()) {
            h ^= b as u64;
            h = h.wrapping_mul(0x100_0000_01b3);
        }
    }
    format!("{plan_id}-{:012x}", h & 0xffff_ffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn sq(x0: f64, y0: f64, d: f64) -> Piece {
        let geometry = MultiPolygon(vec![polygon![
            (x: x0, y: y0), (x: x0 + d, y: y0), (x: x0 + d, y: y0 + d), (x: x0, y: y0 + d)
        ]]);
        let area_m2 = geodesy::area_m2(&geometry);
        Piece { geometry, area_m2 }
    }

    /// Pieces apart: the site less their areas is what the overlay leaves. Pieces that share
    /// an edge or overlap, one with the next, form a group (their union goes to the overlay).
    #[test]
    fn avoidance_area_of_pieces_apart() {
        use crate::pieces::groups;
        fn shape(p: &Piece) -> crate::relate::Shape<'_> {
            use geo::BoundingRect;
            crate::relate::Shape {
                polygon: &p.geometry,
                bbox: p.geometry.bounding_rect().unwrap(),
                edges: None,
            }
        }
        let never = Cancel::new();
        let site = sq(112.0, 37.4, 0.01);
        let (a, b) = (sq(112.001, 37.401, 0.002), sq(112.005, 37.405, 0.003));
        assert!(groups(&[shape(&a), shape(&b)], &never).unwrap().is_empty());
        let left = geodesy::area_m2(&overlay::avoid(&site.geometry, [&a.geometry, &b.geometry]));
        let fast = site.area_m2 - a.area_m2 - b.area_m2;
        // (the overlay rounds to its fixed-point grid: ~1e-9 here)
        assert!(((fast - left) / left).abs() < 1e-8, "{fast} vs {left}");
        let touching = sq(112.003, 37.401, 0.002); // shares a's east edge
        let overlapping = sq(112.004, 37.402, 0.002); // overlaps `touching`, not a
        let all = [&a, &b, &touching, &overlapping].map(shape);
        assert_eq!(groups(&all, &never).unwrap(), vec![vec![0, 2, 3]]);
    }

    /// A site wholly covered by touching pieces leaves nothing, and that nothing is +0: an
    /// empty sum of f64 is -0.0, which a report prints as "-0.00".
    #[test]
    fn nothing_left_is_positive_zero() {
        let site = sq(112.0, 37.4, 0.002);
        let (a, b) = (sq(112.0, 37.4, 0.001), sq(112.001, 37.4, 0.001));
        let c = sq(112.0, 37.401, 0.002);
        let left = overlay::avoid(&site.geometry, [&a.geometry, &b.geometry, &c.geometry]);
        assert!(left.0.is_empty(), "{left:?}");
        let area = geodesy::area_m2(&left);
        assert!(area == 0.0 && area.is_sign_positive(), "{area:?}");
        assert!(geodesy::area_m2(&MultiPolygon(vec![])).is_sign_positive());
    }
}
