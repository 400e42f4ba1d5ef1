//! Query strings read into typed structs: [`Query<T>`] is the one extractor of every endpoint's
//! parameters, its rejection the JSON [`ApiError`] naming the parameter and the reason.
//!
//! `T` is a plain `#[derive(Deserialize)]` struct (its fields are the parameters the endpoint
//! takes; `Option` for optional ones). The rules, the same for every endpoint:
//! - a parameter that is not a field of `T` is refused, naming the ones accepted;
//! - a parameter given twice is refused;
//! - numbers are finite (`NaN`, `inf` are refused), whole numbers are whole, a flag is
//!   `true`/`false` (or `1`/`0`);
//! - a missing required parameter, a value that is not one of an enum's, a malformed
//!   [`Bbox`] are refused naming the parameter.
//!
//! The reader is a small serde `Deserializer` over the decoded pairs: serde hands it the
//! struct's field names, which are the list of accepted parameters.

use std::borrow::Cow;
use std::fmt;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use geo::{coord, Rect};
use serde::de::{self, DeserializeOwned, Deserializer, IntoDeserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::error::{clip, ApiError, ApiResult};

/// The query parameters of a request, read into `T`.
#[derive(Debug, Clone)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parse(parts.uri.query()).map(Query)
    }
}

/// An endpoint that takes no parameter.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct NoParams {}

/// Reads a query string into `T` under the rules of this module.
pub fn parse<T: DeserializeOwned>(query: Option<&str>) -> ApiResult<T> {
    let pairs: Vec<(Cow<str>, Cow<str>)> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .filter(|(k, v)| !(k.is_empty() && v.is_empty()))
        .collect();
    T::deserialize(Pairs { pairs: &pairs }).map_err(Error::into_api)
}

/// A required number within `range`, else the refusal naming it.
pub fn in_range(name: &str, v: f64, range: std::ops::RangeInclusive<f64>) -> ApiResult<f64> {
    if range.contains(&v) {
        Ok(v)
    } else {
        Err(ApiError::parameter(
            name,
            format!("{v} is out of range {}..{}", range.start(), range.end()),
        ))
    }
}

/// A whole number ≥ `min`, else the refusal naming it.
pub fn at_least(name: &str, v: u64, min: u64) -> ApiResult<u64> {
    if v < min {
        return Err(ApiError::parameter(name, format!("{v} is less than {min}")));
    }
    Ok(v)
}

/// `precision=N`: lon/lat of GeoJSON rounded to N decimals (0–15); absent, full precision.
pub fn precision(n: Option<u64>) -> ApiResult<planmap_io::geojson_io::Precision> {
    planmap_io::geojson_io::Precision::from_decimals(n)
        .map_err(|e| ApiError::parameter("precision", e))
}

/// `bbox=minlon,minlat,maxlon,maxlat` (a 6-number 3D box is accepted, heights ignored): four
/// finite numbers, minimum ≤ maximum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bbox(pub Rect<f64>);

impl<'de> Deserialize<'de> for Bbox {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Bbox, D::Error> {
        let s = String::deserialize(d)?;
        parse_bbox(&s).map(Bbox).map_err(de::Error::custom)
    }
}

fn number(v: &str) -> Result<f64, String> {
    match v.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        Ok(_) => Err(format!("'{}' is not a finite number", clip(v))),
        Err(_) => Err(format!("'{}' is not a number", clip(v))),
    }
}

/// A bounding box in lon/lat order: `minx,miny,maxx,maxy` or the 6-number 3D form.
pub fn parse_bbox(v: &str) -> Result<Rect<f64>, String> {
    let nums = v.split(',').map(number).collect::<Result<Vec<f64>, _>>()?;
    let (x0, y0, x1, y1) = match nums.as_slice() {
        [a, b, c, d] => (*a, *b, *c, *d),
        [a, b, _, d, e, _] => (*a, *b, *d, *e),
        _ => {
            return Err(format!(
                "expected 4 numbers minx,miny,maxx,maxy, got {}",
                nums.len()
            ))
        }
    };
    if x0 > x1 || y0 > y1 {
        return Err("minimum greater than maximum (order: minx,miny,maxx,maxy)".into());
    }
    Ok(Rect::new(coord! { x: x0, y: y0 }, coord! { x: x1, y: y1 }))
}

/// A refusal while reading: already naming its parameter, or a message the map access names.
#[derive(Debug)]
enum Error {
    Api(ApiError),
    Message(String),
}

impl Error {
    fn into_api(self) -> ApiError {
        match self {
            Error::Api(e) => e,
            Error::Message(m) => ApiError::bad_request(format!("query: {m}")),
        }
    }

    fn named(self, name: &str) -> Error {
        match self {
            Error::Message(m) => Error::Api(ApiError::parameter(name, m)),
            e => e,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api(e) => f.write_str(&e.message),
            Error::Message(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::Message(msg.to_string())
    }

    fn missing_field(field: &'static str) -> Self {
        Error::Api(ApiError::parameter(field, "missing; it is required"))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Error::Message(format!(
            "'{}' is not one of: {}",
            clip(variant),
            expected.join(", ")
        ))
    }
}

/// The decoded pairs of a query string, as a struct.
struct Pairs<'a> {
    pairs: &'a [(Cow<'a, str>, Cow<'a, str>)],
}

impl<'de> Deserializer<'de> for Pairs<'_> {
    type Error = Error;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        for (i, (k, _)) in self.pairs.iter().enumerate() {
            if !fields.contains(&k.as_ref()) {
                let expected = if fields.is_empty() {
                    "this endpoint takes no parameters".to_string()
                } else {
                    format!("expected one of: {}", fields.join(", "))
                };
                return Err(Error::Api(ApiError::parameter(
                    &clip(k),
                    format!("unknown parameter; {expected}"),
                )));
            }
            if self.pairs[..i].iter().any(|(p, _)| p == k) {
                return Err(Error::Api(ApiError::parameter(k, "given more than once")));
            }
        }
        visitor.visit_map(PairsAccess {
            pairs: self.pairs.iter(),
            value: None,
        })
    }

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
        Err(Error::Message(
            "a query is read into a struct of parameters".into(),
        ))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

