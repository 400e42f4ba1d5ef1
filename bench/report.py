"""The benchmark's table, tile statistics, and Martin (when installed) as a tile peer."""

import shutil
import subprocess
import time
from pathlib import Path

import batch
import common
import http_client
import publish_bench

ROOT = Path(__file__).resolve().parent.parent


def tile_stats(fetched):
    lat, size, wall = fetched
    s = common.summarise(lat)
    return {"tiles_per_s": len(lat) / wall, "p50_ms": s["p50_ms"], "p99_ms": s["p99_ms"],
            "max_ms": s["max_ms"], "max_kb": max(size) / 1024, "empty": sum(1 for x in size if x == 0)}


def martin_bin():
    for p in (shutil.which("martin"), ROOT / "out/bench/martin/bin/martin"):
        if p and Path(p).exists():
            return str(p)
    return None


def martin_tiles(cluster, tiles, out):
    """Martin serving the same PostGIS farmland table (its 3857 column), cold then again."""
    binary = martin_bin()
    if not binary:
        return None
    port = __import__("pg").free_port()
    cfg = out / "martin.yaml"
    cfg.write_text(
        f"listen_addresses: '127.0.0.1:{port}'\nworker_processes: 2\n"
        "postgres:\n"
        f"  connection_string: 'postgresql://postgres@127.0.0.1:{cluster.port}/wenshui'\n"
        "  auto_publish: false\n  tables:\n    farmland:\n      schema: public\n"
        "      table: l_farmland\n      srid: 3857\n      geometry_column: geom3857\n"
        "      geometry_type: GEOMETRY\n      extent: 4096\n      buffer: 64\n"
        "      clip_geom: true\n      properties:\n        fid: text\n        name: text\n")
    proc = subprocess.Popen([binary, "--config", str(cfg)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                import http.client
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/health")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        fetch = http_client.http_tile_fetcher(port, "/farmland/{z}/{x}/{y}")
        cold = tile_stats(http_client.fetch_tiles(fetch, tiles))
        again = tile_stats(http_client.fetch_tiles(fetch, tiles))
        return {"cold": cold, "again": again}
    finally:
        proc.terminate()
        proc.wait()


def _fmt(v, nd=3):
    if v is None:
        return "-"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.{nd}f}"


def _cell(values, nd=3):
    s = common.spread(values)
    if s is None:
        return "-"
    if len(values) == 1 or s["min"] == s["max"]:
        return _fmt(s["median"], nd)
    return f"{_fmt(s['median'], nd)} [{_fmt(s['min'], nd)}–{_fmt(s['max'], nd)}]"


def _med(values):
    s = common.spread(values)
    return s and s["median"]


def _ratio(peer, ours, lower_is_better=True):
    p, o = _med(peer), _med(ours)
    if not p or not o:
        return "-"
    return f"{(p / o) if lower_is_better else (o / p):.1f}×"


def table(res):
    rows = [("figure", "planmap", "PostGIS", "shapely", "PostGIS÷pm", "shapely÷pm", "target")]
    c = res.get("check", {})

    def col(engine, key):
        return [r[key] for r in c.get(engine, [])]

    # Like for like: the peers compute the site's, county's and per-feature overlap areas;
    # planmap's overlap_areas does that same work. The full check report does more (verdict,
    # 避让 geometry, townships/parks, nearest red line) and is set against the same peer times.
    for key, label, target in (("p50_ms", "p50 ms", "≥20× PG, ≥5× shapely"),
                               ("p99_ms", "p99 ms", ""),
                               ("total_s", "1000 sites s", "")) if c else ():
        pgv, spv = col("postgis", key), col("shapely", key)
        av = col("planmap_areas", key)
        if av:
            rows.append((f"overlap areas (same work as peers) {label}", _cell(av), _cell(pgv),
                         _cell(spv), _ratio(pgv, av), _ratio(spv, av), target))
        pmv = col("planmap", key)
        full_target = "≥10× PG" if key == "total_s" else ("" if av else target)
        rows.append((f"full check report {label}", _cell(pmv), _cell(pgv), _cell(spv),
                     _ratio(pgv, pmv), _ratio(spv, pmv), full_target))
        hv = col("planmap_http", key)
        rows.append(("  full check over HTTP (history on)", _cell(hv), "", "", _ratio(pgv, hv),
                     _ratio(spv, hv), ""))
    b = res.get("big_site")
    if b:
        label = f"biggest site ({b['vertices']:,} vertices, county-size) s"
        rows.append((f"{label}: full check", _cell(b["planmap"]), _cell(b["postgis"]), "",
                     _ratio(b["postgis"], b["planmap"]), "", "≤ 2 s, ≥5× PG"))
        rows.append(("  overlap areas", _cell(b["planmap_areas"]), "", "",
                     _ratio(b["postgis"], b["planmap_areas"]), "", ""))
    s = res.get("scan")
    if s:
        rows.append((f"conflict scan s ({s['planmap_threads']} threads)", _cell(s["planmap"]),
                     _cell(s["postgis"]), _cell(s["shapely"]), _ratio(s["postgis"], s["planmap"]),
                     _ratio(s["shapely"], s["planmap"]), "≥3× shapely"))
    t = res.get("tiles")
    if t:
        pm, pgt = t["planmap_cold"], t["postgis"]
        n = t["count"]
        rows.append((f"tiles z10–16 ({n}) tiles/s, cold", _fmt(pm["tiles_per_s"]),
                     _fmt(pgt["tiles_per_s"]), "", _ratio([pm["tiles_per_s"]], [pgt["tiles_per_s"]]),
                     "", "≥2× peer"))
        rows.append(("  tile p99 ms, cold", _fmt(pm["p99_ms"]), _fmt(pgt["p99_ms"]), "",
                     _ratio([pgt["p99_ms"]], [pm["p99_ms"]]), "", "< 20 ms"))
        w = t["planmap_warm"]
        rows.append(("  tiles/s, p99 ms warm (2nd pass)", f"{_fmt(w['tiles_per_s'])}, {_fmt(w['p99_ms'])}",
                     f"{_fmt(t['postgis_2nd']['tiles_per_s'])}, {_fmt(t['postgis_2nd']['p99_ms'])}",
                     "", "", "", ""))
        rows.append(("  max tile KB z10–16 (z5–9)", f"{_fmt(pm['max_kb'])} ({_fmt(t['planmap_low_zoom_max_kb'])})",
                     _fmt(pgt["max_kb"]), "", "", "", "≤ 500 KB"))
        m = t.get("martin")
        if m:
            rows.append(("  Martin tiles/s, p99 ms cold", "", f"{_fmt(m['cold']['tiles_per_s'])}, "
                         f"{_fmt(m['cold']['p99_ms'])}", "",
                         f"{pm['tiles_per_s'] / m['cold']['tiles_per_s']:.1f}× vs Martin", "", ""))
    cs = res.get("cold_start")
    if cs:
        rows.append(("cold start s (→ first check)", _cell(cs["planmap"]), _cell(cs.get("postgis", [])),
                     _cell(cs.get("shapely", [])), _ratio(cs.get("postgis"), cs["planmap"]),
                     _ratio(cs.get("shapely"), cs["planmap"]), "≤ 1 s"))
        rows.append(("  memory MB at first answer", _cell(cs["planmap_rss_mb"], 0),
                     _cell(cs.get("postgis_pss_mb", []), 0), _cell(cs.get("shapely_rss_mb", []), 0),
                     "", "", "≤ 300 MB"))
        rows.append(("  server peak RSS MB (after all)", _fmt(res.get("server_peak_rss_mb")), "", "",
                     "", "", ""))
    sc = res.get("scale")
    if sc:
        pm, pgs, sps = sc["planmap"], sc["postgis"], sc["shapely"]
        rows.append((f"scale {sc['patches']:,} patches: load+index s", _fmt(pm["load_s"]),
                     _fmt(pgs["load_s"]), _fmt(sps["load_s"]), _ratio([pgs["load_s"]], [pm["load_s"]]),
                     _ratio([sps["load_s"]], [pm["load_s"]]), "≤ 10 s"))
        rows.append(("  of which index s", _fmt(pm["index_s"]), _fmt(pgs["index_s"]),
                     _fmt(sps["index_s"]), "", "", ""))
        p50 = [pm["runs"][0]["p50_ms"]], [pgs["runs"][0]["p50_ms"]], [sps["runs"][0]["p50_ms"]]
        rows.append(("  full check report p50 ms", _fmt(p50[0][0]), _fmt(p50[1][0]),
                     _fmt(p50[2][0]), _ratio(p50[1], p50[0]), _ratio(p50[2], p50[0]), "≤ 2 ms"))
        if pm.get("runs_areas"):
            a50 = [pm["runs_areas"][0]["p50_ms"]]
            rows.append(("  overlap areas p50 ms", _fmt(a50[0]), "", "", _ratio(p50[1], a50),
                         _ratio(p50[2], a50), ""))
        rows.append(("  peak memory MB", _fmt(pm["peak_rss_mb"]), _fmt(pgs["peak_rss_mb"]),
                     _fmt(sps["peak_rss_mb"]), "", "", "≤ 4096 MB"))
        if "rss_steady_mb" in pm:
            rows.append(("  memory MB once loaded (RSS)", _fmt(pm["rss_steady_mb"]), "", "", "", "",
                         "≤ 1024 MB"))
            rows.append(("  of which Engine::memory_bytes MB", _fmt(pm["engine_mb"]), "", "", "",
                         "", ""))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(v.ljust(widths[i]) for i, v in enumerate(r)).rstrip() for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines.extend(history_lines(res.get("history")))
    lines.extend(batch.lines(res.get("batch")))
    lines.extend(request_path_lines(res.get("request_path"), res))
    lines.extend(publish_bench.lines(res.get("publish")))
    import catalog  # noqa: E402 (it imports this module's helpers)
    import replicas  # noqa: E402 (the same)
    lines.extend(catalog.lines(res.get("catalog")))
    lines.extend(replicas.lines(res.get("replicas")))
    lines.append("")
    lines.append("figures: median [min–max] over repeats; ratios: peer median ÷ planmap median "
                 "(>1 = planmap faster), same run")
    lines.append("peers (PostGIS, shapely) compute per site: its geodesic area, its area inside "
                 "the county, its overlap area with every feature of the site-role layers; "
                 "'overlap areas' is planmap doing exactly that (Engine::overlap_areas), 'full "
                 "check report' adds verdict, 避让 geometry, townships/parks, nearest red line")
    for name, a in res.get("agreement", {}).items():
        raw = a.get("raw_worst_rel")
        extra = "" if raw is None else (f" beyond a {common.AREA_FLOOR_M2:g} m² floor"
                                        f" (raw {raw:.2g})")
        lines.append(f"agreement {name}: worst relative difference {a['worst_rel']:.2g}{extra}")
    for f in res.get("failures", []):
        lines.append(f"FAIL {f}")
    return "\n".join(lines)


def _grid(rows, indent="  "):
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(v.ljust(widths[i]) for i, v in enumerate(r)).rstrip() for r in rows]


