//! `planmap import` of real-world formats. Fixtures are made here with GDAL's own `ogr2ogr`
//! from a GeoJSON written by the test, and what planmap then serves is compared with GDAL's
//! reading of the same fixture and with the source: counts exact, attribute text intact,
//! geodesic areas within 0.01 %. Every test works on a copy of data/wenshui.

mod import_support;

use std::process::Command;

use import_support::*;

#[test]
fn shapefile_in_epsg4525_with_a_gbk_dbf() {
    let p = Plan::new();
    let src = source_geojson(&p);
    let shp = p.path("parks.shp");
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        shp.to_str().unwrap(),
        src.to_str().unwrap(),
        "-t_srs",
        "EPSG:4525",
        "-lco",
        "ENCODING=CP936",
    ]);
    // The fixture really holds GBK text.
    let dbf = std::fs::read(p.path("parks.dbf")).unwrap();
    let (gbk, _, _) = encoding_rs::GBK.encode("东庄产业园扩区");
    assert!(dbf.windows(gbk.len()).any(|w| w == &*gbk), "DBF is not GBK");
    let r = import_and_compare(&p, &shp, &[], &[]);
    assert!(r["crs"].as_str().unwrap().contains("EPSG:4525"), "{r}");
    let names: Vec<String> = p
        .exported("industrial_parks")
        .iter()
        .map(|(pr, _)| pr["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "东庄产业园扩区",
            "南安白酒园（二期）",
            "桑村新材料园",
            "百金堡光伏园",
            "刘胡兰镇物流园"
        ]
    );

    // The same, zipped (GDAL writes .shp.zip itself).
    let zip = p.path("parks.shp.zip");
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        zip.to_str().unwrap(),
        src.to_str().unwrap(),
        "-t_srs",
        "EPSG:4525",
        "-lco",
        "ENCODING=CP936",
    ]);
    let r = import_and_compare(&p, &zip, &[], &[]);
    assert_eq!(r["version"], 2);

    // Without .cpg and without the DBF's code page mark, GBK must be named.
    std::fs::remove_file(p.path("parks.cpg")).unwrap();
    let mut dbf = std::fs::read(p.path("parks.dbf")).unwrap();
    dbf[29] = 0;
    std::fs::write(p.path("parks.dbf"), dbf).unwrap();
    let r = import_and_compare(&p, &shp, &["-oo", "ENCODING=GBK"], &["--encoding", "GBK"]);
    assert_eq!(r["version"], 3);
    assert_eq!(
        p.exported("industrial_parks")[0].0["name"],
        "东庄产业园扩区"
    );
}

