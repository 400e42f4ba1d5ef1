//! The GeoJSON reader: strict (a bad geometry is that feature's problem, reported with its
//! id), any CRS the user names (`--crs`), lon/lat otherwise.

use geojson::GeoJson;

use super::{Raw, RawFeature, ReadOptions, Reader};
use crate::error::ReadError;
use crate::geojson_io;

/// Reads GeoJSON: a FeatureCollection, a Feature or a bare Geometry.
pub struct GeoJsonReader;

impl Reader for GeoJsonReader {
    fn read_bytes(&self, bytes: &[u8], _: &ReadOptions) -> Result<Raw, ReadError> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| ReadError::Invalid("GeoJSON must be UTF-8".into()))?;
        let gj: GeoJson = text
            .parse()
            .map_err(|e| ReadError::Invalid(format!("not valid GeoJSON: {e}")))?;
        let feats = match gj {
            GeoJson::FeatureCollection(fc) => fc.features,
            GeoJson::Feature(f) => vec![f],
            GeoJson::Geometry(g) => vec![geojson::Feature::from(g)],
        };
        let features = feats
            .into_iter()
            .map(|f| {
                let id = f.id.as_ref().map(|id| match id {
                    geojson::feature::Id::String(s) => s.clone(),
                    geojson::feature::Id::Number(n) => n.to_string(),
                });
                let what = id.clone().unwrap_or_else(|| "feature".into());
                let geometry = match &f.geometry {
                    None => Err("has no geometry".to_string()),
                    Some(g) => geojson_io::to_geo(&g.value, &what).map_err(|e| e.to_string()),
                };
                RawFeature {
                    id,
                    geometry,
                    properties: f.properties.unwrap_or_default(),
                }
            })
            .collect();
        Ok(Raw {
            features,
            ..Raw::default()
        })
    }
}
