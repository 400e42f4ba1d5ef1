//! GeoJSON (RFC 7946) in and out: layer files, user sites, exports.
//!
//! Reading is strict where a user's input is concerned (rings closed, numbers finite, types
//! named) and writes follow the RFC: lon/lat, exterior rings counter-clockwise, holes clockwise,
//! at most 7 decimals.

use geo::{Coord, Geometry, LineString, MultiLineString, MultiPolygon, Point, Polygon};
use geojson::{Feature as GjFeature, FeatureCollection, GeoJson, GeometryValue, Position};
use planmap_core::{Feature, Properties, Shape};
use serde_json::{Map, Value};

/// Decimals written for lon/lat (1e-7° ≈ 1 cm).
pub const PRECISION: i32 = 7;

/// What is wrong with a GeoJSON input, for a person to read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeoJsonError {
    #[error("not valid GeoJSON: {0}")]
    Syntax(String),
    #[error("{what} must be a Polygon or MultiPolygon, got {found}")]
    WrongType { what: String, found: String },
    #[error("{what}: ring {ring} is not closed (its first and last positions differ)")]
    Unclosed { what: String, ring: usize },
    #[error("{what}: ring {ring} has {count} positions, a ring needs at least 4")]
    ShortRing {
        what: String,
        ring: usize,
        count: usize,
    },
    #[error("{what}: a position has {len} numbers, it needs 2 (lon, lat) or 3")]
    BadPosition { what: String, len: usize },
    #[error("{what}: a coordinate is not a finite number")]
    NonFinite { what: String },
    #[error("no polygon found in the input")]
    Empty,
    #[error("feature {index}: {message}")]
    Feature { index: usize, message: String },
}

fn coord(p: &Position, what: &str) -> Result<Coord<f64>, GeoJsonError> {
    let s = p.as_slice();
    if s.len() < 2 || s.len() > 3 {
        return Err(GeoJsonError::BadPosition {
            what: what.into(),
            len: s.len(),
        });
    }
    if !s[0].is_finite() || !s[1].is_finite() {
        return Err(GeoJsonError::NonFinite { what: what.into() });
    }
    Ok(Coord { x: s[0], y: s[1] })
}

fn ring(r: &[Position], index: usize, what: &str) -> Result<LineString<f64>, GeoJsonError> {
    if r.len() < 4 {
        return Err(GeoJsonError::ShortRing {
            what: what.into(),
            ring: index,
            count: r.len(),
        });
    }
    let coords = r
        .iter()
        .map(|p| coord(p, what))
        .collect::<Result<Vec<_>, _>>()?;
    if coords.first() != coords.last() {
        return Err(GeoJsonError::Unclosed {
            what: what.into(),
            ring: index,
        });
    }
    Ok(LineString(coords))
}

fn polygon(rings: &[Vec<Position>], what: &str) -> Result<Polygon<f64>, GeoJsonError> {
    let mut it = rings.iter().enumerate();
    let Some((_, ext)) = it.next() else {
        return Err(GeoJsonError::ShortRing {
            what: what.into(),
            ring: 0,
            count: 0,
        });
    };
    let exterior = ring(ext, 0, what)?;
    let holes = it
        .map(|(i, r)| ring(r, i, what))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Polygon::new(exterior, holes))
}

fn line(l: &[Position], what: &str) -> Result<LineString<f64>, GeoJsonError> {
    Ok(LineString(
        l.iter()
            .map(|p| coord(p, what))
            .collect::<Result<Vec<_>, _>>()?,
    ))
}

/// Converts a GeoJSON geometry to geo, strictly.
pub fn to_geo(g: &GeometryValue, what: &str) -> Result<Geometry<f64>, GeoJsonError> {
    Ok(match g {
        GeometryValue::Point { coordinates } => Geometry::Point(Point(coord(coordinates, what)?)),
        GeometryValue::MultiPoint { coordinates } => Geometry::MultiPoint(
            coordinates
                .iter()
                .map(|p| coord(p, what).map(Point))
                .collect::<Result<Vec<_>, _>>()?
                .into(),
        ),
        GeometryValue::LineString { coordinates } => Geometry::LineString(line(coordinates, what)?),
        GeometryValue::MultiLineString { coordinates } => {
            Geometry::MultiLineString(MultiLineString(
                coordinates
                    .iter()
                    .map(|l| line(l, what))
                    .collect::<Result<_, _>>()?,
            ))
        }
        GeometryValue::Polygon { coordinates } => Geometry::Polygon(polygon(coordinates, what)?),
        GeometryValue::MultiPolygon { coordinates } => Geometry::MultiPolygon(MultiPolygon(
            coordinates
                .iter()
                .map(|p| polygon(p, what))
                .collect::<Result<_, _>>()?,
        )),
        GeometryValue::GeometryCollection { geometries } => Geometry::GeometryCollection(
            geometries
                .iter()
                .map(|g| to_geo(&g.value, what))
                .collect::<Result<Vec<_>, _>>()?
                .into(),
        ),
    })
}

