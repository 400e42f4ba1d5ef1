//! Identify: which features of every layer lie at a point (a click on the map).
//!
//! Polygons are hit when they contain the point or have it on their boundary; lines and points
//! when they pass within a tolerance in metres (a click is never exactly on a line).

use geo::{Coord, Distance, Euclidean, Intersects, MapCoords, Point, Rect};

use crate::engine::Engine;
use crate::feature::Shape;
use crate::geodesy::{WGS84_A, WGS84_F};

/// One feature found at the point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Index of the layer in `Engine::layers`.
    pub layer: usize,
    /// Index of the feature in its layer.
    pub feature: usize,
    /// Distance from the point to the feature in metres (0 inside a polygon).
    pub distance_m: f64,
}

/// Metres per degree of longitude and of latitude at a latitude, on the WGS84 ellipsoid (radii
/// of curvature in the prime vertical and the meridian).
fn metres_per_degree(lat: f64) -> (f64, f64) {
    let e2 = WGS84_F * (2.0 - WGS84_F);
    let phi = lat.to_radians();
    let w = (1.0 - e2 * phi.sin().powi(2)).sqrt();
    let n = WGS84_A / w;
    let m = WGS84_A * (1.0 - e2) / (w * w * w);
    let k = std::f64::consts::PI / 180.0;
    (n * phi.cos() * k, m * k)
}

impl Engine {
    /// Features of every layer at `(lon, lat)`, in layer order then feature order. Lines and
    /// points count when they lie within `tolerance_m` metres.
    ///
    /// # Units
    ///
    /// `lon`, `lat` in degrees (CGCS2000 ≈ WGS84); `tolerance_m` and each hit's distance in
    /// metres (0 inside a polygon).
    ///
    /// # Assumptions
    ///
    /// A polygon is hit only when the point lies in it or on its boundary; the tolerance is
    /// for lines and points, whose distance is measured at true scale around the point.
    pub fn identify(&self, lon: f64, lat: f64, tolerance_m: f64) -> Vec<Hit> {
        if !(lon.is_finite() && lat.is_finite()) {
            return vec![];
        }
        let (kx, ky) = metres_per_degree(lat);
        let tol = tolerance_m.max(0.0);
        let (dx, dy) = (tol / kx, tol / ky);
        let window = Rect::new(
            Coord {
                x: lon - dx,
                y: lat - dy,
            },
            Coord {
                x: lon + dx,
                y: lat + dy,
            },
        );
        let here = Point::new(lon, lat);
        let local = |c: Coord<f64>| Coord {
            x: (c.x - lon) * kx,
            y: (c.y - lat) * ky,
        };
        let origin = Point::new(0.0, 0.0);
        let mut hits = Vec::new();
        for (li, layer) in self.layers.iter().enumerate() {
            for fi in self.candidates(li, &window) {
                let distance_m = match &layer.features[fi].shape {
                    Shape::Polygon(mp) if mp.intersects(&here) => Some(0.0),
                    Shape::Polygon(_) => None,
                    Shape::Line(ml) => {
                        let d = Euclidean.distance(&ml.map_coords(local), &origin);
                        (d <= tol).then_some(d)
                    }
                    Shape::Point(p) => {
                        let d = Euclidean.distance(&p.map_coords(local), &origin);
                        (d <= tol).then_some(d)
                    }
                };
                if let Some(distance_m) = distance_m {
                    hits.push(Hit {
                        layer: li,
                        feature: fi,
                        distance_m,
                    });
                }
            }
        }
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feature::Feature;
    use crate::plan::Plan;
    use geo::{line_string, polygon, MultiLineString, MultiPolygon};

    fn plan() -> Plan {
        let layer = |id: &str, geometry: &str| {
            serde_json::json!({"id": id, "name": id, "kind": "reference", "geometry": geometry,
                "color": "#000000"})
        };
        serde_json::from_value(serde_json::json!({
            "id": "t", "name": "t", "county": "t", "county_area_km2": 1.0,
            "layers": [layer("zones", "polygon"), layer("roads", "line"), layer("pois", "point"),
                {"id": "area", "name": "area", "kind": "boundary", "geometry": "polygon",
                 "color": "#000000", "role": "county"}],
        }))
        .unwrap()
    }

    fn feature(id: &str, shape: Shape) -> Feature {
        Feature {
            id: id.into(),
            shape,
            properties: Default::default(),
        }
    }

    fn engine() -> Engine {
        // Two squares sharing the edge x = 112.01; a road along y = 37.405; a point.
        let sq = |x0: f64| {
            Shape::Polygon(MultiPolygon(vec![polygon![
                (x: x0, y: 37.4), (x: x0 + 0.01, y: 37.4), (x: x0 + 0.01, y: 37.41), (x: x0, y: 37.41)
            ]]))
        };
        let road = Shape::Line(MultiLineString(vec![
            line_string![(x: 111.9, y: 37.405), (x: 112.1, y: 37.405)],
        ]));
        Engine::new(
            plan(),
            vec![
                (
                    vec![feature("a", sq(112.0)), feature("b", sq(112.01))],
                    "1".into(),
                ),
                (vec![feature("r", road)], "1".into()),
                (
                    vec![feature("p", Shape::Point(Point::new(112.005, 37.405)))],
                    "1".into(),
                ),
                (vec![], "1".into()), // the county, empty
            ],
        )
        .unwrap()
    }

    #[test]
    fn polygon_hit_inside_and_on_a_shared_edge() {
        let e = engine();
        let inside: Vec<_> = e
            .identify(112.002, 37.401, 0.0)
            .iter()
            .map(|h| h.feature)
            .collect();
        assert_eq!(inside, vec![0]);
        let edge: Vec<_> = e
            .identify(112.01, 37.401, 0.0)
            .iter()
            .filter(|h| h.layer == 0)
            .map(|h| h.feature)
            .collect();
        assert_eq!(edge, vec![0, 1]);
        assert!(e.identify(113.0, 37.401, 50.0).is_empty());
    }

    #[test]
    fn lines_and_points_within_tolerance() {
        let e = engine();
        // Reference distances from geo's geodesic (Karney) distance, independent of the local
        // frame used above: to the road (its nearest point is straight south) and to the point.
        use geo::Geodesic;
        let click = Point::new(112.0055, 37.4051);
        let to_road = Geodesic.distance(click, Point::new(112.0055, 37.405));
        let to_point = Geodesic.distance(click, Point::new(112.005, 37.405));
        assert!(to_road < 20.0 && to_point > 20.0 && to_point < 60.0);
        // The hit of `layer` within `tolerance`, checked against the geodesic reference.
        let hit = |tolerance: f64, layer: usize, reference: f64| {
            let hits = e.identify(click.x(), click.y(), tolerance);
            let h = hits.iter().find(|h| h.layer == layer).copied();
            if let Some(h) = h {
                assert!(
                    (h.distance_m / reference - 1.0).abs() < 1e-3,
                    "{h:?} vs {reference}"
                );
            }
            h
        };
        assert!(hit(20.0, 1, to_road).is_some(), "road within 20 m");
        assert!(
            hit(20.0, 2, to_point).is_none(),
            "point is {to_point} m away"
        );
        assert!(hit(60.0, 2, to_point).is_some(), "point within 60 m");
    }
}
