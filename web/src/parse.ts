// Reading a site the planner brings: GeoJSON or KML files, or coordinates pasted as text —
// lon,lat pairs, or CGCS2000 3° Gauss-Krüger X,Y (zone 37, central meridian 111°E, with or
// without the zone prefix) as the land-ministry coordinate files write them.

import { kml } from "@tmcw/togeojson";
import type { Feature, FeatureCollection, Geometry, MultiPolygon, Polygon, Position } from "geojson";

export class SiteParseError extends Error {}

/** Keeps the polygons of any GeoJSON object, as one FeatureCollection. */
export function polygonsOf(obj: unknown): FeatureCollection<Polygon | MultiPolygon> {
  const out: Feature<Polygon | MultiPolygon>[] = [];
  const visit = (o: any, props: Record<string, unknown> | null) => {
    if (!o || typeof o !== "object") return;
    switch (o.type) {
      case "FeatureCollection":
        (o.features ?? []).forEach((f: any) => visit(f, null));
        break;
      case "Feature":
        visit(o.geometry, o.properties ?? {});
        break;
      case "GeometryCollection":
        (o.geometries ?? []).forEach((g: any) => visit(g, props));
        break;
      case "Polygon":
      case "MultiPolygon":
        out.push({ type: "Feature", properties: props ?? {}, geometry: o as Polygon | MultiPolygon });
        break;
    }
  };
  visit(obj, null);
  return { type: "FeatureCollection", features: out };
}

function need(fc: FeatureCollection<Polygon | MultiPolygon>, what: string) {
  if (!fc.features.length) throw new SiteParseError(`${what}: 未找到面要素 / no polygon found`);
  return fc;
}

/** A file's text, by its name and content: GeoJSON or KML. */
export function parseFile(name: string, text: string): FeatureCollection<Polygon | MultiPolygon> {
  const lower = name.toLowerCase();
  if (lower.endsWith(".kml") || text.trimStart().startsWith("<")) {
    const doc = new DOMParser().parseFromString(text, "text/xml");
    if (doc.getElementsByTagName("parsererror").length)
      throw new SiteParseError(`${name}: KML 格式错误 / not valid KML`);
    return need(polygonsOf(kml(doc)), name);
  }
  if (lower.endsWith(".txt") || /\[地块坐标\]/.test(text)) return parseCoordinates(text);
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new SiteParseError(`${name}: JSON 格式错误 / not valid JSON (${(e as Error).message})`);
  }
  return need(polygonsOf(obj), name);
}

// CGCS2000 ellipsoid and the 3° zone 37 of the county.
const A = 6378137;
const F = 1 / 298.257222101;
const E2 = F * (2 - F);
const K0 = 1;
const FALSE_EASTING = 500000;

/** Inverse transverse Mercator (Snyder 8-18..8-24): Gauss-Krüger x (northing), y (easting
 * without zone prefix) to lon/lat, central meridian `lon0`. Millimetre-exact within a 3° zone. */
