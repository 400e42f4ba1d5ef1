//! Results as GeoJSON: a check's site, overlap pieces and 避让 geometry; conflict pieces.

use geo::Geometry;
use planmap_core::{CheckReport, ConflictScan};
use serde_json::{json, Value};

use crate::geojson_io::{feature, feature_at, props, write_collection, Precision};

/// A check as a FeatureCollection: the site (`role: site`), one feature per overlap piece
/// (`role: overlap`), and the site minus every prohibited layer (`role: avoidance`, 避让).
/// Full precision; [`check_geojson_at`] may round.
pub fn check_geojson(r: &CheckReport) -> String {
    check_geojson_at(r, Precision::Full)
}

/// [`check_geojson`] with coordinates written at `p`.
pub fn check_geojson_at(r: &CheckReport, p: Precision) -> String {
    let feature = |id: &str, g: &Geometry<f64>, props| feature_at(id, g, props, p);
    let mut feats = vec![feature(
        "site",
        &Geometry::MultiPolygon(r.site.clone()),
        props([
            ("role", json!("site")),
            ("verdict", json!(r.verdict.zh())),
            ("area_m2", json!(r.site_area_m2)),
            ("area_mu", json!(r.site_area_mu)),
            ("data_version", json!(r.data_version)),
            ("caveat", json!(r.caveat)),
        ]),
    )];
    for o in &r.overlaps {
        for (fid, piece) in o.pieces() {
            feats.push(feature(
                &format!("overlap:{}:{fid}", o.layer),
                &Geometry::MultiPolygon(piece.geometry.clone()),
                props([
                    ("role", json!("overlap")),
                    ("layer", json!(o.layer)),
                    ("layer_name", json!(o.name)),
                    ("site_role", json!(o.role)),
                    ("feature_id", json!(fid)),
                    ("area_m2", json!(piece.area_m2)),
                    (
                        "area_mu",
                        json!(piece.area_m2 / planmap_core::units::M2_PER_MU),
                    ),
                ]),
            ));
        }
    }
    if !r.avoidance().0.is_empty() {
        feats.push(feature(
            "avoidance",
            &Geometry::MultiPolygon(r.avoidance().clone()),
            props([
                ("role", json!("avoidance")),
                ("name", json!("避让后用地")),
                ("area_m2", json!(r.avoidance_area_m2)),
            ]),
        ));
    }
    write_collection(feats, Some("check"))
}

/// Conflicts (and slivers, `sliver: true`) as a FeatureCollection of overlap pieces.
pub fn conflicts_geojson(scan: &ConflictScan) -> String {
    let feats = scan
        .conflicts
        .iter()
        .map(|c| (c, false))
        .chain(scan.slivers.iter().map(|c| (c, true)))
        .map(|(c, sliver)| {
            let mut p = match serde_json::to_value(c) {
                Ok(Value::Object(m)) => m,
                _ => Default::default(),
            };
            p.insert("sliver".into(), json!(sliver));
            feature(
                &format!("{}:{}:{}", c.rule, c.a_id, c.b_id),
                &Geometry::MultiPolygon(c.geometry.clone()),
                p,
            )
        });
    write_collection(feats, Some("conflicts"))
}

/// A check's FeatureCollection (`geojson`, as [`check_geojson_at`] writes it) with the
/// strictest verdict and every plan's answer as the foreign members `overall_verdict` and
/// `plans` (a site across county lines).
pub fn check_geojson_across(
    geojson: &str,
    overall: planmap_core::Verdict,
    plans: &[planmap_core::across::PlanVerdict],
) -> String {
    let Ok(Value::Object(mut fc)) = serde_json::from_str(geojson) else {
        return geojson.to_string();
    };
    let value = |v: serde_json::Result<Value>| v.unwrap_or_default();
    fc.insert(
        "overall_verdict".into(),
        value(serde_json::to_value(overall)),
    );
    fc.insert("plans".into(), value(serde_json::to_value(plans)));
    serde_json::to_string(&fc).unwrap_or_else(|_| geojson.to_string())
}
