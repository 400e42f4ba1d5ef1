//! A small deterministic PRNG (SplitMix64): the same sites and patches on every machine.

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }

    /// Uniform integer in lo..=hi.
    pub fn int(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }
}

/// Metres per degree of longitude and latitude near `lat` (spherical, for shaping only).
pub fn metres_per_degree(lat: f64) -> (f64, f64) {
    let m = 6_371_008.8 * std::f64::consts::PI / 180.0;
    (m * lat.to_radians().cos(), m)
}

/// Rounds to 1e-7° (what GeoJSON files carry), so every engine reads the same numbers.
pub fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}