export function gaussKrugerToLonLat(northing: number, easting: number, lon0: number): Position {
  const ep2 = E2 / (1 - E2);
  const M = northing / K0;
  const mu = M / (A * (1 - E2 / 4 - (3 * E2 ** 2) / 64 - (5 * E2 ** 3) / 256));
  const e1 = (1 - Math.sqrt(1 - E2)) / (1 + Math.sqrt(1 - E2));
  const phi1 =
    mu +
    ((3 * e1) / 2 - (27 * e1 ** 3) / 32) * Math.sin(2 * mu) +
    ((21 * e1 ** 2) / 16 - (55 * e1 ** 4) / 32) * Math.sin(4 * mu) +
    ((151 * e1 ** 3) / 96) * Math.sin(6 * mu) +
    ((1097 * e1 ** 4) / 512) * Math.sin(8 * mu);
  const s = Math.sin(phi1);
  const c = Math.cos(phi1);
  const tn = Math.tan(phi1);
  const C1 = ep2 * c * c;
  const T1 = tn * tn;
  const N1 = A / Math.sqrt(1 - E2 * s * s);
  const R1 = (A * (1 - E2)) / (1 - E2 * s * s) ** 1.5;
  const D = (easting - FALSE_EASTING) / (N1 * K0);
  const lat =
    phi1 -
    ((N1 * tn) / R1) *
      (D ** 2 / 2 -
        ((5 + 3 * T1 + 10 * C1 - 4 * C1 ** 2 - 9 * ep2) * D ** 4) / 24 +
        ((61 + 90 * T1 + 298 * C1 + 45 * T1 ** 2 - 252 * ep2 - 3 * C1 ** 2) * D ** 6) / 720);
  const lon =
    (D -
      ((1 + 2 * T1 + C1) * D ** 3) / 6 +
      ((5 - 2 * C1 + 28 * T1 - 3 * C1 ** 2 + 8 * ep2 + 24 * T1 ** 2) * D ** 5) / 120) /
    c;
  return [lon0 + (lon * 180) / Math.PI, (lat * 180) / Math.PI];
}

const isLonLat = (a: number, b: number) => a >= 73 && a <= 136 && b >= 3 && b <= 54;

/** One position from the numbers of a line; `ring` is the 圈号 when the line has one. */
function position(nums: number[]): { p: Position; ring: number } | null {
  if (nums.length < 2) return null;
  const [a, b] = nums.slice(-2);
  const ring = nums.length >= 3 && Number.isInteger(nums[nums.length - 3]) && nums[nums.length - 3] < 1000
    ? nums[nums.length - 3]
    : 1;
  if (isLonLat(a, b)) return { p: [a, b], ring: 1 };
  if (isLonLat(b, a)) return { p: [b, a], ring: 1 };
  // Gauss-Krüger: X = northing (~4.1e6 here), Y = easting with or without the zone prefix.
  if (a > 1e6 && a < 1e7) {
    let y = b;
    let zone = 37;
    if (y >= 1e6) {
      zone = Math.floor(y / 1e6);
      y -= zone * 1e6;
    }
    if (y > 0 && y < 1e6) return { p: gaussKrugerToLonLat(a, y, zone * 3), ring };
  }
  return null;
}

function closed(r: Position[]): Position[] {
  const [f, l] = [r[0], r[r.length - 1]];
  return f[0] === l[0] && f[1] === l[1] ? r : [...r, f];
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

/** Pasted text: GeoJSON, or one point a line (lon,lat | lat,lon | X,Y | 点号,圈号,X,Y). */
export function parseCoordinates(text: string): FeatureCollection<Polygon | MultiPolygon> {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) return parseFile("pasted.geojson", trimmed);
  const rings = new Map<number, Position[]>();
  for (const line of trimmed.split(/\r?\n/)) {
    if (line.includes("@") || line.startsWith("[") || line.includes("=")) {
      // a 地块 header line ends a parcel in the coordinate-TXT format: keep reading
      continue;
    }
    const nums = (line.match(/-?\d+(?:\.\d+)?(?:e[-+]?\d+)?/gi) ?? []).map(Number);
    const pos = position(nums);
    if (!pos) continue;
    if (!rings.has(pos.ring)) rings.set(pos.ring, []);
    rings.get(pos.ring)!.push(pos.p);
  }
  const all = [...rings.values()].filter((r) => r.length >= 3).map(closed);
  if (!all.length || all[0].length < 4)
    throw new SiteParseError("至少需要 3 个坐标点 / at least 3 points are needed");
  // Rings after the first: a hole when inside an outer ring, else another part.
  const polys: Position[][][] = [];
  for (const r of all) {
    const outer = polys.find((p) => inside(r[0], p[0]));
    if (outer) outer.push(r);
    else polys.push([r]);
  }
  const geometry: Geometry =
    polys.length === 1
      ? { type: "Polygon", coordinates: polys[0] }
      : { type: "MultiPolygon", coordinates: polys };
  return polygonsOf({ type: "Feature", properties: {}, geometry });
}
