#!/usr/bin/env python3
"""`make bench`: planmap against PostGIS and shapely 2 on the same layers, in one run.

Measures (each engine on the same data, the same sites, the same tiles):
  1. site check of 1,000 varied sites (p50/p99/total, repeated), with every site's per-layer
     overlap areas compared across engines: beyond 1e-6 relative the run FAILS. The peers
     compute the site's area, its area in the county and its overlap with every feature of the
     site-role layers; planmap is timed twice: `Engine::overlap_areas` (that same work) and the
     full check report (verdict, 避让 geometry, townships/parks, nearest red line, …); then the
     biggest site a server accepts (100,000 vertices, county-size: `planmap-bench big-site`)
     in planmap and PostGIS, areas compared the same way;
  2. the conflict scan of every rule pair (pairs and areas compared the same way);
  3. farmland tiles z10–z16 (planmap over HTTP vs PostGIS ST_AsMVT, and Martin when installed);
  4. cold start (process start → first check answer) and peak memory;
  5. a generated 1,000,000-patch province farmland layer: load + index, check p50, memory;
  6. the check history alone on OUT's disk: that disk's fdatasync, and records/s with 1 and 8
     writers, group commit against one commit a record;
  7. the request path (bench/request_path.py): every endpoint against a plain axum "hello"
     floor, and checks over HTTP with the history on and off, by 1 and 8 clients, against
     PostGIS's query alone and with its audit row at PostgreSQL's durability defaults;
  8. batch checks (bench/batch.py): 10,000 sites in a GeoPackage through `check --each` and
     `POST /api/check/batch` against PostGIS doing the same checks (INSERT … SELECT or a loop,
     the faster), areas compared; planmap's peak memory;
  9. the static public map (bench/publish_bench.py): `planmap publish` time and archive size,
     tiles/s of nginx serving the PMTiles archive by Range against `planmap serve` (wrk);
  10. the region's catalog of plans (bench/catalog.py): load time and RSS per plan, the first
      request to a cold plan, RSS with all loaded vs under a budget, a check's p50 at the
      catalog's root vs the single-plan server;
  11. planmap on the PostgreSQL/PostGIS store (bench/replicas.py): `db load`, cold start and a
      check's p50 from the database vs the folder, history on in PostgreSQL vs SQLite, checks/s
      through nginx with 1 and 2 replicas, an import through one replica served by the other.
Prints one table (median of repeats, [min–max]) with ratios peer/planmap measured in this
run, and writes it with every raw figure to OUT/results.json.
"""

import argparse
import catalog
import replicas
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import shapely

import batch
import common
import http_client
import pg
import publish_bench
import report
import request_path
import shapely_engine

ROOT = Path(__file__).resolve().parent.parent
TOL = 1e-6


def sh(cmd, **kw):
    print("+", " ".join(str(c) for c in cmd), file=sys.stderr, flush=True)
    return subprocess.run([str(c) for c in cmd], check=True, **kw)


def must_agree(results, name, ref, other, layers):
    worst, where, raw = common.agreement(ref, other, layers)
    results["agreement"][name] = {"worst_rel": worst, "where": where, "raw_worst_rel": raw}
    print(f"agreement {name}: worst relative difference {worst:.3g} beyond the "
          f"{common.AREA_FLOOR_M2:g} m² floor ({where}); raw worst {raw:.3g}", file=sys.stderr)
    if worst > TOL:
        results["failures"].append(f"{name}: areas disagree by {worst:.3g} > {TOL} at {where}")


def scan_agree(results, name, ref, other, tol):
    a = {(r, x, y): m2 for r, x, y, m2 in ref if m2 > tol}
    b = {(r, x, y): m2 for r, x, y, m2 in other if m2 > tol}
    worst, where = 0.0, None
    for k in set(a) | set(b):
        d = common.rel_diff(a.get(k, 0.0), b.get(k, 0.0))
        if d > worst:
            worst, where = d, f"{k}: {a.get(k)} vs {b.get(k)}"
    results["agreement"][name] = {"worst_rel": worst, "where": where, "pairs": len(a)}
    print(f"agreement {name}: {len(a)} pairs, worst {worst:.3g} ({where})", file=sys.stderr)
    if worst > TOL:
        results["failures"].append(f"{name}: conflicts disagree by {worst:.3g} at {where}")


