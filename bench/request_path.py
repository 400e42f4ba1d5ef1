"""The request path: what a check costs a user over HTTP, against the floor of an answer on
this machine, and against PostGIS doing the same work with the same durability.

- The floor: `planmap-bench hello`, a plain axum server (the server's axum and tokio, no
  layers, no work). `GET /api/plan`, a cached farmland tile, a 404 and `POST /api/check` (one
  small site; the floor is `POST /hello` with the same body) measured with wrk (-t1 -c1,
  one connection, no client language in the way): p50 and its overhead over the floor's.
- 1,000 checks by one client in sequence (Python: one keep-alive HTTP connection; one
  psycopg connection): history on, the server's default, against PostGIS's overlap query
  with its audit row inserted in the same transaction at PostgreSQL's defaults (fsync,
  synchronous_commit, full_page_writes on); history off against the query alone.
- 8 client processes sharing the 1,000 checks (history on; 8 PostgreSQL connections doing
  query + audit row): checks/s and p99.

Repeats are interleaved (planmap, then PostGIS, each repeat) so that a busy moment of the
machine falls on both. Every check is verified: 200 and one audit row a PostGIS check.
"""

import http.client
import json
import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import shapely

import common
import http_client
import pg

LUA = Path(__file__).resolve().parent / "wrk_stats.lua"
CLIENTS = 8


def wrk(port, path, seconds, body=None):
    """wrk -t1 -c1 for `seconds` on `path` (a POST of the file `body` when given)."""
    env = {k: v for k, v in os.environ.items() if k != "WRK_BODY"}
    if body:
        env["WRK_BODY"] = str(body)
    out = subprocess.run(["wrk", "-t1", "-c1", f"-d{seconds}s", "-s", str(LUA),
                          f"http://127.0.0.1:{port}{path}"],
                         capture_output=True, text=True, check=True, env=env).stdout
    r = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
    if r["socket_errors"]:
        raise SystemExit(f"bench: wrk {path}: {r['socket_errors']} socket errors")
    r["per_s"] = r["requests"] / (r["duration_us"] / 1e6)
    return r


