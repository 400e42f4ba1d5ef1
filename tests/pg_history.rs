//! One audit trail behind a load balancer (issue 14): a throwaway PostgreSQL + PostGIS
//! cluster, two `planmap serve --db` replicas (stateless: the plans and the check history in the
//! database) and Debian's nginx in front, all started here on loopback ports.
//!
//! The spread test balances round robin: the deployment's `hash $plan consistent` sends every
//! request of one plan (here the only one, Wenshui) to one replica — that stickiness is
//! checked on its own — so a test that wants one plan's checks on both replicas asks nginx to
//! balance them. Every record is read back with `psql`, not with planmap's own code; which
//! replica answered is nginx's `X-Upstream` header.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use planmap_testenv::{Balance, Nginx, PgCluster, Replica};
use planmap_tests::{data_dir, planmap_bin, record_ids, rect_geojson};
use serde_json::Value;

const TOKEN: &str = "pg-history-test-token-0123456789";

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// A cluster with database `county` initialised by `planmap db init`, Wenshui's plan loaded
/// into it by `planmap db load`.
fn database() -> (PgCluster, String) {
    let pg = PgCluster::start().unwrap_or_else(|e| panic!("the test's PostgreSQL: {e}"));
    pg.create_database("county").unwrap();
    let url = pg.url("county");
    let wenshui = data_dir();
    for args in [
        vec!["db", "init", "--db", &url],
        vec!["db", "load", wenshui.to_str().unwrap(), "--db", &url],
    ] {
        let o = std::process::Command::new(planmap_bin())
            .args(&args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    (pg, url)
}

/// `planmap serve --db URL`: a stateless replica, the plans and the history in the database,
/// with the keeper's token.
fn replica(url: &str) -> Replica {
    Replica::start(
        &planmap_bin(),
        None,
        &["--db", url, "--shutdown-grace", "0"],
        &[("PLANMAP_ADMIN_TOKEN", TOKEN)],
    )
    .unwrap_or_else(|e| panic!("a replica: {e}"))
}

/// A small site in the county, a different one for each `i`.
fn site(i: usize) -> String {
    let x = 112.05 + (i % 40) as f64 * 0.002;
    let y = 37.40 + (i / 40 % 50) as f64 * 0.002;
    rect_geojson(x, y, x + 0.0008, y + 0.0006)
}

/// An answered check: its record id, the project its client sent, the verdict it was told,
/// the replica nginx names last in `X-Upstream` (the one that answered).
#[derive(Debug, Clone)]
struct Ack {
    id: i64,
    project: String,
    verdict: String,
    upstream: String,
}

/// Posts check `i` (project `{tag}-{i}`) to `base`: `Ok(ack)` for a 200, else the status
/// and `Retry-After` (`Err(None)`: no answer at all).
fn check(
    c: &reqwest::blocking::Client,
    base: &str,
    tag: &str,
    i: usize,
) -> Result<Ack, Option<(u16, String)>> {
    let project = format!("{tag}-{i}");
    let r = c
        .post(format!("{base}/api/check?project={project}"))
        .body(site(i))
        .send()
        .map_err(|_| None)?;
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let status = r.status().as_u16();
    if status != 200 {
        return Err(Some((status, header("retry-after"))));
    }
    let id = header("planmap-history-id")
        .parse()
        .expect("a 200 check names its record");
    let upstream = header("x-upstream")
        .rsplit(", ")
        .next()
        .unwrap_or("")
        .to_string();
    let verdict = r
        .json::<Value>()
        .ok()
        .and_then(|v| v["verdict"].as_str().map(str::to_string))
        .unwrap_or_default();
    Ok(Ack {
        id,
        project,
        verdict,
        upstream,
    })
}

/// Every row of planmap.checks as psql prints it: id → (project, verdict).
fn rows(pg: &PgCluster) -> HashMap<i64, (String, String)> {
    let out = pg
        .psql(
            "county",
            "SELECT id, project, verdict FROM planmap.checks ORDER BY id",
        )
        .unwrap();
    out.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('|').collect();
            (f[0].parse().unwrap(), (f[1].to_string(), f[2].to_string()))
        })
        .collect()
}

