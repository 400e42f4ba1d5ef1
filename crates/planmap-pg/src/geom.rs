//! Geometry in and out of PostGIS as WKB, by hand: the f64s travel as their eight bytes, never
//! as text, so a coordinate comes back exactly as it went in (full precision, no rounding).
//!
//! Out of the database: `ST_AsBinary(geom)` (ISO WKB, either byte order) into the core's
//! [`Shape`]; Z and M ordinates are read past and dropped (the engine is 2D). Into it: EWKB
//! (little-endian, the SRID in the header) of a [`Shape`], a `geometry` parameter or COPY
//! field as PostGIS's binary input takes it.

use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use planmap_core::Shape;

/// Why a WKB value does not read as a layer's geometry.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("WKB: {0}")]
pub struct WkbError(String);

fn bad(what: impl Into<String>) -> WkbError {
    WkbError(what.into())
}

/// The shape a WKB value holds (Point, LineString, Polygon and their Multi forms).
pub fn shape_from_wkb(bytes: &[u8]) -> Result<Shape, WkbError> {
    let mut r = Reader { bytes, at: 0 };
    let g = r.geometry(0)?;
    if r.at != bytes.len() {
        return Err(bad(format!(
            "{} bytes after the geometry",
            bytes.len() - r.at
        )));
    }
    let name = geometry_name(&g);
    Shape::from_geometry(g).ok_or_else(|| bad(format!("a {name} is not a layer's geometry")))
}

fn geometry_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::MultiPoint(_) => "MultiPoint of several points",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        _ => "geometry",
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

