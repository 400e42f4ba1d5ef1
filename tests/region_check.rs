//! A generated region plan checks by its roles: 交城县 (141122), written by `planmap-datagen
//! region --only 141122` into a temp folder, names its layers by the ministry's codes (XZQ,
//! XZQ_XZ, STBHHX, CYYQ, …). A site inside one of its parks is located in that park and in
//! the townships it touches, and measured against the nearest red line — all found by role.
//! The expected names come from the layer files, read with the `geojson` and `geo` crates.

use std::path::Path;
use std::process::Command;

use geo::{
    Area, BooleanOps, BoundingRect, Distance, Geodesic, Geometry, Intersects, MultiPolygon, Point,
    Polygon, Rect,
};
use planmap_tests::{generate_region, json_out, planmap_bin, rect_geojson};

const ADCODE: &str = "141122";

/// The features of a layer file: (properties.name, geometry).
fn features(path: &Path) -> Vec<(String, Geometry<f64>)> {
    let text = std::fs::read_to_string(path).unwrap();
    let fc: geojson::FeatureCollection = text.parse().unwrap();
    fc.features
        .into_iter()
        .map(|f| {
            let name = f.properties.as_ref().unwrap()["name"]
                .as_str()
                .unwrap()
                .to_string();
            (name, Geometry::try_from(f.geometry.unwrap()).unwrap())
        })
        .collect()
}

fn polygons(g: &Geometry<f64>) -> MultiPolygon<f64> {
    match g {
        Geometry::Polygon(p) => MultiPolygon(vec![p.clone()]),
        Geometry::MultiPolygon(m) => m.clone(),
        g => panic!("not a polygon: {g:?}"),
    }
}

#[test]
fn a_region_plan_names_its_townships_park_and_nearest_red_line() {
    let tmp = tempfile::tempdir().unwrap();
    generate_region(ADCODE, tmp.path());
    let plan = tmp.path().join(ADCODE);
    let layers = plan.join("layers");

    // The site: the middle half of the first park (a lon/lat rectangle).
    let (park, shape) = features(&layers.join("CYYQ.geojson")).remove(0);
    let b = polygons(&shape).bounding_rect().unwrap();
    let (w, h) = (b.width() / 4.0, b.height() / 4.0);
    let (x0, y0, x1, y1) = (b.min().x + w, b.min().y + h, b.max().x - w, b.max().y - h);
    let site: Polygon<f64> = Rect::new((x0, y0), (x1, y1)).to_polygon();
    let file = tmp.path().join("site.geojson");
    std::fs::write(&file, rect_geojson(x0, y0, x1, y1)).unwrap();

    let rep = json_out(
        &Command::new(planmap_bin())
            .arg("--data")
            .arg(&plan)
            .arg("check")
            .arg(&file)
            .arg("--json")
            .output()
            .unwrap(),
    );

    // The townships (XZQ_XZ, the subdivisions role) the site lies in, and its park.
    let mut towns: Vec<String> = features(&layers.join("XZQ_XZ.geojson"))
        .into_iter()
        .filter(|(_, g)| {
            // Sharing area with the site (an edge alone does not place it there).
            let whole = MultiPolygon(vec![site.clone()]);
            polygons(g).intersection(&whole).unsigned_area() > 0.0
        })
        .map(|(n, _)| n)
        .collect();
    towns.sort();
    assert!(!towns.is_empty());
    let mut got: Vec<String> = serde_json::from_value(rep["townships"].clone()).unwrap();
    got.sort();
    assert_eq!(got, towns, "{rep}");
    assert_eq!(rep["parks"], serde_json::json!([park]), "{rep}");
    assert!(
        rep["inside_county_share"].as_f64().unwrap() > 0.999,
        "{rep}"
    );

    // The red line (STBHHX): a distance when the site is clear of it, at most the geodesic
    // distance from the site's corner to the nearest red-line vertex.
    let red: Vec<MultiPolygon<f64>> = features(&layers.join("STBHHX.geojson"))
        .iter()
        .map(|(_, g)| polygons(g))
        .collect();
    assert!(!red.is_empty());
    assert!(
        red.iter().all(|m| !m.intersects(&site)),
        "the park lies on the red line"
    );
    let corner = Point::new(x0, y0);
    let bound = red
        .iter()
        .flat_map(|m| m.0.iter().flat_map(|p| p.exterior().0.iter()))
        .map(|c| Geodesic.distance(corner, Point::from(*c)))
        .fold(f64::INFINITY, f64::min);
    let d = rep["nearest_red_line_m"]
        .as_f64()
        .unwrap_or_else(|| panic!("no red-line distance: {rep}"));
    assert!(d > 0.0 && d <= bound, "{d} m, vertex bound {bound} m");
    assert_eq!(rep["nearest"][0]["layer"], "STBHHX", "{rep}");
}
