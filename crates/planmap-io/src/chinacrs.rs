//! The Chinese web-map coordinate systems: GCJ-02 (国测局坐标, "Mars coordinates", used by
//! Amap/高德 and Tencent) and BD-09 (百度坐标, Baidu), to and from WGS84.
//!
//! GCJ-02 is WGS84 plus a smooth, deliberately obfuscated offset of a few hundred metres
//! (550–600 m around Wenshui). The forward formula below is the one that has been published
//! and reused for years (e.g. `eviltransform`, `coordtransform`); the inverse has no closed
//! form, so [`gcj02_to_wgs84`] inverts the forward formula by fixed-point iteration down to
//! 1e-10° (about 0.01 mm). Outside China's bounding rectangle (see [`out_of_china`]) the
//! GCJ-02 offset is not applied and both directions are the identity, as in the published
//! formula.
//!
//! BD-09 is a further distortion applied by Baidu on top of GCJ-02: [`gcj02_to_bd09`] is the
//! published forward formula; [`bd09_to_gcj02`] starts from the published closed-form
//! approximation of its inverse and refines it by fixed-point iteration, so that the two are
//! exact inverses of each other (to 1e-10°). BD-09 is applied everywhere (there is no
//! out-of-China rule in the published formula).
//!
//! All functions take and return `(longitude, latitude)` in degrees.

use std::f64::consts::PI;

/// Semi-major axis of the Krasovsky 1940 ellipsoid used by the GCJ-02 formula.
const A: f64 = 6_378_245.0;
/// First eccentricity squared of the Krasovsky 1940 ellipsoid.
const EE: f64 = 0.006_693_421_622_965_943;
/// The BD-09 constant `π·3000/180`.
const X_PI: f64 = PI * 3000.0 / 180.0;

/// Iterations of the fixed-point inverses stop once a step is below this many degrees.
const INVERSE_TOLERANCE_DEG: f64 = 1e-10;
/// Upper bound on the fixed-point iterations (they converge in 3–5 in practice).
const MAX_ITERATIONS: usize = 30;

/// True when the point lies outside the rectangle in which the GCJ-02 offset is applied
/// (lon 72.004–137.8347°E, lat 0.8293–55.8271°N, the rectangle of the published formula).
pub fn out_of_china(lon: f64, lat: f64) -> bool {
    !(72.004..=137.8347).contains(&lon) || !(0.8293..=55.8271).contains(&lat)
}

fn transform_lat(x: f64, y: f64) -> f64 {
    let mut ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    ret += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    ret += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    ret += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    ret
}

fn transform_lon(x: f64, y: f64) -> f64 {
    let mut ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    ret += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    ret += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    ret += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    ret
}

/// The GCJ-02 offset `(dlon, dlat)` in degrees at a WGS84 point inside China.
fn gcj_offset(lon: f64, lat: f64) -> (f64, f64) {
    let dlat = transform_lat(lon - 105.0, lat - 35.0);
    let dlon = transform_lon(lon - 105.0, lat - 35.0);
    let rad_lat = lat / 180.0 * PI;
    let magic = 1.0 - EE * rad_lat.sin() * rad_lat.sin();
    let sqrt_magic = magic.sqrt();
    let dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI);
    let dlon = (dlon * 180.0) / (A / sqrt_magic * rad_lat.cos() * PI);
    (dlon, dlat)
}

/// Inverts `forward` at `target` by fixed-point iteration from `start`:
/// `x ← x − (forward(x) − target)`, which converges because the offsets vary slowly.
fn invert(
    target: (f64, f64),
    start: (f64, f64),
    forward: impl Fn(f64, f64) -> (f64, f64),
) -> (f64, f64) {
    let (mut lon, mut lat) = start;
    for _ in 0..MAX_ITERATIONS {
        let (flon, flat) = forward(lon, lat);
        let (dlon, dlat) = (flon - target.0, flat - target.1);
        lon -= dlon;
        lat -= dlat;
        if dlon.abs() < INVERSE_TOLERANCE_DEG && dlat.abs() < INVERSE_TOLERANCE_DEG {
            break;
        }
    }
    (lon, lat)
}

/// WGS84 → GCJ-02 (the published forward formula).
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    if out_of_china(lon, lat) {
        return (lon, lat);
    }
    let (dlon, dlat) = gcj_offset(lon, lat);
    (lon + dlon, lat + dlat)
}

/// GCJ-02 → WGS84: the exact inverse of [`wgs84_to_gcj02`] (to 1e-10°), by iteration.
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    if out_of_china(lon, lat) {
        return (lon, lat);
    }
    // The one-step approximation published with the formula is the starting point.
    let (dlon, dlat) = gcj_offset(lon, lat);
    invert((lon, lat), (lon - dlon, lat - dlat), wgs84_to_gcj02)
}

/// GCJ-02 → BD-09 (the published forward formula).
pub fn gcj02_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let z = (lon * lon + lat * lat).sqrt() + 0.00002 * (lat * X_PI).sin();
    let theta = lat.atan2(lon) + 0.000003 * (lon * X_PI).cos();
    (z * theta.cos() + 0.0065, z * theta.sin() + 0.006)
}

/// The published closed-form approximation of BD-09 → GCJ-02 (off by up to ~1e-6°).
fn bd09_to_gcj02_approx(lon: f64, lat: f64) -> (f64, f64) {
    let x = lon - 0.0065;
    let y = lat - 0.006;
    let z = (x * x + y * y).sqrt() - 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) - 0.000003 * (x * X_PI).cos();
    (z * theta.cos(), z * theta.sin())
}

