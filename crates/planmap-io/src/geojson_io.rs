//! GeoJSON (RFC 7946) in and out: layer files, user sites, exports.
//!
//! Reading is strict where a user's input is concerned (rings closed, numbers finite, types
//! named) and writes follow the RFC: lon/lat, exterior rings counter-clockwise, holes clockwise.
//! Coordinates are written at full precision — each the shortest decimal that reads back as
//! the same f64 — so a layer stored and read again is the layer imported, to the bit; a
//! [`Precision::Decimals`] may round an export for the web.

use geo::{Coord, Geometry, LineString, MultiLineString, MultiPolygon, Point, Polygon};
use geojson::{Feature as GjFeature, GeoJson, GeometryValue, Position};
use planmap_core::{Feature, Properties};
use serde_json::{Map, Value};

/// How lon/lat are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Precision {
    /// As stored: the shortest decimal that reads back as the same f64 (a surveyor's
    /// millimetre is kept; nothing is rounded). The default everywhere.
    #[default]
    Full,
    /// Rounded to this many decimals of a degree (7 ≈ 1 cm, 6 ≈ 10 cm), for smaller files
    /// on the web. At most [`Precision::MAX_DECIMALS`].
    Decimals(u8),
}

impl Precision {
    /// Most decimals [`Precision::Decimals`] takes (1e-15° is below an f64's step here).
    pub const MAX_DECIMALS: u8 = 15;

    /// `Full` for `None`; the decimals given, or why they cannot be.
    pub fn from_decimals(n: Option<u64>) -> Result<Precision, String> {
        match n {
            None => Ok(Precision::Full),
            Some(n) if n <= u64::from(Self::MAX_DECIMALS) => Ok(Precision::Decimals(n as u8)),
            Some(n) => Err(format!(
                "{n} decimals: give 0 to {} (or leave it out for full precision)",
                Self::MAX_DECIMALS
            )),
        }
    }

    fn apply(self, v: f64) -> f64 {
        match self {
            Precision::Full => v,
            Precision::Decimals(n) => {
                // 10^n is exact, so the quotient is the f64 nearest the n-decimal value and
                // prints as that value.
                let k = 10f64.powi(i32::from(n));
                (v * k).round() / k
            }
        }
    }
}

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

fn pos(c: Coord<f64>, p: Precision) -> Position {
    Position::from([p.apply(c.x), p.apply(c.y)])
}

fn ring_positions(r: &LineString<f64>, ccw: bool, p: Precision) -> Vec<Position> {
    use geo::Winding;
    let mut r = r.clone();
    if ccw {
        r.make_ccw_winding();
    } else {
        r.make_cw_winding();
    }
    r.0.iter().map(|c| pos(*c, p)).collect()
}

fn polygon_positions(poly: &Polygon<f64>, p: Precision) -> Vec<Vec<Position>> {
    std::iter::once(ring_positions(poly.exterior(), true, p))
        .chain(poly.interiors().iter().map(|r| ring_positions(r, false, p)))
        .collect()
}

fn line_positions(l: &LineString<f64>, p: Precision) -> Vec<Position> {
    l.0.iter().map(|c| pos(*c, p)).collect()
}

/// A geo geometry as an RFC 7946 GeoJSON geometry (right-hand rule, full precision).
pub fn from_geo(g: &Geometry<f64>) -> geojson::Geometry {
    from_geo_at(g, Precision::Full)
}

