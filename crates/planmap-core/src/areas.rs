//! The site's overlap areas: what every engine computes for a site (its geodesic area, its area
//! inside the county, and its overlap with each feature of the layers that have a site role),
//! and nothing more. [`Engine::check`] builds its report on the same calls
//! ([`PreparedSite`], [`Engine::county_m2`], [`Engine::layer_areas`] for the layers that locate
//! a site), and on [`Engine::layer_overlaps`] where it needs the pieces themselves.

use geo::{BoundingRect, MultiPolygon, Rect};

use crate::engine::Engine;
use crate::error::SiteError;
use crate::options::CheckOptions;
use crate::overlay::{self, Measured, Overlap};
use crate::plan::{GeometryKind, SiteRole};
use crate::relate::Edges;
use crate::validate::validate_site;

/// A validated site with its box, geodesic area and (for many-edged sites) edge index.
pub struct PreparedSite<'a> {
    pub polygon: &'a MultiPolygon<f64>,
    pub bbox: Rect<f64>,
    pub area_m2: f64,
    edges: Option<Edges>,
}

impl<'a> PreparedSite<'a> {
    /// Validates the site (its parts against the limit, then [`validate_site`]) and measures it.
    pub fn new(site: &'a MultiPolygon<f64>, opts: &CheckOptions) -> Result<Self, SiteError> {
        if site.0.len() > opts.max_parts {
            return Err(SiteError::TooManyParts {
                count: site.0.len(),
                limit: opts.max_parts,
            });
        }
        let area_m2 = validate_site(site, opts.max_vertices)?;
        let bbox = site.bounding_rect().ok_or(SiteError::Empty)?;
        let edges = Edges::worth_it(site).then(|| Edges::new(site));
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
        let prepared = PreparedSite::new(site, &opts)?;
        let m = prepared.measured();
        let county_m2 = self.county_m2(&m)?;
        let mut overlaps = Vec::new();
        for layer in self.site_layers() {
            for (feature, area_m2) in self.layer_areas(layer, &m) {
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
    /// [`Engine::layer_overlaps`] without the pieces' geometry.
    pub fn layer_areas<'a>(
        &'a self,
        li: usize,
        site: &'a Measured<'a>,
    ) -> impl Iterator<Item = (usize, f64)> + 'a {
        let layer = &self.layers[li];
        self.candidates(li, &site.shape.bbox)
            .into_iter()
            .filter_map(move |fi| {
                let a = overlay::overlap_area(site, &layer.measured(fi)?);
                (a > 0.0).then_some((fi, a))
            })
    }

    /// The site's overlaps with the features of layer `li`, in feature order.
    pub fn layer_overlaps<'a>(
        &'a self,
        li: usize,
        site: &'a Measured<'a>,
    ) -> impl Iterator<Item = (usize, Overlap<'a>)> + 'a {
        let layer = &self.layers[li];
        self.candidates(li, &site.shape.bbox)
            .into_iter()
            .filter_map(move |fi| Some((fi, overlay::overlap_of(site, &layer.measured(fi)?)?)))
    }
}
