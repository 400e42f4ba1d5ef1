//! The percentile of sorted timings.

/// The value at rank round((n - 1)·p) of `sorted` (`p` in 0..=1; 0 when empty).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}
