//! OGC API - Features under `/ogc`: Part 1 (core, geojson, oas30) and Part 2 (crs). Each of
//! the plan's layers is a collection; features keep their plan ids.

pub mod crs;
pub mod model;
pub mod openapi;

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::response::Response;
use axum::Json;
use planmap_core::{Feature, FeatureView};
use serde::Deserialize;
use serde_json::Value;

use crate::catalog::extract::Loaded;
use crate::error::{ApiError, ApiResult};
use crate::http::{self, json_bytes, BaseUrl, JsonPath};
use crate::query::{self, at_least, Query};
use crate::state::{AppState, Snapshot};
use crs::Crs;
use model::{
    Collection, Collections, Conformance, Extent, Item, ItemsPage, Landing, Link, Spatial,
};
use openapi::{DEFAULT_LIMIT, MAX_LIMIT};

/// The query of the metadata endpoints: `f` (the format; always JSON here).
#[derive(Debug, Default, Deserialize)]
pub struct FormatOnly {
    pub f: Option<String>,
}

const CONFORMANCE: [&str; 4] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
];

const OPENAPI_JSON: &str = "application/vnd.oai.openapi+json;version=3.0";

/// What the metadata endpoints need: the current data and the base URL, with no query
/// parameter but `f` (the format, always JSON here).
pub struct Meta {
    snap: Arc<Snapshot>,
    base: BaseUrl,
}

impl FromRequestParts<AppState> for Meta {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        query::parse::<FormatOnly>(parts.uri.query())?;
        Ok(Meta {
            snap: Loaded::from_request_parts(parts, st).await?.0,
            base: BaseUrl::from_request_parts(parts, st).await?,
        })
    }
}

fn link(href: String, rel: &str, ty: &'static str, title: &'static str) -> Link {
    Link::new(href, rel, ty, title)
}

/// `GET /ogc`
pub async fn landing(Meta { snap, base }: Meta) -> ApiResult<Json<Landing>> {
    let plan = &snap.engine.plan;
    let u = |p: &str| base.join(&format!("/ogc{p}"));
    let data = "http://www.opengis.net/def/rel/ogc/1.0/data";
    let conf = "http://www.opengis.net/def/rel/ogc/1.0/conformance";
    Ok(Json(Landing {
        title: plan.name.clone(),
        description: format!(
            "{}（{}）: OGC API - Features. {}",
            plan.name, plan.county, plan.caveat
        ),
        links: vec![
            link(u(""), "self", http::JSON, "This document"),
            link(
                u("/api"),
                "service-desc",
                OPENAPI_JSON,
                "The API definition (OpenAPI 3.0)",
            ),
            link(
                u("/conformance"),
                "conformance",
                http::JSON,
                "Conformance classes",
            ),
            link(u("/conformance"), conf, http::JSON, "Conformance classes"),
            link(u("/collections"), "data", http::JSON, "The plan's layers"),
            link(u("/collections"), data, http::JSON, "The plan's layers"),
        ],
    }))
}

/// `GET /ogc/conformance`
pub async fn conformance(_: Query<FormatOnly>) -> Json<Conformance> {
    Json(Conformance {
        conforms_to: &CONFORMANCE,
    })
}

/// `GET /ogc/api`
pub async fn api(Meta { snap, base }: Meta) -> ApiResult<Response> {
    let ids: Vec<String> = snap
        .engine
        .layers
        .iter()
        .map(|l| l.def.id.clone())
        .collect();
    let doc = openapi::document(&base, &snap.engine.plan.name, &ids);
    Ok(http::typed(OPENAPI_JSON, doc.to_string()))
}

fn collection(snap: &Snapshot, li: usize, base: &BaseUrl) -> Collection {
    let l = &snap.engine.layers[li];
    let u = |p: &str| base.join(&format!("/ogc/collections/{}{p}", l.def.id));
    let bbox = l
        .bbox()
        .map(|b| [b.min().x, b.min().y, b.max().x, b.max().y])
        .unwrap_or([-180.0, -90.0, 180.0, 90.0]);
    let whole = base.join(&format!("/api/layers/{}.geojson", l.def.id));
    Collection {
        id: l.def.id.clone(),
        title: l.def.name.clone(),
        description: format!(
            "{} ({}), {} features. {}",
            l.def.name,
            l.def.name_en,
            l.len(),
            snap.engine.plan.caveat
        ),
        item_type: "feature",
        extent: Extent {
            spatial: Spatial {
                bbox: vec![bbox],
                crs: crs::CRS84,
            },
        },
        crs: &crs::SUPPORTED,
        storage_crs: crs::CRS84,
        links: vec![
            link(u(""), "self", http::JSON, "This collection"),
            link(u("/items"), "items", http::GEOJSON, "Its features"),
            link(
                whole,
                "enclosure",
                http::GEOJSON,
                "The whole layer as one GeoJSON file",
            ),
        ],
    }
}

/// `GET /ogc/collections`
pub async fn collections(Meta { snap, base }: Meta) -> ApiResult<Json<Collections>> {
    let collections = (0..snap.engine.layers.len())
        .map(|li| collection(&snap, li, &base))
        .collect();
    let me = base.join("/ogc/collections");
    Ok(Json(Collections {
        links: vec![link(me, "self", http::JSON, "The plan's layers")],
        collections,
    }))
}

/// `GET /ogc/collections/{id}`
pub async fn collection_handler(
    JsonPath(id): JsonPath<String>,
    Meta { snap, base }: Meta,
) -> ApiResult<Json<Collection>> {
    let li = snap.layer_index(&id)?;
    Ok(Json(collection(&snap, li, &base)))
}

