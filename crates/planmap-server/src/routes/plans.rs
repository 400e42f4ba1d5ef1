//! The catalog: `GET /api/plans` (every plan served, whether loaded) and
//! `GET /api/plans.geojson` (their county outlines). Neither loads a plan.

use axum::extract::State;
use axum::response::Response;
use geo::{BoundingRect, Geometry};
use serde::Serialize;
use serde_json::{json, Value};

use crate::error::{ApiResult, ErrorBody};
use crate::http::{self, typed, GEOJSON};
use crate::query::{NoParams, Query};
use crate::routes::schemas::FeatureCollection;
use crate::state::AppState;

/// A plan of the catalog.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlanItem {
    pub id: String,
    pub name: String,
    pub county: String,
    /// The county's administrative code.
    pub adcode: String,
    /// The county outline's box: west, south, east, north (null without a county layer).
    pub bbox: Option<[f64; 4]>,
    /// How many layers the plan has.
    pub layers: usize,
    /// The data version (changes whenever a layer's data does).
    pub version: String,
    /// Whether the plan's engine is in memory now.
    pub loaded: bool,
    /// What the loaded plan holds (engine and tile cache), bytes; null when not loaded.
    pub memory_bytes: Option<u64>,
    /// Where the plan is served: `/plans/{id}/`.
    pub url: String,
}

/// `GET /api/plans`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlanList {
    /// The plan the root URLs mean.
    pub default: String,
    /// Every plan, in id order.
    pub plans: Vec<PlanItem>,
}

/// `GET /api/plans`: the plans served, which are loaded and what they hold.
#[utoipa::path(get, path = "/api/plans", tag = "plan",
    responses((status = 200, description = "The plans served", body = PlanList),
        (status = 400, description = "A parameter was given", body = ErrorBody)))]
pub async fn list(State(st): State<AppState>, _: Query<NoParams>) -> ApiResult<Response> {
    // One list for both fields, however the catalog changes meanwhile.
    let catalog = st.catalog().plans();
    let plans = catalog
        .iter()
        .map(|p| {
            let s = p.summary();
            let memory_bytes = p.slot.memory_bytes();
            PlanItem {
                id: p.id.clone(),
                name: s.name.clone(),
                county: s.county.clone(),
                adcode: s.adcode.clone(),
                bbox: s
                    .outline
                    .bbox
                    .map(|b| [b.min().x, b.min().y, b.max().x, b.max().y]),
                layers: s.layers,
                version: s.version.clone(),
                loaded: memory_bytes.is_some(),
                memory_bytes,
                url: format!("{}/", p.prefix()),
            }
        })
        .collect();
    http::json(&PlanList {
        default: catalog.default_plan().id.clone(),
        plans,
    })
}

/// A plan outline's properties in `/api/plans.geojson`.
#[derive(Serialize)]
struct OutlineProps<'a> {
    id: &'a str,
    name: &'a str,
    county: &'a str,
    adcode: &'a str,
    /// The outline's geodesic area.
    area_km2: f64,
    url: String,
}

/// `GET /api/plans.geojson`: each plan's county outline (simplified) as a Feature with its
/// id, names, geodesic area (km²) and URL.
#[utoipa::path(get, path = "/api/plans.geojson", tag = "plan",
    responses((status = 200, description = "The plans' county outlines", body = FeatureCollection,
            content_type = "application/geo+json"),
        (status = 400, description = "A parameter was given", body = ErrorBody)))]
pub async fn geojson(State(st): State<AppState>, _: Query<NoParams>) -> ApiResult<Response> {
    let features: Vec<Value> = st
        .catalog()
        .plans()
        .iter()
        .map(|p| {
            let s = p.summary();
            let geometry = match s.overview.bounding_rect() {
                None => Value::Null,
                Some(_) => {
                    let g = Geometry::MultiPolygon(s.overview.clone());
                    serde_json::to_value(planmap_io::geojson_io::from_geo(&g))
                        .unwrap_or(Value::Null)
                }
            };
            json!({
                "type": "Feature",
                "id": p.id,
                "geometry": geometry,
                "properties": OutlineProps {
                    id: &p.id,
                    name: &s.name,
                    county: &s.county,
                    adcode: &s.adcode,
                    area_km2: s.area_km2,
                    url: format!("{}/", p.prefix()),
                },
            })
        })
        .collect();
    let fc = json!({"type": "FeatureCollection", "features": features});
    Ok(typed(GEOJSON, http::json_bytes(&fc)?))
}
