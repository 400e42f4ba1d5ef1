//! `GET /api/openapi.json`: the OpenAPI 3.1 document of `/api`, generated (utoipa) from the
//! request and answer types of the route modules and the core types they serialise, so the
//! document cannot drift from the code. `tests/openapi.rs` validates real answers of every
//! endpoint against it.

use std::sync::OnceLock;

use axum::body::Bytes;
use axum::http::header::HeaderMap;
use axum::response::Response;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr, Schema};
use utoipa::{Modify, OpenApi};

use crate::error::{ApiResult, ErrorBody};
use crate::http::{cached, json_bytes, JSON};
use crate::query::{NoParams, Query};
use crate::routes::{
    admin, batch, check, conflicts, history, identify, layer_import, plan, plans, preview, schemas,
};

/// The data keeper's bearer token, named by the guarded operations.
struct Keeper;

impl Modify for Keeper {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("The data keeper's token (--admin-token-file)"))
            .build();
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme("keeper", SecurityScheme::Http(scheme));
    }
}

/// A layer's `draw` (the resolved cartography, [`planmap_core::draw::Draw`]) in `LayerDef`:
/// utoipa leaves out a field that serde does not deserialise, and `draw` is only written
/// (the manifest's `[layers.draw]` is read into `draw_spec`).
struct LayerDraw;

impl Modify for LayerDraw {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let schemas = &mut doc.components.get_or_insert_with(Default::default).schemas;
        if let Some(RefOr::T(Schema::Object(layer))) = schemas.get_mut("LayerDef") {
            layer
                .properties
                .insert("draw".into(), Ref::from_schema_name("Draw").into());
            layer.required.push("draw".into());
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "planmap API",
        description = "A county spatial plan over HTTP: the plan and its layers, the site check, \
            the rule scan, what lies at a point, and the data keeper's history, reload and import. \
            Areas are geodesic on the WGS84 ellipsoid, in m² (公顷 and 亩 beside them); \
            coordinates are lon/lat (CGCS2000 ≈ WGS84). Every refusal is JSON: {error, status, …}."
    ),
    paths(
        plans::list, plans::geojson, plan::plan, plan::layers, plan::layer_geojson, preview::preview, check::check,
        batch::batch,
        conflicts::conflicts, conflicts::conflicts_geojson, identify::identify,
        history::list, history::geojson, history::csv, admin::reload,
        layer_import::import_layer, openapi_json,
    ),
    components(schemas(ErrorBody, schemas::FeatureCollection, planmap_core::draw::Draw)),
    modifiers(&Keeper, &LayerDraw),
    tags(
        (name = "plan", description = "The plan, its layers and indicators"),
        (name = "check", description = "The site check (用地预审)"),
        (name = "conflicts", description = "Where the plan's layers overlap against its rules"),
        (name = "history", description = "The check history (the data keeper's)"),
        (name = "admin", description = "The data keeper's changes"),
    )
)]
pub struct ApiDoc;

/// The document as served, built once.
pub fn document() -> ApiResult<Bytes> {
    static DOC: OnceLock<Bytes> = OnceLock::new();
    if let Some(d) = DOC.get() {
        return Ok(d.clone());
    }
    let bytes = json_bytes(&ApiDoc::openapi())?;
    Ok(DOC.get_or_init(|| bytes).clone())
}

/// `GET /api/openapi.json`: this API's OpenAPI 3.1 document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "plan",
    responses((status = 200, description = "The OpenAPI 3.1 document of /api", body = Object),
        (status = 400, description = "A parameter was given", body = ErrorBody)))]
pub async fn openapi_json(_: Query<NoParams>, headers: HeaderMap) -> ApiResult<Response> {
    let doc = document()?;
    let etag = format!("openapi-{}", crate::http::hash_hex(&[&doc]));
    Ok(cached(&headers, &etag, "no-cache", JSON, doc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_api_route_is_in_the_document() {
        let doc: serde_json::Value = serde_json::from_slice(&document().unwrap()).unwrap();
        let router = include_str!("../router.rs");
        let mut routed: Vec<&str> = router
            .split(".route(\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .filter(|p| p.starts_with("/api/"))
            .collect();
        routed.sort();
        let mut documented: Vec<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        documented.sort();
        assert_eq!(routed, documented);
        assert_eq!(doc["openapi"], "3.1.0");
    }
}