def timed(f, repeat):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return times, out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=ROOT / "data/wenshui", type=Path)
    ap.add_argument("--out", default=ROOT / "out/bench", type=Path)
    ap.add_argument("--sites", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tiles-per-zoom", type=int, default=150)
    ap.add_argument("--patches", type=int, default=1_000_000)
    ap.add_argument("--scale-sites", type=int, default=200)
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--only-scale", action="store_true",
                    help="run step 5 alone (the province layer against its peers)")
    ap.add_argument("--batch-sites", type=int, default=10_000,
                    help="sites of step 8, the batch check")
    ap.add_argument("--only-batch", action="store_true",
                    help="run step 8 alone (the batch check against PostGIS)")
    ap.add_argument("--wrk-seconds", type=int, default=1,
                    help="seconds of each wrk run of the request path's endpoints")
    ap.add_argument("--wrk-rounds", type=int, default=6,
                    help="rounds of wrk runs over every endpoint and the floor")
    ap.add_argument("--region", type=Path, default=None,
                    help="the catalog of step 10 (default: generated into OUT/region)")
    ap.add_argument("--catalog-budget-mb", type=int, default=64,
                    help="step 10's --max-memory, MB")
    ap.add_argument("--skip-catalog", action="store_true")
    ap.add_argument("--skip-replicas", action="store_true")
    ap.add_argument("--only-replicas", action="store_true",
                    help="run step 11 alone (planmap on PostgreSQL against the plan folder)")
    ap.add_argument("--only-catalog", action="store_true",
                    help="run step 10 alone (the region's catalog against the single-plan server)")
    args = ap.parse_args()
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    planmap_bin, bench_bin = target / "release/planmap", target / "release/planmap-bench"
    for b in (planmap_bin, bench_bin):
        if not b.exists():
            raise SystemExit(f"bench: {b} not built (cargo build --release -p planmap -p planmap-bench)")
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    plan = common.Plan(args.data)
    R = args.repeat
    res = {"machine": {"cpus": common.cpu_count(), "repeat": R}, "agreement": {}, "failures": []}
    if args.only_catalog:
        sites_path = out / "sites.geojson"
        sh([bench_bin, "sites", "--data", args.data, "--n", args.sites, "--out", sites_path])
        res["catalog"] = run_catalog(args, out, planmap_bin, common.read_sites(sites_path)[1], R)
        finish(res, out)
        return
    if args.only_replicas:
        sites_path = out / "sites.geojson"
        sh([bench_bin, "sites", "--data", args.data, "--n", args.sites, "--out", sites_path])
        res["replicas"] = replicas.run(planmap_bin, args.data, common.read_sites(sites_path)[1],
                                       out, R)
        finish(res, out)
        return
    if args.only_scale:
        with running_cluster(out) as cluster:
            res["scale"] = scale(args, out, bench_bin, cluster, res)
        finish(res, out)
        return
    if args.only_batch:
        with running_cluster(out) as cluster:
            cluster.create_db("wenshui")
            conn = cluster.connect("wenshui")
            for lid in ["county"] + plan.check_layers:
                fids, geoms, props = plan.read_layer(lid)
                pg.load_layer(conn, lid, fids, np.array(geoms, dtype=object), props)
            res["batch"] = batch.run(batch_ctx(args, out, bench_bin, planmap_bin, plan, conn, res),
                                     args.batch_sites)
            conn.close()
        finish(res, out)
        return

    # -- sites: generated once, read by every engine --------------------------------------
    sites_path = out / "sites.geojson"
    sh([bench_bin, "sites", "--data", args.data, "--n", args.sites, "--out", sites_path])
    sites, sites_doc = common.read_sites(sites_path)

    # -- 1. site check --------------------------------------------------------------------
    sh([bench_bin, "check", "--data", args.data, "--sites", sites_path, "--repeat", R,
        "--out", out / "planmap-check.json"])
    pm = json.loads((out / "planmap-check.json").read_text())
    pm_records = {s["id"]: s for s in pm["sites"]}
    pm_lean = {s["id"]: s for s in pm["sites_areas"]}
    must_agree(res, "planmap full check~overlap areas", pm_records, pm_lean, plan.check_layers)
    sh([sys.executable, ROOT / "bench/shapely_engine.py", "check", args.data, sites_path, R,
        out / "shapely-check.json"])
    sp = json.loads((out / "shapely-check.json").read_text())
    must_agree(res, "check planmap~shapely", pm_records, sp["sites"], plan.check_layers)
    must_agree(res, "overlap areas planmap~shapely", pm_lean, sp["sites"], plan.check_layers)

    # -- 6. the check history alone, on the disk OUT is on --------------------------------
    sh([bench_bin, "history", "--dir", out / "history", "--repeat", R,
        "--out", out / "planmap-history.json"])
    res["history"] = json.loads((out / "planmap-history.json").read_text())

    with running_cluster(out) as cluster:
        cluster.create_db("wenshui")
        conn = cluster.connect("wenshui")
        t = time.perf_counter()
        keys = {}
        for lid in ["county"] + plan.check_layers + [l for r in plan.rules for l in r]:
            if lid in keys:
                continue
            fids, geoms, props = plan.read_layer(lid)
            keys[lid] = pg.load_layer(conn, lid, fids, np.array(geoms, dtype=object), props,
                                      mercator=(lid == "farmland"))[2]
        res["postgis_load_s"] = time.perf_counter() - t
        pg_runs, pg_records = pg.run_sites(conn, plan, sites, R)
        must_agree(res, "check planmap~postgis", pm_records, pg_records, plan.check_layers)
        must_agree(res, "overlap areas planmap~postgis", pm_lean, pg_records, plan.check_layers)
        res["check"] = {"planmap": pm["runs"], "planmap_areas": pm["runs_areas"],
                        "shapely": sp["runs"], "postgis": pg_runs}
        res["big_site"] = big_site(args, out, bench_bin, conn, plan, R, res)

        # -- 2. conflict scan -------------------------------------------------------------
        sh([bench_bin, "scan", "--data", args.data, "--repeat", max(R, 3),
            "--out", out / "planmap-scan.json"])
        pscan = json.loads((out / "planmap-scan.json").read_text())
        spe = shapely_engine.ShapelyEngine(plan)
        s_times, s_pairs = timed(spe.scan, R)
        p_times, p_pairs = timed(lambda: pg.scan(conn, plan), R)
        scan_agree(res, "scan planmap~shapely", pscan["pairs"], s_pairs, plan.tol)
        scan_agree(res, "scan planmap~postgis", pscan["pairs"], p_pairs, plan.tol)
        res["scan"] = {"planmap": pscan["times_s"], "shapely": s_times, "postgis": p_times,
                       "planmap_threads": pscan["threads"]}

        # -- 3 + 4. planmap over HTTP: cold start, checks, tiles ------------------------
        # The server as `planmap serve` starts by default: the check history on (in OUT, not
        # beside the plan folder), a fresh file each start.
        first = sites_doc["features"][0]["geometry"]
        colds = []

        def start():
            for ext in ("", "-wal", "-shm"):
                (out / f"http-history.sqlite{ext}").unlink(missing_ok=True)
            return http_client.Server(planmap_bin, args.data, first, out / "http-history.sqlite")

        for _ in range(max(R, 3) - 1):
            s = start()
            colds.append((s.cold_start_s, s.rss_at_answer_mb))
            s.stop()
        server = start()
        colds.append((server.cold_start_s, server.rss_at_answer_mb))
        try:
            bounds = tuple(shapely.total_bounds(spe.layers.get("farmland")
                                                if "farmland" in spe.layers else
                                                np.array(plan.read_layer("farmland")[1])))
            tiles = http_client.tile_list(bounds, range(10, 17), args.tiles_per_zoom)
            low = http_client.tile_list(bounds, range(5, 10), 50)
            fetch = http_client.http_tile_fetcher(server.port, "/tiles/farmland/{z}/{x}/{y}.pbf")
            # Tiles first, on a cold tile cache (the boot scan still running is part of life).
            server.wait_scan()
            cold = http_client.fetch_tiles(fetch, tiles)
            warm = http_client.fetch_tiles(fetch, tiles)
            lowz = http_client.fetch_tiles(fetch, low)
            h_runs, h_records = http_client.check_sites(server, sites_doc, plan, R)
            must_agree(res, "check planmap in-process~HTTP", pm_records, h_records, plan.check_layers)
            res["check"]["planmap_http"] = h_runs
            res["server_peak_rss_mb"] = server.peak_rss_mb()
            # -- 7. the request path -----------------------------------------------------
            ctx = {"out": out, "repeat": R, "plan": plan, "sites": sites, "sites_doc": sites_doc,
                   "bench_bin": bench_bin, "planmap_bin": planmap_bin, "data": args.data,
                   "pg_conn": conn, "cluster": cluster, "results": res,
                   "wrk_seconds": args.wrk_seconds, "wrk_rounds": args.wrk_rounds}
            res["request_path"], a_records = request_path.run(ctx, typical_tile(tiles, warm))
            must_agree(res, "check planmap~postgis with its audit row", pm_records, a_records,
                       plan.check_layers)
            # -- 9. the static public map: publish, nginx + PMTiles against the server ------
            res["publish"] = publish_bench.run(planmap_bin, args.data, out, server.port, tiles)
        finally:
            server.stop()
        res["cold_start"] = {"planmap": [c[0] for c in colds],
                             "planmap_rss_mb": [c[1] for c in colds]}

        # -- 8. batch checks ------------------------------------------------------------
        res["batch"] = batch.run(batch_ctx(args, out, bench_bin, planmap_bin, plan, conn, res),
                                 args.batch_sites)

        def pg_fetch(state, t):
            if "c" not in state:
                state["c"] = cluster.connect("wenshui")
            sql = pg.tile_sql(keys["farmland"], t[0] >= 12)
            row = state["c"].execute(sql, {"z": t[0], "x": t[1], "y": t[2]}, prepare=True).fetchone()
            return len(row[0] or b"")

        pg_cold = http_client.fetch_tiles(pg_fetch, tiles)
        pg_warm = http_client.fetch_tiles(pg_fetch, tiles)
        res["tiles"] = {"count": len(tiles), "planmap_cold": report.tile_stats(cold),
                        "planmap_warm": report.tile_stats(warm),
                        "planmap_low_zoom_max_kb": max(lowz[1]) / 1024,
                        "postgis": report.tile_stats(pg_cold),
                        "postgis_2nd": report.tile_stats(pg_warm)}
        martin = report.martin_tiles(cluster, tiles, out)
        if martin:
            res["tiles"]["martin"] = martin

        # -- 4. peers' cold start -------------------------------------------------------
        conn.close()
        pg_cold_s, pg_mem = [], []
        for _ in range(max(R, 3)):
            cluster.stop()
            t = time.perf_counter()
            cluster.start()
            c = cluster.connect("wenshui")
            pg.check(c, pg.check_sql(plan.check_layers), shapely.to_wkb(sites[0][1]), plan,
                     plan.check_layers)
            pg_cold_s.append(time.perf_counter() - t)
            pg_mem.append(cluster.pss_mb())
            c.close()
        res["cold_start"]["postgis"] = pg_cold_s
        res["cold_start"]["postgis_pss_mb"] = pg_mem
        sp_cold, sp_mem = [], []
        for _ in range(max(R, 3)):
            t = time.perf_counter()
            p = subprocess.Popen([sys.executable, ROOT / "bench/shapely_engine.py", "cold",
                                  args.data, sites_path], stdout=subprocess.PIPE, text=True)
            p.stdout.readline()
            sp_cold.append(time.perf_counter() - t)
            _, _, ru = os.wait4(p.pid, 0)
            sp_mem.append(ru.ru_maxrss / 1024)
        res["cold_start"]["shapely"] = sp_cold
        res["cold_start"]["shapely_rss_mb"] = sp_mem

        # -- 5. scale ---------------------------------------------------------------------
        if not args.skip_scale:
            res["scale"] = scale(args, out, bench_bin, cluster, res)
    # -- 10. the region's catalog ---------------------------------------------------------
    if not args.skip_catalog:
        res["catalog"] = run_catalog(args, out, planmap_bin, sites_doc, R)
    if not args.skip_replicas:
        res["replicas"] = replicas.run(planmap_bin, args.data, sites_doc, out, R)
    finish(res, out)


