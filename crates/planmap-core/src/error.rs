//! Errors of the domain: each names what is wrong, for a person to read.

use thiserror::Error;

/// A site (or other user geometry) that cannot be checked, and why.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum SiteError {
    #[error("site is empty: it has no polygon")]
    Empty,
    #[error("site geometry must be a Polygon or MultiPolygon, got {0}")]
    WrongType(String),
    #[error("site coordinate {index} is not a finite number")]
    NonFinite { index: usize },
    #[error("site coordinate {index} ({lon:?}, {lat:?}) is outside lon/lat range (lon -180..180, lat -90..90)")]
    OutOfRange { index: usize, lon: f64, lat: f64 },
    #[error("site polygon {part}: {reason}")]
    Invalid { part: usize, reason: String },
    #[error("site has zero area")]
    ZeroArea,
    #[error("site lies outside {county}: it does not touch the plan area")]
    OutsideCounty { county: String },
    #[error("site has {count} vertices, more than the limit of {limit}")]
    TooManyVertices { count: usize, limit: usize },
    #[error("site has {count} parts (polygons), more than the limit of {limit}")]
    TooManyParts { count: usize, limit: usize },
}

/// A plan manifest or layer set that is inconsistent.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum PlanError {
    #[error("unknown layer '{0}'")]
    UnknownLayer(String),
    #[error("layer '{0}' is defined twice in the manifest")]
    DuplicateLayer(String),
    #[error("rule {index} names unknown layer '{layer}'")]
    RuleUnknownLayer { index: usize, layer: String },
    #[error("layer '{layer}': feature '{id}' has a {found} geometry, the layer holds {expected}")]
    GeometryKind {
        layer: String,
        id: String,
        found: String,
        expected: String,
    },
    #[error("layer '{layer}': feature id '{id}' is used twice")]
    DuplicateFeature { layer: String, id: String },
    #[error("no layer has role = \"county\": a plan needs its county boundary (a polygon layer) to check sites against")]
    NoCounty,
    #[error("layers '{a}' and '{b}' both have role = \"{role}\": a role is played by one layer")]
    DuplicateRole {
        role: &'static str,
        a: String,
        b: String,
    },
    #[error("layer '{layer}' has role = \"{role}\", which needs a {expected} layer")]
    RoleGeometry {
        layer: String,
        role: &'static str,
        expected: &'static str,
    },
    #[error("{0}")]
    Manifest(String),
}
