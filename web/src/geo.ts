// Small GeoJSON helpers: bounding boxes and label points. Areas are never computed here: the
// server measures them on the ellipsoid.

import type { Feature, FeatureCollection, Geometry, Position } from "geojson";

export type BBox = [number, number, number, number];

function eachPosition(g: Geometry, f: (p: Position) => void): void {
  switch (g.type) {
    case "Point":
      f(g.coordinates);
      break;
    case "MultiPoint":
    case "LineString":
      g.coordinates.forEach(f);
      break;
    case "MultiLineString":
    case "Polygon":
      g.coordinates.forEach((r) => r.forEach(f));
      break;
    case "MultiPolygon":
      g.coordinates.forEach((p) => p.forEach((r) => r.forEach(f)));
      break;
    case "GeometryCollection":
      g.geometries.forEach((x) => eachPosition(x, f));
      break;
  }
}

/** The bounding box of geometries, features or collections; null when empty. */
export function bbox(
  ...items: Array<Geometry | Feature | FeatureCollection | null | undefined>
): BBox | null {
  const b: BBox = [Infinity, Infinity, -Infinity, -Infinity];
  const add = (g: Geometry | null) => {
    if (!g) return;
    eachPosition(g, (p) => {
      b[0] = Math.min(b[0], p[0]);
      b[1] = Math.min(b[1], p[1]);
      b[2] = Math.max(b[2], p[0]);
      b[3] = Math.max(b[3], p[1]);
    });
  };
  for (const it of items) {
    if (!it) continue;
    if (it.type === "FeatureCollection") it.features.forEach((f) => add(f.geometry));
    else if (it.type === "Feature") add(it.geometry);
    else add(it);
  }
  return Number.isFinite(b[0]) ? b : null;
}

/** A point to put a search result at: the point itself, or the bbox centre. */
export function labelPoint(g: Geometry): [number, number] | null {
  if (g.type === "Point") return [g.coordinates[0], g.coordinates[1]];
  const b = bbox(g);
  return b ? [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2] : null;
}