/// Every acknowledged check has its row, with the project its client sent and the verdict
/// it was told.
fn assert_recorded(acks: &[Ack], rows: &HashMap<i64, (String, String)>) {
    let mut ids = HashSet::new();
    for a in acks {
        assert!(ids.insert(a.id), "id {} answered twice", a.id);
        let (project, verdict) = rows
            .get(&a.id)
            .unwrap_or_else(|| panic!("answered check {a:?} has no row"));
        assert_eq!(project, &a.project, "{a:?}");
        if !a.verdict.is_empty() {
            assert_eq!(verdict, &a.verdict, "{a:?}");
        }
    }
}

fn history(base: &str, query: &str) -> reqwest::blocking::Response {
    client()
        .get(format!("{base}/api/history{query}"))
        .bearer_auth(TOKEN)
        .send()
        .unwrap()
}

fn total(base: &str, query: &str) -> u64 {
    let r = history(base, query);
    assert_eq!(r.status(), 200, "{base}/api/history{query}");
    r.json::<Value>().unwrap()["total"].as_u64().unwrap()
}

/// Posts checks (project `{tag}-{i}`) through `base` until `stop`, sending every answer
/// on `tx`; returns the other outcomes (status and Retry-After; 0: no answer).
fn poster(
    base: String,
    tag: String,
    stop: Arc<AtomicBool>,
    tx: mpsc::Sender<Ack>,
) -> Vec<(u16, String)> {
    let c = client();
    let mut other = Vec::new();
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        match check(&c, &base, &tag, i) {
            Ok(a) => {
                if tx.send(a).is_err() {
                    break;
                }
            }
            Err(e) => {
                other.push(e.unwrap_or((0, String::new())));
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        i += 1;
    }
    other
}

/// `n` clients posting checks through `base` until [`Load::finish`].
struct Load {
    stop: Arc<AtomicBool>,
    rx: mpsc::Receiver<Ack>,
    threads: Vec<std::thread::JoinHandle<Vec<(u16, String)>>>,
}

impl Load {
    fn start(base: &str, tag: &str, n: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel();
        let threads = (0..n)
            .map(|k| {
                let (base, stop, tx) = (base.to_string(), stop.clone(), tx.clone());
                let tag = format!("{tag}{k}");
                std::thread::spawn(move || poster(base, tag, stop, tx))
            })
            .collect();
        Load { stop, rx, threads }
    }

    /// Waits for answers until `acks` holds `n` (each within 60 s).
    fn until(&self, acks: &mut Vec<Ack>, n: usize) {
        while acks.len() < n {
            acks.push(
                self.rx
                    .recv_timeout(Duration::from_secs(60))
                    .expect("checks answered"),
            );
        }
    }

    /// Stops the clients; adds the answers not yet taken to `acks`; returns the other
    /// outcomes.
    fn finish(self, acks: &mut Vec<Ack>) -> Vec<(u16, String)> {
        self.stop.store(true, Ordering::Relaxed);
        let others = self
            .threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        acks.extend(self.rx.try_iter());
        others
    }
}

#[test]
fn a_thousand_checks_through_nginx_are_one_history() {
    let (pg, url) = database();
    let (a, b) = (replica(&url), replica(&url));
    let upstreams = [a.addr().to_string(), b.addr().to_string()];
    let nginx = Nginx::start(&upstreams, Balance::RoundRobin).unwrap();
    let base = nginx.url();

    // Four clients, 250 checks each.
    let started = Instant::now();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let base = base.clone();
            std::thread::spawn(move || {
                let c = client();
                (0..250)
                    .map(|i| {
                        check(&c, &base, &format!("a{t}"), t * 250 + i)
                            .unwrap_or_else(|e| panic!("check {t}/{i}: {e:?}"))
                    })
                    .collect::<Vec<Ack>>()
            })
        })
        .collect();
    let acks: Vec<Ack> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert_eq!(acks.len(), 1000);
    // Information only (speed is the bench's): how long the 1,000 took here.
    eprintln!("1,000 checks through nginx in {:.2?}", started.elapsed());
    let mut per_replica: HashMap<&str, usize> = HashMap::new();
    for a in &acks {
        *per_replica.entry(a.upstream.as_str()).or_default() += 1;
    }
    eprintln!("checks per replica: {per_replica:?}");
    for u in &upstreams {
        assert!(
            per_replica.get(u.as_str()).copied().unwrap_or(0) > 0,
            "{per_replica:?}"
        );
    }

    // One table holds all of them, read with psql.
    let rows = rows(&pg);
    assert_eq!(rows.len(), 1000);
    assert_recorded(&acks, &rows);
    let geoms = pg
        .psql(
            "county",
            "SELECT count(*) FROM planmap.checks WHERE ST_SRID(geom) = 4326 \
             AND ST_GeometryType(geom) IN ('ST_Polygon', 'ST_MultiPolygon')",
        )
        .unwrap();
    assert_eq!(geoms, "1000", "every site is a geometry for QGIS");

    // Either replica lists the same 1,000: one audit trail.
    for r in [&a, &b] {
        assert_eq!(total(r.url(), ""), 1000);
        assert_eq!(total(r.url(), "?plan=wenshui"), 1000);
        assert_eq!(total(r.url(), "?plan=elsewhere"), 0);
        let csv = client()
            .get(format!("{}/api/history.csv", r.url()))
            .bearer_auth(TOKEN)
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert_eq!(csv.trim_end().lines().count(), 1001, "header + 1,000 rows");
    }
    // The newest first, the same page on both.
    let page =
        |r: &Replica| -> Vec<i64> { record_ids(&history(r.url(), "?limit=20").json().unwrap()) };
    assert_eq!(page(&a), page(&b));
    let geojson: Value = client()
        .get(format!("{}/api/history.geojson?limit=5", b.url()))
        .bearer_auth(TOKEN)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(geojson["features"].as_array().unwrap().len(), 5);

    // A check retried with its key on the other replica is the first one's record.
    let keyed = |r: &Replica| {
        let resp = client()
            .post(format!(
                "{}/api/check?check_key=retried-check-0001",
                r.url()
            ))
            .body(site(5000))
            .send()
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.headers()["planmap-history-id"]
            .to_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(keyed(&a), keyed(&b));
    let n = pg
        .psql(
            "county",
            "SELECT count(*) FROM planmap.checks WHERE check_key = 'retried-check-0001'",
        )
        .unwrap();
    assert_eq!(n, "1");

    // The deployment's balancing: one plan's requests stay on one replica.
    let sticky = Nginx::start(&upstreams, Balance::PlanHash).unwrap();
    let mut seen = HashSet::new();
    for _ in 0..20 {
        let r = client()
            .get(format!("{}/api/plan", sticky.url()))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
        seen.insert(r.headers()["x-upstream"].to_str().unwrap().to_string());
    }
    assert_eq!(seen.len(), 1, "hash $plan consistent: {seen:?}");
}