def run_catalog(args, out, planmap_bin, sites_doc, repeat):
    """Step 10 on the region (generated into OUT/region unless --region names one)."""
    region = args.region
    if region is None:
        region = out / "region"
        if not region.exists():
            datagen = planmap_bin.parent / "planmap-datagen"
            sh([datagen, "region", "--out", region, "--wenshui", args.data.resolve()])
    return catalog.run(planmap_bin, region, args.data, sites_doc, repeat, args.catalog_budget_mb)


def batch_ctx(args, out, bench_bin, planmap_bin, plan, conn, res):
    return {"out": out, "data": args.data, "bench_bin": bench_bin, "planmap_bin": planmap_bin,
            "plan": plan, "pg_conn": conn, "results": res}


@contextlib.contextmanager
def running_cluster(out):
    """A throwaway PostgreSQL cluster under OUT, stopped and removed however the block ends."""
    cluster = pg.Cluster(out)
    try:
        cluster.start()
        yield cluster
    finally:
        try:
            cluster.stop()
        finally:
            cluster.remove()


def finish(res, out):
    """Prints the table, writes OUT/results.json, exits 1 on any failure."""
    table = report.table(res)
    print(table)
    res["table"] = table.splitlines()
    (out / "results.json").write_text(json.dumps(res, indent=1, ensure_ascii=False))
    print(f"written: {out / 'results.json'}")
    if res["failures"]:
        for f in res["failures"]:
            print(f"FAIL: {f}", file=sys.stderr)
        sys.exit(1)


