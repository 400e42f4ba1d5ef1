//! A tiny deterministic PRNG (SplitMix64) and value noise, so the output never depends on
//! anything but the fixed seeds below.

/// SplitMix64 (Steele, Lea & Flood 2014).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A hash of lattice coordinates to [0, 1).
fn lattice(seed: u64, i: i64, j: i64) -> f64 {
    let h = mix(seed ^ mix((i as u64).wrapping_mul(0x9E37_79B9) ^ mix(j as u64)));
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Smooth value noise in [0, 1) with lattice spacing `cell` (same units as x, y).
pub fn value_noise(seed: u64, x: f64, y: f64, cell: f64) -> f64 {
    let (u, v) = (x / cell, y / cell);
    let (i, j) = (u.floor(), v.floor());
    let (fu, fv) = (u - i, v - j);
    let (i, j) = (i as i64, j as i64);
    let s = |t: f64| t * t * (3.0 - 2.0 * t);
    let (su, sv) = (s(fu), s(fv));
    let a = lattice(seed, i, j);
    let b = lattice(seed, i + 1, j);
    let c = lattice(seed, i, j + 1);
    let d = lattice(seed, i + 1, j + 1);
    let top = a + (b - a) * su;
    let bottom = c + (d - c) * su;
    top + (bottom - top) * sv
}

/// Two octaves of value noise, in [0, 1).
pub fn fractal_noise(seed: u64, x: f64, y: f64, cell: f64) -> f64 {
    (2.0 * value_noise(seed, x, y, cell) + value_noise(seed ^ 0x55, x, y, cell / 2.7)) / 3.0
}
