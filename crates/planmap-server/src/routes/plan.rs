//! The plan and its layers: `/api/plan`, `/api/layers` (= `planmap stats --json`),
//! `/api/layers/{id}.geojson` (a layer as RFC 7946 GeoJSON, whole or in a box).

use axum::body::Bytes;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::response::Response;
use axum::Json;
use planmap_core::plan::Indicator;
use planmap_core::stats::PlanStats;
use planmap_core::{Feature, Plan};
use planmap_io::geojson_io::{self, Precision};
use serde::{Deserialize, Serialize};

use crate::catalog::extract::Loaded;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::http::{self, blocking, cached, JsonPath};
use crate::query::{precision, Bbox, NoParams, Query};
use crate::routes::schemas::FeatureCollection;
use crate::snapshot::SkippedRows;

/// `GET /api/plan`: the manifest's metadata, layers and rules, the data version and the
/// indicator table.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlanAnswer {
    #[serde(flatten)]
    pub plan: Plan,
    /// Changes whenever a layer's data changes.
    pub data_version: String,
    /// The plan's indicator table (2023 baseline, 2027 and 2035 targets).
    pub indicators: Vec<Indicator>,
    /// Rows of the data keeper's own tables that did not load, each named by its id and
    /// why, by layer (the rest of the layer is served); absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped_rows: Vec<SkippedRows>,
}

/// `GET /api/plan`: the manifest's metadata, layers and rules, and the indicator table.
#[utoipa::path(get, path = "/api/plan", tag = "plan",
    responses((status = 200, description = "The plan", body = PlanAnswer),
        (status = 400, description = "A parameter was given", body = ErrorBody)))]
pub async fn plan(Loaded(snap): Loaded, _: Query<NoParams>) -> ApiResult<Response> {
    let body = snap.plan_answer(|snap| {
        http::json_bytes(&PlanAnswer {
            plan: snap.engine.plan.clone(),
            data_version: snap.data_version.clone(),
            indicators: snap.indicators.clone(),
            skipped_rows: snap.skipped.clone(),
        })
    })?;
    Ok(http::typed(http::JSON, body))
}

/// `GET /api/layers`: each layer's figures, as `planmap stats --json`.
#[utoipa::path(get, path = "/api/layers", tag = "plan",
    responses((status = 200, description = "Each layer's features and geodesic totals", body = PlanStats),
        (status = 400, description = "A parameter was given", body = ErrorBody)))]
pub async fn layers(Loaded(snap): Loaded, _: Query<NoParams>) -> Json<PlanStats> {
    Json(snap.engine.stats())
}

/// The query of a layer export.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Only the features meeting this box: `minlon,minlat,maxlon,maxlat`.
    #[param(value_type = Option<String>)]
    pub bbox: Option<Bbox>,
    /// Coordinates rounded to this many decimals (0–15, e.g. 7 ≈ 1 cm for the web); absent,
    /// as stored (full precision).
    pub precision: Option<u64>,
}

/// `GET /api/layers/{id}.geojson[?bbox=minlon,minlat,maxlon,maxlat][&precision=N]`: a layer
/// as RFC 7946 GeoJSON, as a download; coordinates as stored unless `precision` rounds them
/// to N decimals.
#[utoipa::path(get, path = "/api/layers/{file}", tag = "plan", params(
        ("file" = String, Path, description = "`{layer id}.geojson`"), ExportQuery),
    responses((status = 200, description = "The layer's features", body = FeatureCollection,
            content_type = "application/geo+json"),
        (status = 400, description = "A parameter is wrong", body = ErrorBody),
        (status = 404, description = "No such layer", body = ErrorBody)))]
pub async fn layer_geojson(
    Loaded(snap): Loaded,
    JsonPath(file): JsonPath<String>,
    Query(q): Query<ExportQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let precision = precision(q.precision)?;
    let Some(id) = file.strip_suffix(".geojson") else {
        return Err(ApiError::not_found(format!(
            "no such resource: /api/layers/{}; a layer's export is /api/layers/{{id}}.geojson",
            crate::error::clip(&file)
        )));
    };
    let li = snap.layer_index(id)?;
    let layer = &snap.engine.layers[li];
    let plan_id = snap.engine.plan.id.clone();
    let (body, etag) = match q.bbox {
        None if precision == Precision::Full => (
            {
                let s = snap.clone();
                blocking(move || Ok(s.export(li))).await?
            },
            format!("{}-{}", layer.def.id, layer.version),
        ),
        b => {
            let key = format!("{:?}", (b.map(|b| (b.0.min(), b.0.max())), precision));
            let etag = format!(
                "{}-{}-{}",
                layer.def.id,
                layer.version,
                http::hash_hex(&[key.as_bytes()])
            );
            let s = snap.clone();
            let body = blocking(move || {
                let layer = &s.engine.layers[li];
                let name = Some(layer.def.id.as_str());
                let Some(Bbox(b)) = b else {
                    let text = geojson_io::write_features_at(&layer.features, name, precision);
                    return Ok(Bytes::from(text));
                };
                let views = s.engine.features_in(li, &b);
                let feats: Vec<Feature> = views.iter().map(|v| v.feature.clone()).collect();
                Ok(Bytes::from(geojson_io::write_features_at(
                    &feats, name, precision,
                )))
            })
            .await?;
            (body, etag)
        }
    };
    let mut resp = cached(&headers, &etag, "no-cache", http::GEOJSON, body);
    let name = format!("attachment; filename=\"{plan_id}-{id}.geojson\"");
    if let Ok(v) = HeaderValue::from_str(&name) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}
