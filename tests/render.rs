//! Report maps rendered with maplibre-rs (run with `--features render`): a site on the red
//! line drawn where its geometry is, the report over HTTP with the API's areas, layer previews,
//! and the whole county at 1024 px (its render time printed for the notes, not asserted).

use std::time::Instant;

use geo::{Contains, Coord, Distance, Euclidean, LineString, MultiPolygon, Point, Polygon};
use planmap_core::{CheckOptions, CheckReport, Engine, Shape};
use planmap_io::{parse_site, PlanDir};
use planmap_render::scene::{parse_color, Paint, BACKGROUND, SITE_COLOR};
use planmap_render::{layer_preview, site_map, Frame, RenderError};
use planmap_tests::{data_dir, planmap_bin, root};

fn engine() -> Engine {
    Engine::load(&PlanDir::open(data_dir()).expect("plan folder")).expect("engine")
}

fn site_text() -> String {
    std::fs::read_to_string(root().join("tests/fixtures/site_red_line.geojson")).unwrap()
}

fn check(engine: &Engine) -> CheckReport {
    let site = parse_site(&site_text()).unwrap();
    engine.check(&site, CheckOptions::default()).unwrap()
}

/// RGBA pixels of a PNG, with its size.
fn decode(png: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut r = png::Decoder::new(png).read_info().expect("png header");
    let mut buf = vec![0; r.output_buffer_size()];
    let info = r.next_frame(&mut buf).expect("png frame");
    buf.truncate(info.buffer_size());
    assert_eq!(info.color_type, png::ColorType::Rgba);
    (info.width, info.height, buf)
}

/// Keeps an image for a look when `PLANMAP_RENDER_OUT` names a folder.
fn keep(name: &str, png: &[u8]) {
    if let Some(dir) = std::env::var_os("PLANMAP_RENDER_OUT") {
        std::fs::write(std::path::Path::new(&dir).join(name), png).expect("write image");
    }
}

/// A layer's colour as plan.toml states it (read with the `toml` crate, not planmap).
fn manifest_color(id: &str) -> [u8; 3] {
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(data_dir().join("plan.toml")).unwrap()).unwrap();
    manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"].as_str() == Some(id))
        .and_then(|l| l["color"].as_str())
        .map(parse_color)
        .unwrap()
}

fn px(img: &(u32, u32, Vec<u8>), x: u32, y: u32) -> [u8; 3] {
    let i = ((y * img.0 + x) * 4) as usize;
    [img.2[i], img.2[i + 1], img.2[i + 2]]
}

fn near(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 3)
}

/// A polygon in pixel coordinates of the frame.
fn to_pixels(frame: &Frame, p: &Polygon<f64>, size: u32) -> Polygon<f64> {
    let ring = |r: &LineString<f64>| {
        LineString(
            r.0.iter()
                .map(|c| {
                    let (x, y) = frame.pixel(*c, size);
                    Coord { x, y }
                })
                .collect(),
        )
    };
    Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect())
}

fn pixel_polys(frame: &Frame, mp: &MultiPolygon<f64>, size: u32) -> Vec<Polygon<f64>> {
    mp.0.iter().map(|p| to_pixels(frame, p, size)).collect()
}

/// Distance in pixels from a point to the nearest ring of the polygons.
fn edge_distance(polys: &[Polygon<f64>], p: &Point<f64>) -> f64 {
    polys
        .iter()
        .flat_map(|q| std::iter::once(q.exterior()).chain(q.interiors()))
        .map(|r| Euclidean.distance(p, r))
        .fold(f64::INFINITY, f64::min)
}

