//! Transverse Mercator on the ellipsoid (Gauss-Krüger), by Krüger's series to 4th order in n
//! (Karney, "Transverse Mercator with an accuracy of a few nanometers", J. Geodesy 2011, eqs.
//! 35–36): sub-millimetre within a 3° zone. Used for CGCS2000 3-degree Gauss-Krüger
//! coordinates (EPSG:4513–4554) and for true-scale local distances.

use geo::Coord;

/// An ellipsoid by its semi-major axis and flattening.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ellipsoid {
    pub a: f64,
    pub f: f64,
}

/// CGCS2000 (EPSG:1024).
pub const CGCS2000: Ellipsoid = Ellipsoid {
    a: 6_378_137.0,
    f: 1.0 / 298.257_222_101,
};
/// WGS84 (EPSG:7030).
pub const WGS84: Ellipsoid = Ellipsoid {
    a: 6_378_137.0,
    f: 1.0 / 298.257_223_563,
};

/// A transverse Mercator projection.
#[derive(Debug, Clone, Copy)]
pub struct TransverseMercator {
    lon0: f64,
    k0: f64,
    false_easting: f64,
    false_northing: f64,
    e: f64,
    a_rect: f64,
    alpha: [f64; 4],
    beta: [f64; 4],
}

impl TransverseMercator {
    pub fn new(
        ell: Ellipsoid,
        lon0: f64,
        k0: f64,
        false_easting: f64,
        false_northing: f64,
    ) -> Self {
        let n = ell.f / (2.0 - ell.f);
        let (n2, n3, n4) = (n * n, n * n * n, n * n * n * n);
        TransverseMercator {
            lon0,
            k0,
            false_easting,
            false_northing,
            e: (ell.f * (2.0 - ell.f)).sqrt(),
            a_rect: ell.a / (1.0 + n) * (1.0 + n2 / 4.0 + n4 / 64.0),
            alpha: [
                n / 2.0 - 2.0 / 3.0 * n2 + 5.0 / 16.0 * n3 + 41.0 / 180.0 * n4,
                13.0 / 48.0 * n2 - 3.0 / 5.0 * n3 + 557.0 / 1440.0 * n4,
                61.0 / 240.0 * n3 - 103.0 / 140.0 * n4,
                49561.0 / 161280.0 * n4,
            ],
            beta: [
                n / 2.0 - 2.0 / 3.0 * n2 + 37.0 / 96.0 * n3 - 1.0 / 360.0 * n4,
                1.0 / 48.0 * n2 + 1.0 / 15.0 * n3 - 437.0 / 1440.0 * n4,
                17.0 / 480.0 * n3 - 37.0 / 840.0 * n4,
                4397.0 / 161280.0 * n4,
            ],
        }
    }

    /// CGCS2000 3-degree Gauss-Krüger zone `zone` (central meridian 3·zone °E), easting with or
    /// without the zone prefix (EPSG:4513–4533 with, 4534–4554 without).
    pub fn cgcs2000_3deg(zone: u32, prefix: bool) -> Self {
        let fe = 500_000.0
            + if prefix {
                zone as f64 * 1_000_000.0
            } else {
                0.0
            };
        TransverseMercator::new(CGCS2000, 3.0 * zone as f64, 1.0, fe, 0.0)
    }

    /// lon/lat degrees → (easting, northing) metres.
    pub fn forward(&self, c: Coord<f64>) -> Coord<f64> {
        let phi = c.y.to_radians();
        let lam = (c.x - self.lon0).to_radians();
        let e = self.e;
        let t = (phi.sin().atanh() - e * (e * phi.sin()).atanh()).sinh();
        let xi1 = t.atan2(lam.cos());
        let eta1 = (lam.sin() / (1.0 + t * t).sqrt()).atanh();
        let (mut xi, mut eta) = (xi1, eta1);
        for (j, a) in self.alpha.iter().enumerate() {
            let k = 2.0 * (j + 1) as f64;
            xi += a * (k * xi1).sin() * (k * eta1).cosh();
            eta += a * (k * xi1).cos() * (k * eta1).sinh();
        }
        Coord {
            x: self.false_easting + self.k0 * self.a_rect * eta,
            y: self.false_northing + self.k0 * self.a_rect * xi,
        }
    }

    /// (easting, northing) metres → lon/lat degrees.
    pub fn inverse(&self, c: Coord<f64>) -> Coord<f64> {
        let xi = (c.y - self.false_northing) / (self.k0 * self.a_rect);
        let eta = (c.x - self.false_easting) / (self.k0 * self.a_rect);
        let (mut xi1, mut eta1) = (xi, eta);
        for (j, b) in self.beta.iter().enumerate() {
            let k = 2.0 * (j + 1) as f64;
            xi1 -= b * (k * xi).sin() * (k * eta).cosh();
            eta1 -= b * (k * xi).cos() * (k * eta).sinh();
        }
        let chi = (xi1.sin() / eta1.cosh()).asin();
        let lam = eta1.sinh().atan2(xi1.cos());
        // Conformal → geodetic latitude by Newton's method on τ = tan φ (Karney 2011, eqs. 19–21).
        let e = self.e;
        let e2 = e * e;
        let tau1 = chi.tan();
        let mut tau = tau1;
        for _ in 0..8 {
            let s = (e * (e * tau / (1.0 + tau * tau).sqrt()).atanh()).sinh();
            let tau_i = tau * (1.0 + s * s).sqrt() - s * (1.0 + tau * tau).sqrt();
            let d = (tau1 - tau_i) / (1.0 + tau_i * tau_i).sqrt() * (1.0 + (1.0 - e2) * tau * tau)
                / ((1.0 - e2) * (1.0 + tau * tau).sqrt());
            tau += d;
            if d.abs() < 1e-15 {
                break;
            }
        }
        Coord {
            x: self.lon0 + lam.to_degrees(),
            y: tau.atan().to_degrees(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DESIGN.md's sanity point: 112.0°E, 37.43°N ≈ X 4 144 702.574, Y 37 588 509.109 in
    /// CGCS2000 3-degree zone 37 with the zone prefix.
    #[test]
    fn design_sample_point() {
        let tm = TransverseMercator::cgcs2000_3deg(37, true);
        let p = tm.forward(Coord { x: 112.0, y: 37.43 });
        assert!((p.x - 37_588_509.109).abs() < 0.001, "easting {}", p.x);
        assert!((p.y - 4_144_702.574).abs() < 0.001, "northing {}", p.y);
        let back = tm.inverse(p);
        assert!(
            (back.x - 112.0).abs() < 1e-10 && (back.y - 37.43).abs() < 1e-10,
            "{back:?}"
        );
    }

    /// On the central meridian the northing is the meridian arc length; at the equator it is 0
    /// and 1° of latitude there spans 110 574.3 m on WGS84 (standard tables).
    #[test]
    fn meridian_arc() {
        let tm = TransverseMercator::new(WGS84, 111.0, 1.0, 500_000.0, 0.0);
        let p = tm.forward(Coord { x: 111.0, y: 1.0 });
        assert!((p.x - 500_000.0).abs() < 1e-6);
        assert!((p.y - 110_574.3).abs() < 0.1, "{}", p.y);
    }
}
