"""Shared pieces of the cross-engine benchmark: the plan's layers, geodesic areas (pyproj's
Geod, i.e. GeographicLib/Karney on WGS84), statistics and process measures."""

import json
import os
import statistics
import tomllib
from pathlib import Path

import shapely
from pyproj import Geod

GEOD = Geod(ellps="WGS84")
ROLE_LAYERS = ("prohibited", "assess", "locate")


class Plan:
    """A plan folder: manifest, polygon layers with a site role, rules."""

    def __init__(self, root):
        self.root = Path(root)
        self.manifest = tomllib.loads((self.root / "plan.toml").read_text())
        self.tol = float(self.manifest.get("sliver_tolerance_m2", 1.0))
        self.layers = {l["id"]: l for l in self.manifest["layers"]}
        self.rules = [(r["a"], r["b"]) for r in self.manifest.get("rules", [])]
        # What a check measures: the county, then every polygon layer with a site role.
        self.check_layers = [
            l["id"]
            for l in self.manifest["layers"]
            if l["geometry"] == "polygon" and l.get("site_role", "none") in ROLE_LAYERS
        ]
        self.locate = {l for l in self.check_layers if self.layers[l]["site_role"] == "locate"}

    def layer_path(self, lid):
        return self.root / self.layers[lid].get("file", f"layers/{lid}.geojson")

    def read_layer(self, lid):
        """(fids, geometries, properties) of a GeoJSON layer, polygons as MultiPolygons."""
        doc = json.loads(self.layer_path(lid).read_text())
        fids, geoms, props = [], [], []
        for f in doc["features"]:
            fids.append(str(f["id"]))
            g = f["geometry"]
            if g["type"] == "Polygon":
                g = {"type": "MultiPolygon", "coordinates": [g["coordinates"]]}
            geoms.append(shapely.geometry.shape(g))
            props.append(f.get("properties") or {})
        return fids, geoms, props


def read_sites(path):
    doc = json.loads(Path(path).read_text())
    return [(str(f["id"]), shapely.geometry.shape(f["geometry"])) for f in doc["features"]], doc


def geod_area(geom):
    """Geodesic area in m² of the polygonal parts of any geometry, holes subtracted."""
    total = 0.0
    for part in shapely.get_parts(geom):
        if part.geom_type == "Polygon":
            total += _poly_area(part)
        elif part.geom_type in ("MultiPolygon", "GeometryCollection"):
            total += geod_area(part)
    return total


def _poly_area(p):
    if p.is_empty:
        return 0.0
    x, y = p.exterior.coords.xy
    a = abs(GEOD.polygon_area_perimeter(x, y)[0])
    for h in p.interiors:
        hx, hy = h.coords.xy
        a -= abs(GEOD.polygon_area_perimeter(hx, hy)[0])
    return a


def summarise(times_ms):
    """p50, p99, max and total (s) of per-item times in ms."""
    s = sorted(times_ms)
    if not s:
        return {"p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0, "total_s": 0.0}

    def pct(p):
        return s[round((len(s) - 1) * p)]

    return {"p50_ms": pct(0.5), "p99_ms": pct(0.99), "max_ms": s[-1], "total_s": sum(s) / 1e3}


def spread(values):
    """min / median / max of repeated measurements."""
    v = [x for x in values if x is not None]
    if not v:
        return None
    return {"min": min(v), "median": statistics.median(v), "max": max(v)}


def site_record(site_m2, county_m2, pieces, tol, layers):
    """Per-layer overlap of one site from its pieces [(layer, m²)]: pieces over the sliver
    tolerance summed, and the count of slivers (0 < area ≤ tol)."""
    out = {l: 0.0 for l in layers}
    slivers = {}
    for layer, a in pieces:
        if a > tol:
            out[layer] += a
        elif a > 0:
            slivers[layer] = slivers.get(layer, 0) + 1
    return {"site_m2": site_m2, "county_m2": county_m2, "layers": out, "slivers": slivers}


def rel_diff(a, b):
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


SLIVER_M2 = 1.0

# Absolute accuracy floor of the peers' geodesic areas (pyproj's Geod = GeographicLib's polygon
# area, which PostGIS's ST_Area(geography) also uses): it sums per-edge areas measured from the
# equator, so a polygon of any size carries an absolute error of ~1e-5 m² (measured against an
# exact equal-area projection (pyproj LAEA centred on the polygon, shoelace) of the same
# vertices: 0.7–1.7e-5 m² on triangles of 0.5–50 m² near Wenshui and the equator, while
# planmap's authalic area of the same vertices agrees with LAEA to ~2e-9 relative). A piece
# of 1.7 m² thus differs by ~3e-6
# relative between two exact engines. Differences within this floor are not disagreements;
# everything beyond it is still held to 1e-6 relative.
AREA_FLOOR_M2 = 5e-5


def agreement(ref, other, layers):
    """Worst relative disagreement between two engines' per-site records (dicts by site id),
    over site area, area inside the county and every layer; with where it happened, and the
    raw worst relative difference (before the absolute floor). Layer areas count pieces over
    the sliver tolerance only; where both engines' figures are slivers (≤ 1 m², e.g. a site
    grazing the county line) they are compared relative to the site's area, since a relative
    difference of two specks of a few cm² measures nothing. The part of a difference within
    AREA_FLOOR_M2 (the peers' geodesic area accuracy) is not counted."""
    worst = (0.0, None, 0.0)
    for sid, r in ref.items():
        o = other.get(sid)
        if o is None or "error" in r or "error" in o:
            if (o is None) or (("error" in r) != ("error" in o)):
                return (1.0, f"{sid}: one engine failed ({r.get('error')} / {o and o.get('error')})", 1.0)
            continue
        pairs = [("site", r["site_m2"], o["site_m2"]), ("county", r["county_m2"], o["county_m2"])]
        pairs += [(l, r["layers"].get(l, 0.0), o["layers"].get(l, 0.0)) for l in layers]
        floor = max(r["site_m2"], o["site_m2"])
        for what, a, b in pairs:
            raw = rel_diff(a, b)
            d = 0.0 if a == b else max(abs(a - b) - AREA_FLOOR_M2, 0.0) / max(abs(a), abs(b))
            if max(abs(a), abs(b)) <= SLIVER_M2:
                # Both slivers (the plan's default tolerance): relative to the site instead.
                raw = d = abs(a - b) / floor
            if d > worst[0] or (d == worst[0] and raw > worst[2]):
                worst = (d, f"{sid} {what}: {a!r} vs {b!r}", max(raw, worst[2]))
            elif raw > worst[2]:
                worst = (worst[0], worst[1], raw)
    return worst


def peak_rss_mb(pid="self"):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def cpu_count():
    return os.cpu_count() or 1