#[test]
fn a_site_on_the_red_line_is_drawn_where_its_geometry_is() {
    let engine = engine();
    let report = check(&engine);
    assert_eq!(report.verdict.zh(), "不通过");
    let red = report
        .overlaps
        .iter()
        .find(|o| o.layer == "red_line")
        .expect("the fixture overlaps the red line");

    // Draw only the red line, its overlap piece and the site: everything else is background.
    let mut map = site_map(&engine, &report).unwrap();
    map.style.layers.retain(|l| {
        ["red_line", "pieces-red_line", "site"].contains(&l.source.as_str())
            && !(l.source == "red_line" && l.paint != Paint::Fill)
    });
    let wash = map
        .style
        .layers
        .iter()
        .find(|l| l.source == "red_line")
        .unwrap()
        .color;
    // The piece in the manifest's red-line colour, read from plan.toml independently.
    let red_color = manifest_color("red_line");

    let size = 512;
    let png = match map.render(size) {
        Err(RenderError::NoAdapter(e)) => panic!("no adapter on this machine: {e}"),
        other => other.expect("rendered"),
    };
    keep("site_red_line.png", &png.0);
    let img = decode(&png.0);
    assert_eq!((img.0, img.1), (size, size));

    let site = pixel_polys(&map.frame, &report.site, size);
    let pieces: Vec<Polygon<f64>> = red
        .pieces()
        .iter()
        .flat_map(|(_, p)| pixel_polys(&map.frame, &p.geometry, size))
        .collect();
    let bbox = map.frame.lonlat_bounds();
    let red_layer = engine.layer("red_line").unwrap();
    let red_polys: Vec<Polygon<f64>> = engine
        .candidates(engine.layer_index("red_line").unwrap(), &bbox)
        .into_iter()
        .flat_map(|fi| match &red_layer.features[fi].shape {
            Shape::Polygon(mp) => pixel_polys(&map.frame, mp, size),
            _ => Vec::new(),
        })
        .collect();

    let (mut on_piece, mut on_outline, mut on_background, mut on_wash) = (0, 0, 0, 0);
    let mut wrong = Vec::new();
    for y in (1..size).step_by(3) {
        for x in (1..size).step_by(3) {
            let p = Point::new(x as f64 + 0.5, y as f64 + 0.5);
            let d_site = edge_distance(&site, &p);
            let d_piece = edge_distance(&pieces, &p);
            let d_red = edge_distance(&red_polys, &p);
            let in_piece = pieces.iter().any(|q| q.contains(&p));
            let in_red = red_polys.iter().any(|q| q.contains(&p));
            let expected = if d_site < 0.6 {
                on_outline += 1;
                SITE_COLOR
            } else if d_site < 4.5 || d_piece < 2.0 || d_red < 2.0 {
                continue; // casing and antialiased edges
            } else if in_piece {
                on_piece += 1;
                red_color
            } else if in_red {
                on_wash += 1;
                wash
            } else {
                on_background += 1;
                BACKGROUND
            };
            let got = px(&img, x, y);
            if !near(got, expected) {
                wrong.push((x, y, got, expected));
            }
        }
    }
    assert!(
        on_piece > 100 && on_outline > 20 && on_background > 100 && on_wash > 100,
        "samples: piece {on_piece}, outline {on_outline}, background {on_background}, wash {on_wash}"
    );
    assert!(
        wrong.is_empty(),
        "{} pixels differ, first: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(10)]
    );
}

fn serve() -> String {
    let state =
        planmap_server::state::AppState::load(planmap_server::state::Config::new(data_dir()))
            .expect("server state");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let l = tokio::net::TcpListener::from_std(listener).unwrap();
            planmap_server::serve_on(l, state).await
        })
    });
    format!("http://{addr}")
}

