//! Features: a stable id, a geometry in lon/lat, and attributes.

use std::borrow::Cow;

use geo::{Geometry, MultiLineString, MultiPolygon, Point};

pub use crate::attributes::{Attributes, Properties};

/// The geometry a layer holds, normalised to one type per layer kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Polygon(MultiPolygon<f64>),
    Line(MultiLineString<f64>),
    Point(Point<f64>),
}

impl Shape {
    pub fn kind_name(&self) -> &'static str {
        match self {
            Shape::Polygon(_) => "polygon",
            Shape::Line(_) => "line",
            Shape::Point(_) => "point",
        }
    }

    /// Normalises any geo geometry to a layer shape; `None` for mixed collections.
    pub fn from_geometry(g: Geometry<f64>) -> Option<Shape> {
        Some(match g {
            Geometry::Polygon(p) => Shape::Polygon(MultiPolygon(vec![p])),
            Geometry::MultiPolygon(mp) => Shape::Polygon(mp),
            Geometry::Rect(r) => Shape::Polygon(MultiPolygon(vec![r.to_polygon()])),
            Geometry::Triangle(t) => Shape::Polygon(MultiPolygon(vec![t.to_polygon()])),
            Geometry::LineString(l) => Shape::Line(MultiLineString(vec![l])),
            Geometry::MultiLineString(l) => Shape::Line(l),
            Geometry::Line(l) => Shape::Line(MultiLineString(vec![l.into()])),
            Geometry::Point(p) => Shape::Point(p),
            Geometry::MultiPoint(mp) if mp.0.len() == 1 => Shape::Point(mp.0[0]),
            _ => return None,
        })
    }

    pub fn to_geometry(&self) -> Geometry<f64> {
        match self {
            Shape::Polygon(p) => Geometry::MultiPolygon(p.clone()),
            Shape::Line(l) => Geometry::MultiLineString(l.clone()),
            Shape::Point(p) => Geometry::Point(*p),
        }
    }

    pub fn as_polygon(&self) -> Option<&MultiPolygon<f64>> {
        match self {
            Shape::Polygon(p) => Some(p),
            _ => None,
        }
    }
}

/// One feature of a layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// Stable id, unique within its layer (e.g. `farmland-000123`).
    pub id: String,
    pub shape: Shape,
    pub properties: Attributes,
}

impl Feature {
    /// The feature's `name` attribute, or its id.
    pub fn name(&self) -> Cow<'_, str> {
        self.properties
            .get_str("name")
            .unwrap_or(Cow::Borrowed(&self.id))
    }
}