fn parse(text: &str) -> Result<GeoJson, GeoJsonError> {
    text.parse::<GeoJson>()
        .map_err(|e| GeoJsonError::Syntax(e.to_string()))
}

/// Parses a user's site: a GeoJSON Geometry, Feature or FeatureCollection whose geometries
/// are all Polygons or MultiPolygons; they are gathered into one MultiPolygon.
pub fn parse_site(text: &str) -> Result<MultiPolygon<f64>, GeoJsonError> {
    let gj = parse(text)?;
    let mut out = Vec::new();
    let mut add = |g: Option<&geojson::Geometry>, what: &str| -> Result<(), GeoJsonError> {
        let Some(g) = g else {
            return Err(GeoJsonError::WrongType {
                what: what.into(),
                found: "null geometry".into(),
            });
        };
        match to_geo(&g.value, what)? {
            Geometry::Polygon(p) => out.push(p),
            Geometry::MultiPolygon(mp) => out.extend(mp.0),
            _ => {
                return Err(GeoJsonError::WrongType {
                    what: what.into(),
                    found: g.value.type_name().into(),
                })
            }
        }
        Ok(())
    };
    match &gj {
        GeoJson::Geometry(g) => add(Some(g), "site")?,
        GeoJson::Feature(f) => add(f.geometry.as_ref(), "site feature")?,
        GeoJson::FeatureCollection(fc) => {
            for (i, f) in fc.features.iter().enumerate() {
                add(f.geometry.as_ref(), &format!("feature {i}"))?;
            }
        }
    }
    if out.is_empty() {
        return Err(GeoJsonError::Empty);
    }
    Ok(MultiPolygon(out))
}

fn feature_id(f: &GjFeature, index: usize, layer: &str) -> String {
    match &f.id {
        Some(geojson::feature::Id::String(s)) => s.clone(),
        Some(geojson::feature::Id::Number(n)) => n.to_string(),
        None => format!("{layer}-{index}"),
    }
}

/// Reads a layer file's features. Features without an id get `<layer>-<index>`.
pub fn read_features(text: &str, layer: &str) -> Result<Vec<Feature>, GeoJsonError> {
    let fc = match parse(text)? {
        GeoJson::FeatureCollection(fc) => fc,
        GeoJson::Feature(f) => FeatureCollection::new([f]),
        GeoJson::Geometry(g) => FeatureCollection::new([GjFeature::from(g)]),
    };
    // Converted on every core, each parsed feature moved (its properties too) and dropped
    // there: a province layer holds a million. The first bad feature (by index) is reported.
    use rayon::prelude::*;
    let converted: Vec<Result<Feature, GeoJsonError>> = fc
        .features
        .into_par_iter()
        .enumerate()
        .with_min_len(4096)
        .map(|(index, mut f)| {
            let id = feature_id(&f, index, layer);
            let g = f.geometry.as_ref().ok_or_else(|| GeoJsonError::Feature {
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
                properties: f.properties.take().unwrap_or_default(),
            })
        })
        .collect();
    converted.into_iter().collect()
}

fn round(v: f64) -> f64 {
    let k = 10f64.powi(PRECISION);
    (v * k).round() / k
}

fn pos(c: Coord<f64>) -> Position {
    Position::from([round(c.x), round(c.y)])
}

fn ring_positions(r: &LineString<f64>, ccw: bool) -> Vec<Position> {
    use geo::Winding;
    let mut r = r.clone();
    if ccw {
        r.make_ccw_winding();
    } else {
        r.make_cw_winding();
    }
    r.0.iter().map(|c| pos(*c)).collect()
}

fn polygon_positions(p: &Polygon<f64>) -> Vec<Vec<Position>> {
    std::iter::once(ring_positions(p.exterior(), true))
        .chain(p.interiors().iter().map(|r| ring_positions(r, false)))
        .collect()
}

