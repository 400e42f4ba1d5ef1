"""`make bench`'s batch row: N sites (10,000) in a GeoPackage checked as planmap's batch —
the CLI's `check --each` and the server's `POST /api/check/batch` (history on, as served),
both on every core — against PostGIS doing the same N checks, the faster of one
`INSERT … SELECT` over a table of the sites and a loop of the bench's prepared per-site query;
ratios in the same run; planmap's peak memory (the CLI process's, the server's after).

Both planmap answers are held to PostGIS's areas (site and every prohibited/assess layer,
per site) as the other steps are: beyond 1e-6 relative (over the areas' floor) is a failure.
"""

import json
import os
import subprocess
import time
import urllib.request

import shapely

import common
import http_client
import pg


def run(ctx, n=10_000):
    out, data, plan, conn = ctx["out"], ctx["data"], ctx["plan"], ctx["pg_conn"]
    res = ctx["results"]
    gj, gpkg = out / "batch-sites.geojson", out / "batch-sites.gpkg"
    subprocess.run([ctx["bench_bin"], "sites", "--data", data, "--n", str(n), "--out", gj],
                   check=True, stdout=subprocess.DEVNULL)
    gpkg.unlink(missing_ok=True)
    subprocess.run(["ogr2ogr", "-f", "GPKG", gpkg, gj, "-nln", "sites"], check=True)
    sites, doc = common.read_sites(gj)
    ids = [sid for sid, _ in sites]
    # The layers a batch table measures: prohibited and assess (as planmap-batch's table).
    layers = [l for l in plan.check_layers
              if plan.layers[l]["site_role"] in ("prohibited", "assess")]
    names = {l: plan.layers[l]["name"] for l in layers}

    # -- planmap, CLI: check --each, its own process's peak memory ------------------------
    cli_out = out / "batch-cli.json"
    t = time.perf_counter()
    with open(cli_out, "wb") as f:
        p = subprocess.Popen([ctx["planmap_bin"], "--data", data, "check", "--each", gpkg,
                              "--json"], stdout=f, stderr=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
    cli_s = time.perf_counter() - t
    if status != 0:
        res["failures"].append(f"batch: planmap check --each exited with {status}")
        return None
    cli_rss = ru.ru_maxrss / 1024
    cli_records = records(json.loads(cli_out.read_text()), ids, names)

    # -- planmap, API: the same file uploaded, the server's peak memory after ------------
    hist = out / "batch-history.sqlite"
    for ext in ("", "-wal", "-shm"):
        (out / f"batch-history.sqlite{ext}").unlink(missing_ok=True)
    # The file is bigger than a site's upload and its checks take longer than one's: the
    # server's body and time limits raised to fit it (its upload limits are the defaults).
    server = http_client.Server(ctx["planmap_bin"], data, doc["features"][0]["geometry"], hist,
                                ["--body-limit", str(max(gpkg.stat().st_size * 2, 10 << 20)),
                                 "--request-timeout", "600"])
    try:
        req = urllib.request.Request(
            f"http://127.0.0.1:{server.port}/api/check/batch?input=gpkg",
            data=gpkg.read_bytes(), method="POST",
            headers={"Content-Type": "application/octet-stream"})
        t = time.perf_counter()
        with urllib.request.urlopen(req, timeout=600) as r:
            answer = json.loads(r.read())
        api_s = time.perf_counter() - t
        api_rss = server.peak_rss_mb()
    finally:
        server.stop()
    api_records = records(answer["table"], ids, names)

    # -- PostGIS: a loop of the prepared per-site query, and one INSERT … SELECT ---------
    t = time.perf_counter()
    _, loop_records = pg.run_sites(conn, plan, sites, 1, layers=layers)
    loop_s = time.perf_counter() - t
    set_s, load_s, set_records = insert_select(conn, plan, sites, layers)
    pg_s = min(loop_s, set_s)
    pg_records = set_records if set_s <= loop_s else loop_records

    for name, ours in (("CLI", cli_records), ("API", api_records)):
        agree(res, f"batch {name} planmap~postgis", ours, pg_records, layers)
    agree(res, "batch postgis loop~INSERT…SELECT", loop_records, set_records, layers)
    return {"sites": n, "threads": common.cpu_count(),
            "planmap_cli_s": cli_s, "planmap_cli_peak_rss_mb": cli_rss,
            "planmap_api_s": api_s, "planmap_server_peak_rss_mb": api_rss,
            "postgis_loop_s": loop_s, "postgis_insert_select_s": set_s,
            "postgis_sites_load_s": load_s, "postgis_s": pg_s,
            "postgis_form": "INSERT … SELECT" if set_s <= loop_s else "loop"}


def records(table, ids, names):
    """Per-site records (site id → site m², per-layer m²) of a batch table (rows by 序号)."""
    cols = {c: i for i, c in enumerate(table["columns"])}
    out = {}
    for row in table["rows"]:
        if row[cols["结论"]] == "无法审查":
            continue
        sid = ids[int(row[cols["序号"]]) - 1]
        out[sid] = {"site_m2": row[cols["用地面积(m²)"]],
                    "layers": {l: row[cols[f"{n}(m²)"]] for l, n in names.items()}}
    return out


def insert_select(conn, plan, sites, layers):
    """The N checks as one statement: the sites loaded into a table, then every (site,
    layer) area computed by one INSERT … SELECT. Returns (query s, load s, records)."""
    t = time.perf_counter()
    conn.execute("DROP TABLE IF EXISTS batch_sites, batch_out")
    conn.execute("CREATE TABLE batch_sites (sid text PRIMARY KEY, g geometry(Geometry, 4326))")
    with conn.cursor() as cur:
        with cur.copy("COPY batch_sites (sid, g) FROM STDIN") as cp:
            for sid, s in sites:
                cp.write_row((sid, f"SRID=4326;{shapely.to_wkt(s, rounding_precision=-1)}"))
    conn.execute("CREATE INDEX ON batch_sites USING gist (g)")
    conn.execute("ANALYZE batch_sites")
    conn.execute("CREATE TABLE batch_out (sid text, layer text, m2 double precision)")
    conn.commit()
    load_s = time.perf_counter() - t
    parts = ["SELECT s.sid, 'site', ST_Area(s.g::geography) FROM batch_sites s"]
    for lid in ["county"] + list(layers):
        parts.append(
            f"SELECT s.sid, '{lid}', ST_Area(ST_Intersection(t.geom, s.g)::geography) "
            f"FROM l_{lid} t JOIN batch_sites s ON ST_Intersects(t.geom, s.g)")
    t = time.perf_counter()
    conn.execute("INSERT INTO batch_out " + " UNION ALL ".join(parts))
    conn.commit()
    set_s = time.perf_counter() - t
    rows = {}
    for sid, layer, m2 in conn.execute("SELECT sid, layer, m2 FROM batch_out").fetchall():
        rows.setdefault(sid, []).append((layer, m2))
    out = {}
    for sid, rs in rows.items():
        site_m2 = next(a for l, a in rs if l == "site")
        county_m2 = sum(a for l, a in rs if l == "county")
        if county_m2 <= 0:
            continue
        pieces = [(l, a) for l, a in rs if l not in ("site", "county")]
        out[sid] = common.site_record(site_m2, county_m2, pieces, plan.tol, layers)
    return set_s, load_s, out


def agree(res, name, ours, peer, layers):
    """Site and per-layer areas of the sites both checked, to 1e-6 relative beyond the
    peers' absolute floor; slivers (≤ 1 m² in either) are not compared."""
    worst, where = 0.0, None
    both = [sid for sid in ours
            if "layers" in ours[sid] and "layers" in peer.get(sid, {})]
    for sid in both:
        a, b = ours[sid], peer[sid]
        pairs = [("site", a["site_m2"], b["site_m2"])]
        pairs += [(l, a["layers"][l], b["layers"][l]) for l in layers
                  if a["layers"][l] > common.SLIVER_M2 and b["layers"][l] > common.SLIVER_M2]
        for what, x, y in pairs:
            if abs(x - y) <= common.AREA_FLOOR_M2:
                continue
            d = common.rel_diff(x, y)
            if d > worst:
                worst, where = d, f"{sid} {what}"
    res["agreement"][name] = {"worst_rel": worst, "where": where, "sites": len(both)}
    if worst > 1e-6:
        res["failures"].append(f"{name}: relative difference {worst:.2g} at {where}")


def lines(b):
    """The batch rows of the table."""
    if not b:
        return []
    pm = min(b["planmap_cli_s"], b["planmap_api_s"])
    return [
        "",
        f"batch check, {b['sites']:,} sites from a GeoPackage ({b['threads']} cores): "
        f"planmap CLI {b['planmap_cli_s']:.2f} s (peak {b['planmap_cli_peak_rss_mb']:.0f} MB), "
        f"API {b['planmap_api_s']:.2f} s (server peak {b['planmap_server_peak_rss_mb']:.0f} MB, "
        f"history on); PostGIS {b['postgis_s']:.2f} s ({b['postgis_form']}; loop "
        f"{b['postgis_loop_s']:.2f} s, INSERT … SELECT {b['postgis_insert_select_s']:.2f} s "
        f"+ {b['postgis_sites_load_s']:.2f} s loading the sites) — PostGIS÷planmap "
        f"{b['postgis_s'] / b['planmap_cli_s']:.1f}× (CLI), "
        f"{b['postgis_s'] / b['planmap_api_s']:.1f}× (API); best planmap {pm:.2f} s",
    ]