#[test]
fn a_replica_killed_mid_run_loses_no_answered_check() {
    let (pg, url) = database();
    let (mut a, mut b) = (replica(&url), replica(&url));
    let upstreams = [a.addr().to_string(), b.addr().to_string()];
    let nginx = Nginx::start(&upstreams, Balance::RoundRobin).unwrap();
    let load = Load::start(&nginx.url(), "b", 3);
    let mut acks: Vec<Ack> = Vec::new();
    load.until(&mut acks, 100);
    assert!(acks.iter().any(|x| x.upstream == upstreams[0]));
    // SIGKILL while the clients go on.
    a.kill();
    let killed_at = acks.len();
    load.until(&mut acks, killed_at + 150);
    let others = load.finish(&mut acks);
    // At most the checks in flight on the killed replica went unanswered (nginx does not
    // resend a check it had sent): a 502 each.
    eprintln!("unanswered during the kill: {others:?}");
    assert!(others.len() <= 3 * 2, "{others:?}");
    assert!(others.iter().all(|(s, _)| *s == 502), "{others:?}");
    // After the kill, nginx routed every check to the survivor.
    let after = &acks[killed_at + 10..];
    assert!(
        after.iter().all(|x| x.upstream == upstreams[1]),
        "{:?}",
        after.iter().map(|x| &x.upstream).collect::<HashSet<_>>()
    );
    assert!(b.alive(), "{}", b.log());

    let rows = rows(&pg);
    assert_recorded(&acks, &rows);
    // A row may outnumber the answers only by checks committed but cut off by the kill.
    assert!(rows.len() >= acks.len() && rows.len() <= acks.len() + 6);
    assert_eq!(total(b.url(), ""), rows.len() as u64);
}

