//! Schemas of answers written by planmap-io rather than serialised from a struct here: the
//! RFC 7946 GeoJSON of exports, conflicts and checks. Only the OpenAPI document uses them.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::ErrorBody;

/// The refusals every endpoint of the data keeper may answer with.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // a description for the document, never built
pub enum KeeperRefusals {
    /// No token sent, or not as `Authorization: Bearer <token>` (with `WWW-Authenticate`).
    #[response(status = 401)]
    Missing(ErrorBody),
    /// The token sent is not the data keeper's.
    #[response(status = 403)]
    Wrong(ErrorBody),
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub enum FeatureCollectionType {
    FeatureCollection,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub enum FeatureType {
    Feature,
}

/// A Feature's id: a string (plan features, `farmland-000123`) or a number (history records).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum FeatureId {
    Text(String),
    Number(i64),
}

/// An RFC 7946 Feature: lon/lat (WGS84/CGCS2000) coordinates, right-hand rule.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Feature {
    #[serde(rename = "type")]
    pub kind: FeatureType,
    /// The feature's id, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<FeatureId>,
    /// A GeoJSON geometry object.
    #[schema(value_type = Option<Object>)]
    pub geometry: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub properties: Option<Map<String, Value>>,
}

/// An RFC 7946 FeatureCollection.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FeatureCollection {
    #[serde(rename = "type")]
    pub kind: FeatureCollectionType,
    /// A layer export's layer id (GDAL reads it as the layer's name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub features: Vec<Feature>,
}