struct PairsAccess<'a, I> {
    pairs: I,
    value: Option<&'a (Cow<'a, str>, Cow<'a, str>)>,
}

impl<'de, 'a, I: Iterator<Item = &'a (Cow<'a, str>, Cow<'a, str>)>> MapAccess<'de>
    for PairsAccess<'a, I>
{
    type Error = Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some(pair) = self.pairs.next() else {
            return Ok(None);
        };
        self.value = Some(pair);
        seed.deserialize(pair.0.as_ref().into_deserializer())
            .map(Some)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let (k, v) = self
            .value
            .take()
            .ok_or_else(|| Error::Message("a value without its parameter".into()))?;
        seed.deserialize(Param { value: v }).map_err(|e| e.named(k))
    }
}

/// One parameter's value: text, read as the field's type asks.
struct Param<'a> {
    value: &'a str,
}

impl Param<'_> {
    fn whole<T: std::str::FromStr>(&self) -> Result<T, Error> {
        self.value.trim().parse::<T>().map_err(|_| {
            Error::Message(format!("'{}' is not a whole number ≥ 0", clip(self.value)))
        })
    }
}

macro_rules! whole {
    ($($method:ident $visit:ident $t:ty),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.$visit(self.whole::<$t>()?)
        }
    )*};
}

impl<'de> Deserializer<'de> for Param<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_str(self.value)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_f64(number(self.value).map_err(Error::Message)?)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_f64(visitor)
    }

    whole!(deserialize_u8 visit_u8 u8, deserialize_u16 visit_u16 u16, deserialize_u32 visit_u32 u32,
        deserialize_u64 visit_u64 u64, deserialize_i8 visit_i8 i8, deserialize_i16 visit_i16 i16,
        deserialize_i32 visit_i32 i32, deserialize_i64 visit_i64 i64);

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            "true" | "1" => visitor.visit_bool(true),
            "false" | "0" => visitor.visit_bool(false),
            v => Err(Error::Message(format!(
                "'{}' is not one of: true, false (or 1, 0)",
                clip(v)
            ))),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_enum(self.value.into_deserializer())
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf unit unit_struct seq tuple tuple_struct map
        struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)] // every field is a parameter accepted; not all are read here
    struct Point {
        lon: f64,
        lat: Option<f64>,
        limit: Option<u64>,
        bbox: Option<Bbox>,
        #[serde(default)]
        repair: bool,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Format {
        Json,
        Geojson,
    }

    #[derive(Debug, Deserialize)]
    struct Choice {
        format: Option<Format>,
    }

    #[test]
    fn unknown_and_repeated_parameters_are_named() {
        let e = parse::<Point>(Some("lon=1&lon=2")).unwrap_err();
        assert!(e.message.contains("'lon'") && e.message.contains("more than once"));
        let e = parse::<Point>(Some("x=1")).unwrap_err();
        assert!(
            e.message.contains("'x'") && e.message.contains("lon, lat, limit, bbox, repair"),
            "{}",
            e.message
        );
        assert_eq!(e.extra["parameter"], "x");
        let e = parse::<NoParams>(Some("f=json")).unwrap_err();
        assert!(e.message.contains("takes no parameters"), "{}", e.message);
        assert!(parse::<NoParams>(Some("&")).is_ok());
    }

    #[test]
    fn numbers_choices_and_boxes() {
        let e = parse::<Point>(Some("lon=NaN")).unwrap_err();
        assert!(e.message.contains("'lon'") && e.message.contains("finite"));
        let e = parse::<Point>(Some("lon=abc")).unwrap_err();
        assert!(e.message.contains("not a number"), "{}", e.message);
        let e = parse::<Point>(Some("lat=1")).unwrap_err();
        assert!(e.message.contains("'lon': missing"), "{}", e.message);
        let e = parse::<Point>(Some("lon=1&limit=-1")).unwrap_err();
        assert!(e.message.contains("'limit'") && e.message.contains("whole"));
        let p = parse::<Point>(Some("lon=1.5&bbox=1,2,3,4&repair=true")).unwrap();
        let b = p.bbox.unwrap().0;
        assert_eq!(
            (p.lon, b.min().x, b.max().y, p.repair),
            (1.5, 1.0, 4.0, true)
        );
        assert!(parse::<Point>(Some("lon=1&repair=yes")).is_err());
        assert!(parse::<Point>(Some("lon=1&repair=1")).unwrap().repair);
        let e = parse::<Point>(Some("lon=1&bbox=3,2,1,4")).unwrap_err();
        assert!(e.message.contains("'bbox'") && e.message.contains("minimum greater"));
        assert!(parse_bbox("1,2,3").is_err());
        assert_eq!(parse_bbox("1,2,0,3,4,9").unwrap().max().x, 3.0);
        assert_eq!(
            parse::<Choice>(Some("format=geojson")).unwrap().format,
            Some(Format::Geojson)
        );
        let e = parse::<Choice>(Some("format=xml")).unwrap_err();
        assert!(
            e.message
                .contains("'format': 'xml' is not one of: json, geojson"),
            "{}",
            e.message
        );
    }
}
