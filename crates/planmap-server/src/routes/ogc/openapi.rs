//! The OpenAPI 3.0 definition of the `/ogc` API (`service-desc` of the landing page).

use serde_json::{json, Value};

use super::crs::SUPPORTED;
use crate::http::BaseUrl;

/// Features a page of items holds unless `limit` says otherwise, and at most.
pub const DEFAULT_LIMIT: u64 = 10;
pub const MAX_LIMIT: u64 = 10_000;

fn ok(description: &str, media: &[&str]) -> Value {
    let mut content = serde_json::Map::new();
    for m in media {
        content.insert((*m).into(), json!({ "schema": { "type": "object" } }));
    }
    json!({
        "200": { "description": description, "content": content },
        "400": { "$ref": "#/components/responses/Error" },
        "404": { "$ref": "#/components/responses/Error" },
    })
}

fn get(summary: &str, op: &str, params: Value, responses: Value) -> Value {
    json!({ "get": {
        "summary": summary, "operationId": op, "parameters": params, "responses": responses,
    }})
}

/// The document, with the server's absolute base URL.
pub fn document(base: &BaseUrl, title: &str, collections: &[String]) -> Value {
    let crs_schema =
        json!({ "type": "string", "format": "uri", "enum": SUPPORTED, "default": SUPPORTED[0] });
    let p = |r: &str| json!({ "$ref": format!("#/components/parameters/{r}") });
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": title,
            "version": env!("CARGO_PKG_VERSION"),
            "description": "OGC API - Features (Part 1: core, geojson, oas30; Part 2: crs) of the plan's layers.",
            "license": { "name": "MIT" },
        },
        "servers": [{ "url": base.join("/ogc") }],
        "paths": {
            "/": get("Landing page", "getLandingPage", json!([]), ok("Links to the API definition, conformance and data", &["application/json"])),
            "/conformance": get("Conformance classes", "getConformanceDeclaration", json!([]), ok("The conformance classes implemented", &["application/json"])),
            "/api": get("This API definition", "getApiDefinition", json!([]), ok("OpenAPI 3.0", &["application/vnd.oai.openapi+json;version=3.0"])),
            "/collections": get("The plan's layers", "getCollections", json!([]), ok("The feature collections", &["application/json"])),
            "/collections/{collectionId}": get("One layer", "describeCollection", json!([p("collectionId")]), ok("The collection", &["application/json"])),
            "/collections/{collectionId}/items": get(
                "Features of a layer, a page at a time", "getFeatures",
                json!([p("collectionId"), p("limit"), p("offset"), p("bbox"), p("bbox-crs"), p("crs")]),
                ok("A page of features", &["application/geo+json"]),
            ),
            "/collections/{collectionId}/items/{featureId}": get(
                "One feature", "getFeature",
                json!([p("collectionId"), p("featureId"), p("crs")]),
                ok("The feature", &["application/geo+json"]),
            ),
        },
        "components": {
            "parameters": {
                "collectionId": { "name": "collectionId", "in": "path", "required": true,
                    "schema": { "type": "string", "enum": collections } },
                "featureId": { "name": "featureId", "in": "path", "required": true, "schema": { "type": "string" } },
                "limit": { "name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
                    "schema": { "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT } },
                "offset": { "name": "offset", "in": "query", "required": false,
                    "schema": { "type": "integer", "minimum": 0, "default": 0 } },
                "bbox": { "name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
                    "schema": { "type": "array", "minItems": 4, "maxItems": 6, "items": { "type": "number" } } },
                "bbox-crs": { "name": "bbox-crs", "in": "query", "required": false, "schema": crs_schema },
                "crs": { "name": "crs", "in": "query", "required": false, "schema": crs_schema },
            },
            "responses": {
                "Error": { "description": "The request is wrong; the body names what.",
                    "content": { "application/json": { "schema": { "type": "object",
                        "required": ["error"], "properties": { "error": { "type": "string" }, "status": { "type": "integer" } } } } } },
            },
        },
    })
}
