//! `Engine::few_candidates`: the count of site-role features whose boxes meet a box, against
//! a grid laid out by hand (which squares a box meets is read off the grid, not the index).

use geo::{coord, MultiPolygon, Rect};
use planmap_core::{Engine, Feature, Plan, Shape};

/// A square of side `d` degrees, south-west corner at (x0, y0).
fn square(id: String, x0: f64, y0: f64, d: f64) -> Feature {
    let r = Rect::new(coord! {x: x0, y: y0}, coord! {x: x0 + d, y: y0 + d});
    Feature {
        id,
        shape: Shape::Polygon(MultiPolygon(vec![r.to_polygon()])),
        properties: Default::default(),
    }
}

const PLAN: &str = r##"{"id": "t", "name": "t", "county": "county", "county_area_km2": 10000.0,
  "layers": [
    {"id": "county", "name": "county", "kind": "protected", "geometry": "polygon",
     "color": "#000000", "site_role": "none", "role": "county"},
    {"id": "farmland", "name": "farmland", "kind": "protected", "geometry": "polygon",
     "color": "#000000", "site_role": "prohibited"},
    {"id": "parks", "name": "parks", "kind": "protected", "geometry": "polygon",
     "color": "#000000", "site_role": "locate"}]}"##;

/// A county (no site role), a 10 × 10 grid of 0.01° farmland squares 0.02° apart from
/// (112, 37), and one park square (a `locate` layer) at (112.5, 37.5).
fn engine() -> Engine {
    let plan: Plan = serde_json::from_str(PLAN).unwrap();
    let farmland = (0..100)
        .map(|i| {
            let (col, row) = ((i % 10) as f64, (i / 10) as f64);
            square(format!("f{i}"), 112.0 + col * 0.02, 37.0 + row * 0.02, 0.01)
        })
        .collect();
    let layers = vec![
        (vec![square("county".into(), 111.9, 36.9, 1.0)], "1".into()),
        (farmland, "1".into()),
        (vec![square("p".into(), 112.5, 37.5, 0.01)], "1".into()),
    ];
    Engine::new(plan, layers).unwrap()
}

#[test]
fn counts_the_site_role_features_a_box_meets() {
    let e = engine();
    // Columns 1–3 (x from 112.02 to 112.07) and rows 0–1 (y from 37.00 to 37.03): 6 squares;
    // the county's box meets it too but has no site role.
    let b = Rect::new(
        coord! {x: 112.015, y: 36.995},
        coord! {x: 112.065, y: 37.025},
    );
    assert!(e.few_candidates(&b, 6));
    assert!(!e.few_candidates(&b, 5));
    // Between squares (a gap of the grid): none.
    let gap = Rect::new(
        coord! {x: 112.012, y: 37.012},
        coord! {x: 112.018, y: 37.018},
    );
    assert!(e.few_candidates(&gap, 0));
    // Across layers: the last farmland square (112.18–112.19, 37.18–37.19) and the park.
    let both = Rect::new(
        coord! {x: 112.185, y: 37.185},
        coord! {x: 112.505, y: 37.505},
    );
    assert!(e.few_candidates(&both, 2));
    assert!(!e.few_candidates(&both, 1));
    // The whole grid and the park.
    let all = Rect::new(coord! {x: 111.0, y: 36.0}, coord! {x: 113.0, y: 38.0});
    assert!(e.few_candidates(&all, 101));
    assert!(!e.few_candidates(&all, 100));
}