def request_path_lines(rp, res):
    """planmap over HTTP against PostGIS with the same durability, and each endpoint against
    the plain axum floor (bench/request_path.py)."""
    if not rp:
        return []
    h = res.get("history") or {}
    sync = f"{_cell(h['fdatasync_ms'])} ms" if h.get("fdatasync_ms") else "-"
    pgs = ", ".join(f"{k}={v}" for k, v in rp["postgres"].items())
    out = ["", f"the request path ({res['machine']['cpus']} cores; fdatasync of the bench's disk "
               f"{sync}; one client: Python, one connection; {rp['clients']} clients: "
               f"{rp['clients']} Python processes)",
           f"  planmap: {rp['history_settings']}",
           f"  PostgreSQL: {pgs}; the query and its audit row in one statement (one transaction)"]
    seq, conc = rp["sequential"], rp["concurrent"]
    col = lambda runs, k: [r[k] for r in runs]  # noqa: E731
    rows = [("checks of the 1,000 sites", "planmap", "PostGIS", "PostGIS÷pm", "target")]
    for ours, peer, label, target in (("on", "audited", "history on vs query + audit row", "≥3×"),
                                      ("off", "query", "history off vs query alone", "≥4×")):
        a, b = seq[ours], seq[peer]
        rows.append((f"1 client, {label}: s", _cell(col(a, "total_s")), _cell(col(b, "total_s")),
                     _ratio(col(b, "total_s"), col(a, "total_s")), target))
        rows.append(("  p50 / p99 ms", f"{_fmt(_med(col(a, 'p50_ms')))} / {_fmt(_med(col(a, 'p99_ms')))}",
                     f"{_fmt(_med(col(b, 'p50_ms')))} / {_fmt(_med(col(b, 'p99_ms')))}", "", ""))
    a, b = conc["on"], conc["audited"]
    rows.append((f"{rp['clients']} clients, history on vs query + audit row: checks/s",
                 _cell(col(a, "checks_per_s"), 0), _cell(col(b, "checks_per_s"), 0),
                 _ratio(col(a, "checks_per_s"), col(b, "checks_per_s")), "≥5×"))
    rows.append(("  p99 ms", _cell(col(a, "p99_ms")), _cell(col(b, "p99_ms")),
                 _ratio(col(b, "p99_ms"), col(a, "p99_ms")), ""))
    out += _grid(rows)
    ep = rp["endpoints"]
    floor = {"GET": col(ep["hello GET"], "p50_us"),
             "POST": col(ep["hello POST (a site's body)"], "p50_us")}
    rows = [(f"endpoint (wrk -t1 -c1; {rp['rounds']} rounds of {rp['wrk_seconds']} s)", "p50 µs",
             "p99 µs", "req/s", "p50 over the floor µs", "p50 ÷ floor's (same round)", "target")]
    for name, runs in ep.items():
        p50 = col(runs, "p50_us")
        base = floor["POST" if "POST" in name else "GET"]
        hello = name.startswith("hello")
        over = "" if hello else _cell([a - b for a, b in zip(p50, base)], 0)
        ratio = "" if hello else _cell([a / b for a, b in zip(p50, base)], 2)
        target = "≤1.5×" if name in ("GET /api/plan", "GET cached tile") else ""
        rows.append((name, _cell(p50, 0), _cell(col(runs, "p99_us"), 0),
                     _cell(col(runs, "per_s"), 0), over, ratio, target))
    out += _grid(rows)
    out.append(f"  rows written: planmap's history {rp['rows']['planmap_history']}, PostGIS's "
               f"audit table {rp['rows']['postgis_audit']} (1 and {rp['clients']} clients, every "
               "repeat)")
    return out


