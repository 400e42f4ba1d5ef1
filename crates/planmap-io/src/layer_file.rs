//! A layer file (a GeoJSON FeatureCollection) read into features without a document tree.
//!
//! The collection's `features` array is split into each feature's text (serde_json's
//! `RawValue`, borrowed from the file's text), and every feature is parsed and converted on
//! its own, on every core: no tree of the whole file is ever held, only the file's text and
//! the features made so far. Attributes are kept as their compact JSON text
//! ([`planmap_core::Attributes`]). A million-patch layer is read in a fraction of the memory a
//! parsed tree takes.

use geojson::{Feature as GjFeature, GeoJson};
use planmap_core::{Attributes, Feature, Shape};
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::geojson_io::{to_geo, GeoJsonError};

/// The top level of a layer file: its type and, for a collection, each feature's text.
#[derive(Deserialize)]
struct TopLevel<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    features: Option<Vec<&'a RawValue>>,
}

/// `"type": "Feature"`, and nothing else.
#[derive(Deserialize)]
enum FeatureTag {
    Feature,
}

/// One feature as a layer keeps it: id, attributes' text, geometry (other members ignored).
#[derive(Deserialize)]
struct LayerFeature<'a> {
    #[serde(rename = "type")]
    _kind: FeatureTag,
    #[serde(default)]
    id: Option<geojson::feature::Id>,
    #[serde(borrow, default)]
    properties: Option<&'a RawValue>,
    #[serde(default)]
    geometry: Option<geojson::Geometry>,
}

fn feature_id(id: Option<&geojson::feature::Id>, index: usize, layer: &str) -> String {
    match id {
        Some(geojson::feature::Id::String(s)) => s.clone(),
        Some(geojson::feature::Id::Number(n)) => n.to_string(),
        None => format!("{layer}-{index}"),
    }
}

/// A feature from its parts; the error names it by index (and id).
fn convert(
    index: usize,
    id: String,
    geometry: Option<&geojson::Geometry>,
    properties: Attributes,
) -> Result<Feature, GeoJsonError> {
    let g = geometry.ok_or_else(|| GeoJsonError::Feature {
        index,
        message: format!("'{id}' has no geometry"),
    })?;
    let geo = to_geo(&g.value, &id).map_err(|e| GeoJsonError::Feature {
        index,
        message: e.to_string(),
    })?;
    let shape = Shape::from_geometry(geo).ok_or_else(|| GeoJsonError::Feature {
        index,
        message: format!("'{id}' has an unsupported {} geometry", g.value.type_name()),
    })?;
    Ok(Feature {
        id,
        shape,
        properties,
    })
}

/// One feature of a collection, from its text.
fn parse_feature(text: &str, index: usize, layer: &str) -> Result<Feature, GeoJsonError> {
    let f: LayerFeature = serde_json::from_str(text).map_err(|e| GeoJsonError::Feature {
        index,
        message: format!("not a valid GeoJSON Feature: {e}"),
    })?;
    let id = feature_id(f.id.as_ref(), index, layer);
    let properties = match f.properties {
        Some(raw) => Attributes::from_json(raw.get()).map_err(|e| GeoJsonError::Feature {
            index,
            message: format!("'{id}': {e}"),
        })?,
        None => Attributes::default(),
    };
    convert(index, id, f.geometry.as_ref(), properties)
}

fn from_geojson(f: GjFeature, index: usize, layer: &str) -> Result<Feature, GeoJsonError> {
    let id = feature_id(f.id.as_ref(), index, layer);
    let properties = f.properties.map(Attributes::from).unwrap_or_default();
    convert(index, id, f.geometry.as_ref(), properties)
}

