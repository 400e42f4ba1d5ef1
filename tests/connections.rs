//! Connections to a real `planmap serve` process, as a client (or an attacker) makes them:
//! absolute URLs that never come from the `Host` header.

use planmap_tests::{data_dir, ServeProcess};
use serde_json::Value;

fn serve(extra: &[&str]) -> ServeProcess {
    let mut args = vec!["--no-history"];
    args.extend_from_slice(extra);
    ServeProcess::start(&data_dir(), &args, &[])
}

fn get(url: &str, headers: &[(&str, &str)]) -> Value {
    let mut r = reqwest::blocking::Client::new().get(url);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let r = r.send().unwrap();
    assert_eq!(r.status(), 200, "{url}");
    r.json().unwrap()
}

/// Every absolute URL of the style, a TileJSON and the OGC landing page.
fn urls(base: &str, headers: &[(&str, &str)]) -> Vec<String> {
    let style = get(&format!("{base}/style.json"), headers);
    let tilejson = get(&format!("{base}/tiles/farmland.json"), headers);
    let ogc = get(&format!("{base}/ogc"), headers);
    let mut out = vec![style["glyphs"].as_str().unwrap().to_string()];
    for src in style["sources"].as_object().unwrap().values() {
        out.push(src["tiles"][0].as_str().unwrap().to_string());
    }
    out.push(tilejson["tiles"][0].as_str().unwrap().to_string());
    for l in ogc["links"].as_array().unwrap() {
        out.push(l["href"].as_str().unwrap().to_string());
    }
    out
}

#[test]
fn absolute_urls_come_from_the_configuration_never_from_host() {
    let evil = [
        ("Host", "evil.example"),
        ("X-Forwarded-Host", "evil.example"),
        ("X-Forwarded-Proto", "https"),
    ];
    // Default: the listening address, whatever the request says.
    let s = serve(&[]);
    for u in urls(&s.url, &evil) {
        assert!(u.starts_with(&format!("{}/", s.url)), "{u}");
    }
    // --public-url: its scheme, host and path.
    let p = serve(&["--public-url", "https://maps.example.org/planmap/"]);
    for u in urls(&p.url, &evil) {
        assert!(u.starts_with("https://maps.example.org/planmap/"), "{u}");
    }
    // --trust-proxy: the proxy's headers (and only theirs, never Host).
    let t = serve(&["--trust-proxy"]);
    let proxied = [
        ("Host", "evil.example"),
        ("X-Forwarded-Host", "maps.example"),
        ("X-Forwarded-Proto", "https"),
    ];
    for u in urls(&t.url, &proxied) {
        assert!(u.starts_with("https://maps.example/"), "{u}");
    }
    for u in urls(&t.url, &[("Host", "evil.example")]) {
        assert!(u.starts_with(&format!("{}/", t.url)), "{u}");
    }
}

#[test]
fn a_bad_public_url_stops_the_start() {
    let o = std::process::Command::new(planmap_tests::planmap_bin())
        .arg("--data")
        .arg(data_dir())
        .args(["serve", "--addr", "127.0.0.1:0", "--public-url", "ftp://x"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--public-url") && err.lines().count() == 1,
        "{err}"
    );
}
