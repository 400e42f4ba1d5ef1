//! Connections to a real `planmap serve` process, as a client (or an attacker) makes them:
//! silent and slow-header sockets closed by the server, idle keep-alive connections closed
//! after their own timeout, 20,000 idle sockets that do not stop a normal request, memory
//! given back when they close, `Expect: 100-continue` over the body limit refused at once,
//! and absolute URLs that never come from the `Host` header.

mod proc_support;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use planmap_tests::{data_dir, ServeProcess};
use proc_support::*;
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

#[test]
fn silent_and_slow_header_sockets_are_closed_and_idle_ones_after_their_own_timeout() {
    let s = serve(&["--header-timeout", "1", "--idle-timeout", "3"]);
    // Silent: connects, sends nothing.
    let mut silent = TcpStream::connect(addr_of(&s.url)).unwrap();
    let t0 = Instant::now();
    let (closed, got) = closed_within(&mut silent, Duration::from_secs(5));
    let silent_s = t0.elapsed().as_secs_f64();
    assert!(closed && got.is_empty(), "a silent socket was not closed");
    assert!(
        silent_s >= 0.9,
        "closed after {silent_s:.2} s, before the timeout"
    );

    // A header byte every 300 ms: the head never completes within the second.
    let mut slow = TcpStream::connect(addr_of(&s.url)).unwrap();
    let head = format!(
        "GET /api/plan HTTP/1.1\r\nHost: {}\r\nX-Slow: ",
        addr_of(&s.url)
    );
    let t0 = Instant::now();
    let mut cut_after = None;
    for b in head.bytes().chain(std::iter::repeat(b'a')) {
        if slow.write_all(&[b]).is_err() || t0.elapsed() > Duration::from_secs(6) {
            break;
        }
        let (closed, got) = closed_within(&mut slow, Duration::from_millis(300));
        if closed {
            assert!(got.is_empty(), "answered a head never finished");
            cut_after = Some(t0.elapsed().as_secs_f64());
            break;
        }
    }
    let cut = cut_after.expect("a slow-header socket stayed open 6 s");
    assert!(
        cut < 2.5,
        "a slow-header socket was closed only after {cut:.2} s"
    );

    // Keep-alive: a request answered, then idle — kept past the header timeout, closed
    // after the idle timeout.
    let mut ka = send_request(&s.url, "GET /api/plan HTTP/1.1", b"");
    let (closed, got) = closed_within(&mut ka, Duration::from_millis(1500));
    assert!(
        !closed && got.starts_with(b"HTTP/1.1 200"),
        "no answer on keep-alive"
    );
    // An answer of known length says so (as axum::serve did), not chunked.
    let head = String::from_utf8_lossy(&got).to_lowercase();
    assert!(
        head.contains("\r\ncontent-length:") && !head.contains("transfer-encoding"),
        "{head:.400}"
    );
    let t0 = Instant::now();
    let (closed, _) = closed_within(&mut ka, Duration::from_secs(6));
    let idle_s = t0.elapsed().as_secs_f64() + 1.5;
    assert!(closed, "an idle keep-alive connection stayed open");
    assert!(
        (2.5..=5.0).contains(&idle_s),
        "closed {idle_s:.2} s after its answer, not at the 3 s idle timeout"
    );
    eprintln!(
        "--header-timeout 1 --idle-timeout 3: silent socket closed after {silent_s:.2} s, \
         slow header after {cut:.2} s, idle keep-alive after ≈{idle_s:.1} s"
    );
}

#[test]
fn twenty_thousand_idle_sockets_do_not_stop_a_request_and_their_memory_comes_back() {
    let soft = raise_nofile();
    // The test process needs a descriptor a socket, plus its own few.
    let n = 20_000.min(soft.saturating_sub(300) as usize);
    if n < 20_000 {
        eprintln!("the open-file hard limit is {soft}: {n} sockets, not 20,000");
    }
    let s = serve(&["--header-timeout", "120", "--idle-timeout", "120"]);
    let pid = s.child.id();
    let addr = addr_of(&s.url);
    let plan = format!("{}/api/plan", s.url);
    get(&plan, &[]);
    assert!(seconds_until_idle(pid, 120.0).is_some());
    let rss_before = rss_mib(pid);
    // Every other socket sends one request and stays open (keep-alive), the rest send
    // nothing.
    let request = format!("GET /api/layers/nope.geojson HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    let mut socks = Vec::with_capacity(n);
    for i in 0..n {
        let mut c = TcpStream::connect(&addr).expect("connect");
        if i % 2 == 0 {
            c.write_all(request.as_bytes()).unwrap();
        }
        socks.push(c);
    }
    // Let the server accept and answer them all.
    let t0 = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(500));
        if seconds_until_idle(pid, 0.0).is_some() || t0.elapsed() > Duration::from_secs(60) {
            break;
        }
    }
    let rss_with = rss_mib(pid);
    let fds = open_fds(pid);
    let t = Instant::now();
    let r = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
        .get(&plan)
        .send()
        .expect("a request beside the idle crowd");
    let took = t.elapsed().as_secs_f64();
    assert_eq!(r.status(), 200);
    for c in socks {
        reset(c);
    }
    // The server sees them close and gives the memory back.
    std::thread::sleep(Duration::from_secs(4));
    let rss_after = rss_mib(pid);
    eprintln!(
        "{n} idle sockets (half after a request): RSS {rss_before:.0} MiB before, \
         {rss_with:.0} MiB with them ({fds} descriptors open in the server), \
         {rss_after:.0} MiB 4 s after they closed; GET /api/plan beside them in {took:.3} s"
    );
    assert!(
        took < 1.0,
        "GET /api/plan took {took:.2} s beside {n} idle sockets"
    );
    assert!(
        rss_after < rss_before + 64.0,
        "RSS {rss_after:.0} MiB after the sockets closed, {rss_before:.0} MiB before"
    );
}

#[test]
fn expect_continue_over_the_limit_is_refused_before_the_body() {
    let s = serve(&["--body-limit", "1000000"]);
    let mut c = TcpStream::connect(addr_of(&s.url)).unwrap();
    let head = format!(
        "POST /api/check HTTP/1.1\r\nHost: {}\r\nContent-Type: application/geo+json\r\n\
         Content-Length: 20971520\r\nExpect: 100-continue\r\n\r\n",
        addr_of(&s.url)
    );
    let t0 = Instant::now();
    c.write_all(head.as_bytes()).unwrap();
    let (_, got) = closed_within(&mut c, Duration::from_secs(1));
    let text = String::from_utf8_lossy(&got).to_string();
    assert!(
        text.starts_with("HTTP/1.1 413"),
        "not a 413 within 1 s ({:.2} s): {text:?}",
        t0.elapsed().as_secs_f64()
    );
    let body = text.split_once("\r\n\r\n").unwrap().1;
    let v: Value = serde_json::from_str(body).expect("a JSON error");
    assert_eq!(v["limit_bytes"], 1_000_000, "{v}");
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