def status_of(port, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request(method, path, body=body, headers={"Content-Type": "application/geo+json"})
    r = c.getresponse()
    r.read()
    return r.status


def parallel(n, setup, call, items):
    """`n` client processes share `items` (every n-th one each); each makes its connection
    (`setup()`), then all start together and `call(state, item)` for each of theirs in turn.
    (wall s from the common start to the last answer, every latency in ms)."""
    ctx = multiprocessing.get_context("fork")
    start, results = ctx.Barrier(n + 1), ctx.Queue()

    def client(k):
        try:
            state = setup()
            start.wait()
            lat = []
            for item in items[k::n]:
                t = time.perf_counter()
                call(state, item)
                lat.append((time.perf_counter() - t) * 1e3)
            results.put(lat)
        except BaseException as e:  # noqa: BLE001 — reported to the parent, which fails
            start.abort()
            results.put(f"client {k}: {e!r}")

    procs = [ctx.Process(target=client, args=(k,)) for k in range(n)]
    for p in procs:
        p.start()
    start.wait()
    t0 = time.perf_counter()
    got = [results.get() for _ in procs]
    wall = time.perf_counter() - t0
    for p in procs:
        p.join()
    errors = [g for g in got if isinstance(g, str)]
    if errors:
        raise SystemExit(f"bench: {errors[0]}")
    return wall, [x for lat in got for x in lat]


def concurrent_summary(wall, lat):
    s = common.summarise(lat)
    return {"checks_per_s": len(lat) / wall, "wall_s": wall, "p50_ms": s["p50_ms"],
            "p99_ms": s["p99_ms"], "max_ms": s["max_ms"]}


def http_clients(port, bodies):
    def setup():
        return http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(conn, body):
        status, _ = http_client.post(conn, "/api/check", body)
        if status not in (200, 422):  # 422: a site outside the county, as in sequence
            raise RuntimeError(f"POST /api/check answered {status}")

    return parallel(CLIENTS, setup, call, bodies)


def pg_clients(cluster, plan, wkbs):
    def setup():
        return pg.Audited(cluster.connect("wenshui"), plan)

    return parallel(CLIENTS, setup, lambda aud, wkb: aud.check(wkb), [w for _, w in wkbs])


def pg_sequence(aud, wkbs):
    times, records = [], {}
    for sid, wkb in wkbs:
        t = time.perf_counter()
        records[sid] = aud.check(wkb)
        times.append((time.perf_counter() - t) * 1e3)
    return common.summarise(times), records


def history_rows(path):
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM checks").fetchone()[0]


def run(ctx, tile_path):
    """Every figure of the request path; `ctx` carries the run's binaries, plan, sites,
    PostGIS cluster and connection. Returns them, and PostGIS's audited records."""
    out = ctx["out"] / "request-path"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    R, plan, sites, sites_doc = ctx["repeat"], ctx["plan"], ctx["sites"], ctx["sites_doc"]
    bodies = [json.dumps(f["geometry"]) for f in sites_doc["features"]]
    wkbs = [(sid, shapely.to_wkb(s)) for sid, s in sites]
    res = {"clients": CLIENTS, "wrk_seconds": ctx["wrk_seconds"]}

    # -- the floor and each endpoint's overhead over it ---------------------------------
    body = out / "site.geojson"
    body.write_text(bodies[0])
    hello = http_client.Hello(ctx["bench_bin"])
    history_db = out / "history.sqlite"
    first = sites_doc["features"][0]["geometry"]
    server_off = http_client.Server(ctx["planmap_bin"], ctx["data"], first)
    server_on = http_client.Server(ctx["planmap_bin"], ctx["data"], first, history=history_db)
    res["history_settings"] = server_on.settings
    try:
        for s in (server_off, server_on):
            s.wait_scan()
        off = server_off.port
        targets = {
            "hello GET": (hello.port, "/hello", None, 200),
            "hello POST (a site's body)": (hello.port, "/hello", body, 200),
            "GET /api/plan": (off, "/api/plan", None, 200),
            "GET cached tile": (off, tile_path, None, 200),
            "GET 404 (unknown layer's tile)": (off, "/tiles/nope/14/13326/6200.pbf", None, 404),
            "POST /api/check, history off": (off, "/api/check", body, 200),
            "POST /api/check, history on": (server_on.port, "/api/check", body, 200),
        }
        for name, (port, path, b, want) in targets.items():
            got = status_of(port, "POST" if b else "GET", path, b and b.read_bytes())
            if got != want:
                raise SystemExit(f"bench: {name} {path} answered {got}, not {want}")
        # Rounds of every target in turn: each endpoint is set against the floor measured
        # in the same round, moments apart (a busy machine moves both).
        res["endpoints"] = {name: [] for name in targets}
        res["rounds"] = ctx["wrk_rounds"]
        for _ in range(ctx["wrk_rounds"]):
            for name, (port, path, b, _) in targets.items():
                res["endpoints"][name].append(wrk(port, path, ctx["wrk_seconds"], b))
        hello.stop()

        # -- one client in sequence: history off / query alone, history on / audited ----
        conn = ctx["pg_conn"]
        pg.create_audit(conn)
        res["postgres"] = pg.durable(conn, True)
        aud = pg.Audited(conn, plan)
        seq = {"off": [], "query": [], "on": [], "audited": []}
        conc = {"on": [], "audited": []}
        records = None
        before = history_rows(history_db)
        for r in range(R):
            runs, _ = http_client.check_sites(server_off, sites_doc, plan, 1)
            seq["off"] += runs
            runs, _ = pg.run_sites(conn, plan, sites, 1)
            seq["query"] += runs
            runs, _ = http_client.check_sites(server_on, sites_doc, plan, 1)
            seq["on"] += runs
            run_, recs = pg_sequence(aud, wkbs)
            seq["audited"].append(run_)
            records = records or recs
            conc["on"].append(concurrent_summary(*http_clients(server_on.port, bodies)))
            conc["audited"].append(concurrent_summary(*pg_clients(ctx["cluster"], plan, wkbs)))
        res["sequential"], res["concurrent"] = seq, conc
        recorded = history_rows(history_db) - before
        audited = conn.execute("SELECT count(*) FROM audit").fetchone()[0]
        answered = 2 * R * sum(1 for r in records.values() if "error" not in r)
        res["rows"] = {"planmap_history": recorded, "postgis_audit": audited}
        if recorded != answered or audited != answered:
            ctx["results"]["failures"].append(
                f"request path: {recorded} checks recorded by planmap and {audited} audit rows "
                f"by PostGIS, {answered} expected (the sites in the county, 1 and "
                f"{CLIENTS} clients, {R}×)")
        pg.durable(conn, False)
    finally:
        for s in (hello, server_off, server_on):
            s.stop()
    return res, records
