//! A feature's attributes (GeoJSON `properties`), held as the compact JSON text of one object
//! and read on demand.
//!
//! A map of three short attributes costs ~850 bytes of heap (a B-tree node, a key and a value
//! allocation each); their text costs what it says, ~70 bytes. The attributes of a layer are
//! read rarely (a feature's name in a report, a pop-up, an export, a tile at a high zoom), so a
//! province's million farmland patches keep text and parse the object when asked.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

/// Attribute map of a feature, as read: keys in sorted order (serde_json's `Map`).
pub type Properties = Map<String, Value>;

/// A feature's attributes: the text of a JSON object without insignificant whitespace (empty
/// for none). Compared, iterated and exported as the [`Properties`] it reads as.
#[derive(Clone, Default)]
pub struct Attributes(Box<str>);

/// Why a text is not a feature's attributes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("properties must be a JSON object or null: {0}")]
pub struct AttributesError(String);

impl Attributes {
    /// The attributes a JSON text holds: an object (or `null`, none).
    pub fn from_json(text: &str) -> Result<Attributes, AttributesError> {
        let text = text.trim_matches(|c: char| c.is_ascii_whitespace());
        if text == "null" {
            return Ok(Attributes::default());
        }
        if !text.starts_with('{') {
            let shown: String = text.chars().take(20).collect();
            return Err(AttributesError(format!("found `{shown}`")));
        }
        serde_json::from_str::<IgnoredAny>(text).map_err(|e| AttributesError(e.to_string()))?;
        let compact = minify(text);
        Ok(if compact == "{}" {
            Attributes::default()
        } else {
            Attributes(compact.into_boxed_str())
        })
    }

    /// The attributes as a map (keys sorted; of a key given twice, the last).
    pub fn to_map(&self) -> Properties {
        if self.0.is_empty() {
            return Properties::new();
        }
        // The text was checked when it was made: it reads back.
        serde_json::from_str(&self.0).unwrap_or_default()
    }

    /// The value of one attribute, without reading the others into a map.
    pub fn get(&self, key: &str) -> Option<Value> {
        if self.0.is_empty() {
            return None;
        }
        let mut de = serde_json::Deserializer::from_str(&self.0);
        Pick(key).deserialize(&mut de).ok().flatten()
    }

    /// A string attribute (`None` when absent or not a string).
    pub fn get_str(&self, key: &str) -> Option<Cow<'_, str>> {
        match self.get(key)? {
            Value::String(s) => Some(Cow::Owned(s)),
            _ => None,
        }
    }

    /// Whether there is no attribute.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The JSON text of the object (`{}` when there is no attribute).
    pub fn json(&self) -> &str {
        if self.0.is_empty() {
            "{}"
        } else {
            &self.0
        }
    }

    /// Heap bytes held (the text).
    pub fn heap_bytes(&self) -> usize {
        self.0.len()
    }
}

impl From<Properties> for Attributes {
    fn from(map: Properties) -> Attributes {
        Attributes::from(&map)
    }
}

impl From<&Properties> for Attributes {
    fn from(map: &Properties) -> Attributes {
        if map.is_empty() {
            return Attributes::default();
        }
        // A map of JSON values always serialises.
        Attributes(
            serde_json::to_string(map)
                .unwrap_or_default()
                .into_boxed_str(),
        )
    }
}

impl PartialEq for Attributes {
    fn eq(&self, other: &Attributes) -> bool {
        self.0 == other.0 || self.to_map() == other.to_map()
    }
}

impl fmt::Debug for Attributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.json())
    }
}

/// The text without whitespace between tokens (strings kept as written). `text` is valid JSON.
fn minify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            out.push(c);
            in_string = c == '"';
        }
    }
    out
}

/// Reads an object, keeping the value of one key (the last, when given twice).
struct Pick<'k>(&'k str);

impl<'de> DeserializeSeed<'de> for Pick<'_> {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Value>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Pick<'_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Value>, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == self.0 {
                found = Some(map.next_value::<Value>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_reads_as_the_map_it_holds() {
        let text =
            "{ \"name\" : \"永久基本农田图斑 1\",\n \"note\": \"a \\\" b  c\", \"n\": [1, 2.5] }";
        let a = Attributes::from_json(text).unwrap();
        assert_eq!(
            a.json(),
            r#"{"name":"永久基本农田图斑 1","note":"a \" b  c","n":[1,2.5]}"#
        );
        let expected: Properties = serde_json::from_str(text).unwrap();
        assert_eq!(a.to_map(), expected);
        assert_eq!(a.get("n"), Some(json!([1, 2.5])));
        assert_eq!(a.get_str("name").as_deref(), Some("永久基本农田图斑 1"));
        assert_eq!(a.get_str("n"), None);
        assert_eq!(a.get("missing"), None);
        assert_eq!(a, Attributes::from(expected));
    }

    #[test]
    fn a_key_given_twice_reads_as_the_last_like_the_map() {
        let a = Attributes::from_json(r#"{"name":"a","name":"b"}"#).unwrap();
        assert_eq!(a.get_str("name").as_deref(), Some("b"));
        assert_eq!(a.to_map()["name"], "b");
    }

    #[test]
    fn null_and_empty_hold_nothing_and_other_values_are_refused() {
        for t in ["null", " {} ", "{ }"] {
            let a = Attributes::from_json(t).unwrap();
            assert!(
                a.is_empty() && a.heap_bytes() == 0 && a.to_map().is_empty(),
                "{t}"
            );
        }
        for t in ["[1]", "\"x\"", "3", "{\"a\":", "{} x"] {
            assert!(Attributes::from_json(t).is_err(), "{t}");
        }
    }
}
