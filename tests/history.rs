//! The check history through the server (in process, on a free port): every check recorded
//! with the check's own answer, the data keeper's listing and exports (read back with
//! serde_json and the `csv` crate), access (401/403/disabled), refusals, a failed write
//! answered 503, and records outliving a server restart on the same file.

mod serve_support;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use geo::{Contains, InteriorPoint, Rect};
use planmap_server::AdminToken;
use planmap_tests::rect_geojson;
use reqwest::blocking::Response;
use serde_json::Value;
use serve_support::*;

const TOKEN: &str = "history-test-token-0123456789";

/// A server with the token and a history of its own, stopped when dropped (the runtime goes,
/// and with it the history's connection).
struct Server {
    base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(history: Option<&Path>, token: bool) -> Server {
        let mut config = test_config();
        config.history_db = history.map(Path::to_path_buf);
        config.admin_token = token.then(|| AdminToken::new(TOKEN).unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let state = planmap_server::AppState::load(config).expect("load");
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap().port()).unwrap();
                tokio::select! {
                    r = planmap_server::serve_on(listener, state) => r.unwrap(),
                    _ = stopped => {}
                }
            });
        });
        let port = rx.recv().expect("server started");
        Server {
            base: format!("http://127.0.0.1:{port}"),
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn check(&self, query: &str, site: &str) -> Response {
        client()
            .post(format!("{}/api/check{query}", self.base))
            .body(site.to_string())
            .send()
            .unwrap()
    }

    fn history(&self, path: &str, auth: Option<&str>) -> Response {
        let mut r = client().get(format!("{}{path}", self.base));
        if let Some(a) = auth {
            r = r.header("Authorization", a);
        }
        r.send().unwrap()
    }

    fn list(&self, query: &str) -> Value {
        let r = self.history(&format!("/api/history{query}"), Some(&bearer()));
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "cache-control"), "no-store");
        r.json().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop.take().unwrap().send(());
        let _ = self.thread.take().unwrap().join();
    }
}

fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

fn temp_db(name: &str) -> PathBuf {
    let p = temp_dir("history").join(name);
    let _ = std::fs::remove_file(&p);
    p
}

/// A ≈ 10 m square lying inside a farmland patch of the layer file (geo's `Contains`): its
/// check overlaps farmland.
fn farmland_site() -> String {
    static SITE: OnceLock<String> = OnceLock::new();
    SITE.get_or_init(|| {
        let d = 0.0001;
        for f in file_features("farmland") {
            let Some(p) = f.geometry.interior_point() else {
                continue;
            };
            let (x0, y0, x1, y1) = (
                p.x() - d / 2.0,
                p.y() - d / 2.0,
                p.x() + d / 2.0,
                p.y() + d / 2.0,
            );
            let rect = Rect::new(geo::coord! { x: x0, y: y0 }, geo::coord! { x: x1, y: y1 });
            if f.geometry.contains(&rect.to_polygon()) {
                return rect_geojson(x0, y0, x1, y1);
            }
        }
        panic!("no farmland patch holds a 10 m square");
    })
    .clone()
}

fn id_of(r: &Response) -> i64 {
    header(r, "planmap-history-id")
        .parse()
        .unwrap_or_else(|_| panic!("no Planmap-History-Id on a {} answer", r.status()))
}

/// One shared server of this binary with a history and the token.
fn shared() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| Server::start(Some(&temp_db("shared.sqlite")), true))
}

