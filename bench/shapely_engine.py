"""The shapely 2 (GEOS) peer: one STRtree per layer, vectorised intersections, geodesic areas
with pyproj's Geod. Run as a script it is a fresh process for cold start and scale figures:

    python shapely_engine.py cold  PLAN SITES            # load, answer one check, print timing
    python shapely_engine.py check PLAN SITES REPEAT OUT # load, check every site, write JSON
    python shapely_engine.py scale PLAN SITES OUT        # farmland from PLAN/farmland.tsv
"""

import json
import resource
import sys
import time

import numpy as np
import shapely

import common


class ShapelyEngine:
    def __init__(self, plan, layers=None):
        self.plan = plan
        self.layers = {}
        self.trees = {}
        self.fids = {}
        for lid in ["county"] + list(layers or plan.check_layers):
            fids, geoms, _ = plan.read_layer(lid)
            self.add(lid, fids, geoms)

    def add(self, lid, fids, geoms):
        arr = np.array(geoms, dtype=object)
        self.layers[lid] = arr
        self.fids[lid] = fids
        self.trees[lid] = shapely.STRtree(arr)

    def pieces(self, lid, site):
        idx = self.trees[lid].query(site, predicate="intersects")
        if len(idx) == 0:
            return []
        inter = shapely.intersection(self.layers[lid][idx], site)
        return [common.geod_area(g) for g in inter]

    def check(self, site):
        shapely.prepare(site)
        site_m2 = common.geod_area(site)
        county_m2 = sum(self.pieces("county", site))
        if county_m2 <= 0:
            return {"error": "outside the county"}
        pieces = [(l, a) for l in self.plan.check_layers for a in self.pieces(l, site)]
        return common.site_record(site_m2, county_m2, pieces, self.plan.tol, self.plan.check_layers)

    def scan(self):
        """Every rule pair: (rule, a fid, b fid, m²) with area > 0."""
        out = []
        for a, b in self.plan.rules:
            for lid in (a, b):
                if lid not in self.layers:
                    fids, geoms, _ = self.plan.read_layer(lid)
                    self.add(lid, fids, geoms)
            ia, ib = self.trees[b].query(self.layers[a], predicate="intersects")
            if a == b:
                keep = ib > ia
                ia, ib = ia[keep], ib[keep]
            inter = shapely.intersection(self.layers[a][ia], self.layers[b][ib])
            for i, j, g in zip(ia, ib, inter):
                m2 = common.geod_area(g)
                if m2 > 0:
                    out.append((f"{a}×{b}", self.fids[a][i], self.fids[b][j], m2))
        return out


def run_sites(engine, sites, repeat):
    runs, records = [], {}
    for r in range(repeat):
        times = []
        for sid, s in sites:
            t = time.perf_counter()
            rec = engine.check(s)
            times.append((time.perf_counter() - t) * 1e3)
            if r == 0:
                records[sid] = rec
        runs.append(common.summarise(times))
        print(f"shapely check run {r + 1}: {runs[-1]}", file=sys.stderr)
    return runs, records


def load_tsv_farmland(plan):
    """The province's farmland from its WKT TSV (what a shapely user would read fastest)."""
    fids, wkts = [], []
    with open(plan.root / "farmland.tsv", encoding="utf-8") as f:
        for line in f:
            fid, _town, wkt = line.rstrip("\n").split("\t")
            fids.append(fid)
            wkts.append(wkt)
    return fids, shapely.from_wkt(np.array(wkts, dtype=object))


def main():
    mode, plan_dir, sites_path = sys.argv[1:4]
    t0 = time.perf_counter()
    plan = common.Plan(plan_dir)
    sites, _ = common.read_sites(sites_path)
    if mode == "cold":
        engine = ShapelyEngine(plan)
        engine.check(sites[0][1])
        print(json.dumps({"answer_s": time.perf_counter() - t0}), flush=True)
    elif mode == "check":
        repeat, out = int(sys.argv[4]), sys.argv[5]
        engine = ShapelyEngine(plan)
        load_s = time.perf_counter() - t0
        runs, records = run_sites(engine, sites, repeat)
        doc = {"engine": "shapely", "load_s": load_s, "runs": runs, "sites": records,
               "peak_rss_mb": common.peak_rss_mb()}
        with open(out, "w") as f:
            json.dump(doc, f)
    elif mode == "scale":
        out = sys.argv[4]
        t = time.perf_counter()
        fids, geoms = load_tsv_farmland(plan)
        read_s = time.perf_counter() - t
        engine = ShapelyEngine(plan, layers=["red_line"])
        t = time.perf_counter()
        engine.add("farmland", fids, geoms)
        index_s = time.perf_counter() - t
        plan.check_layers = ["red_line", "farmland"]
        runs, records = run_sites(engine, sites, 1)
        doc = {"engine": "shapely", "read_s": read_s, "index_s": index_s,
               "load_s": read_s + index_s, "runs": runs, "sites": records,
               "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
        with open(out, "w") as f:
            json.dump(doc, f)


if __name__ == "__main__":
    main()
