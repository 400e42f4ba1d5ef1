"""Step 11 of `make bench`: planmap on the PostgreSQL/PostGIS store (`serve --db`), against
the same server on the plan folder, in one run on one machine. The cluster keeps
PostgreSQL's durability defaults (fsync, synchronous_commit, full_page_writes on) and lives on
the disk OUT is on, as the SQLite history does.

  - `db load` of Wenshui's folder, and a cold start (process start → first check answered)
    from the database against one from the folder;
  - a check's p50 from a database-backed plan against a folder-backed one (history off in
    both: the plan's backing alone), wrk -t1 -c1 on one site and a Python client over the
    bench's sites, rounds alternating;
  - history on (each server's default store: SQLite beside the folder, PostgreSQL with
    --db): checks/s by wrk -t2 -c8 and p50 by wrk -t1 -c1;
  - nginx in front of 1 and of 2 replicas: checks/s by wrk -t2 -c16 (history on in
    PostgreSQL, checks spread by least_conn);
  - a layer imported through replica A, served by replica B (LISTEN/NOTIFY): ms from A's
    answer until B's check shows it.
Also runs alone: `bench/compare.py --only-replicas`.
"""

import json
import os
import subprocess
import tempfile
import threading
import time

import catalog
import common
import http_client
import pg
import publish_bench

LUA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wrk_stats.lua")
TOKEN = "bench-replicas-token-0123456789"


def wrk(port, path, threads, conns, seconds, body):
    """wrk -tT -cC for `seconds` POSTing the file `body` to `path`: its figures, per_s."""
    env = dict(os.environ, WRK_BODY=str(body))
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "-s", LUA,
                          f"http://127.0.0.1:{port}{path}"],
                         capture_output=True, text=True, check=True, env=env).stdout
    r = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
    if r["socket_errors"] or r["non_2xx_3xx"]:
        raise SystemExit(f"bench: wrk {path}: {r['socket_errors']} socket errors, "
                         f"{r['non_2xx_3xx']} non-2xx answers")
    r["per_s"] = r["requests"] / (r["duration_us"] / 1e6)
    return r


class Replica:
    """`planmap serve` from the database (`db` a URL) or from a folder (`data`), history as
    `history`: "pg" (with --db, the default there), a SQLite path, or None (off)."""

    def __init__(self, binary, first_site, db=None, data=None, history="pg"):
        cmd = [binary] + (["--data", str(data)] if data else []) + [
            "serve", "--addr", "127.0.0.1:0"]
        if db:
            cmd += ["--db", db]
        if history is None:
            cmd += ["--no-history"]
        elif history != "pg":
            cmd += ["--history", str(history)]
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={"RUST_LOG": "warn", "PATH": "/usr/bin:/bin", "PLANMAP_ADMIN_TOKEN": TOKEN})
        self.port = http_client.listening(self.proc, "planmap serve")
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        self.conn = http_client.Server.connection(self)
        body = json.dumps(first_site)
        while True:
            status, _ = http_client.post(self.conn, "/api/check", body)
            if status == 200:
                break
            time.sleep(0.002)
        self.cold_start_s = time.perf_counter() - self.t0

    def stop(self):
        http_client.Server.stop(self)


def nginx(ports, workdir):
    """nginx (Debian) on a free loopback port in front of `ports`: checks spread by
    least_conn, everything else by `hash $plan consistent` (README, "Serving many
    counties"). (process, port)."""
    servers = "".join(f"    server 127.0.0.1:{p} max_fails=2 fail_timeout=5s;\n" for p in ports)
    return publish_bench.start_nginx(workdir, lambda port: f"""  map $uri $plan {{ ~^/plans/(?<p>[^/]+)/ $p; default default; }}
  upstream by_plan {{ hash $plan consistent;
{servers}    keepalive 32; }}
  upstream any {{ least_conn;
{servers}    keepalive 32; }}
  server {{
    listen 127.0.0.1:{port};
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    location ~ /api/check$ {{ proxy_pass http://any; }}
    location / {{ proxy_pass http://by_plan; }}
  }}""")


def red_line(replica):
    c = replica.conn
    c.request("GET", "/api/plan")
    plan = json.loads(c.getresponse().read())
    layer = next(l["id"] for l in plan["layers"] if l.get("role") == "red_line")
    return layer, plan["center"]


