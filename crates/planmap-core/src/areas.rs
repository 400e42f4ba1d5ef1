//! The site's overlap areas: what every engine computes for a site (its geodesic area, its area
//! inside the county, and its overlap with each feature of the layers that have a site role),
//! and nothing more. [`Engine::check`] builds its report on the same calls
//! ([`PreparedSite`], [`Engine::county_m2`], [`Engine::layer_areas`] for the layers that locate
//! a site), and on [`Engine::layer_shares`] where it needs to know how to cut the pieces.

use geo::{BoundingRect, MultiPolygon, Rect};

use crate::cancel::{Cancel, Cancelled, CheckError};
use crate::engine::Engine;
use crate::error::SiteError;
use crate::options::CheckOptions;
use crate::overlay::{self, Measured, Share};
use crate::plan::{GeometryKind, SiteRole};
use crate::relate::Edges;
use crate::validate::validate_indexed;

/// A validated site with its box, geodesic area and (for many-edged sites) edge index.
pub struct PreparedSite<'a> {
    pub polygon: &'a MultiPolygon<f64>,
    pub bbox: Rect<f64>,
    pub area_m2: f64,
    edges: Option<Edges>,
}

impl<'a> PreparedSite<'a> {
    /// Validates the site (its parts against the limit, then
    /// [`validate_site`](crate::validate::validate_site)) and measures it.
    pub fn new(site: &'a MultiPolygon<f64>, opts: &CheckOptions) -> Result<Self, SiteError> {
        crate::cancel::never(Self::new_cancellable(site, opts, &Cancel::new()))
    }

    /// [`PreparedSite::new`], stopped when `cancel` is set.
    pub fn new_cancellable(
        site: &'a MultiPolygon<f64>,
        opts: &CheckOptions,
        cancel: &Cancel,
    ) -> Result<Self, CheckError> {
        if site.0.len() > opts.max_parts {
            return Err(SiteError::TooManyParts {
                count: site.0.len(),
                limit: opts.max_parts,
            }
            .into());
        }
        let (area_m2, edges) = validate_indexed(site, opts.max_vertices, cancel)?;
        let bbox = site.bounding_rect().ok_or(SiteError::Empty)?;
        Ok(PreparedSite {
            polygon: site,
            bbox,
            area_m2,
            edges,
        })
    }

    pub fn measured(&self) -> Measured<'_> {
        Measured::new(self.polygon, self.bbox, self.area_m2, self.edges.as_ref())
    }
}

/// The overlap of a site with one feature.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureArea {
    pub layer: usize,
    pub feature: usize,
    pub area_m2: f64,
}

/// A site's areas: whole, inside the county, and with every feature it overlaps (in layer
/// order, then feature order), slivers included.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteAreas {
    pub site_m2: f64,
    pub county_m2: f64,
    pub overlaps: Vec<FeatureArea>,
}

impl Engine {
    /// The site's overlap areas with every polygon layer that has a site role (prohibited,
    /// assess, locate), as [`Engine::check`] measures them, without the report around them.
    pub fn overlap_areas(
        &self,
        site: &MultiPolygon<f64>,
        opts: CheckOptions,
    ) -> Result<SiteAreas, SiteError> {
        crate::cancel::never(self.overlap_areas_cancellable(site, opts, &Cancel::new()))
    }

    /// [`Engine::overlap_areas`], stopped soon after `cancel` is set (between candidate
    /// features, and every few thousand edges of a big site).
    pub fn overlap_areas_cancellable(
        &self,
        site: &MultiPolygon<f64>,
        opts: CheckOptions,
        cancel: &Cancel,
    ) -> Result<SiteAreas, CheckError> {
        let prepared = PreparedSite::new_cancellable(site, &opts, cancel)?;
        let m = prepared.measured();
        let county_m2 = self.county_m2(&m)?;
        let mut overlaps = Vec::new();
        for layer in self.site_layers() {
            for found in self.layer_areas(layer, &m, cancel) {
                let (feature, area_m2) = found?;
                overlaps.push(FeatureArea {
                    layer,
                    feature,
                    area_m2,
                });
            }
        }
        Ok(SiteAreas {
            site_m2: prepared.area_m2,
            county_m2,
            overlaps,
        })
    }

    /// Indexes of the polygon layers with a site role, in manifest order.
    pub fn site_layers(&self) -> impl Iterator<Item = usize> + '_ {
        self.layers.iter().enumerate().filter_map(|(i, l)| {
            (l.def.site_role != SiteRole::None && l.def.geometry == GeometryKind::Polygon)
                .then_some(i)
        })
    }

    /// The site's area inside the county (the whole site without a county layer); an error
    /// when the site does not overlap the county.
    pub fn county_m2(&self, site: &Measured) -> Result<f64, SiteError> {
        let Some(county) = self.county() else {
            return Ok(site.area_m2);
        };
        let inside: f64 = (0..county.features.len())
            .filter_map(|i| county.measured(i))
            .map(|c| overlay::overlap_area(site, &c))
            .sum();
        if inside <= 0.0 {
            return Err(SiteError::OutsideCounty {
                county: self.plan.county.clone(),
            });
        }
        Ok(inside)
    }

    /// The site's overlap areas (m², > 0) with the features of layer `li`, in feature order:
    /// [`Engine::layer_shares`]' areas. Once `cancel` is set, the next item is
    /// `Err(Cancelled)` (read before each candidate feature).
    pub fn layer_areas<'a>(
        &'a self,
        li: usize,
        site: &'a Measured<'a>,
        cancel: &'a Cancel,
    ) -> impl Iterator<Item = Result<(usize, f64), Cancelled>> + 'a {
        self.layer_shares(li, site, cancel)
            .map(|r| r.map(|(fi, share)| (fi, share.area_m2())))
    }

    /// How the site shares area with the features of layer `li` (each one it overlaps, in
    /// feature order): the area, and whether one lies inside the other or the piece must be
    /// cut ([`overlay::piece`]); `cancel` as in [`Engine::layer_areas`].
    pub fn layer_shares<'a>(
        &'a self,
        li: usize,
        site: &'a Measured<'a>,
        cancel: &'a Cancel,
    ) -> impl Iterator<Item = Result<(usize, Share), Cancelled>> + 'a {
        let layer = &self.layers[li];
        self.candidates(li, &site.shape.bbox)
            .into_iter()
            .filter_map(move |fi| {
                if let Err(c) = cancel.check() {
                    return Some(Err(c));
                }
                Some(Ok((
                    fi,
                    overlay::overlap_share(site, &layer.measured(fi)?)?,
                )))
            })
    }
}
