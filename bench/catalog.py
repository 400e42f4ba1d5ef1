"""Step 8 of `make bench`: the region's catalog of plans (`planmap-datagen region`: 34
counties of Taiyuan, Jinzhong and Lüliang, Wenshui among them) served by one `planmap serve`.

  - each plan's load: the first request to a cold plan (`GET /plans/{id}/api/plan`, which
    loads it), the process's RSS growth across it and the plan's `memory_bytes`;
  - RSS with every plan loaded, against a second server under `--max-memory` that has been
    asked for every plan in turn;
  - a check's p50 at the catalog's root (the default plan, Wenshui) against the single-plan
    server on Wenshui's folder, both up at once and asked in alternating rounds of the bench's
    sites (same run, same machine).
Also runs alone: `bench/compare.py --only-catalog`.
"""

import http.client
import json
import subprocess
import tempfile
import threading
import time

import common
import http_client
import request_path


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


class Serve:
    """`planmap --data D serve EXTRA…` on a free port (no history: the check alone)."""

    def __init__(self, binary, data, extra=()):
        self.proc = subprocess.Popen(
            [binary, "--data", str(data), "serve", "--addr", "127.0.0.1:0", "--no-history",
             *extra],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={"RUST_LOG": "warn", "PATH": "/usr/bin:/bin"})
        self.port = http_client.listening(self.proc, "planmap serve")
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)

    def get(self, path):
        self.conn.request("GET", path)
        r = self.conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise SystemExit(f"bench: GET {path}: HTTP {r.status} {body[:200]!r}")
        return json.loads(body)

    def rss(self):
        return rss_mb(self.proc.pid)

    def stop(self):
        http_client.Server.stop(self)


def loads(server, ids):
    """Each plan's first request (it loads the plan): seconds and RSS growth, MB. Plans
    loaded already (a check near a county line loads the neighbour) are left out."""
    out = {}
    cold = {p["id"] for p in server.get("/api/plans")["plans"] if not p["loaded"]}
    for pid in [i for i in ids if i in cold]:
        before = server.rss()
        t = time.perf_counter()
        server.get(f"/plans/{pid}/api/plan")
        s = time.perf_counter() - t
        out[pid] = {"first_request_s": s, "rss_growth_mb": server.rss() - before}
    for p in server.get("/api/plans")["plans"]:
        if p["id"] in out:
            out[p["id"]]["memory_mb"] = (p["memory_bytes"] or 0) / 2**20
    return out


def check_p50(servers, sites_doc, rounds):
    """p50 ms of `POST /api/check` of every site, for each server, rounds alternating."""
    bodies = [json.dumps(f["geometry"]) for f in sites_doc["features"]]
    runs = {name: [] for name in servers}
    for _ in range(rounds):
        for name, s in servers.items():
            times = []
            for b in bodies:
                t = time.perf_counter()
                status, _ = http_client.post(s.conn, "/api/check", b)
                times.append((time.perf_counter() - t) * 1e3)
                if status != 200 and status != 422:
                    raise SystemExit(f"bench: check on {name}: HTTP {status}")
            runs[name].append(common.summarise(times)["p50_ms"])
    return runs


def across(server, sites_doc):
    """How many of the sites the catalog's root answers with more than one plan (a site on a
    county line is checked by each plan it covers: real extra work), and one site that only
    Wenshui's plan answers."""
    n, inside = 0, None
    for f in sites_doc["features"]:
        body = json.dumps(f["geometry"])
        status, answer = http_client.post(server.conn, "/api/check", body)
        plans = json.loads(answer).get("plans", []) if status == 200 else []
        if len(plans) > 1:
            n += 1
        elif len(plans) == 1 and inside is None:
            inside = body
    return n, inside


def check_wrk(servers, body, rounds, seconds=2):
    """p50 µs of `POST /api/check` of one site, wrk -t1 -c1 (a client far cheaper than the
    server), for each server, rounds alternating."""
    with tempfile.NamedTemporaryFile("w", suffix=".geojson") as f:
        f.write(body)
        f.flush()
        runs = {name: [] for name in servers}
        for _ in range(rounds):
            for name, s in servers.items():
                runs[name].append(request_path.wrk(s.port, "/api/check", seconds, f.name)["p50_us"])
    return runs