def square(lon, lat, d=0.003):
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d],
                                                [lon, lat + d], [lon, lat]]]}


def propagation(a, b, n=5):
    """ms from an import's answer by A until B's check of the imported square shows it."""
    layer, (lon, lat) = red_line(a)
    out = []
    for i in range(n):
        x = lon + 0.01 * i
        fc = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": f"B{i}", "properties": {"name": f"bench {i}"},
             "geometry": square(x, lat)}]}
        a.conn.request("PUT", f"/api/admin/layers/{layer}", body=json.dumps(fc).encode(),
                       headers={"Authorization": f"Bearer {TOKEN}",
                                "Content-Type": "application/geo+json"})
        r = a.conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise SystemExit(f"bench: import through A: HTTP {r.status} {body[:200]!r}")
        t = time.perf_counter()
        site = json.dumps(square(x, lat))
        while True:
            status, answer = http_client.post(b.conn, "/api/check?source=web", site)
            rep = json.loads(answer) if status == 200 else {}
            if any(o["layer"] == layer for o in rep.get("overlaps", [])):
                break
            if time.perf_counter() - t > 30:
                raise SystemExit("bench: replica B never served the import")
            time.sleep(0.005)
        out.append((time.perf_counter() - t) * 1e3)
    return out


def commit_p50(cluster, n=200):
    """p50 ms of one small INSERT + COMMIT on the cluster (its WAL flush on this disk: the
    machine fact that bounds a check answered after its record's commit)."""
    with cluster.connect("plans") as c:
        # A logged table (a temporary one writes no WAL, so its COMMIT flushes nothing).
        c.execute("CREATE TABLE bench_commit (x text)")
        times = []
        for _ in range(n):
            t = time.perf_counter()
            with c.transaction():
                c.execute("INSERT INTO bench_commit VALUES ('x')")
            times.append((time.perf_counter() - t) * 1e3)
        c.execute("DROP TABLE bench_commit")
    return common.summarise(times)["p50_ms"]


def run(planmap_bin, wenshui, sites_doc, out, repeat, seconds=3):
    res = {}
    cluster = pg.Cluster(out, durable=True)
    cluster.start()
    try:
        cluster.create_db("plans")
        res["pg_commit_p50_ms"] = commit_p50(cluster)
        url = f"postgres://postgres@127.0.0.1:{cluster.port}/plans"
        subprocess.run([planmap_bin, "db", "init", "--db", url], check=True,
                       capture_output=True)
        t = time.perf_counter()
        subprocess.run([planmap_bin, "db", "load", str(wenshui), "--db", url], check=True,
                       capture_output=True)
        res["db_load_s"] = time.perf_counter() - t
        first = sites_doc["features"][0]["geometry"]
        tmp = tempfile.mkdtemp(prefix="replicas-", dir=out)
        body_file = os.path.join(tmp, "site.geojson")
        with open(body_file, "w") as f:
            f.write(json.dumps(first))

        # Cold starts, alternating.
        colds = {"db": [], "folder": []}
        for i in range(max(repeat, 3)):
            for name in colds:
                s = (Replica(planmap_bin, first, db=url, history=None) if name == "db" else
                     Replica(planmap_bin, first, data=wenshui, history=None))
                colds[name].append(s.cold_start_s)
                s.stop()
        res["cold_start_s"] = colds

        # The plan's backing alone (history off in both).
        db = Replica(planmap_bin, first, db=url, history=None)
        folder = Replica(planmap_bin, first, data=wenshui, history=None)
        try:
            res["check_p50_ms"] = catalog.check_p50({"db": db, "folder": folder}, sites_doc, repeat)
            w = {"db": [], "folder": []}
            for _ in range(max(repeat, 3)):
                for name, s in (("db", db), ("folder", folder)):
                    w[name].append(wrk(s.port, "/api/check", 1, 1, seconds, body_file)["p50_us"])
            res["check_wrk_p50_us"] = w
        finally:
            db.stop()
            folder.stop()

        # History on: each server's default store.
        hist = os.path.join(tmp, "history.sqlite")
        db = Replica(planmap_bin, first, db=url)
        folder = Replica(planmap_bin, first, data=wenshui, history=hist)
        try:
            h = {"db": {"per_s": [], "p50_us": []}, "folder": {"per_s": [], "p50_us": []}}
            for _ in range(max(repeat, 3)):
                for name, s in (("db", db), ("folder", folder)):
                    h[name]["per_s"].append(wrk(s.port, "/api/check", 2, 8, seconds, body_file)["per_s"])
                    h[name]["p50_us"].append(wrk(s.port, "/api/check", 1, 1, seconds, body_file)["p50_us"])
            res["history_on"] = h
        finally:
            db.stop()
            folder.stop()

        # nginx in front of 1 and 2 replicas; then an import through A seen by B.
        a = Replica(planmap_bin, first, db=url)
        b = Replica(planmap_bin, first, db=url)
        try:
            n = {"1": [], "2": []}
            for _ in range(max(repeat, 3)):
                for k, ports in (("1", [a.port]), ("2", [a.port, b.port])):
                    proc, port = nginx(ports, out / f"nginx-{k}")
                    try:
                        n[k].append(wrk(port, "/api/check", 2, 16, seconds, body_file)["per_s"])
                    finally:
                        publish_bench.stop_nginx(proc)
            res["nginx_checks_per_s"] = n
            res["import_seen_by_other_ms"] = propagation(a, b)
        finally:
            a.stop()
            b.stop()
        c = cluster.connect("plans")
        res["history_rows"] = c.execute("SELECT count(*) FROM planmap.checks").fetchone()[0]
        c.close()
    finally:
        cluster.stop()
        cluster.remove()
    res["cores"] = common.cpu_count()
    return res


