//! The local metric frame all geometry is built in, and the lon/lat grid it is written on.
//!
//! A [`Frame`] is an affine (equirectangular) map of lon/lat onto metres at a county's
//! centre: `x = (lon − lon0)·kx`, `y = (lat − lat0)·ky`. Being affine it keeps straight lines
//! straight and axis-aligned lon/lat rectangles axis-aligned, which the planted conflicts rely
//! on. Lengths are exact on the central parallel and within 0.2 % across the county; every
//! area that is reported is measured geodesically on the written coordinates instead.
//!
//! Written coordinates are integers in units of 1e-7° (`Ll`), i.e. lon/lat rounded to seven
//! decimals; conversions round once, so a frame coordinate always maps to the same grid value.

use geo::{Coord, LineString, MultiPolygon, Polygon};

/// A local metric frame: origin (WGS84 degrees) and metres per degree there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    pub lon0: f64,
    pub lat0: f64,
    kx: f64,
    ky: f64,
}

impl Frame {
    pub fn new(lon0: f64, lat0: f64) -> Frame {
        Frame {
            lon0,
            lat0,
            kx: kx_at(lat0),
            ky: ky_at(lat0),
        }
    }

    /// Metres per degree of longitude on the central parallel.
    pub fn kx(&self) -> f64 {
        self.kx
    }

    /// Metres per degree of latitude on the central parallel.
    pub fn ky(&self) -> f64 {
        self.ky
    }

    /// lon/lat (degrees) → frame (metres).
    pub fn to_frame(&self, lon: f64, lat: f64) -> Coord {
        Coord {
            x: (lon - self.lon0) * self.kx,
            y: (lat - self.lat0) * self.ky,
        }
    }

    /// Frame (metres) → lon/lat (degrees), unrounded.
    pub fn to_lonlat(&self, c: Coord) -> (f64, f64) {
        (self.lon0 + c.x / self.kx, self.lat0 + c.y / self.ky)
    }

    /// Frame → written grid coordinate.
    pub fn to_ll(&self, c: Coord) -> Ll {
        let (lon, lat) = self.to_lonlat(c);
        ((lon * SCALE).round() as i64, (lat * SCALE).round() as i64)
    }

    /// A grid coordinate into the frame.
    pub fn ll_to_frame(&self, p: Ll) -> Coord {
        let (lon, lat) = ll_deg(p);
        self.to_frame(lon, lat)
    }

    /// lon/lat degrees (given to 1e-7) into the frame, through the grid so the value
    /// round-trips.
    pub fn deg(&self, lon: f64, lat: f64) -> Coord {
        self.ll_to_frame(grid(lon, lat))
    }

    /// An axis-aligned lon/lat rectangle as a frame polygon (counter-clockwise).
    pub fn rect_deg(&self, lon0: f64, lon1: f64, lat0: f64, lat1: f64) -> Polygon {
        let pts = [(lon0, lat0), (lon1, lat0), (lon1, lat1), (lon0, lat1)];
        Polygon::new(
            LineString::new(pts.iter().map(|&(x, y)| self.deg(x, y)).collect()),
            vec![],
        )
    }
}

/// lon/lat degrees rounded onto the grid.
pub fn grid(lon: f64, lat: f64) -> Ll {
    ((lon * SCALE).round() as i64, (lat * SCALE).round() as i64)
}

fn kx_at(lat0: f64) -> f64 {
    let phi = lat0.to_radians();
    let w = (1.0 - WGS84_E2 * phi.sin().powi(2)).sqrt();
    WGS84_A * phi.cos() / w * std::f64::consts::PI / 180.0
}

fn ky_at(lat0: f64) -> f64 {
    let phi = lat0.to_radians();
    let w = (1.0 - WGS84_E2 * phi.sin().powi(2)).sqrt();
    WGS84_A * (1.0 - WGS84_E2) / (w * w * w) * std::f64::consts::PI / 180.0
}

/// Wenshui's frame. The free functions below work in it: the Wenshui generator's positions
/// are all given in it.
pub fn wenshui() -> Frame {
    Frame::new(LON0, LAT0)
}

/// Wenshui's frame origin (WGS84).
pub const LON0: f64 = 112.0;
pub const LAT0: f64 = 37.42;
/// Grid units per degree (seven decimals).
pub const SCALE: f64 = 1e7;

/// A written coordinate: lon and lat in 1e-7°.
pub type Ll = (i64, i64);

/// A lon/lat box in degrees: (lon0, lon1, lat0, lat1).
pub type LlBox = (f64, f64, f64, f64);

const WGS84_A: f64 = 6_378_137.0;
const WGS84_E2: f64 = 0.006_694_379_990_141_317;

/// Metres per degree of longitude on Wenshui's central parallel.
pub fn kx() -> f64 {
    kx_at(LAT0)
}

/// lon/lat (degrees) → Wenshui's frame (metres).
pub fn to_frame(lon: f64, lat: f64) -> Coord {
    wenshui().to_frame(lon, lat)
}

/// Wenshui's frame (metres) → lon/lat (degrees), unrounded.
pub fn to_lonlat(c: Coord) -> (f64, f64) {
    wenshui().to_lonlat(c)
}

/// Wenshui's frame → written grid coordinate.
pub fn to_ll(c: Coord) -> Ll {
    wenshui().to_ll(c)
}

/// A grid coordinate as f64 degrees: exactly the double a reader gets from the decimal text.
pub fn ll_deg(p: Ll) -> (f64, f64) {
    (p.0 as f64 / SCALE, p.1 as f64 / SCALE)
}

/// A grid coordinate into Wenshui's frame.
pub fn ll_to_frame(p: Ll) -> Coord {
    wenshui().ll_to_frame(p)
}

/// lon/lat degrees (given to 1e-7) into Wenshui's frame, through the grid so the value
/// round-trips.
pub fn deg(lon: f64, lat: f64) -> Coord {
    wenshui().deg(lon, lat)
}

/// A polygon in Wenshui's frame from lon/lat vertices (degrees).
pub fn poly_deg(pts: &[(f64, f64)]) -> Polygon {
    Polygon::new(
        LineString::new(pts.iter().map(|&(x, y)| deg(x, y)).collect()),
        vec![],
    )
}

/// An axis-aligned lon/lat rectangle as a polygon in Wenshui's frame (counter-clockwise).
pub fn rect_deg(lon0: f64, lon1: f64, lat0: f64, lat1: f64) -> Polygon {
    wenshui().rect_deg(lon0, lon1, lat0, lat1)
}

/// Same, as a multipolygon.
pub fn rect_deg_mp(lon0: f64, lon1: f64, lat0: f64, lat1: f64) -> MultiPolygon {
    MultiPolygon(vec![rect_deg(lon0, lon1, lat0, lat1)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_round_trip_is_exact() {
        for &(lon, lat) in &[(112.0300001, 37.4300009), (111.5118291, 37.2664731)] {
            let c = deg(lon, lat);
            let p = to_ll(c);
            assert_eq!(
                p,
                ((lon * SCALE).round() as i64, (lat * SCALE).round() as i64)
            );
        }
        // 1 km east is about 0.0113°
        let c = to_frame(112.0113, 37.42);
        assert!((c.x - 1000.0).abs() < 5.0);
    }
}
