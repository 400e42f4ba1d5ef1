//! Axis-aligned boxes in lon/lat: the early-out every overlay, clip and index query starts with.

use geo::Rect;

/// Whether two boxes share a point (touching edges count).
pub fn rects_intersect(a: &Rect<f64>, b: &Rect<f64>) -> bool {
    a.min().x <= b.max().x
        && b.min().x <= a.max().x
        && a.min().y <= b.max().y
        && b.min().y <= a.max().y
}