/// A geo geometry as an RFC 7946 GeoJSON geometry (right-hand rule, 7 decimals).
pub fn from_geo(g: &Geometry<f64>) -> geojson::Geometry {
    let value = match g {
        Geometry::Point(p) => GeometryValue::Point {
            coordinates: pos(p.0),
        },
        Geometry::MultiPoint(mp) => GeometryValue::MultiPoint {
            coordinates: mp.0.iter().map(|p| pos(p.0)).collect(),
        },
        Geometry::LineString(l) => GeometryValue::LineString {
            coordinates: l.0.iter().map(|c| pos(*c)).collect(),
        },
        Geometry::MultiLineString(ml) if ml.0.len() == 1 => GeometryValue::LineString {
            coordinates: ml.0[0].0.iter().map(|c| pos(*c)).collect(),
        },
        Geometry::MultiLineString(ml) => GeometryValue::MultiLineString {
            coordinates: ml
                .0
                .iter()
                .map(|l| l.0.iter().map(|c| pos(*c)).collect())
                .collect(),
        },
        Geometry::Polygon(p) => GeometryValue::Polygon {
            coordinates: polygon_positions(p),
        },
        Geometry::MultiPolygon(mp) if mp.0.len() == 1 => GeometryValue::Polygon {
            coordinates: polygon_positions(&mp.0[0]),
        },
        Geometry::MultiPolygon(mp) => GeometryValue::MultiPolygon {
            coordinates: mp.0.iter().map(polygon_positions).collect(),
        },
        Geometry::Line(l) => GeometryValue::LineString {
            coordinates: vec![pos(l.start), pos(l.end)],
        },
        Geometry::Rect(r) => return from_geo(&Geometry::Polygon(r.to_polygon())),
        Geometry::Triangle(t) => return from_geo(&Geometry::Polygon(t.to_polygon())),
        Geometry::GeometryCollection(gc) => GeometryValue::GeometryCollection {
            geometries: gc.0.iter().map(from_geo).collect(),
        },
    };
    geojson::Geometry::new(value)
}

/// A GeoJSON Feature with a string id.
pub fn feature(id: &str, g: &Geometry<f64>, properties: Properties) -> GjFeature {
    GjFeature {
        bbox: None,
        geometry: Some(from_geo(g)),
        id: Some(geojson::feature::Id::String(id.to_string())),
        properties: Some(properties),
        foreign_members: None,
    }
}

/// Writes features as a FeatureCollection, one feature a line.
pub fn write_collection(
    features: impl IntoIterator<Item = GjFeature>,
    name: Option<&str>,
) -> String {
    let mut out = String::from("{\"type\":\"FeatureCollection\"");
    if let Some(name) = name {
        out.push_str(",\"name\":");
        out.push_str(&Value::String(name.into()).to_string());
    }
    out.push_str(",\"features\":[");
    for (i, f) in features.into_iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        out.push_str(&GeoJson::Feature(f).to_string());
    }
    out.push_str("\n]}\n");
    out
}

/// Writes a layer's features as RFC 7946 GeoJSON.
pub fn write_features(features: &[Feature], name: Option<&str>) -> String {
    write_collection(
        features
            .iter()
            .map(|f| feature(&f.id, &f.shape.to_geometry(), f.properties.clone())),
        name,
    )
}

/// Properties from `(key, value)` pairs.
pub fn props<const N: usize>(pairs: [(&str, Value); N]) -> Properties {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k.to_string(), v);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unclosed_ring_is_named() {
        let e = parse_site(
            r#"{"type":"Polygon","coordinates":[[[112,37],[112.1,37],[112.1,37.1],[112,37.1]]]}"#,
        )
        .unwrap_err();
        assert!(matches!(e, GeoJsonError::Unclosed { ring: 0, .. }), "{e}");
    }

    #[test]
    fn line_site_is_wrong_type() {
        let e =
            parse_site(r#"{"type":"LineString","coordinates":[[112,37],[112.1,37]]}"#).unwrap_err();
        assert!(e.to_string().contains("LineString"), "{e}");
    }

    #[test]
    fn written_polygon_follows_right_hand_rule() {
        // A clockwise exterior must come out counter-clockwise (RFC 7946 §3.1.6).
        use geo::polygon;
        let cw = Geometry::Polygon(
            polygon![(x: 0.0, y: 0.0), (x: 0.0, y: 1.0), (x: 1.0, y: 1.0), (x: 1.0, y: 0.0)],
        );
        let out = from_geo(&cw);
        let GeometryValue::Polygon { coordinates } = out.value else {
            panic!()
        };
        let r = &coordinates[0];
        // Shoelace sum > 0 means counter-clockwise.
        let s: f64 = r
            .windows(2)
            .map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1])
            .sum();
        assert!(s > 0.0);
    }

    #[test]
    fn feature_collection_round_trip() {
        let text = r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"a-1","properties":{"name":"甲"},"geometry":{"type":"Polygon","coordinates":[[[112,37],[112.1,37],[112.1,37.1],[112,37]]]}}]}"#;
        let f = read_features(text, "a").unwrap();
        assert_eq!(f[0].id, "a-1");
        assert_eq!(f[0].name(), "甲");
        let back = read_features(&write_features(&f, None), "a").unwrap();
        assert_eq!(back, f);
    }
}
