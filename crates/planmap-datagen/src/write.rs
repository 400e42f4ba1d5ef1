//! GeoJSON writing: one FeatureCollection a layer, one feature a line, coordinates as
//! decimals of the 1e-7° grid (trailing zeros trimmed), properties in a fixed order.

use crate::frame::Ll;
use crate::out::{OutFeature, OutGeom};
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