/// The numbers of every `data-m2="…"` attribute of the page.
fn data_m2(html: &str) -> Vec<f64> {
    html.split("data-m2=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next()?.parse().ok())
        .collect()
}

#[test]
fn the_report_over_http_has_the_verdict_the_api_areas_and_the_map() {
    let base = serve();
    let http = reqwest::blocking::Client::new();
    let api: serde_json::Value = http
        .post(format!("{base}/api/check"))
        .body(site_text())
        .send()
        .unwrap()
        .json()
        .unwrap();
    let resp = http
        .post(format!("{base}/api/check?format=report"))
        .body(site_text())
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = resp.text().unwrap();
    keep("report.html", html.as_bytes());
    assert!(html.contains(api["verdict"].as_str().unwrap()), "verdict");
    assert!(html.contains("示意数据，非官方成果"));
    assert!(html.contains(api["data_version"].as_str().unwrap()));
    assert!(
        html.contains("data:image/png;base64,"),
        "the map is embedded"
    );
    let numbers = data_m2(&html);
    let mut wanted = vec![api["site_area_m2"].as_f64().unwrap()];
    for o in api["overlaps"].as_array().unwrap() {
        wanted.push(o["area_m2"].as_f64().unwrap());
    }
    for w in &wanted {
        assert!(
            numbers.iter().any(|n| (n - w).abs() <= 1e-9 * w.abs()),
            "{w} m² of the API is not in the report ({numbers:?})"
        );
        assert!(html.contains(&format!("{w:.1}")), "{w:.1} shown");
    }

    let png = http
        .get(format!("{base}/api/layers/red_line/preview.png?size=256"))
        .send()
        .unwrap();
    assert_eq!(png.status(), 200);
    assert_eq!(png.headers()["content-type"], "image/png");
    let img = decode(&png.bytes().unwrap());
    assert_eq!((img.0, img.1), (256, 256));
    let missing = http
        .get(format!("{base}/api/layers/nothing/preview.png"))
        .send()
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[test]
fn the_whole_county_renders_at_1024_px() {
    let engine = engine();
    let map = layer_preview(&engine, None).unwrap();
    let t = Instant::now();
    let png = map.render(1024).expect("rendered");
    let took = t.elapsed();
    eprintln!(
        "whole county, all layers, 1024 px: {:.0} ms, {} KiB PNG",
        took.as_secs_f64() * 1000.0,
        png.0.len() / 1024
    );
    keep("county.png", &png.0);
    let img = decode(&png.0);
    assert_eq!((img.0, img.1), (1024, 1024));
    // Pixels of a layer's colours (wash or outline).
    let count = |id: &str| {
        let colors: Vec<[u8; 3]> = map
            .style
            .layers
            .iter()
            .filter(|l| l.source == id)
            .map(|l| l.color)
            .collect();
        img.2
            .chunks(4)
            .filter(|p| colors.iter().any(|c| near([p[0], p[1], p[2]], *c)))
            .count()
    };
    // The red line is a third of the county, the farmland nearly as much: each far more than
    // 10 000 of the million pixels.
    for id in ["red_line", "farmland"] {
        let n = count(id);
        assert!(n > 10_000, "{id}: {n} px");
    }
}

/// `planmap check --report` as a user runs it (the default build, no desktop session): the
/// report holds its map — a PNG of real size showing the overlap in the manifest's red-line
/// colour among other colours, not a blank frame — and nothing is printed on stderr.
#[test]
fn the_cli_report_of_a_red_line_site_has_its_map_and_stderr_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.html");
    let run = std::process::Command::new(planmap_bin())
        .arg("--data")
        .arg(data_dir())
        .arg("check")
        .arg(root().join("tests/fixtures/site_red_line.geojson"))
        .arg("--report")
        .arg(&out)
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("DISPLAY")
        .env_remove("VK_LOADER_LAYERS_DISABLE")
        .env_remove("WGPU_BACKEND")
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    assert_eq!(String::from_utf8_lossy(&run.stderr), "", "stderr");
    let html = std::fs::read_to_string(&out).unwrap();
    let at = html
        .find("id=\"map-img\"")
        .expect("the report has its map image");
    let start = at + html[at..].find("base64,").unwrap() + "base64,".len();
    let b64 = &html[start..start + html[start..].find('"').unwrap()];
    let png = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64).unwrap();
    let img = decode(&png);
    assert!(
        img.0 >= 512 && img.0 == img.1,
        "map size {}×{}",
        img.0,
        img.1
    );
    let red = manifest_color("red_line");
    let pixels: Vec<[u8; 3]> = img.2.chunks(4).map(|p| [p[0], p[1], p[2]]).collect();
    let n = pixels.len() as f64;
    let in_red = pixels.iter().filter(|p| near(**p, red)).count() as f64;
    assert!(
        in_red / n > 0.01,
        "red-line pixels: {:.3} %",
        100.0 * in_red / n
    );
    let mut colours = std::collections::HashMap::new();
    for p in &pixels {
        *colours.entry(*p).or_insert(0usize) += 1;
    }
    let commonest = *colours.values().max().unwrap() as f64;
    assert!(colours.len() >= 4, "colours in the map: {}", colours.len());
    assert!(
        commonest / n < 0.9,
        "one colour covers {:.1} %",
        100.0 * commonest / n
    );
}