def history_lines(h):
    """The check history alone (planmap-bench history): the disk's fdatasync, then records/s
    with 1 and 8 writers, group commit against one commit a record, in the same run."""
    if not h:
        return []
    out = ["", f"check history alone, on {h['dir']} ({h['settings']})",
           f"  fdatasync of that disk, ms (4 KiB, {len(h['fdatasync_ms'])}×): "
           f"{_cell(h['fdatasync_ms'])}"]
    rows = [("writers", "group commit rec/s", "one commit a record rec/s", "group÷one",
             "group p50 / p99 ms", "one p50 / p99 ms", "records a commit")]
    for w in (1, 8):
        g, o = h["runs"].get(f"group_{w}"), h["runs"].get(f"single_{w}")
        if not g or not o:
            continue
        col = lambda runs, k: [r[k] for r in runs]  # noqa: E731
        rows.append((str(w), _cell(col(g, "records_per_s")), _cell(col(o, "records_per_s")),
                     _ratio(col(o, "records_per_s"), col(g, "records_per_s"), lower_is_better=False),
                     f"{_fmt(_med(col(g, 'p50_ms')))} / {_fmt(_med(col(g, 'p99_ms')))}",
                     f"{_fmt(_med(col(o, 'p50_ms')))} / {_fmt(_med(col(o, 'p99_ms')))}",
                     _fmt(_med(col(g, "records_per_commit")), 1)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out += ["  " + "  ".join(v.ljust(widths[i]) for i, v in enumerate(r)).rstrip() for r in rows]
    return out
