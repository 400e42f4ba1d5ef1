//! The JSON API under `/api`: plan, layers, exports, site check, conflicts, identify.
//! Handlers are thin: they parse, call the engine, and serialise.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use geo::{Intersects, MultiPolygon};
use planmap_core::{CheckOptions, Feature, Shape, SiteError};
use planmap_io::{export, geojson_io, GeoJsonError};
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::http::{self, cached, typed, JsonPath};
use crate::params::Params;
use crate::state::AppState;

/// `GET /api/plan`: the manifest's metadata, layers and rules, and the indicator table.
pub async fn plan(State(st): State<AppState>, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    Params::parse(q.as_deref(), &[])?;
    let snap = st.snapshot();
    let mut v =
        serde_json::to_value(&snap.engine.plan).map_err(|e| ApiError::internal(e.to_string()))?;
    v["data_version"] = json!(snap.data_version);
    v["indicators"] = json!(snap.indicators);
    Ok(Json(v))
}

/// `GET /api/layers`: each layer's figures, as `planmap stats --json`.
pub async fn layers(State(st): State<AppState>, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    Params::parse(q.as_deref(), &[])?;
    Ok(Json(json!(st.snapshot().engine.stats())))
}

/// `GET /api/layers/{id}.geojson[?bbox=minlon,minlat,maxlon,maxlat]`: a layer as RFC 7946
/// GeoJSON, as a download.
pub async fn layer_geojson(
    State(st): State<AppState>,
    JsonPath(file): JsonPath<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let params = Params::parse(q.as_deref(), &["bbox"])?;
    let Some(id) = file.strip_suffix(".geojson") else {
        return Err(ApiError::not_found(format!(
            "no such resource: /api/layers/{}; a layer's export is /api/layers/{{id}}.geojson",
            crate::error::clip(&file)
        )));
    };
    let bbox = params.bbox("bbox")?;
    let snap = st.snapshot();
    let li = snap.layer_index(id)?;
    let layer = &snap.engine.layers[li];
    let plan_id = snap.engine.plan.id.clone();
    let (body, etag) = match bbox {
        None => (
            {
                let s = snap.clone();
                blocking(move || Ok(s.export(li))).await?
            },
            format!("{}-{}", layer.def.id, layer.version),
        ),
        Some(b) => {
            let key = format!("{:?}", (b.min(), b.max()));
            let etag = format!(
                "{}-{}-{}",
                layer.def.id,
                layer.version,
                http::hash_hex(&[key.as_bytes()])
            );
            let s = snap.clone();
            let body = blocking(move || {
                let layer = &s.engine.layers[li];
                let window = b.to_polygon();
                let feats: Vec<Feature> = s
                    .engine
                    .candidates(li, &b)
                    .into_iter()
                    .map(|fi| &layer.features[fi])
                    .filter(|f| shape_intersects(&f.shape, &window))
                    .cloned()
                    .collect();
                Ok(Bytes::from(geojson_io::write_features(
                    &feats,
                    Some(&layer.def.id),
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

fn shape_intersects(shape: &Shape, window: &geo::Polygon<f64>) -> bool {
    match shape {
        Shape::Polygon(mp) => mp.intersects(window),
        Shape::Line(ml) => ml.intersects(window),
        Shape::Point(p) => p.intersects(window),
    }
}

/// Runs CPU-heavy work off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("worker failed: {e}")))?
}

/// The body of a request as UTF-8 text, refusing oversize and empty bodies by name.
pub fn body_text(body: Result<Bytes, BytesRejection>, limit: usize) -> ApiResult<String> {
    utf8(body_bytes(body, limit)?)
}

fn utf8(bytes: Bytes) -> ApiResult<String> {
    String::from_utf8(bytes.to_vec())
        .map_err(|e| ApiError::bad_request(format!("request body is not UTF-8 text: {e}")))
}

/// The body of a request, refusing oversize and empty bodies by name.
pub fn body_bytes(body: Result<Bytes, BytesRejection>, limit: usize) -> ApiResult<Bytes> {
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body is larger than the limit of {limit} bytes"),
            )
            .with("limit_bytes", limit)
        } else {
            ApiError::bad_request(format!("could not read the request body: {e}"))
        }
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "empty body: send a GeoJSON Polygon, MultiPolygon, Feature or FeatureCollection",
        ));
    }
    Ok(bytes)
}

/// A site that does not parse: broken JSON is a 400, well-formed JSON that is not a usable
/// polygon is a 422.
fn geojson_error(e: GeoJsonError) -> ApiError {
    let status = match e {
        GeoJsonError::Syntax(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    ApiError::new(status, format!("site: {e}"))
}

fn site_error(e: SiteError) -> ApiError {
    let mut err = ApiError::unprocessable(format!("site: {e}"));
    match e {
        SiteError::TooManyVertices { count, limit } => {
            err = err.with("vertices", count).with("limit", limit);
        }
        SiteError::TooManyParts { count, limit } => {
            err = err.with("parts", count).with("limit", limit);
        }
        _ => {}
    }
    err
}

/// Parses a site body (GeoJSON Geometry, Feature or FeatureCollection of polygons).
pub fn parse_site(text: &str) -> ApiResult<MultiPolygon<f64>> {
    geojson_io::parse_site(text).map_err(geojson_error)
}

/// `POST /api/check[?format=json|geojson|report][&input=txt|kml|dxf|zip|gpkg][&crs=…]`: the site
/// check report of the CLI, or the site, overlap pieces and 避让 geometry as a
/// FeatureCollection. The body is GeoJSON or a site file ([`crate::upload`]).
///
/// Every answered check is recorded in the check history, when the server keeps one
/// ([`crate::history`]; `source`, `project`, `applicant`, `check_key` go into the record) and
/// the answer carries the record's id in `Planmap-History-Id`.
pub async fn check(
    State(st): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let mut allowed = vec!["format", "input", "crs"];
    allowed.extend(crate::history::CHECK_PARAMS);
    let params = Params::parse(q.as_deref(), &allowed)?;
    let format = params.choice("format", &["json", "geojson", "report"], "json")?;
    let recorder = crate::history::Recorder::new(&st, &params)?;
    let bytes = body_bytes(body, st.config().body_limit)?;
    let (bytes, named) = crate::multipart::unpack(&headers, bytes).await?;
    let input = crate::upload::input(&params, &headers, &bytes, named)?;
    let text = if input.is_plain_geojson() {
        Some(utf8(bytes.clone())?)
    } else {
        None
    };
    let opts = CheckOptions {
        max_vertices: st.config().max_vertices,
        max_parts: st.config().max_parts,
    };
    let limits = st.config().upload_limits;
    let snap = st.snapshot();
    blocking(move || {
        let (site, info) = match text {
            Some(text) => (parse_site(&text)?, None),
            None => {
                let near_lon = snap.engine.plan.center.map(|c| c[0]);
                let (site, info) = crate::upload::read(&bytes, input, near_lon, limits)?;
                (site, Some(info))
            }
        };
        let report = snap.engine.check(&site, opts).map_err(site_error)?;
        let id = match recorder.record(&site, &report) {
            Ok(id) => id,
            Err(unrecorded) => return Ok(unrecorded.into_response()),
        };
        let resp = match (format, info) {
            ("geojson", _) => typed(http::GEOJSON, export::check_geojson(&report)),
            ("report", _) => crate::report::check_report(&snap.engine, &report),
            (_, None) => Json(report).into_response(),
            (_, Some(info)) => {
                let mut v =
                    serde_json::to_value(&report).map_err(|e| ApiError::internal(e.to_string()))?;
                v["input"] = info;
                Json(v).into_response()
            }
        };
        Ok(crate::history::tag(resp, id))
    })
    .await
}

/// `GET /api/conflicts`: the summary by rule and the list of conflicts and slivers.
pub async fn conflicts(
    State(st): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    conflicts_as(st, q, headers, false).await
}

/// `GET /api/conflicts.geojson`: every conflict and sliver piece as a FeatureCollection.
pub async fn conflicts_geojson(
    State(st): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    conflicts_as(st, q, headers, true).await
}

/// The cached conflict scan as JSON or (a download) as GeoJSON.
async fn conflicts_as(
    st: AppState,
    q: Option<String>,
    headers: HeaderMap,
    geojson: bool,
) -> ApiResult<Response> {
    Params::parse(q.as_deref(), &[])?;
    let snap = st.snapshot();
    let c = snap.conflicts().await?;
    let (kind, ty, body) = match geojson {
        false => ("json", http::JSON, c.json.clone()),
        true => ("geojson", http::GEOJSON, c.geojson.clone()),
    };
    let etag = format!("conflicts-{kind}-{}", snap.data_version);
    let mut resp = cached(&headers, &etag, "no-cache", ty, body);
    let name = format!(
        "attachment; filename=\"{}-conflicts.geojson\"",
        snap.engine.plan.id
    );
    if let (true, Ok(v)) = (geojson, HeaderValue::from_str(&name)) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// Default search radius of identify for lines and points, metres.
const IDENTIFY_TOLERANCE_M: f64 = 30.0;

/// `GET /api/identify?lon=&lat=[&tolerance=m]`: the features of every layer at a point.
pub async fn identify(State(st): State<AppState>, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    let params = Params::parse(q.as_deref(), &["lon", "lat", "tolerance"])?;
    let lon = params.f64_in("lon", -180.0..=180.0)?;
    let lat = params.f64_in("lat", -90.0..=90.0)?;
    let tolerance = match params.f64("tolerance")? {
        None => IDENTIFY_TOLERANCE_M,
        Some(t) if (0.0..=5000.0).contains(&t) => t,
        Some(t) => {
            return Err(ApiError::parameter(
                "tolerance",
                format!("{t} is out of range 0..5000 metres"),
            ))
        }
    };
    let snap = st.snapshot();
    let hits = snap.engine.identify(lon, lat, tolerance);
    let features: Vec<Value> = hits
        .iter()
        .map(|h| {
            let layer = &snap.engine.layers[h.layer];
            let f = &layer.features[h.feature];
            let area = layer.areas[h.feature];
            json!({
                "layer": layer.def.id,
                "layer_name": layer.def.name,
                "id": f.id,
                "name": f.name(),
                "geometry": f.shape.kind_name(),
                "distance_m": h.distance_m,
                "area_m2": area,
                "area_mu": area / planmap_core::units::M2_PER_MU,
                "properties": f.properties,
            })
        })
        .collect();
    Ok(Json(json!({
        "lon": lon,
        "lat": lat,
        "tolerance_m": tolerance,
        "count": features.len(),
        "features": features,
        "caveat": snap.engine.plan.caveat,
    })))
}