fn feature_value(f: &Feature, crs: Crs) -> Value {
    let g = crs.output(&f.shape.to_geometry());
    let gj = planmap_io::geojson_io::feature(&f.id, &g, f.properties.to_map());
    serde_json::to_value(gj).unwrap_or(Value::Null)
}

fn geojson_response(body: &impl serde::Serialize, crs: Crs) -> ApiResult<Response> {
    let mut r = http::typed(http::GEOJSON, json_bytes(body)?);
    if let Ok(v) = HeaderValue::from_str(&format!("<{}>", crs.uri)) {
        r.headers_mut().insert("content-crs", v);
    }
    Ok(r)
}

fn crs_param(name: &str, v: Option<&str>) -> ApiResult<Crs> {
    v.map(|v| Crs::parse(name, v))
        .transpose()
        .map(Option::unwrap_or_default)
}

/// The query of `/ogc/collections/{id}/items`.
#[derive(Debug, Default, Deserialize)]
pub struct ItemsQuery {
    pub limit: Option<u64>,
    pub offset: Option<u64>,
    pub bbox: Option<String>,
    #[serde(rename = "bbox-crs")]
    pub bbox_crs: Option<String>,
    pub crs: Option<String>,
    pub f: Option<String>,
}

/// `GET /ogc/collections/{id}/items?limit=&offset=&bbox=&bbox-crs=&crs=`
pub async fn items(
    Loaded(snap): Loaded,
    JsonPath(id): JsonPath<String>,
    Query(q): Query<ItemsQuery>,
    base: BaseUrl,
) -> ApiResult<Response> {
    let limit = q
        .limit
        .map(|n| at_least("limit", n, 1))
        .transpose()?
        .unwrap_or(DEFAULT_LIMIT)
        .min(MAX_LIMIT) as usize;
    let offset = q.offset.unwrap_or(0) as usize;
    let out_crs = crs_param("crs", q.crs.as_deref())?;
    let bbox_crs = crs_param("bbox-crs", q.bbox_crs.as_deref())?;
    if q.bbox_crs.is_some() && q.bbox.is_none() {
        return Err(ApiError::parameter("bbox-crs", "given without bbox"));
    }
    let bbox = q
        .bbox
        .as_deref()
        .map(|v| query::parse_bbox(v).map_err(|e| ApiError::parameter("bbox", e)))
        .transpose()?
        .map(|b| bbox_crs.input_bbox(b));
    let li = snap.layer_index(&id)?;
    let matched: Vec<FeatureView> = match bbox {
        None => snap.engine.layers[li].views().collect(),
        Some(b) => snap.engine.features_in(li, &b),
    };
    let page: Vec<Value> = matched
        .iter()
        .skip(offset)
        .take(limit)
        .map(|v| feature_value(v.feature, out_crs))
        .collect();
    let returned = page.len();
    let page_url = |off: usize| {
        let mut qs = form_urlencoded::Serializer::new(String::new());
        qs.append_pair("limit", &limit.to_string());
        qs.append_pair("offset", &off.to_string());
        for (k, v) in [
            ("bbox", &q.bbox),
            ("bbox-crs", &q.bbox_crs),
            ("crs", &q.crs),
        ] {
            if let Some(v) = v {
                qs.append_pair(k, v);
            }
        }
        base.join(&format!("/ogc/collections/{id}/items?{}", qs.finish()))
    };
    let mut links = vec![
        link(page_url(offset), "self", http::GEOJSON, "This page"),
        link(
            base.join(&format!("/ogc/collections/{id}")),
            "collection",
            http::JSON,
            "The collection",
        ),
    ];
    if offset + returned < matched.len() {
        links.push(link(
            page_url(offset + returned),
            "next",
            http::GEOJSON,
            "Next page",
        ));
    }
    if offset > 0 {
        links.push(link(
            page_url(offset.saturating_sub(limit)),
            "prev",
            http::GEOJSON,
            "Previous page",
        ));
    }
    let body = ItemsPage {
        kind: "FeatureCollection",
        features: page,
        number_matched: matched.len(),
        number_returned: returned,
        links,
    };
    geojson_response(&body, out_crs)
}

/// The query of `/ogc/collections/{id}/items/{fid}`.
#[derive(Debug, Default, Deserialize)]
pub struct ItemQuery {
    pub crs: Option<String>,
    pub f: Option<String>,
}

/// `GET /ogc/collections/{id}/items/{fid}`
pub async fn item(
    Loaded(snap): Loaded,
    JsonPath((id, fid)): JsonPath<(String, String)>,
    Query(q): Query<ItemQuery>,
    base: BaseUrl,
) -> ApiResult<Response> {
    let out_crs = crs_param("crs", q.crs.as_deref())?;
    let li = snap.layer_index(&id)?;
    let f = snap.engine.layers[li].feature(&fid).ok_or_else(|| {
        ApiError::not_found(format!(
            "layer '{id}' has no feature '{}'",
            crate::error::clip(&fid)
        ))
        .with("feature", crate::error::clip(&fid))
    })?;
    let me = base.join(&format!(
        "/ogc/collections/{id}/items/{}",
        path_segment(&fid)
    ));
    let item = Item {
        feature: match feature_value(f, out_crs) {
            Value::Object(m) => m,
            _ => Default::default(),
        },
        links: vec![
            link(me, "self", http::GEOJSON, "This feature"),
            link(
                base.join(&format!("/ogc/collections/{id}")),
                "collection",
                http::JSON,
                "The collection",
            ),
        ],
    };
    geojson_response(&item, out_crs)
}

fn path_segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}
