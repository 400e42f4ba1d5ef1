//! The kinds a manifest names: a layer's role in the plan, its kind and its geometry —
//! shared by the manifest ([`crate::plan`]) and its cartography ([`crate::draw`]).

use serde::{Deserialize, Serialize};

/// The part a layer plays in the plan. A manifest has exactly one `county` layer and at most
/// one layer of each other role.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The plan's area (polygon): a site must touch it; the check measures its share inside.
    County,
    /// Its subdivisions (乡镇, polygons): the check names those a site lies in
    /// (`townships` in the report).
    Subdivisions,
    /// The ecological protection red line (polygons): the check reports the distance to its
    /// nearest feature (`nearest_red_line_m`) when the site does not overlap it.
    RedLine,
    /// Parks (polygons): the check names those a site lies in (`parks` in the report).
    Parks,
    /// Place names (points): the map's place labels and search.
    Places,
    /// Neighbouring areas (polygons): drawn around the plan, not identified on a click.
    Neighbours,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::County,
        Role::Subdivisions,
        Role::RedLine,
        Role::Parks,
        Role::Places,
        Role::Neighbours,
    ];

    /// The name the manifest writes.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::County => "county",
            Role::Subdivisions => "subdivisions",
            Role::RedLine => "red_line",
            Role::Parks => "parks",
            Role::Places => "places",
            Role::Neighbours => "neighbours",
        }
    }

    /// The geometry a layer of this role holds.
    pub fn geometry(self) -> GeometryKind {
        match self {
            Role::Places => GeometryKind::Point,
            _ => GeometryKind::Polygon,
        }
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerKind {
    Boundary,
    Zoning,
    Protected,
    Ecology,
    Development,
    Reference,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GeometryKind {
    Polygon,
    Line,
    Point,
}

impl GeometryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GeometryKind::Polygon => "polygon",
            GeometryKind::Line => "line",
            GeometryKind::Point => "point",
        }
    }
}