/// Reads a layer file's features: a FeatureCollection (or a lone Feature or Geometry).
/// Features without an id get `<layer>-<index>`. The first bad feature (by index) is reported.
pub fn read_features(text: &str, layer: &str) -> Result<Vec<Feature>, GeoJsonError> {
    let top: TopLevel =
        serde_json::from_str(text).map_err(|e| GeoJsonError::Syntax(e.to_string()))?;
    if top.kind.as_deref() != Some("FeatureCollection") {
        // A lone Feature or Geometry: small, read whole.
        let gj = text
            .parse::<GeoJson>()
            .map_err(|e| GeoJsonError::Syntax(e.to_string()))?;
        return match gj {
            GeoJson::Feature(f) => Ok(vec![from_geojson(f, 0, layer)?]),
            GeoJson::Geometry(g) => Ok(vec![from_geojson(GjFeature::from(g), 0, layer)?]),
            GeoJson::FeatureCollection(_) => unreachable!("the type said otherwise"),
        };
    }
    let raws = top.features.ok_or_else(|| {
        GeoJsonError::Syntax("a FeatureCollection needs a \"features\" array".into())
    })?;
    let converted: Vec<Result<Feature, GeoJsonError>> = raws
        .par_iter()
        .enumerate()
        .with_min_len(4096)
        .map(|(index, raw)| parse_feature(raw.get(), index, layer))
        .collect();
    converted.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_collection_reads_with_its_ids_attributes_and_errors() {
        let text = r#"{"type":"FeatureCollection","name":"x","features":[
            {"type":"Feature","id":"a-1","properties":{"name":"甲", "n": 1.5},"bbox":[0,0,1,1],
             "geometry":{"type":"Polygon","coordinates":[[[112,37],[112.1,37],[112.1,37.1],[112,37]]]}},
            {"type":"Feature","id":7,"properties":null,"geometry":{"type":"Point","coordinates":[112,37]}},
            {"type":"Feature","geometry":{"type":"LineString","coordinates":[[112,37],[113,38]]}}
        ]}"#;
        let f = read_features(text, "a").unwrap();
        assert_eq!(
            f.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
            ["a-1", "7", "a-2"]
        );
        assert_eq!(f[0].name(), "甲");
        assert_eq!(f[0].properties.json(), r#"{"name":"甲","n":1.5}"#);
        assert!(f[1].properties.is_empty());
        assert_eq!(f[2].shape.kind_name(), "line");

        let bad = |features: &str| {
            read_features(
                &format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#),
                "a",
            )
            .unwrap_err()
            .to_string()
        };
        let point = r#"{"type":"Point","coordinates":[1,2]}"#;
        let ok = format!(r#"{{"type":"Feature","properties":{{}},"geometry":{point}}}"#);
        let e = bad(&format!(
            r#"{ok},{{"type":"Feature","id":"x","geometry":null}}"#
        ));
        assert_eq!(e, "feature 1: 'x' has no geometry");
        let e = bad(&format!(
            r#"{{"type":"Feature","properties":[1],"geometry":{point}}}"#
        ));
        assert!(e.starts_with("feature 0: 'a-0': properties must be"), "{e}");
        let e = bad(&format!(r#"{ok},{{"type":"Point","coordinates":[1,2]}}"#));
        assert!(
            e.starts_with("feature 1: not a valid GeoJSON Feature"),
            "{e}"
        );
        assert!(read_features("[1]", "a").is_err());
        assert!(read_features(r#"{"type":"FeatureCollection"}"#, "a").is_err());
    }

    #[test]
    fn a_lone_feature_or_geometry_is_a_layer_of_one() {
        let g = r#"{"type":"Point","coordinates":[112,37]}"#;
        let f = read_features(g, "p").unwrap();
        assert_eq!((f.len(), f[0].id.as_str()), (1, "p-0"));
        let one =
            format!(r#"{{"type":"Feature","id":"q","properties":{{"name":"乙"}},"geometry":{g}}}"#);
        let f = read_features(&one, "p").unwrap();
        assert_eq!((f[0].id.as_str(), f[0].name().as_ref()), ("q", "乙"));
    }
}