/// BD-09 → GCJ-02: the exact inverse of [`gcj02_to_bd09`] (to 1e-10°), starting from the
/// published closed-form approximation and refining it by iteration.
pub fn bd09_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    invert((lon, lat), bd09_to_gcj02_approx(lon, lat), gcj02_to_bd09)
}

/// WGS84 → BD-09 (through GCJ-02).
pub fn wgs84_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let (glon, glat) = wgs84_to_gcj02(lon, lat);
    gcj02_to_bd09(glon, glat)
}

/// BD-09 → WGS84 (through GCJ-02).
pub fn bd09_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    let (glon, glat) = bd09_to_gcj02(lon, lat);
    gcj02_to_wgs84(glon, glat)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Distance, Geodesic, Point};

    fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
        Geodesic.distance(Point::new(a.0, a.1), Point::new(b.0, b.1))
    }

    /// Points across Shanxi: Wenshui's county seat, its western mountains (苍儿会), the Fen
    /// plain, Taiyuan, Datong (north), Yuncheng (south-west corner).
    const SHANXI: [(f64, f64); 6] = [
        (112.03, 37.43),
        (111.68, 37.52),
        (112.25, 37.35),
        (112.55, 37.87),
        (113.30, 40.08),
        (110.99, 35.03),
    ];

    #[test]
    fn gcj02_round_trip_in_shanxi_is_below_half_a_millimetre() {
        for &(lon, lat) in &SHANXI {
            let g = wgs84_to_gcj02(lon, lat);
            let back = gcj02_to_wgs84(g.0, g.1);
            let err = metres((lon, lat), back);
            assert!(err <= 0.5, "round trip off by {err} m at {lon},{lat}");
            assert!(
                err < 1e-3,
                "inverse should be far better than required: {err} m"
            );
            // and the other way round
            let w = gcj02_to_wgs84(lon, lat);
            let again = wgs84_to_gcj02(w.0, w.1);
            assert!(metres((lon, lat), again) < 1e-3);
        }
    }

    #[test]
    fn gcj02_shift_near_wenshui_is_550_to_600_m() {
        // Independent fact: data/sources/README.md states the shift there is 550–600 m.
        for &(lon, lat) in &[
            (112.03, 37.43),
            (111.70, 37.52),
            (112.30, 37.45),
            (112.1, 37.3),
        ] {
            let shift = metres((lon, lat), wgs84_to_gcj02(lon, lat));
            assert!(
                (550.0..=600.0).contains(&shift),
                "shift {shift} m at {lon},{lat}"
            );
        }
    }

    #[test]
    fn published_sample_pairs() {
        // The sample pairs printed in wandergis/coordtransform (MIT), test/app.js, for the
        // input (116.404, 39.915) in each direction:
        //   wgs84togcj02: [116.41024449916938, 39.91640428150164]
        //   gcj02tobd09:  [116.41036949371029, 39.92133699351021]
        //   bd09togcj02:  [116.39762729119315, 39.90865673957631]  (closed-form approximation)
        //   gcj02towgs84: [116.39775550083061, 39.91359571849836]  (one-step approximation)
        let (lon, lat) = wgs84_to_gcj02(116.404, 39.915);
        assert!((lon - 116.410_244_499_169_38).abs() < 1e-11, "{lon}");
        assert!((lat - 39.916_404_281_501_64).abs() < 1e-11, "{lat}");
        let (lon, lat) = gcj02_to_bd09(116.404, 39.915);
        assert!((lon - 116.410_369_493_710_29).abs() < 1e-11, "{lon}");
        assert!((lat - 39.921_336_993_510_21).abs() < 1e-11, "{lat}");
        let approx = bd09_to_gcj02_approx(116.404, 39.915);
        assert!((approx.0 - 116.397_627_291_193_15).abs() < 1e-11);
        assert!((approx.1 - 39.908_656_739_576_31).abs() < 1e-11);
        // The exact inverses differ from the published approximations by a few centimetres.
        let exact = bd09_to_gcj02(116.404, 39.915);
        assert!(metres(exact, (116.397_627_291_193_15, 39.908_656_739_576_31)) < 0.1);
        let exact = gcj02_to_wgs84(116.404, 39.915);
        assert!(metres(exact, (116.397_755_500_830_61, 39.913_595_718_498_36)) < 0.1);
    }

    #[test]
    fn bd09_round_trips() {
        for &(lon, lat) in &SHANXI {
            let b = gcj02_to_bd09(lon, lat);
            let back = bd09_to_gcj02(b.0, b.1);
            assert!(metres((lon, lat), back) < 1e-3);
            let b = wgs84_to_bd09(lon, lat);
            let back = bd09_to_wgs84(b.0, b.1);
            assert!(metres((lon, lat), back) < 1e-3);
            // BD-09 sits a further ~0.5–1 km from GCJ-02.
            let shift = metres(wgs84_to_gcj02(lon, lat), b);
            assert!((300.0..2000.0).contains(&shift), "bd shift {shift}");
        }
    }

    #[test]
    fn identity_outside_china() {
        for &(lon, lat) in &[(2.35, 48.85), (-74.0, 40.7), (139.7, 35.7), (151.2, -33.9)] {
            assert!(out_of_china(lon, lat));
            assert_eq!(wgs84_to_gcj02(lon, lat), (lon, lat));
            assert_eq!(gcj02_to_wgs84(lon, lat), (lon, lat));
        }
        assert!(!out_of_china(112.03, 37.43));
    }
}
