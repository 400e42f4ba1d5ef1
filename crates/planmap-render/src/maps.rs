//! The maps of reports: a checked site over the plan, and a layer's overview.

use geo::{BoundingRect, Rect};
use planmap_core::{CheckReport, Engine, Role, Shape};

use crate::frame::Frame;
use crate::image::{Png, RenderError};
use crate::render::render_map;
use crate::scene::{report_style, MapLayer, MapStyle};

/// Share of the site's box added on each side of a site map.
pub const SITE_MARGIN: f64 = 0.35;
/// A site map covers at least this many metres across.
pub const SITE_MIN_SIDE_M: f64 = 600.0;

/// Everything to draw a map: frame, layers and style.
#[derive(Debug, Clone)]
pub struct SiteMap {
    pub frame: Frame,
    pub layers: Vec<MapLayer>,
    pub style: MapStyle,
}

impl SiteMap {
    pub fn render(&self, size: u32) -> Result<Png, RenderError> {
        render_map(&self.frame, &self.layers, &self.style, size)
    }
}

/// Every feature of every plan layer that reaches `bbox`, one map layer a plan layer.
pub fn plan_layers(engine: &Engine, bbox: &Rect<f64>) -> Vec<MapLayer> {
    engine
        .layers
        .iter()
        .enumerate()
        .map(|(i, l)| MapLayer {
            id: l.def.id.clone(),
            shapes: engine
                .candidates(i, bbox)
                .into_iter()
                .map(|fi| l.features[fi].shape.clone())
                .collect(),
        })
        .collect()
}

/// The map of a checked site: the plan's layers around it, the overlap pieces in their layer's
/// full colour and the site outlined. `None` when the site is empty.
pub fn site_map(engine: &Engine, report: &CheckReport) -> Option<SiteMap> {
    let bbox = report.site.bounding_rect()?;
    let frame = Frame::around(bbox, SITE_MARGIN, SITE_MIN_SIDE_M);
    let mut layers = plan_layers(engine, &frame.lonlat_bounds());
    for o in &report.overlaps {
        layers.push(MapLayer {
            id: format!("pieces-{}", o.layer),
            shapes: o
                .pieces()
                .iter()
                .map(|(_, p)| Shape::Polygon(p.geometry.clone()))
                .collect(),
        });
    }
    layers.push(MapLayer {
        id: "site".into(),
        shapes: vec![Shape::Polygon(report.site.clone())],
    });
    Some(SiteMap {
        frame,
        layers,
        style: report_style(&engine.plan),
    })
}

/// The whole county with every layer (or only `layer` over the county and its neighbours).
/// `None` for an unknown layer or an empty plan.
pub fn layer_preview(engine: &Engine, layer: Option<&str>) -> Option<SiteMap> {
    if let Some(id) = layer {
        engine.layer(id)?;
    }
    let county = engine
        .county()
        .and_then(|c| c.bbox())
        .or_else(|| layer.and_then(|id| engine.layer(id)?.bbox()))?;
    let frame = Frame::around(county, 0.04, 0.0);
    // A layer's preview: the layer over the county and its neighbours.
    let frame_ids: Vec<&str> = [Role::County, Role::Neighbours]
        .into_iter()
        .filter_map(|r| Some(engine.role(r)?.def.id.as_str()))
        .collect();
    let keep = |id: &str| layer.is_none_or(|l| id == l || frame_ids.contains(&id));
    let layers = plan_layers(engine, &frame.lonlat_bounds())
        .into_iter()
        .filter(|l| keep(&l.id))
        .collect();
    let mut style = report_style(&engine.plan);
    style.layers.retain(|l| keep(&l.source));
    Some(SiteMap {
        frame,
        layers,
        style,
    })
}
