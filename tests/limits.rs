//! The server's defences, each on a server of its own settings: parts per site, the slots of
//! heavy requests (503 with Retry-After when all are taken), the time limit of a request, and
//! the security headers on every answer.

mod serve_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use planmap_tests::rect_geojson;
use serde_json::Value;
use serve_support::*;

/// A site of `n` separate 10 m squares inside the county.
fn multipart(n: usize) -> String {
    let parts: Vec<String> = (0..n)
        .map(|i| {
            let (x, y) = (112.05 + i as f64 * 0.001, 37.45);
            let d = 0.0001;
            format!(
                "[[[{x},{y}],[{x1},{y}],[{x1},{y1}],[{x},{y1}],[{x},{y}]]]",
                x1 = x + d,
                y1 = y + d
            )
        })
        .collect();
    format!(
        r#"{{"type":"MultiPolygon","coordinates":[{}]}}"#,
        parts.join(",")
    )
}

fn post_check(base: &str, body: String) -> reqwest::blocking::Response {
    client()
        .post(format!("{base}/api/check"))
        .header("Content-Type", "application/geo+json")
        .body(body)
        .send()
        .expect("POST /api/check")
}

/// A check whose body never finishes arriving: it holds its slot (and its time) until the
/// connection is closed. The request line and headers are sent; the body is not.
fn stalled_check(base: &str) -> TcpStream {
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "POST /api/check HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/geo+json\r\n\
         Content-Length: 1000\r\n\r\n{{\"type\":"
    )
    .unwrap();
    s.flush().unwrap();
    s
}

/// Waits (bounded) until a check is answered 200: the slot held by a closed connection frees
/// as soon as the server notices the close.
fn eventually_ok(base: &str) -> Value {
    for _ in 0..200 {
        let r = post_check(base, rect_geojson(112.05, 37.45, 112.051, 37.451));
        if r.status() == 200 {
            return r.json().unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the slot was never given back");
}

#[test]
fn a_site_with_more_parts_than_the_limit_is_422_naming_both() {
    let mut config = test_config();
    config.max_parts = 3;
    let base = serve(config);
    let r = post_check(&base, multipart(3));
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    let r = post_check(&base, multipart(4));
    assert_eq!(r.status(), 422);
    let v: Value = r.json().unwrap();
    assert_eq!(v["parts"], 4, "{v}");
    assert_eq!(v["limit"], 3, "{v}");
    assert!(v["error"].as_str().unwrap().contains("4 parts"), "{v}");
}

#[test]
fn when_every_heavy_slot_is_taken_a_check_gets_503_with_retry_after() {
    let mut config = test_config();
    config.max_heavy = 1;
    config.heavy_wait = Duration::ZERO;
    let base = serve(config);
    eventually_ok(&base);
    let held = stalled_check(&base);
    // Light requests are not held up.
    assert_eq!(get_on(&base, "/api/plan").status(), 200);
    let mut refused = None;
    for _ in 0..200 {
        let r = post_check(&base, rect_geojson(112.05, 37.45, 112.051, 37.451));
        if r.status() == 503 {
            refused = Some(r);
            break;
        }
        // The stalled request may not have reached its slot yet.
        std::thread::sleep(Duration::from_millis(20));
    }
    let r = refused.expect("a second heavy request while the only slot is held is refused");
    assert_eq!(header(&r, "retry-after"), "2");
    let v: Value = r.json().unwrap();
    assert!(v["error"].as_str().unwrap().contains("busy"), "{v}");
    drop(held);
    let v = eventually_ok(&base);
    assert!(v["verdict"].is_string(), "{v}");
}

#[test]
fn a_request_over_the_time_limit_is_answered_503_not_left_hanging() {
    let mut config = test_config();
    config.request_timeout = Duration::from_millis(500);
    let base = serve(config);
    let mut s = stalled_check(&base);
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
        if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
            break;
        }
    }
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("longer than the limit of 0.5 s"), "{text}");
}

fn get_on(base: &str, path: &str) -> reqwest::blocking::Response {
    client().get(format!("{base}{path}")).send().expect("GET")
}

#[test]
fn every_answer_carries_the_security_headers() {
    for path in [
        "/",
        "/api/plan",
        "/api/layers/red_line.geojson",
        "/tiles/farmland/12/3300/1550",
        "/no/such/thing",
        "/api/layers/nope.geojson",
    ] {
        let r = get(path);
        let csp = header(&r, "content-security-policy");
        for part in [
            "default-src 'self'",
            "script-src 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        ] {
            assert!(csp.contains(part), "{path}: CSP {csp:?} lacks {part}");
        }
        assert!(!csp.contains("unsafe-eval"), "{path}: {csp}");
        assert!(!csp
            .split(';')
            .any(|d| d.trim().starts_with("script-src") && d.contains("unsafe-inline")));
        assert_eq!(header(&r, "x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header(&r, "x-frame-options"), "DENY", "{path}");
    }
}

#[test]
fn an_upload_with_more_features_than_the_limit_is_413_naming_it() {
    let mut config = test_config();
    config.upload_limits.max_features = 2;
    let base = serve(config);
    let placemark = |i: usize| {
        let (x, y, d) = (112.05 + i as f64 * 0.001, 37.45, 0.0001);
        format!(
            "<Placemark><name>地块{i}</name><Polygon><outerBoundaryIs><LinearRing><coordinates>\
             {x},{y} {x1},{y} {x1},{y1} {x},{y1} {x},{y}</coordinates></LinearRing>\
             </outerBoundaryIs></Polygon></Placemark>",
            x1 = x + d,
            y1 = y + d
        )
    };
    let kml = |n: usize| {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>{}</Document></kml>"#,
            (0..n).map(placemark).collect::<String>()
        )
    };
    let post = |body: String| {
        client()
            .post(format!("{base}/api/check?input=kml"))
            .body(body)
            .send()
            .unwrap()
    };
    let r = post(kml(2));
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    let r = post(kml(3));
    assert_eq!(r.status(), 413);
    let v: Value = r.json().unwrap();
    let e = v["error"].as_str().unwrap();
    assert!(e.contains('3') && e.contains('2'), "{v}");
    assert_eq!(v["limit"], "max_features", "{v}");
}