/// The header of one geometry: byte order, type, how many ordinates a point has.
struct Header {
    little: bool,
    kind: u32,
    dims: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], WkbError> {
        let end = self.at + N;
        let s = self
            .bytes
            .get(self.at..end)
            .ok_or_else(|| bad(format!("ends at byte {} inside a value", self.bytes.len())))?;
        self.at = end;
        Ok(s.try_into().expect("N bytes"))
    }

    fn u32(&mut self, little: bool) -> Result<u32, WkbError> {
        let b = self.take::<4>()?;
        Ok(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    fn f64(&mut self, little: bool) -> Result<f64, WkbError> {
        let b = self.take::<8>()?;
        Ok(if little {
            f64::from_le_bytes(b)
        } else {
            f64::from_be_bytes(b)
        })
    }

    fn header(&mut self) -> Result<Header, WkbError> {
        let little = match self.take::<1>()?[0] {
            0 => false,
            1 => true,
            b => return Err(bad(format!("byte order {b} (0 or 1)"))),
        };
        let raw = self.u32(little)?;
        // EWKB flags (PostGIS's own form) or ISO's thousands.
        let (mut z, mut m) = (raw & 0x8000_0000 != 0, raw & 0x4000_0000 != 0);
        if raw & 0x2000_0000 != 0 {
            self.u32(little)?; // the SRID
        }
        let iso = raw & 0x0fff_ffff;
        match iso / 1000 {
            0 => {}
            1 => z = true,
            2 => m = true,
            3 => (z, m) = (true, true),
            _ => return Err(bad(format!("geometry type {raw}"))),
        }
        Ok(Header {
            little,
            kind: iso % 1000,
            dims: 2 + z as usize + m as usize,
        })
    }

    fn count(&mut self, little: bool) -> Result<usize, WkbError> {
        let n = self.u32(little)? as usize;
        // Each item takes at least 8 bytes: a count beyond what is left is a broken value.
        if n > (self.bytes.len() - self.at) / 8 + 1 {
            return Err(bad(format!("a count of {n} beyond the value's end")));
        }
        Ok(n)
    }

    fn coord(&mut self, h: &Header) -> Result<Coord<f64>, WkbError> {
        let x = self.f64(h.little)?;
        let y = self.f64(h.little)?;
        for _ in 2..h.dims {
            self.f64(h.little)?;
        }
        Ok(Coord { x, y })
    }

    fn line(&mut self, h: &Header) -> Result<LineString<f64>, WkbError> {
        let n = self.count(h.little)?;
        (0..n)
            .map(|_| self.coord(h))
            .collect::<Result<_, _>>()
            .map(LineString)
    }

    fn polygon(&mut self, h: &Header) -> Result<Polygon<f64>, WkbError> {
        let n = self.count(h.little)?;
        let mut rings = (0..n)
            .map(|_| self.line(h))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter();
        let exterior = rings.next().unwrap_or_else(|| LineString(vec![]));
        Ok(Polygon::new(exterior, rings.collect()))
    }

    /// The members of a Multi geometry, each a geometry of type `kind` with its own header.
    fn members<T>(
        &mut self,
        h: &Header,
        kind: u32,
        depth: usize,
        pick: impl Fn(Geometry<f64>) -> Option<T>,
    ) -> Result<Vec<T>, WkbError> {
        let n = self.count(h.little)?;
        (0..n)
            .map(|_| {
                let g = self.geometry(depth + 1)?;
                pick(g).ok_or_else(|| bad(format!("a member of another type than {kind}")))
            })
            .collect()
    }

    fn geometry(&mut self, depth: usize) -> Result<Geometry<f64>, WkbError> {
        if depth > 2 {
            return Err(bad("geometries nested too deep"));
        }
        let h = self.header()?;
        Ok(match h.kind {
            1 => {
                let c = self.coord(&h)?;
                if c.x.is_nan() && c.y.is_nan() {
                    return Err(bad("an empty point"));
                }
                Geometry::Point(Point(c))
            }
            2 => Geometry::LineString(self.line(&h)?),
            3 => Geometry::Polygon(self.polygon(&h)?),
            4 => Geometry::MultiPoint(MultiPoint(self.members(&h, 1, depth, |g| match g {
                Geometry::Point(p) => Some(p),
                _ => None,
            })?)),
            5 => Geometry::MultiLineString(MultiLineString(self.members(
                &h,
                2,
                depth,
                |g| match g {
                    Geometry::LineString(l) => Some(l),
                    _ => None,
                },
            )?)),
            6 => Geometry::MultiPolygon(MultiPolygon(self.members(&h, 3, depth, |g| match g {
                Geometry::Polygon(p) => Some(p),
                _ => None,
            })?)),
            7 => return Err(bad("a GeometryCollection is not a layer's geometry")),
            k => return Err(bad(format!("geometry type {k}"))),
        })
    }
}

/// The EWKB of a shape in `srid` (little-endian, 2D): what PostGIS's binary input of a
/// `geometry` takes.
pub fn shape_to_ewkb(shape: &Shape, srid: i32) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    let head = |out: &mut Vec<u8>, kind: u32, srid: Option<i32>| {
        out.push(1);
        match srid {
            Some(s) => {
                out.extend((kind | 0x2000_0000).to_le_bytes());
                out.extend(s.to_le_bytes());
            }
            None => out.extend(kind.to_le_bytes()),
        }
    };
    let coords = |out: &mut Vec<u8>, l: &LineString<f64>| {
        out.extend((l.0.len() as u32).to_le_bytes());
        for c in &l.0 {
            out.extend(c.x.to_le_bytes());
            out.extend(c.y.to_le_bytes());
        }
    };
    match shape {
        Shape::Point(p) => {
            head(&mut out, 1, Some(srid));
            out.extend(p.x().to_le_bytes());
            out.extend(p.y().to_le_bytes());
        }
        Shape::Line(ml) => {
            head(&mut out, 5, Some(srid));
            out.extend((ml.0.len() as u32).to_le_bytes());
            for l in &ml.0 {
                head(&mut out, 2, None);
                coords(&mut out, l);
            }
        }
        Shape::Polygon(mp) => {
            head(&mut out, 6, Some(srid));
            out.extend((mp.0.len() as u32).to_le_bytes());
            for p in &mp.0 {
                head(&mut out, 3, None);
                out.extend((1 + p.interiors().len() as u32).to_le_bytes());
                coords(&mut out, p.exterior());
                for r in p.interiors() {
                    coords(&mut out, r);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn a_polygon_goes_round_exactly() {
        let x = f64::from_bits(112.3f64.to_bits() + 1);
        let p =
            polygon![(x: x, y: 37.4), (x: 112.4, y: 37.4), (x: 112.4, y: 37.5), (x: x, y: 37.4)];
        let s = Shape::Polygon(MultiPolygon(vec![p]));
        let back = shape_from_wkb(&shape_to_ewkb(&s, 4490)).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn big_endian_iso_point_with_z() {
        // 00 | 1001 (Point Z) | x y z, big-endian: written here byte by byte.
        let mut b = vec![0u8];
        b.extend(1001u32.to_be_bytes());
        for v in [1.5f64, -2.25, 99.0] {
            b.extend(v.to_be_bytes());
        }
        assert_eq!(
            shape_from_wkb(&b).unwrap(),
            Shape::Point(Point::new(1.5, -2.25))
        );
    }

    #[test]
    fn broken_values_are_errors() {
        assert!(shape_from_wkb(&[]).is_err());
        assert!(shape_from_wkb(&[1, 3, 0, 0, 0, 255, 255, 255, 255]).is_err());
        let mut gc = vec![1u8];
        gc.extend(7u32.to_le_bytes());
        gc.extend(0u32.to_le_bytes());
        assert!(shape_from_wkb(&gc).is_err());
    }
}