/// The tile of the county layer at zoom 10 holding the county's middle.
fn tile_path() -> String {
    let (lon, lat) = (112.15_f64, 37.45_f64);
    let n = 2f64.powi(10);
    let x = ((lon + 180.0) / 360.0 * n).floor();
    let y = ((1.0 - lat.to_radians().tan().asinh() / std::f64::consts::PI) / 2.0 * n).floor();
    format!("/tiles/county/10/{x}/{y}.pbf")
}

/// Asks until `ok` holds of the answer to `path` (GET) or 30 s have passed.
fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ok() {
        assert!(Instant::now() < deadline, "{what} within 30 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn postgres_stopped_and_started_under_load() {
    let (mut pg, url) = database();
    let (mut a, mut b) = (replica(&url), replica(&url));
    let upstreams = [a.addr().to_string(), b.addr().to_string()];
    let nginx = Nginx::start(&upstreams, Balance::RoundRobin).unwrap();
    let base = nginx.url();
    let load = Load::start(&base, "c", 2);
    let mut acks: Vec<Ack> = Vec::new();
    load.until(&mut acks, 50);

    pg.stop().unwrap();
    let c = client();
    // Checks: 503 with Retry-After: 2, no verdict, no record id.
    let mut probe = 100_000;
    wait_for("a check answered 503", || {
        probe += 1;
        let r = c
            .post(format!("{base}/api/check"))
            .body(site(probe))
            .send()
            .unwrap();
        if r.status() != 503 {
            return false;
        }
        assert_eq!(r.headers()["retry-after"], "2");
        assert!(r.headers().get("planmap-history-id").is_none());
        let body: Value = r.json().unwrap();
        assert!(body.get("verdict").is_none(), "{body}");
        assert!(
            body["error"].as_str().unwrap().contains("not answered"),
            "{body}"
        );
        true
    });
    // Maps, tiles and the plan are served from the loaded snapshot; the history and
    // readiness say the database is away.
    for path in [tile_path(), "/api/plan".into(), "/style.json".into()] {
        let r = c.get(format!("{base}{path}")).send().unwrap();
        assert_eq!(r.status(), 200, "{path} while PostgreSQL is stopped");
    }
    for r in [&a, &b] {
        let h = history(r.url(), "");
        assert_eq!(h.status(), 503);
        assert_eq!(h.headers()["retry-after"], "2");
        let ready = c.get(format!("{}/readyz", r.url())).send().unwrap();
        assert_eq!(ready.status(), 503);
        let live = c.get(format!("{}/healthz", r.url())).send().unwrap();
        assert_eq!(live.status(), 200);
    }
    // The load goes on for a while against the stopped database.
    std::thread::sleep(Duration::from_secs(2));

    pg.start_server().unwrap();
    wait_for("both replicas ready again", || {
        [&a, &b].iter().all(|r| {
            c.get(format!("{}/readyz", r.url()))
                .send()
                .is_ok_and(|x| x.status() == 200)
        })
    });
    let resumed = acks.len();
    load.until(&mut acks, resumed + 50);
    let others = load.finish(&mut acks);
    eprintln!(
        "{} checks answered, {} refused while PostgreSQL was away",
        acks.len(),
        others.len()
    );
    assert!(!others.is_empty(), "the posters met the outage");
    assert!(
        others.iter().all(|(s, r)| *s == 503 && r == "2"),
        "{others:?}"
    );
    assert!(a.alive(), "{}", a.log());
    assert!(b.alive(), "{}", b.log());
    assert_recorded(&acks, &rows(&pg));
}

#[test]
fn serve_without_its_database_stops_at_start_with_one_line() {
    let pg = PgCluster::start().unwrap_or_else(|e| panic!("the test's PostgreSQL: {e}"));
    pg.create_database("bare").unwrap();
    let start = |url: &str| {
        let e = match Replica::start(&planmap_bin(), None, &["--db", url], &[]) {
            Ok(_) => panic!("serve --db {url} started"),
            Err(e) => e,
        };
        let errors: Vec<&str> = e
            .lines()
            .filter(|l| l.starts_with("planmap:") && !l.contains("warning"))
            .collect();
        assert_eq!(errors.len(), 1, "{e}");
        errors[0].to_string()
    };
    // Not initialised: the database named, and what to run.
    let port = pg.port();
    let e = start(&pg.url("bare"));
    assert!(
        e.contains(&format!("postgres@127.0.0.1:{port}/bare")),
        "{e}"
    );
    assert!(e.contains("planmap db init"), "{e}");
    // Nothing listening: named without its password.
    let e = start("postgres://keeper:s3cret-pw@127.0.0.1:1/county");
    assert!(e.contains("keeper@127.0.0.1:1/county"), "{e}");
    assert!(!e.contains("s3cret-pw"), "{e}");
}

#[test]
fn serve_with_db_wait_starts_once_its_database_comes() {
    let (mut pg, url) = database();
    pg.stop().unwrap();
    // A short wait runs out: the same one line as without one, naming the database.
    let e = match Replica::start(&planmap_bin(), None, &["--db", &url, "--db-wait", "1"], &[]) {
        Ok(_) => panic!("serve --db started with its database stopped"),
        Err(e) => e,
    };
    let port = pg.port();
    let errors: Vec<&str> = e.lines().filter(|l| l.starts_with("planmap:")).collect();
    assert_eq!(errors.len(), 1, "{e}");
    assert!(
        errors[0].contains(&format!("127.0.0.1:{port}/county")),
        "{e}"
    );

    // A long one: the replica starts once PostgreSQL does, and its first check is recorded.
    let starting = {
        let url = url.clone();
        std::thread::spawn(move || {
            Replica::start(
                &planmap_bin(),
                None,
                &["--db", &url, "--db-wait", "120", "--shutdown-grace", "0"],
                &[("PLANMAP_ADMIN_TOKEN", TOKEN)],
            )
        })
    };
    std::thread::sleep(Duration::from_secs(2));
    assert!(!starting.is_finished(), "the start did not wait");
    pg.start_server().unwrap();
    let r = starting
        .join()
        .unwrap()
        .unwrap_or_else(|e| panic!("a replica waiting for its database: {e}"));
    let log = r.log();
    assert_eq!(
        log.matches("waiting up to 120 s for the database").count(),
        1,
        "{log}"
    );
    let ack = check(&client(), r.url(), "waited", 1).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(rows(&pg)[&ack.id].0, "waited-1");
}
