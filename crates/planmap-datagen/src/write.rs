//! GeoJSON writing: one FeatureCollection a layer, one feature a line, coordinates as
//! decimals of the 1e-7° grid (trailing zeros trimmed), properties in a fixed order.

use crate::frame::Ll;
use crate::out::{OutFeature, OutGeom, MU_PER_M2};
use std::fmt::Write as _;
use std::path::Path;

/// A grid value as a decimal with at most seven fractional digits.
pub fn num(v: i64) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    let (int, frac) = (a / 10_000_000, a % 10_000_000);
    if frac == 0 {
        return format!("{sign}{int}");
    }
    let f = format!("{frac:07}");
    format!("{sign}{int}.{}", f.trim_end_matches('0'))
}

fn point(s: &mut String, p: Ll) {
    let _ = write!(s, "[{},{}]", num(p.0), num(p.1));
}

fn line(s: &mut String, l: &[Ll], close: bool) {
    s.push('[');
    for (i, &p) in l.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        point(s, p);
    }
    if close {
        s.push(',');
        point(s, l[0]);
    }
    s.push(']');
}

fn rings(s: &mut String, rs: &[Vec<Ll>]) {
    s.push('[');
    for (i, r) in rs.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        line(s, r, true);
    }
    s.push(']');
}

/// The GeoJSON text of a geometry.
pub fn geometry(g: &OutGeom) -> String {
    let mut s = String::new();
    match g {
        OutGeom::Polygon(r) => {
            s.push_str(r#"{"type":"Polygon","coordinates":"#);
            rings(&mut s, r);
        }
        OutGeom::MultiPolygon(ps) => {
            s.push_str(r#"{"type":"MultiPolygon","coordinates":["#);
            for (i, p) in ps.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                rings(&mut s, p);
            }
            s.push(']');
        }
        OutGeom::Line(l) => {
            s.push_str(r#"{"type":"LineString","coordinates":"#);
            line(&mut s, l, false);
        }
        OutGeom::MultiLine(ls) => {
            s.push_str(r#"{"type":"MultiLineString","coordinates":["#);
            for (i, l) in ls.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                line(&mut s, l, false);
            }
            s.push(']');
        }
        OutGeom::Point(p) => {
            s.push_str(r#"{"type":"Point","coordinates":"#);
            point(&mut s, *p);
        }
    }
    s.push('}');
    s
}

fn feature(f: &OutFeature) -> String {
    let mut s = String::from(r#"{"type":"Feature","id":"#);
    s.push_str(&serde_json::Value::from(f.id.as_str()).to_string());
    s.push_str(r#","properties":{"#);
    for (i, (k, v)) in f.props.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{}:{}", serde_json::Value::from(k.as_str()), v);
    }
    s.push_str(r#"},"geometry":"#);
    s.push_str(&geometry(&f.geom));
    s.push('}');
    s
}

/// Writes a layer file; returns its size in bytes.
pub fn layer(path: &Path, features: &[OutFeature]) -> std::io::Result<usize> {
    let mut s = String::from("{\"type\":\"FeatureCollection\",\"features\":[\n");
    for (i, f) in features.iter().enumerate() {
        s.push_str(&feature(f));
        s.push_str(if i + 1 < features.len() { ",\n" } else { "\n" });
    }
    s.push_str("]}\n");
    std::fs::write(path, &s)?;
    Ok(s.len())
}

/// One deliberate overlap of two features (a record of planted_conflicts.json).
pub struct PlantedRecord {
    /// `a×b` (layer ids, in the rule's order).
    pub rule: String,
    /// conflict | warning | sliver
    pub severity: &'static str,
    pub a: String,
    pub b: String,
    pub area_m2: f64,
    /// How it was built (Chinese).
    pub how: &'static str,
    /// The overlap: one ring on the grid (open).
    pub ring: Vec<Ll>,
}

/// planted_conflicts.json: a JSON array, one record a line.
pub fn planted_json(records: &[PlantedRecord]) -> String {
    let mut s = String::from("[\n");
    for (i, p) in records.iter().enumerate() {
        let _ = write!(
            s,
            "{{\"rule\":\"{}\",\"severity\":\"{}\",\"a\":\"{}\",\"b\":\"{}\",\"area_m2\":{:.4},\"area_mu\":{:.4},\"how\":{},\"overlap\":{}}}",
            p.rule,
            p.severity,
            p.a,
            p.b,
            p.area_m2,
            p.area_m2 * MU_PER_M2,
            serde_json::Value::from(p.how),
            geometry(&OutGeom::Polygon(vec![p.ring.clone()]))
        );
        s.push_str(if i + 1 < records.len() { ",\n" } else { "\n" });
    }
    s.push_str("]\n");
    s
}

#[cfg(test)]
mod tests {
    use super::num;

    #[test]
    fn numbers() {
        assert_eq!(num(1_120_300_000), "112.03");
        assert_eq!(num(374_300_001), "37.4300001");
        assert_eq!(num(-5), "-0.0000005");
        assert_eq!(num(1_120_000_000), "112");
    }
}