#[test]
fn a_check_is_listed_with_its_own_answer() {
    let s = shared();
    let site = farmland_site();
    let project = "汶水县光伏项目 ' \"; DROP TABLE checks;--";
    let q = format!(
        "?project={}&applicant={}",
        urlencode(project),
        urlencode("张三")
    );
    let r = s.check(&q, &site);
    assert_eq!(r.status(), 200);
    let id = id_of(&r);
    let report: Value = r.json().unwrap();
    assert_eq!(report["verdict"], "不通过", "{report}");

    let list = s.list("?limit=1000");
    let rec = list["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("record {id} not listed: {list}"));
    assert_eq!(rec["verdict"], report["verdict"]);
    assert_eq!(rec["site_area_m2"], report["site_area_m2"]);
    assert_eq!(rec["data_version"], report["data_version"]);
    assert_eq!(rec["source"], "api");
    assert_eq!(rec["project"], project);
    assert_eq!(rec["applicant"], "张三");
    let overlaps = rec["overlaps"].as_array().unwrap();
    let expected = report["overlaps"].as_array().unwrap();
    assert_eq!(overlaps.len(), expected.len());
    assert!(!overlaps.is_empty());
    for (o, e) in overlaps.iter().zip(expected) {
        assert_eq!(o["layer"], e["layer"]);
        assert_eq!(o["area_m2"], e["area_m2"]);
        assert_eq!(o["feature_ids"], e["feature_ids"]);
    }
    // The site as the check read it: the same square, lon/lat.
    let sent: Value = serde_json::from_str(&site).unwrap();
    let ring = |v: &Value| -> Vec<(f64, f64)> {
        let mut pts: Vec<(f64, f64)> = v["coordinates"][0]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
            .collect();
        pts.sort_by(|a, b| a.partial_cmp(b).unwrap());
        pts
    };
    assert_eq!(rec["site"]["type"], "Polygon");
    for (a, b) in ring(&rec["site"]).iter().zip(ring(&sent)) {
        assert!(
            (a.0 - b.0).abs() < 1e-7 && (a.1 - b.1).abs() < 1e-7,
            "{a:?} {b:?}"
        );
    }
}

#[test]
fn every_output_form_is_recorded_and_a_key_makes_one_check_one_record() {
    let dir = temp_db("forms.sqlite");
    let s = Server::start(Some(&dir), true);
    let site = farmland_site();
    let mut ids = Vec::new();
    for q in ["", "?format=geojson", "?format=report", "?source=web"] {
        let r = s.check(q, &site);
        assert_eq!(r.status(), 200, "{q}");
        ids.push(id_of(&r));
    }
    assert_eq!(ids, [1, 2, 3, 4]);
    // The web's report and GeoJSON of one check, under one key: one record.
    let key = "web-5d1c0a9b77e2";
    let a = s.check(&format!("?source=web&check_key={key}"), &site);
    let b = s.check(
        &format!("?format=geojson&source=web&check_key={key}"),
        &site,
    );
    assert_eq!((id_of(&a), id_of(&b)), (5, 5));
    let list = s.list("");
    assert_eq!(list["total"], 5);
    let sources: Vec<&str> = list["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["web", "web", "api", "api", "api"]);
    assert_eq!(s.list("?source=web")["total"], 2);
    assert_eq!(s.list("?verdict=通过")["total"], 0);
    assert_eq!(s.list("?verdict=不通过&limit=2&offset=1")["count"], 2);
    // Refused checks are not recorded.
    assert_eq!(s.check("", "{\"type\":\"Polygon\"").status(), 400);
    assert_eq!(s.list("")["total"], 5);
}

#[test]
fn bad_parameters_are_4xx_and_record_nothing() {
    let dir = temp_db("bad.sqlite");
    let s = Server::start(Some(&dir), true);
    let site = farmland_site();
    let long = "长".repeat(201);
    for q in [
        format!("?project={}", urlencode(&long)),
        "?applicant=a%00b".to_string(),
        "?source=cli".to_string(),
        "?check_key=short".to_string(),
        "?projekt=x".to_string(),
    ] {
        let r = s.check(&q, &site);
        assert_eq!(r.status(), 400, "{q}");
        let body: Value = r.json().unwrap();
        assert!(
            body["error"].as_str().unwrap().contains("parameter"),
            "{body}"
        );
    }
    assert_eq!(s.list("")["total"], 0);
    for q in [
        "?limit=0",
        "?limit=1001",
        "?limit=x",
        "?offset=-1",
        "?from=yesterday",
        "?to=2026-11-28T08:00:00%2B08:00",
        "?verdict=pass",
        "?source=fax",
        "?sort=time",
    ] {
        let r = s.history(&format!("/api/history{q}"), Some(&bearer()));
        assert_eq!(r.status(), 400, "{q}");
        assert!(header(&r, "content-type").contains("json"), "{q}");
    }
}

#[test]
fn access_needs_the_token() {
    let s = shared();
    for path in ["/api/history", "/api/history.geojson", "/api/history.csv"] {
        let r = s.history(path, None);
        assert_eq!(r.status(), 401, "{path}");
        assert_eq!(header(&r, "www-authenticate"), "Bearer realm=\"planmap\"");
        let r = s.history(path, Some("Bearer not-the-token-0123456789"));
        assert_eq!(r.status(), 403, "{path}");
        assert_eq!(header(&r, "www-authenticate"), "");
        assert_eq!(s.history(path, Some(&bearer())).status(), 200, "{path}");
    }
    // No token configured: disabled (the lead's guard answers 404), history or not.
    let open = Server::start(Some(&temp_db("untokened.sqlite")), false);
    let r = open.history("/api/history", Some(&bearer()));
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().unwrap()["reason"], "disabled");
    // ...while its checks are still recorded.
    let r = open.check("", &farmland_site());
    assert_eq!((r.status().as_u16(), id_of(&r)), (200, 1));
    // A token but no history: checks answer without an id, the listing says why it is off.
    let none = Server::start(None, true);
    let r = none.check("", &farmland_site());
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "planmap-history-id"), "");
    let r = none.history("/api/history.csv", Some(&bearer()));
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().unwrap()["reason"], "no history");
}

