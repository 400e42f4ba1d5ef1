// One label per area for every labelled polygon layer (subdivisions, neighbours, parks, …).
// Vector tiles cut polygons at tile edges, so labelling them from tiles repeats a name in
// every tile; instead the names are placed once, at a point inside each polygon, from the
// layers' GeoJSON.

import type { Feature, FeatureCollection, Point, Polygon, Position } from "geojson";
import type maplibregl from "maplibre-gl";
import type { SymbolLayerSpecification } from "maplibre-gl";
import { api, type LayerDef } from "./api";

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

function labelFeature(f: Feature, attr: string): Feature<Point> | null {
  const g = f.geometry;
  const text = f.properties?.[attr];
  if (!g || text === undefined || text === null || text === "") return null;
  const polys: Position[][][] =
    g.type === "Polygon" ? [(g as Polygon).coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
  if (!polys.length) return null;
  const largest = polys.reduce((a, b) => (Math.abs(ringArea(b[0])) > Math.abs(ringArea(a[0])) ? b : a));
  return {
    type: "Feature",
    properties: { [attr]: text },
    geometry: { type: "Point", coordinates: interiorPoint(largest) },
  };
}

/** Labels every labelled polygon layer once a polygon: its label layer in the server's style
 * (`{id}-label`, drawn as the manifest says) is kept in its place, its source swapped for the
 * layer's polygons as points inside them. */
export async function addAreaLabels(map: maplibregl.Map, layers: LayerDef[]): Promise<void> {
  const labelled = layers.filter((d) => d.geometry === "polygon" && d.draw.label && map.getLayer(`${d.id}-label`));
  const collections = await Promise.all(
    labelled.map((d) =>
      api.layerGeojson(d.id).catch(() => ({ type: "FeatureCollection", features: [] }) as FeatureCollection),
    ),
  );
  const order = map.getStyle().layers.map((l) => l.id);
  labelled.forEach((d, i) => {
    const id = `${d.id}-label`;
    const tiled = map.getStyle().layers.find((l) => l.id === id) as SymbolLayerSpecification;
    const features = collections[i].features
      .map((f) => labelFeature(f, d.draw.label!))
      .filter((f): f is Feature<Point> => f !== null);
    const source = `pm-labels-${d.id}`;
    map.addSource(source, { type: "geojson", data: { type: "FeatureCollection", features } });
    // The next layer in the style that is still there: the label goes back to its place.
    const next = order.slice(order.indexOf(id) + 1).find((n) => n !== id && map.getLayer(n));
    map.removeLayer(id);
    const spec: Record<string, unknown> = { ...tiled, source };
    delete spec["source-layer"];
    map.addLayer(spec as unknown as SymbolLayerSpecification, next);
  });
}
