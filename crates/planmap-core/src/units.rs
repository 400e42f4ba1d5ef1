//! Area units used by Chinese land administration.
//!
//! 1 亩 (mu) = 10000/15 m²; 1 公顷 (hectare) = 10 000 m² = 15 亩; 1 万亩 = 10 000 亩.

use serde::Serialize;

/// Square metres in one 亩.
pub const M2_PER_MU: f64 = 10_000.0 / 15.0;
/// Square metres in one 公顷 (hectare).
pub const M2_PER_HA: f64 = 10_000.0;
/// Square metres in one km².
pub const M2_PER_KM2: f64 = 1_000_000.0;
/// 亩 in one 万亩.
pub const MU_PER_WANMU: f64 = 10_000.0;

/// An area in square metres, with its common conversions.
///
/// ```
/// use planmap_core::units::Area;
/// let a = Area::from_m2(10_000.0);
/// assert_eq!(a.ha(), 1.0);
/// assert!((a.mu() - 15.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Area(f64);

impl Area {
    pub fn from_m2(m2: f64) -> Self {
        Area(m2)
    }
    pub fn from_mu(mu: f64) -> Self {
        Area(mu * M2_PER_MU)
    }
    pub fn from_km2(km2: f64) -> Self {
        Area(km2 * M2_PER_KM2)
    }
    pub fn m2(self) -> f64 {
        self.0
    }
    pub fn ha(self) -> f64 {
        self.0 / M2_PER_HA
    }
    pub fn mu(self) -> f64 {
        self.0 / M2_PER_MU
    }
    pub fn wanmu(self) -> f64 {
        self.mu() / MU_PER_WANMU
    }
    pub fn km2(self) -> f64 {
        self.0 / M2_PER_KM2
    }
}

impl std::ops::Add for Area {
    type Output = Area;
    fn add(self, o: Area) -> Area {
        Area(self.0 + o.0)
    }
}

impl std::ops::AddAssign for Area {
    fn add_assign(&mut self, o: Area) {
        self.0 += o.0;
    }
}

impl std::iter::Sum for Area {
    fn sum<I: Iterator<Item = Area>>(iter: I) -> Area {
        Area(iter.map(|a| a.0).sum::<f64>() + 0.0) // no -0.0 for an empty sum
    }
}

/// The same area in the units a report shows.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct AreaFigures {
    pub area_m2: f64,
    pub area_ha: f64,
    pub area_mu: f64,
}

impl From<Area> for AreaFigures {
    fn from(a: Area) -> Self {
        AreaFigures {
            area_m2: a.m2(),
            area_ha: a.ha(),
            area_mu: a.mu(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_hectare_is_fifteen_mu() {
        // 1 公顷 = 15 亩 (statutory conversion)
        assert!((Area::from_m2(M2_PER_HA).mu() - 15.0).abs() < 1e-12);
    }

    #[test]
    fn one_mu_is_about_666_point_67_m2() {
        assert!((Area::from_mu(1.0).m2() - 666.666_666_666_7).abs() < 1e-9);
    }

    #[test]
    fn plan_farmland_figure_in_km2() {
        // 46.44 万亩 = 464 400 亩 = 309.6 km² (DESIGN.md)
        let a = Area::from_mu(46.44 * MU_PER_WANMU);
        assert!((a.km2() - 309.6).abs() < 1e-9);
        assert!((Area::from_mu(MU_PER_WANMU).km2() - 6.6667).abs() < 1e-4);
    }
}
