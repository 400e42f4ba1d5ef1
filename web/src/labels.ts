// One label per area for townships and neighbouring counties. Vector tiles cut polygons at
// tile edges, so labelling them from tiles repeats a name in every tile; instead the names are
// placed once, at a point inside each polygon, from the layers' GeoJSON.

import type { Feature, FeatureCollection, Point, Polygon, Position } from "geojson";
import type maplibregl from "maplibre-gl";
import { api } from "./api";

function ringArea(r: Position[]): number {
  let a = 0;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) a += (r[j][0] - r[i][0]) * (r[j][1] + r[i][1]);
  return a / 2;
}

function inside(p: Position, ring: Position[]): boolean {
  let c = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) c = !c;
  }
  return c;
}

/** A point well inside a polygon: the middle of the widest horizontal run through it, on
 * a few scan lines around its middle (cheap, and always inside). */
export function interiorPoint(poly: Position[][]): Position {
  const outer = poly[0];
  let [minY, maxY] = [Infinity, -Infinity];
  for (const p of outer) [minY, maxY] = [Math.min(minY, p[1]), Math.max(maxY, p[1])];
  let best: Position = outer[0];
  let bestW = -1;
  for (const f of [0.5, 0.4, 0.6, 0.3, 0.7]) {
    const y = minY + (maxY - minY) * f;
    const xs: number[] = [];
    for (const ring of poly) {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [a, b] = [ring[i], ring[j]];
        if (a[1] > y !== b[1] > y) xs.push(a[0] + ((y - a[1]) * (b[0] - a[0])) / (b[1] - a[1]));
      }
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const w = xs[k + 1] - xs[k];
      const mid: Position = [(xs[k] + xs[k + 1]) / 2, y];
      if (w > bestW * 1.25 && inside(mid, outer)) [best, bestW] = [mid, w];
    }
  }
  return best;
}

function labelFeature(f: Feature, layer: string): Feature<Point> | null {
  const g = f.geometry;
  if (!g || !f.properties?.name) return null;
  const polys: Position[][][] =
    g.type === "Polygon" ? [(g as Polygon).coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
  if (!polys.length) return null;
  const largest = polys.reduce((a, b) => (Math.abs(ringArea(b[0])) > Math.abs(ringArea(a[0])) ? b : a));
  return {
    type: "Feature",
    properties: { name: f.properties.name, name_en: f.properties.name_en ?? "", layer },
    geometry: { type: "Point", coordinates: interiorPoint(largest) },
  };
}

/** Adds the labels of townships, neighbours and parks, in place of the tile-based ones. */
export async function addAreaLabels(map: maplibregl.Map): Promise<void> {
  const [towns, neighbours, parks] = await Promise.all(
    ["townships", "neighbours", "industrial_parks"].map((id) =>
      api.layerGeojson(id).catch(() => ({ type: "FeatureCollection", features: [] }) as FeatureCollection),
    ),
  );
  const features = [
    ...towns.features.map((f) => labelFeature(f, "townships")),
    ...neighbours.features.map((f) => labelFeature(f, "neighbours")),
    ...parks.features.map((f) => labelFeature(f, "industrial_parks")),
  ].filter((f): f is Feature<Point> => f !== null);
  // A township's seat is also a place of the same name: its dot stays, its label goes.
  const townNames = towns.features.map((f) => String(f.properties?.name ?? ""));
  if (map.getLayer("places-label"))
    map.setFilter("places-label", ["!", ["in", ["get", "name"], ["literal", townNames]]]);
  map.addSource("pm-area-labels", { type: "geojson", data: { type: "FeatureCollection", features } });
  const tileLabel = map.getLayer("townships-label");
  const font = tileLabel ? (map.getLayoutProperty("townships-label", "text-font") as string[]) : undefined;
  const base: { "text-field": maplibregl.ExpressionSpecification; "text-font"?: string[] } = {
    "text-field": ["get", "name"],
    ...(font ? { "text-font": font } : {}),
  };
  if (tileLabel) map.removeLayer("townships-label");
  if (map.getLayer("industrial_parks-label")) map.removeLayer("industrial_parks-label");
  map.addLayer({
    id: "neighbours-label",
    type: "symbol",
    source: "pm-area-labels",
    filter: ["==", ["get", "layer"], "neighbours"],
    metadata: { "planmap:layer": "neighbours" },
    layout: { ...base, "text-size": 15, "text-letter-spacing": 0.4 },
    paint: { "text-color": "#9a978c", "text-halo-color": "#f3f2ec", "text-halo-width": 1.2 },
  });
  map.addLayer({
    id: "townships-area-label",
    type: "symbol",
    source: "pm-area-labels",
    filter: ["==", ["get", "layer"], "townships"],
    metadata: { "planmap:layer": "townships" },
    minzoom: 8.5,
    layout: {
      ...base,
      "text-size": ["interpolate", ["linear"], ["zoom"], 9, 13, 13, 17],
      "text-letter-spacing": 0.2,
      "symbol-sort-key": 0,
    },
    paint: { "text-color": "#3e3a30", "text-halo-color": "rgba(255,255,255,0.9)", "text-halo-width": 1.8 },
  });
  map.addLayer({
    id: "parks-area-label",
    type: "symbol",
    source: "pm-area-labels",
    filter: ["==", ["get", "layer"], "industrial_parks"],
    metadata: { "planmap:layer": "industrial_parks" },
    minzoom: 9,
    layout: { ...base, "text-size": 12, "text-optional": true },
    paint: { "text-color": "#5d4037", "text-halo-color": "rgba(255,255,255,0.92)", "text-halo-width": 1.6 },
  });
}
