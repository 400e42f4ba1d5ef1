//! Read-only queries of the loaded plan for callers outside the engine (the server's exports,
//! OGC items, identify): a feature with what the engine measured of it, found by index or by
//! a box, so that no caller indexes a layer's parallel vectors itself.

use geo::{Intersects, Rect};

use crate::engine::{Engine, Layer};
use crate::feature::{Feature, Shape};

/// One feature of a layer with the engine's measures of it.
#[derive(Debug, Clone, Copy)]
pub struct FeatureView<'a> {
    /// The layer the feature belongs to.
    pub layer: &'a Layer,
    /// Its index in the layer.
    pub index: usize,
    pub feature: &'a Feature,
    /// Its geodesic area on the WGS84 ellipsoid, m² (0 for lines and points).
    pub area_m2: f64,
    /// Its bounding box, lon/lat degrees (`None` for an empty geometry).
    pub bbox: Option<Rect<f64>>,
}

impl Layer {
    /// How many features the layer has.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// Whether the layer has no feature.
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// Feature `index` with its measures; `None` past the end.
    pub fn view(&self, index: usize) -> Option<FeatureView<'_>> {
        Some(FeatureView {
            layer: self,
            index,
            feature: self.features.get(index)?,
            area_m2: self.areas[index],
            bbox: self.bboxes[index],
        })
    }

    /// Every feature of the layer, in order.
    pub fn views(&self) -> impl ExactSizeIterator<Item = FeatureView<'_>> + '_ {
        (0..self.features.len()).map(|i| FeatureView {
            layer: self,
            index: i,
            feature: &self.features[i],
            area_m2: self.areas[i],
            bbox: self.bboxes[i],
        })
    }
}

impl Engine {
    /// Feature `feature` of layer `layer` (indexes as [`Engine::identify`] returns them).
    pub fn feature_view(&self, layer: usize, feature: usize) -> Option<FeatureView<'_>> {
        self.layers.get(layer)?.view(feature)
    }

    /// The features of layer `layer` whose geometry intersects `bbox`, in feature order: the
    /// R-tree's candidates, then an exact test against the box.
    ///
    /// # Units
    ///
    /// `bbox` in degrees, lon/lat; each view's `area_m2` in m² (geodesic, WGS84).
    ///
    /// # Assumptions
    ///
    /// The box is planar in lon/lat (its edges are meridians and parallels, not geodesics); a
    /// shared edge or point counts as meeting it. An index past the layers gives nothing.
    pub fn features_in(&self, layer: usize, bbox: &Rect<f64>) -> Vec<FeatureView<'_>> {
        let Some(l) = self.layers.get(layer) else {
            return Vec::new();
        };
        let window = bbox.to_polygon();
        self.candidates(layer, bbox)
            .into_iter()
            .filter_map(|i| l.view(i))
            .filter(|v| match &v.feature.shape {
                Shape::Polygon(mp) => mp.intersects(&window),
                Shape::Line(ml) => ml.intersects(&window),
                Shape::Point(p) => p.intersects(&window),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use geo::{coord, polygon, MultiPolygon};

    use crate::feature::{Feature, Shape};
    use crate::plan::Plan;
    use crate::Engine;

    fn engine() -> Engine {
        let plan: Plan = serde_json::from_value(serde_json::json!({
            "id": "t", "name": "t", "county": "t", "county_area_km2": 1.0,
            "layers": [{"id": "county", "name": "县", "kind": "boundary", "geometry": "polygon", "color": "#000", "role": "county"}],
        }))
        .unwrap();
        // Two squares 0.01° apart along the equator, and a third far away.
        let square = |x: f64| {
            let p = polygon![(x: x, y: 0.0), (x: x + 0.01, y: 0.0), (x: x + 0.01, y: 0.01), (x: x, y: 0.01), (x: x, y: 0.0)];
            Shape::Polygon(MultiPolygon(vec![p]))
        };
        let features = [0.0, 0.02, 1.0]
            .iter()
            .enumerate()
            .map(|(i, x)| Feature {
                id: format!("f{i}"),
                shape: square(*x),
                properties: Default::default(),
            })
            .collect();
        Engine::new(plan, vec![(features, "v1".into())]).unwrap()
    }

    #[test]
    fn a_box_finds_the_features_it_touches() {
        let e = engine();
        // A box over the first square and touching the second at its west edge x = 0.02.
        let b = geo::Rect::new(coord! { x: 0.005, y: 0.005 }, coord! { x: 0.02, y: 0.006 });
        let ids: Vec<&str> = e
            .features_in(0, &b)
            .iter()
            .map(|v| v.feature.id.as_str())
            .collect();
        assert_eq!(ids, ["f0", "f1"]);
        let v = e.feature_view(0, 2).unwrap();
        // 0.01° × 0.01° on the equator: the ellipsoid's area element there is
        // a²(1 − e²) dφ dλ (cos φ and 1 − e² sin² φ are 1 within 2e-8), so a²(1 − e²)(0.01°)².
        let (a, e2) = (6_378_137.0_f64, 0.006_694_379_990_14);
        let expected = a * a * (1.0 - e2) * 0.01_f64.to_radians().powi(2);
        assert!(
            (v.area_m2 / expected - 1.0).abs() < 1e-6,
            "{} vs {expected}",
            v.area_m2
        );
        assert!(e.feature_view(0, 3).is_none() && e.feature_view(1, 0).is_none());
        assert_eq!(e.layers[0].len(), 3);
    }
}