def lines(r):
    """The table rows of step 11."""
    if not r:
        return []
    from report import _cell, _fmt, _grid, _med
    cd, cf = r["cold_start_s"]["db"], r["cold_start_s"]["folder"]
    rows = [("planmap on PostgreSQL (--db) vs the plan folder", "database", "folder",
             "", "ratio")]
    rows.append(("`db load` of Wenshui's folder, s", _fmt(r["db_load_s"]), "", "", ""))
    rows.append(("cold start to the first check, s", _cell(cd), _cell(cf), "",
                 f"db÷folder {_fmt(_med(cd) / _med(cf), 2)}"))
    pd, pf = r["check_p50_ms"]["db"], r["check_p50_ms"]["folder"]
    rows.append(("check p50 ms, the bench's sites (history off in both)", _cell(pd), _cell(pf),
                 "", f"db÷folder {_fmt(_med(pd) / _med(pf), 2)}"))
    wd, wf = r["check_wrk_p50_us"]["db"], r["check_wrk_p50_us"]["folder"]
    rows.append(("check p50 µs, one site, wrk -t1 -c1 (history off)", _cell(wd), _cell(wf), "",
                 f"db÷folder {_fmt(_med(wd) / _med(wf), 2)}"))
    hd, hf = r["history_on"]["db"], r["history_on"]["folder"]
    rows.append(("history on (PostgreSQL / SQLite): checks/s, wrk -t2 -c8",
                 _cell(hd["per_s"]), _cell(hf["per_s"]), "",
                 f"db÷folder {_fmt(_med(hd['per_s']) / _med(hf['per_s']), 2)}"))
    rows.append(("  p50 µs, wrk -t1 -c1", _cell(hd["p50_us"]), _cell(hf["p50_us"]), "",
                 f"db÷folder {_fmt(_med(hd['p50_us']) / _med(hf['p50_us']), 2)}"))
    n1, n2 = r["nginx_checks_per_s"]["1"], r["nginx_checks_per_s"]["2"]
    rows.append(("nginx → 1 / 2 replicas: checks/s, wrk -t2 -c16 (history on, PostgreSQL)",
                 _cell(n1), _cell(n2), "", f"2÷1 {_fmt(_med(n2) / _med(n1), 2)}"))
    imp = r["import_seen_by_other_ms"]
    rows.append(("an import through A served by B (NOTIFY → rebuild), ms",
                 _fmt(_med(imp)), f"{_fmt(min(imp))}–{_fmt(max(imp))}", "", ""))
    return ["", f"planmap on PostgreSQL (bench/replicas.py; {r['cores']} cores; the cluster at "
                "PostgreSQL's durability defaults on OUT's disk, where one INSERT + COMMIT takes "
                f"{_fmt(r['pg_commit_p50_ms'])} ms p50; all processes on this machine)"
            ] + _grid(rows)