#[test]
fn geopackage_in_epsg4546() {
    let p = Plan::new();
    let src = source_geojson(&p);
    let gpkg = p.path("parks.gpkg");
    ogr2ogr(&[
        "-f",
        "GPKG",
        gpkg.to_str().unwrap(),
        src.to_str().unwrap(),
        "-t_srs",
        "EPSG:4546",
        "-nln",
        "园区",
    ]);
    let r = import_and_compare(&p, &gpkg, &[], &[]);
    assert!(r["crs"].as_str().unwrap().contains("EPSG:4546"), "{r}");
    assert_eq!(
        p.exported("industrial_parks")[1].0["name"],
        "南安白酒园（二期）"
    );
    // A second table makes the choice explicit.
    ogr2ogr(&[
        "-update",
        gpkg.to_str().unwrap(),
        src.to_str().unwrap(),
        "-nln",
        "其他",
    ]);
    let o = p.run(&[
        "import",
        gpkg.to_str().unwrap(),
        "--layer",
        "industrial_parks",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--source-layer"));
    let r = import_and_compare(
        &p,
        &gpkg,
        &["-where", "code <= 3", "园区"],
        &["--source-layer", "园区", "--where", "code <= 3"],
    );
    assert_eq!(r["features"], 3, "{r}");
    assert_eq!(
        p.layer_count("industrial_parks"),
        3,
        "--where keeps codes 1–3"
    );
}

#[test]
fn kml_and_filegdb() {
    let p = Plan::new();
    let src = source_geojson(&p);
    let kml = p.path("parks.kml");
    ogr2ogr(&[
        "-f",
        "KML",
        kml.to_str().unwrap(),
        src.to_str().unwrap(),
        "-dsco",
        "NameField=name",
    ]);
    import_and_compare(&p, &kml, &[], &[]);
    let gdb = p.path("parks.gdb");
    ogr2ogr(&[
        "-f",
        "OpenFileGDB",
        gdb.to_str().unwrap(),
        src.to_str().unwrap(),
        "-t_srs",
        "EPSG:4525",
        "-nlt",
        "MULTIPOLYGON",
    ]);
    import_and_compare(&p, &gdb, &[], &[]);
}

#[test]
fn dxf_in_gauss_kruger_without_a_crs() {
    let p = Plan::new();
    let src = source_geojson(&p);
    let dxf = p.path("parks.dxf");
    // DXF holds no CRS: planmap tells zone 37 from the eastings' prefix.
    ogr2ogr(&[
        "-f",
        "DXF",
        dxf.to_str().unwrap(),
        src.to_str().unwrap(),
        "-t_srs",
        "EPSG:4525",
        "-explodecollections",
    ]);
    let r = import_and_compare(&p, &dxf, &["-s_srs", "EPSG:4525"], &[]);
    assert!(r["crs"].as_str().unwrap().contains("zone 37"), "{r}");
    // Six polygons (the two-part park exploded), and their total is the source's.
    assert_eq!(r["features"], 6);
    let total: f64 =
        features(&serde_json::from_str(&std::fs::read_to_string(&src).unwrap()).unwrap())
            .iter()
            .map(|(_, g)| area(g))
            .sum();
    assert!(rel(r["area_m2"].as_f64().unwrap(), total) < 1e-4);
    // CAD drawings more often hold closed polylines, a hole being a polyline of its own:
    // seven rings, of which one lies inside another, make six polygons, one holed.
    let lines = p.path("lines.dxf");
    ogr2ogr(&[
        "-f",
        "DXF",
        lines.to_str().unwrap(),
        src.to_str().unwrap(),
        "-t_srs",
        "EPSG:4525",
        "-nlt",
        "MULTILINESTRING",
    ]);
    let rings = Command::new("ogrinfo")
        .args(["-q", "-al", lines.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&rings.stdout)
            .matches("LINESTRING (")
            .count(),
        7,
        "GDAL reads 7 rings"
    );
    let r = p.import_json(&[lines.to_str().unwrap(), "--layer", "industrial_parks"]);
    assert_eq!(r["features"], 6, "{r}");
    assert!(rel(r["area_m2"].as_f64().unwrap(), total) < 1e-4, "{r}");
    let holed = p
        .exported("industrial_parks")
        .iter()
        .filter(|(_, g)| g.0.iter().any(|p| !p.interiors().is_empty()))
        .count();
    assert_eq!(holed, 1);
}

#[test]
fn any_epsg_code_gdal_knows_and_web_map_coordinates_when_told() {
    let p = Plan::new();
    let src = source_geojson(&p);
    let total: f64 =
        features(&serde_json::from_str(&std::fs::read_to_string(&src).unwrap()).unwrap())
            .iter()
            .map(|(_, g)| area(g))
            .sum();
    // GeoJSON in UTM zone 49N (EPSG:32649), a CRS planmap leaves to GDAL.
    let utm = p.path("utm.geojson");
    ogr2ogr(&[
        "-f",
        "GeoJSON",
        utm.to_str().unwrap(),
        src.to_str().unwrap(),
        "-t_srs",
        "EPSG:32649",
        "-lco",
        "RFC7946=NO",
    ]);
    let r = p.import_json(&[
        utm.to_str().unwrap(),
        "--layer",
        "industrial_parks",
        "--crs",
        "EPSG:32649",
    ]);
    assert_eq!(r["features"], 5);
    assert!(rel(r["area_m2"].as_f64().unwrap(), total) < 1e-4, "{r}");
    // The same coordinates read as GCJ-02 move by the GCJ-02 offset (550–600 m around 文水),
    // and only when told.
    let plain = p.exported("industrial_parks");
    let _ = p.import_json(&[src.to_str().unwrap(), "--layer", "industrial_parks"]);
    let as_is = p.exported("industrial_parks");
    let r = p.import_json(&[
        src.to_str().unwrap(),
        "--layer",
        "industrial_parks",
        "--crs",
        "gcj02",
    ]);
    assert!(r["crs"].as_str().unwrap().contains("GCJ-02"), "{r}");
    let moved = p.exported("industrial_parks");
    use geo::{Centroid, Distance, Geodesic};
    for ((a, b), c) in as_is.iter().zip(&moved).zip(&plain) {
        let d = Geodesic.distance(a.1.centroid().unwrap(), b.1.centroid().unwrap());
        assert!((450.0..700.0).contains(&d), "GCJ-02 shift {d} m");
        assert!(Geodesic.distance(a.1.centroid().unwrap(), c.1.centroid().unwrap()) < 0.05);
    }
}

#[test]
fn layers_are_written_as_geopackage_and_zipped_shapefile() {
    use planmap_io::gdal_io::{write, WriteFormat};
    let p = Plan::new();
    let text = std::fs::read_to_string(p.data().join("layers/industrial_parks.geojson")).unwrap();
    let parks = planmap_io::layer_file::read_features(&text, "industrial_parks").unwrap();
    let source = features(&serde_json::from_str(&text).unwrap());
    for (name, format) in [
        ("parks.gpkg", WriteFormat::GeoPackage),
        ("parks.shp.zip", WriteFormat::ShapefileZip),
    ] {
        let out = p.path(name);
        write(&out, format, "industrial_parks", &parks).unwrap();
        let back = gdal_reading(&out, &[]);
        assert_eq!(back.len(), source.len(), "{name}");
        for ((bp, bg), (sp, sg)) in back.iter().zip(&source) {
            assert_eq!(bp["name"], sp["name"], "{name}");
            assert!(rel(area(bg), area(sg)) < 1e-6, "{name}: {}", sp["name"]);
        }
        // And planmap reads its own output back.
        let r = p.import_json(&[out.to_str().unwrap(), "--layer", "industrial_parks"]);
        assert_eq!(r["features"].as_u64().unwrap() as usize, source.len());
    }
}
