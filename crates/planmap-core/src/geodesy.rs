//! Ellipsoidal measures: geodesic areas.
//!
//! Areas are geodesic on the WGS84 ellipsoid (geo's `GeodesicArea`, Karney's algorithm);
//! CGCS2000's ellipsoid differs from WGS84's by 0.1 mm in the semi-minor axis, far below
//! any figure a plan reports.

use geo::{GeodesicArea, MultiPolygon, Polygon};

/// WGS84 semi-major axis, metres.
pub const WGS84_A: f64 = 6_378_137.0;
/// WGS84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;

/// Geodesic area of a (multi)polygon in m², holes subtracted.
pub fn area_m2(mp: &MultiPolygon<f64>) -> f64 {
    mp.0.iter().map(polygon_area_m2).sum()
}

/// Geodesic area of one polygon in m², holes subtracted.
pub fn polygon_area_m2(p: &Polygon<f64>) -> f64 {
    // Unsigned per polygon: geo subtracts the holes' areas from the exterior's.
    p.geodesic_area_unsigned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    /// The WGS84 ellipsoid's total surface area, 510 065 621.724 km² (published, e.g. NGA
    /// TR8350.2 table 3.5 / GeographicLib's documentation). One octant is an eighth of it, and
    /// the octant is the geodesic triangle (0,0) (90°E,0) (0,90°N): its sides are the equator and
    /// two meridians, all geodesics.
    #[test]
    fn octant_is_one_eighth_of_the_ellipsoid() {
        let octant = polygon![(x: 0.0, y: 0.0), (x: 90.0, y: 0.0), (x: 0.0, y: 90.0)];
        let expected = 510_065_621.724e6 / 8.0;
        let got = polygon_area_m2(&octant);
        assert!(
            ((got - expected) / expected).abs() < 1e-9,
            "got {got}, expected {expected}"
        );
    }

    /// A small quadrangle near Wenshui against the closed-form area between two meridians and
    /// two parallels on the ellipsoid (authalic latitude formula). The geodesic sides bow off
    /// the parallels by ~0.1 mm over 1 km, so the two agree to ~1e-7.
    #[test]
    fn small_quadrangle_matches_closed_form() {
        let (lon0, lat0, d) = (112.0, 37.4, 0.01);
        let q = polygon![
            (x: lon0, y: lat0), (x: lon0 + d, y: lat0),
            (x: lon0 + d, y: lat0 + d), (x: lon0, y: lat0 + d)
        ];
        let expected = quadrangle_area(lat0, lat0 + d, d);
        let got = polygon_area_m2(&q);
        assert!(
            ((got - expected) / expected).abs() < 1e-6,
            "{got} vs {expected}"
        );
    }

    /// Area between parallels lat1..lat2 over dlon degrees: b² Δλ [q(φ)/2] with
    /// q(φ) = sinφ/(1-e²sin²φ) + atanh(e sinφ)/e (Snyder, Map Projections, eq. 3-12).
    fn quadrangle_area(lat1: f64, lat2: f64, dlon: f64) -> f64 {
        let e2 = WGS84_F * (2.0 - WGS84_F);
        let e = e2.sqrt();
        let b = WGS84_A * (1.0 - WGS84_F);
        let q = |lat: f64| {
            let s = lat.to_radians().sin();
            s / (1.0 - e2 * s * s) + (e * s).atanh() / e
        };
        b * b * dlon.to_radians() * (q(lat2) - q(lat1)) / 2.0
    }
}