/// [`from_geo`] with coordinates written at `p`.
pub fn from_geo_at(g: &Geometry<f64>, p: Precision) -> geojson::Geometry {
    let value = match g {
        Geometry::Point(pt) => GeometryValue::Point {
            coordinates: pos(pt.0, p),
        },
        Geometry::MultiPoint(mp) => GeometryValue::MultiPoint {
            coordinates: mp.0.iter().map(|pt| pos(pt.0, p)).collect(),
        },
        Geometry::LineString(l) => GeometryValue::LineString {
            coordinates: line_positions(l, p),
        },
        Geometry::MultiLineString(ml) if ml.0.len() == 1 => GeometryValue::LineString {
            coordinates: line_positions(&ml.0[0], p),
        },
        Geometry::MultiLineString(ml) => GeometryValue::MultiLineString {
            coordinates: ml.0.iter().map(|l| line_positions(l, p)).collect(),
        },
        Geometry::Polygon(poly) => GeometryValue::Polygon {
            coordinates: polygon_positions(poly, p),
        },
        Geometry::MultiPolygon(mp) if mp.0.len() == 1 => GeometryValue::Polygon {
            coordinates: polygon_positions(&mp.0[0], p),
        },
        Geometry::MultiPolygon(mp) => GeometryValue::MultiPolygon {
            coordinates: mp.0.iter().map(|poly| polygon_positions(poly, p)).collect(),
        },
        Geometry::Line(l) => GeometryValue::LineString {
            coordinates: vec![pos(l.start, p), pos(l.end, p)],
        },
        Geometry::Rect(r) => return from_geo_at(&Geometry::Polygon(r.to_polygon()), p),
        Geometry::Triangle(t) => return from_geo_at(&Geometry::Polygon(t.to_polygon()), p),
        Geometry::GeometryCollection(gc) => GeometryValue::GeometryCollection {
            geometries: gc.0.iter().map(|g| from_geo_at(g, p)).collect(),
        },
    };
    geojson::Geometry::new(value)
}

/// A GeoJSON Feature with a string id (full precision).
pub fn feature(id: &str, g: &Geometry<f64>, properties: Properties) -> GjFeature {
    feature_at(id, g, properties, Precision::Full)
}

/// [`feature`] with coordinates written at `p`.
pub fn feature_at(id: &str, g: &Geometry<f64>, properties: Properties, p: Precision) -> GjFeature {
    GjFeature {
        bbox: None,
        geometry: Some(from_geo_at(g, p)),
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

/// Writes a layer's features as RFC 7946 GeoJSON (full precision).
pub fn write_features(features: &[Feature], name: Option<&str>) -> String {
    write_features_at(features, name, Precision::Full)
}

/// [`write_features`] with coordinates written at `p`.
pub fn write_features_at(features: &[Feature], name: Option<&str>, p: Precision) -> String {
    write_collection(
        features
            .iter()
            .map(|f| feature_at(&f.id, &f.shape.to_geometry(), f.properties.to_map(), p)),
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
    use crate::layer_file::read_features;
    use planmap_core::Shape;

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

    /// Written and read again, every coordinate is the same f64, to the last bit — whatever
    /// its digits (the values of a Gauss-Krüger millimetre taken to lon/lat have 15–17).
    #[test]
    fn full_precision_round_trips_every_bit() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let ring: Vec<Coord<f64>> = (0..2000)
            .map(|_| Coord {
                x: 111.5 + next(),
                y: 37.0 + next(),
            })
            .collect();
        let f = Feature {
            id: "a".into(),
            shape: Shape::Line(MultiLineString(vec![LineString(ring.clone())])),
            properties: Default::default(),
        };
        let back = read_features(&write_features(&[f], None), "a").unwrap();
        let Shape::Line(ml) = &back[0].shape else {
            panic!("{back:?}")
        };
        for (a, b) in ml.0[0].0.iter().zip(&ring) {
            assert_eq!(
                (a.x.to_bits(), a.y.to_bits()),
                (b.x.to_bits(), b.y.to_bits()),
                "{a:?} vs {b:?}"
            );
        }
    }

    #[test]
    fn decimals_round_for_the_web() {
        let g = Geometry::Point(Point::new(112.123_456_789_012_3, 37.987_654_321_098_7));
        let text = |p| from_geo_at(&g, p).to_string();
        assert!(text(Precision::Full).contains("[112.1234567890123,37.9876543210987]"));
        assert!(text(Precision::Decimals(7)).contains("[112.1234568,37.9876543]"));
        assert!(text(Precision::Decimals(0)).contains("[112.0,38.0]"));
        assert_eq!(Precision::from_decimals(None), Ok(Precision::Full));
        assert_eq!(
            Precision::from_decimals(Some(6)),
            Ok(Precision::Decimals(6))
        );
        assert!(Precision::from_decimals(Some(16))
            .unwrap_err()
            .contains("0 to 15"));
    }
}