def run(planmap_bin, region, wenshui, sites_doc, repeat, budget_mb):
    res = {"region": str(region), "budget_mb": budget_mb}
    cat = Serve(planmap_bin, region, ["--default-plan", "wenshui"])
    one = Serve(planmap_bin, wenshui)
    try:
        res["rss_start_mb"] = cat.rss()
        ids = [p["id"] for p in cat.get("/api/plans")["plans"]]
        res["plans"] = len(ids)
        res["check_p50_ms"] = check_p50({"catalog": cat, "single": one}, sites_doc, repeat)
        res["sites"] = len(sites_doc["features"])
        res["sites_across"], inside = across(cat, sites_doc)
        if inside is not None:
            res["check_wrk_p50_us"] = check_wrk({"catalog": cat, "single": one}, inside,
                                                max(repeat, 3))
        res["single_rss_mb"] = one.rss()
        res["per_plan"] = loads(cat, [i for i in ids if i != "wenshui"])
        res["rss_all_loaded_mb"] = cat.rss()
        res["check_p50_all_loaded_ms"] = check_p50({"catalog": cat}, sites_doc, 1)["catalog"]
    finally:
        cat.stop()
        one.stop()
    cap = Serve(planmap_bin, region, ["--default-plan", "wenshui", "--max-memory", f"{budget_mb}MB"])
    try:
        for pid in ids + ids:
            cap.get(f"/plans/{pid}/api/plan")
        listed = cap.get("/api/plans")["plans"]
        res["budget_loaded"] = sum(1 for p in listed if p["loaded"])
        res["budget_memory_mb"] = sum((p["memory_bytes"] or 0) for p in listed) / 2**20
        res["rss_budget_mb"] = cap.rss()
        # The cold request after eviction: the first plan asked again.
        t = time.perf_counter()
        cap.get(f"/plans/{ids[0]}/api/plan")
        res["reload_after_eviction_s"] = time.perf_counter() - t
    finally:
        cap.stop()
    return res


def lines(c):
    """The table rows of step 8."""
    if not c:
        return []
    from report import _cell, _fmt, _grid, _med
    per = c["per_plan"].values()
    first = [p["first_request_s"] * 1e3 for p in per]
    growth = [p["rss_growth_mb"] for p in per]
    mem = [p["memory_mb"] for p in per]
    cat, one = c["check_p50_ms"]["catalog"], c["check_p50_ms"]["single"]
    rows = [(f"catalog of {c['plans']} plans (one `planmap serve`; {len(first)} loaded cold)",
             "median", "min", "max", "")]
    rows.append(("first request to a cold plan (loads it), ms", _fmt(_med(first)),
                 _fmt(min(first)), _fmt(max(first)), ""))
    rows.append(("  RSS growth per plan loaded, MB", _fmt(_med(growth)), _fmt(min(growth)),
                 _fmt(max(growth)), ""))
    rows.append(("  memory_bytes per plan, MB", _fmt(_med(mem)), _fmt(min(mem)), _fmt(max(mem)), ""))
    rows.append(("RSS MB: at start (Wenshui loaded) / all loaded",
                 f"{_fmt(c['rss_start_mb'])} / {_fmt(c['rss_all_loaded_mb'])}", "", "", ""))
    rows.append((f"  under --max-memory {c['budget_mb']}MB after asking every plan twice",
                 _fmt(c["rss_budget_mb"]),
                 f"{c['budget_loaded']} loaded", f"{_fmt(c['budget_memory_mb'])} MB held", ""))
    rows.append(("  a plan asked again after its eviction, ms",
                 _fmt(c["reload_after_eviction_s"] * 1e3), "", "", ""))
    rows.append(("check p50 ms: catalog root / single-plan server", f"{_cell(cat)} / {_cell(one)}",
                 "", "", f"catalog÷single {_fmt(_med(cat) / _med(one), 2)}"))
    rows.append(("  with every plan loaded", _cell(c["check_p50_all_loaded_ms"]), "", "", ""))
    rows.append(("  sites the catalog checks by two plans (on a county line)",
                 f"{c.get('sites_across', '–')} of {c.get('sites', '–')}", "", "", ""))
    if c.get("check_wrk_p50_us"):
        wc, wo = c["check_wrk_p50_us"]["catalog"], c["check_wrk_p50_us"]["single"]
        rows.append(("check p50 µs, a site in one county (wrk -t1 -c1): catalog / single",
                     f"{_cell(wc)} / {_cell(wo)}", "", "", f"catalog÷single {_fmt(_med(wc) / _med(wo), 2)}"))
    return ["", "the region's catalog (bench/catalog.py; the same sites, both servers up, rounds "
                "alternating)"] + _grid(rows)
