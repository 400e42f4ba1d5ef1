//! A record checked and put in the form it is stored in: the time canonical, the verdict one
//! of [`VERDICTS`], areas finite, the site a GeoJSON geometry, user text trimmed and capped.
//! Done on the caller's thread, so a bad record is refused before it reaches the writer.

use crate::error::{invalid, HistoryError};
use crate::record::{BatchRef, NewRecord, MAX_NAME_CHARS, MAX_SITE_BYTES, VERDICTS};
use crate::time;

/// A record checked and put in stored form, ready to insert.
#[derive(Debug)]
pub struct Row {
    pub time: String,
    pub verdict: String,
    pub site_area_m2: f64,
    pub overlaps: String,
    pub data_version: String,
    pub source: &'static str,
    pub project: Option<String>,
    pub applicant: Option<String>,
    pub site: String,
    pub key: Option<String>,
    pub plan: Option<String>,
    /// The batch the site belongs to ([`batch_ref`] checked it).
    pub batch: Option<BatchRef>,
}

/// A record checked and put in stored form.
pub fn row(rec: &NewRecord) -> Result<Row, HistoryError> {
    let time = time::canonical(&rec.time)?;
    if !VERDICTS.contains(&rec.verdict.as_str()) {
        return Err(invalid(format!(
            "verdict {:?} is not one of {}",
            time::clip(&rec.verdict),
            VERDICTS.join(", ")
        )));
    }
    if !(rec.site_area_m2.is_finite() && rec.site_area_m2 >= 0.0) {
        return Err(invalid(format!(
            "site_area_m2 {} is not a finite area",
            rec.site_area_m2
        )));
    }
    if !(rec.overlaps.is_array() || rec.overlaps.is_object()) {
        return Err(invalid("overlaps must be a JSON array or object"));
    }
    let site = check_site(&rec.site)?;
    let data_version = rec.data_version.trim();
    if data_version.is_empty() || data_version.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(format!(
            "data_version must be 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    let project = user_text("project", rec.project.as_deref())?;
    let applicant = user_text("applicant", rec.applicant.as_deref())?;
    if let Some(k) = &rec.key {
        check_key(k)?;
    }
    let plan = user_text("plan", rec.plan.as_deref())?;
    Ok(Row {
        time,
        verdict: rec.verdict.clone(),
        site_area_m2: rec.site_area_m2,
        overlaps: rec.overlaps.to_string(),
        data_version: data_version.to_string(),
        source: rec.source.as_str(),
        project: project.map(str::to_string),
        applicant: applicant.map(str::to_string),
        site: site.to_string(),
        key: rec.key.clone(),
        plan: plan.map(str::to_string),
        batch: None,
    })
}

/// A record of one site of a batch checked and put in stored form, with its batch.
pub fn batch_row(rec: &NewRecord, batch: &BatchRef) -> Result<Row, HistoryError> {
    let mut r = row(rec)?;
    r.batch = Some(batch_ref(batch)?);
    Ok(r)
}

/// A batch reference checked: the id's form, the file name trimmed and capped, the feature's
/// number positive.
pub fn batch_ref(b: &BatchRef) -> Result<BatchRef, HistoryError> {
    batch_id(&b.id)?;
    if b.feature < 1 {
        return Err(invalid(format!(
            "batch feature {} is not a 1-based number",
            b.feature
        )));
    }
    Ok(BatchRef {
        id: b.id.clone(),
        file: user_text("batch file", b.file.as_deref())?.map(str::to_string),
        feature: b.feature,
    })
}

/// A batch id: 1 to 64 of `A-Z a-z 0-9 - _`.
pub fn batch_id(id: &str) -> Result<(), HistoryError> {
    let ok = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "batch id {:?} is not 1 to 64 of A-Z a-z 0-9 - _",
            time::clip(id)
        )))
    }
}

/// The site text, checked to be a GeoJSON geometry object.
fn check_site(text: &str) -> Result<&str, HistoryError> {
    let text = text.trim();
    if text.len() > MAX_SITE_BYTES {
        return Err(invalid(format!(
            "site is larger than {MAX_SITE_BYTES} bytes"
        )));
    }
    let ty = match serde_json::from_str::<TypeMember>(text) {
        Ok(TypeMember(ty)) => ty,
        Err(e) if e.is_data() => None,
        Err(e) => return Err(invalid(format!("site is not JSON: {e}"))),
    };
    let geometry = [
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    ];
    if !ty.is_some_and(|t| geometry.contains(&t.as_str())) {
        return Err(invalid("site must be a GeoJSON geometry object"));
    }
    Ok(text)
}

/// The string member `type` of a JSON object (the last one given), read without building
/// the rest of it (a site is thousands of numbers, only checked to be JSON). Anything but an
/// object is a data error.
struct TypeMember(Option<String>);

impl<'de> serde::Deserialize<'de> for TypeMember {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = TypeMember;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<TypeMember, A::Error> {
                let mut ty = None;
                while let Some(key) = m.next_key::<std::borrow::Cow<'de, str>>()? {
                    if key == "type" {
                        ty = m
                            .next_value::<serde_json::Value>()?
                            .as_str()
                            .map(str::to_string);
                    } else {
                        m.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(TypeMember(ty))
            }
        }
        d.deserialize_map(Members)
    }
}

/// Whether `k` may be a [`crate::NewRecord::key`]: 8 to 64 of `A-Z a-z 0-9 - _` (the one
/// rule; the server refuses a bad `check_key` with it before a check runs).
pub fn check_key(k: &str) -> Result<(), HistoryError> {
    let ok = (8..=64).contains(&k.len())
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(invalid("a check key is 8 to 64 of A-Z a-z 0-9 - _"))
    }
}

/// A user's optional text as it will be stored: trimmed, empty = none, no control
/// characters, at most [`MAX_NAME_CHARS`]. For callers that refuse bad input before a check.
pub fn clean_name<'a>(what: &str, s: Option<&'a str>) -> Result<Option<&'a str>, HistoryError> {
    user_text(what, s)
}

/// A user's optional text: trimmed, empty = none, no control characters, length capped.
fn user_text<'a>(what: &str, s: Option<&'a str>) -> Result<Option<&'a str>, HistoryError> {
    let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let n = s.chars().count();
    if n > MAX_NAME_CHARS {
        return Err(invalid(format!(
            "{what} is {n} characters long; at most {MAX_NAME_CHARS}"
        )));
    }
    if s.chars().any(char::is_control) {
        return Err(invalid(format!("{what} contains control characters")));
    }
    Ok(Some(s))
}

#[cfg(test)]
mod tests {
    use super::check_site;

    #[test]
    fn a_site_is_a_geometry_object() {
        let square =
            r#"{"coordinates":[[[112,37],[112.1,37],[112.1,37.1],[112,37]]],"type":"Polygon"}"#;
        assert_eq!(check_site(square).unwrap(), square);
        assert!(check_site(r#" {"type":"GeometryCollection","geometries":[]} "#).is_ok());
        for (text, says) in [
            (r#"{"type":"Feature","geometry":null}"#, "geometry object"),
            (r#"{"coordinates":[]}"#, "geometry object"),
            (r#"{"type":7}"#, "geometry object"),
            (r#"["Polygon"]"#, "geometry object"),
            (r#""Polygon""#, "geometry object"),
            (r#"{"type":"Polygon","coordinates":[1,]}"#, "not JSON"),
            (r#"{"type":"Polygon""#, "not JSON"),
        ] {
            let e = check_site(text).unwrap_err().to_string();
            assert!(e.contains(says), "{text}: {e}");
        }
    }
}
