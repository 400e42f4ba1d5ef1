//! `GET /api/identify?lon=&lat=[&tolerance=m]`: what lies at a point of the map, every layer
//! ([`planmap_core::Engine::identify`]).

use axum::Json;
use planmap_core::units::M2_PER_MU;
use planmap_core::Properties;
use serde::{Deserialize, Serialize};

use crate::catalog::extract::Loaded;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::query::{in_range, Query};

/// Default search radius of identify for lines and points, metres.
const IDENTIFY_TOLERANCE_M: f64 = 30.0;

/// The query of `GET /api/identify`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IdentifyQuery {
    /// Longitude, degrees (WGS84/CGCS2000), −180..180.
    pub lon: f64,
    /// Latitude, degrees, −90..90.
    pub lat: f64,
    /// Search radius for lines and points, metres (0..5000, default 30).
    pub tolerance: Option<f64>,
}

/// One feature at the point.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IdentifyHit {
    /// The layer's id and name.
    pub layer: String,
    pub layer_name: String,
    /// The feature's id and `name` attribute (else its id).
    pub id: String,
    pub name: String,
    /// polygon, line or point.
    pub geometry: &'static str,
    /// Distance from the point, metres (0 inside a polygon).
    pub distance_m: f64,
    /// Geodesic area, m² and 亩 (0 for lines and points).
    pub area_m2: f64,
    pub area_mu: f64,
    #[schema(value_type = Object)]
    pub properties: Properties,
}

/// The answer of `GET /api/identify`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IdentifyAnswer {
    pub lon: f64,
    pub lat: f64,
    pub tolerance_m: f64,
    pub count: usize,
    pub features: Vec<IdentifyHit>,
    pub caveat: String,
}

/// `GET /api/identify?lon=&lat=[&tolerance=m]`: the features of every layer at a point.
#[utoipa::path(get, path = "/api/identify", tag = "plan", params(IdentifyQuery),
    responses((status = 200, description = "The features at the point", body = IdentifyAnswer),
        (status = 400, description = "A parameter is missing or wrong", body = ErrorBody)))]
pub async fn identify(
    Loaded(snap): Loaded,
    Query(q): Query<IdentifyQuery>,
) -> ApiResult<Json<IdentifyAnswer>> {
    let lon = in_range("lon", q.lon, -180.0..=180.0)?;
    let lat = in_range("lat", q.lat, -90.0..=90.0)?;
    let tolerance = match q.tolerance {
        None => IDENTIFY_TOLERANCE_M,
        Some(t) if (0.0..=5000.0).contains(&t) => t,
        Some(t) => {
            return Err(ApiError::parameter(
                "tolerance",
                format!("{t} is out of range 0..5000 metres"),
            ))
        }
    };
    let features: Vec<IdentifyHit> = snap
        .engine
        .identify(lon, lat, tolerance)
        .iter()
        .filter_map(|h| {
            let v = snap.engine.feature_view(h.layer, h.feature)?;
            Some(IdentifyHit {
                layer: v.layer.def.id.clone(),
                layer_name: v.layer.def.name.clone(),
                id: v.feature.id.clone(),
                name: v.feature.name().to_string(),
                geometry: v.feature.shape.kind_name(),
                distance_m: h.distance_m,
                area_m2: v.area_m2,
                area_mu: v.area_m2 / M2_PER_MU,
                properties: v.feature.properties.to_map(),
            })
        })
        .collect();
    Ok(Json(IdentifyAnswer {
        lon,
        lat,
        tolerance_m: tolerance,
        count: features.len(),
        features,
        caveat: snap.engine.plan.caveat.clone(),
    }))
}
