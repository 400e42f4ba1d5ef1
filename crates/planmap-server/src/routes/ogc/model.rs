//! The documents of OGC API - Features as the server writes them (Part 1 core and geojson,
//! Part 2 crs): landing page, conformance, collections, pages of items.

use serde::Serialize;
use serde_json::{Map, Value};

/// A link of a document.
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub href: String,
    pub rel: String,
    #[serde(rename = "type")]
    pub media: &'static str,
    pub title: &'static str,
}

impl Link {
    pub fn new(href: String, rel: &str, media: &'static str, title: &'static str) -> Link {
        Link {
            href,
            rel: rel.to_string(),
            media,
            title,
        }
    }
}

/// `GET /ogc`
#[derive(Debug, Serialize)]
pub struct Landing {
    pub title: String,
    pub description: String,
    pub links: Vec<Link>,
}

/// `GET /ogc/conformance`
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Conformance {
    pub conforms_to: &'static [&'static str],
}

/// The spatial extent of a collection: one box, CRS84.
#[derive(Debug, Serialize)]
pub struct Spatial {
    pub bbox: Vec<[f64; 4]>,
    pub crs: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Extent {
    pub spatial: Spatial,
}

/// One layer as a collection.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Collection {
    pub id: String,
    pub title: String,
    pub description: String,
    pub item_type: &'static str,
    pub extent: Extent,
    pub crs: &'static [&'static str],
    pub storage_crs: &'static str,
    pub links: Vec<Link>,
}

/// `GET /ogc/collections`
#[derive(Debug, Serialize)]
pub struct Collections {
    pub links: Vec<Link>,
    pub collections: Vec<Collection>,
}

/// A page of `/ogc/collections/{id}/items`: a GeoJSON FeatureCollection with paging.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemsPage {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub features: Vec<Value>,
    pub number_matched: usize,
    pub number_returned: usize,
    pub links: Vec<Link>,
}

/// `/ogc/collections/{id}/items/{fid}`: a GeoJSON Feature with its links.
#[derive(Debug, Serialize)]
pub struct Item {
    #[serde(flatten)]
    pub feature: Map<String, Value>,
    pub links: Vec<Link>,
}
