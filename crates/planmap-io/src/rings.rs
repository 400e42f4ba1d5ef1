//! Rings to polygons by containment: files that list rings without saying which are holes
//! (the coordinate TXT's 圈号, DXF closed polylines) are sorted out here.
//!
//! A ring inside an odd number of other rings is a hole of the smallest ring containing it;
//! inside an even number (0, 2, …) it is an outer ring: an island in a hole is a part again.

use geo::{Area, Contains, InteriorPoint, LineString, MultiPolygon, Polygon};

/// Closes a ring (appends its first point) if its last point differs from the first.
pub fn close(mut ring: LineString<f64>) -> LineString<f64> {
    if let (Some(first), Some(last)) = (ring.0.first().copied(), ring.0.last().copied()) {
        if first != last {
            ring.0.push(first);
        }
    }
    ring
}

/// Whether ring `inner` lies inside ring `outer`: smaller, and a point strictly inside
/// `inner` is inside `outer`.
fn inside(inner: &(Polygon<f64>, f64), outer: &(Polygon<f64>, f64)) -> bool {
    if inner.1 >= outer.1 {
        return false;
    }
    match inner.0.interior_point() {
        Some(p) => outer.0.contains(&p),
        None => false,
    }
}

/// Builds polygons from closed rings, classifying each as outer ring or hole by containment.
/// Rings of fewer than 4 positions are kept (validation reports them later).
pub fn classify(rings: Vec<LineString<f64>>) -> MultiPolygon<f64> {
    let polys: Vec<(Polygon<f64>, f64)> = rings
        .into_iter()
        .map(|r| {
            let p = Polygon::new(close(r), vec![]);
            let a = p.unsigned_area();
            (p, a)
        })
        .collect();
    let n = polys.len();
    // For each ring, the rings containing it.
    let containers: Vec<Vec<usize>> = (0..n)
        .map(|i| {
            (0..n)
                .filter(|&j| j != i && inside(&polys[i], &polys[j]))
                .collect()
        })
        .collect();
    let depth: Vec<usize> = containers.iter().map(Vec::len).collect();
    let mut shells: Vec<Option<Polygon<f64>>> = (0..n)
        .map(|i| depth[i].is_multiple_of(2).then(|| polys[i].0.clone()))
        .collect();
    for i in (0..n).filter(|&i| depth[i] % 2 == 1) {
        // The smallest container is the one nested deepest.
        let parent = containers[i]
            .iter()
            .copied()
            .filter(|&j| depth[j] + 1 == depth[i])
            .min_by(|&a, &b| polys[a].1.total_cmp(&polys[b].1));
        match parent.and_then(|p| shells[p].as_mut()) {
            Some(shell) => shell.interiors_push(polys[i].0.exterior().clone()),
            None => shells[i] = Some(polys[i].0.clone()),
        }
    }
    MultiPolygon(shells.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::line_string;

    fn square(x: f64, y: f64, s: f64) -> LineString<f64> {
        line_string![(x: x, y: y), (x: x + s, y: y), (x: x + s, y: y + s), (x: x, y: y + s), (x: x, y: y)]
    }

    #[test]
    fn hole_island_and_separate_part() {
        // A 10×10 square with a 6×6 hole holding a 2×2 island, and a separate 1×1 square.
        let mp = classify(vec![
            square(2.0, 2.0, 6.0),
            square(20.0, 0.0, 1.0),
            square(0.0, 0.0, 10.0),
            square(4.0, 4.0, 2.0),
        ]);
        assert_eq!(mp.0.len(), 3);
        assert_eq!(mp.unsigned_area(), 100.0 - 36.0 + 4.0 + 1.0);
        let big = mp.0.iter().find(|p| p.unsigned_area() == 64.0).unwrap();
        assert_eq!(big.interiors().len(), 1);
    }

    #[test]
    fn unclosed_ring_is_closed() {
        let r = line_string![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0)];
        assert_eq!(close(r).0.len(), 4);
    }
}