#[test]
fn one_limit_rule_for_every_history_endpoint_and_the_last_day_is_a_day() {
    let dir = temp_db("limits.sqlite");
    let s = Server::start(Some(&dir), true);
    for i in 0..3 {
        assert_eq!(id_of(&s.check("", &farmland_site())), i + 1);
    }
    for path in ["/api/history", "/api/history.geojson", "/api/history.csv"] {
        for (q, status) in [
            ("?limit=1001", 400),
            ("?limit=0", 400),
            ("?limit=1000", 200),
        ] {
            let r = s.history(&format!("{path}{q}"), Some(&bearer()));
            assert_eq!(r.status(), status, "{path}{q}");
            if status == 400 {
                let body: Value = r.json().unwrap();
                assert_eq!(body["parameter"], "limit", "{path}{q}: {body}");
                assert!(body["error"].as_str().unwrap().contains("1000"), "{body}");
            }
        }
        // The last date there is, as the end of a range: every record made so far.
        let r = s.history(&format!("{path}?to=9999-12-31"), Some(&bearer()));
        assert_eq!(r.status(), 200, "{path}?to=9999-12-31");
    }
    let all = s.list("?to=9999-12-31");
    assert_eq!(all["total"], 3, "{all}");
    assert_eq!(s.list("?from=9999-12-31")["total"], 0);
    assert_eq!(s.list("?to=2000-01-01")["total"], 0);
}

#[test]
fn exports_parse_back_as_the_listing() {
    let dir = temp_db("exports.sqlite");
    let s = Server::start(Some(&dir), true);
    let site = farmland_site();
    for (i, p) in ["第一期", "=cmd|' /C calc'!A0", "a, \"b\""]
        .iter()
        .enumerate()
    {
        let r = s.check(&format!("?project={}", urlencode(p)), &site);
        assert_eq!(id_of(&r), i as i64 + 1);
    }
    let list = s.list("");
    let records = list["records"].as_array().unwrap();

    let r = s.history("/api/history.geojson", Some(&bearer()));
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "application/geo+json");
    assert!(header(&r, "content-disposition").starts_with("attachment;"));
    let fc: geojson::FeatureCollection = r.text().unwrap().parse().unwrap();
    assert_eq!(fc.features.len(), 3);
    for (f, rec) in fc.features.iter().zip(records) {
        let p = f.properties.as_ref().unwrap();
        for k in [
            "id",
            "time",
            "verdict",
            "site_area_m2",
            "project",
            "overlaps",
        ] {
            assert_eq!(p[k], rec[k], "{k}");
        }
        assert_eq!(
            serde_json::to_value(f.geometry.as_ref().unwrap()).unwrap(),
            rec["site"]
        );
    }

    let r = s.history("/api/history.csv?verdict=不通过", Some(&bearer()));
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "text/csv; charset=utf-8");
    assert!(header(&r, "content-disposition").contains("planmap-history.csv"));
    let bytes = r.bytes().unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "a UTF-8 BOM for Excel");
    let mut rd = csv::Reader::from_reader(&bytes[3..]);
    let head: Vec<String> = rd.headers().unwrap().iter().map(str::to_string).collect();
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    for (row, rec) in rows.iter().zip(records) {
        assert_eq!(row[col("id")].parse::<i64>().unwrap(), rec["id"]);
        assert_eq!(&row[col("verdict")], rec["verdict"]);
        // Read by serde_json like the listing (its default float reading can differ from
        // Rust's in the last place, the same on both sides).
        assert_eq!(
            serde_json::from_str::<f64>(&row[col("site_area_m2")]).unwrap(),
            rec["site_area_m2"].as_f64().unwrap()
        );
        let overlaps: Value = serde_json::from_str(&row[col("overlaps")]).unwrap();
        assert_eq!(overlaps, rec["overlaps"]);
    }
    let projects: Vec<&str> = rows.iter().map(|r| &r[col("project")]).collect();
    // Newest first; a formula is shown as text.
    assert_eq!(projects, ["a, \"b\"", "'=cmd|' /C calc'!A0", "第一期"]);
}

#[test]
fn a_check_that_cannot_be_recorded_is_not_answered() {
    let db = temp_db("broken.sqlite");
    let s = Server::start(Some(&db), true);
    assert_eq!(s.check("", &farmland_site()).status(), 200);
    // Another program breaks the database under the running server.
    break_database(&db);
    let r = s.check("", &farmland_site());
    assert_eq!(r.status(), 503);
    assert_eq!(header(&r, "retry-after"), "10");
    assert_eq!(header(&r, "planmap-history-id"), "");
    let body: Value = r.json().unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("not answered"),
        "{body}"
    );
    assert!(body.get("verdict").is_none());
}

/// Drops the checks table under the running server, from a connection of its own.
fn break_database(db: &Path) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute_batch("DROP TABLE checks;").unwrap();
}

#[test]
fn records_outlive_a_server_restart() {
    let db = temp_db("restart.sqlite");
    let site = farmland_site();
    let before: Vec<i64> = {
        let s = Server::start(Some(&db), true);
        (0..3)
            .map(|_| id_of(&s.check("?source=web", &site)))
            .collect()
    };
    let s = Server::start(Some(&db), true);
    let list = s.list("");
    let ids: Vec<i64> = list["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, before.iter().rev().copied().collect::<Vec<_>>());
    assert_eq!(id_of(&s.check("", &site)), 4);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