def typical_tile(tiles, fetched):
    """The path of a tile of median size among the non-empty ones fetched."""
    sized = sorted((n, t) for t, n in zip(tiles, fetched[1]) if n > 0)
    z, x, y = sized[len(sized) // 2][1]
    return f"/tiles/farmland/{z}/{x}/{y}.pbf"


def big_site(args, out, bench_bin, conn, plan, repeat, res):
    """The 100,000-vertex county-size site: planmap (full check and overlap areas, `repeat`
    times) and PostGIS's overlap query (once: it takes long), areas compared."""
    path = out / "big-site.geojson"
    sh([bench_bin, "big-site", "--vertices", 100_000, "--out", path])
    sh([bench_bin, "check", "--data", args.data, "--sites", path, "--repeat", repeat,
        "--out", out / "planmap-big.json"])
    pm = json.loads((out / "planmap-big.json").read_text())
    sites, _ = common.read_sites(path)
    runs, records = pg.run_sites(conn, plan, sites, 1)
    must_agree(res, "big site planmap~postgis", {s["id"]: s for s in pm["sites"]}, records,
               plan.check_layers)
    must_agree(res, "big site full check~overlap areas", {s["id"]: s for s in pm["sites"]},
               {s["id"]: s for s in pm["sites_areas"]}, plan.check_layers)
    return {"vertices": int(shapely.get_num_coordinates(sites[0][1])),
            "planmap": [r["total_s"] for r in pm["runs"]],
            "planmap_areas": [r["total_s"] for r in pm["runs_areas"]],
            "postgis": [r["total_s"] for r in runs]}


def scale(args, out, bench_bin, cluster, res):
    prov = out / "province"
    stamp = prov / f".patches-{args.patches}"
    if not stamp.exists():
        shutil.rmtree(prov, ignore_errors=True)
        sh([bench_bin, "province", "--out", prov, "--patches", args.patches])
        stamp.touch()
    plan = common.Plan(prov)
    psites = out / "province-sites.geojson"
    sh([bench_bin, "sites", "--data", prov, "--n", args.scale_sites, "--seed", 7, "--out", psites])
    sites, _ = common.read_sites(psites)
    sh([bench_bin, "check", "--data", prov, "--sites", psites, "--repeat", 1,
        "--out", out / "planmap-scale.json"])
    pm = json.loads((out / "planmap-scale.json").read_text())
    recs = {s["id"]: s for s in pm["sites"]}
    sh([sys.executable, ROOT / "bench/shapely_engine.py", "scale", prov, psites,
        out / "shapely-scale.json"])
    sp = json.loads((out / "shapely-scale.json").read_text())
    must_agree(res, "scale planmap~shapely", recs, sp["sites"], plan.check_layers)
    cluster.create_db("province")
    conn = cluster.connect("province")
    t = time.perf_counter()
    for lid in ("county", "red_line"):
        fids, geoms, props = plan.read_layer(lid)
        pg.load_layer(conn, lid, fids, np.array(geoms, dtype=object), props)
    copy_s, index_s = pg.load_tsv(conn, "l_farmland", prov / "farmland.tsv")
    runs, precs = pg.run_sites(conn, plan, sites, 1)
    must_agree(res, "scale planmap~postgis", recs, precs, plan.check_layers)
    pss = cluster.pss_mb()
    conn.close()
    return {"patches": args.patches,
            "planmap": {k: pm[k] for k in ("read_s", "index_s", "load_s", "peak_rss_mb",
                                           "rss_steady_mb", "engine_mb", "runs", "runs_areas")},
            "shapely": {k: sp[k] for k in ("read_s", "index_s", "load_s", "peak_rss_mb", "runs")},
            "postgis": {"read_s": copy_s, "index_s": index_s, "load_s": copy_s + index_s,
                        "peak_rss_mb": pss, "runs": runs, "total_load_s": time.perf_counter() - t}}


if __name__ == "__main__":
    main()
