// Reading a site the planner brings: GeoJSON or KML files, or coordinates pasted as text.
// Pasted lon,lat pairs become a polygon here; anything else pasted (Gauss-Krüger X,Y, a
// land-ministry coordinate TXT) and every TXT file is read by the server (planmap-io's
// coordinate-TXT reader, the one implementation of the format and its projection), and the
// page draws the site the server's answer carries.

import { kml } from "@tmcw/togeojson";
import type { Feature, FeatureCollection, MultiPolygon, Polygon, Position } from "geojson";

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
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new SiteParseError(`${name}: JSON 格式错误 / not valid JSON (${(e as Error).message})`);
  }
  return need(polygonsOf(obj), name);
}

const isLonLat = (a: number, b: number) => a >= 73 && a <= 136 && b >= 3 && b <= 54;

/** What pasted text is: a site read here (GeoJSON, or lon,lat pairs one a line, in either
 * order), or the text of a coordinate file for the server to read. */
export type Pasted = { site: FeatureCollection<Polygon | MultiPolygon> } | { txt: string };

/** Pasted text: GeoJSON; lines of lon,lat (or lat,lon) pairs; else coordinates for the
 * server's coordinate-TXT reader. Bare X,Y lines get the format's parcel line so the server
 * reads them as one parcel (`J1,X,Y` point names added where a line has only the two). */
export function readPasted(text: string): Pasted {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) return { site: parseFile("pasted.geojson", trimmed) };
  const lines = trimmed.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const pairs = lines.map((l) => (l.match(/-?\d+(?:\.\d+)?(?:e[-+]?\d+)?/gi) ?? []).map(Number));
  if (pairs.length && pairs.every((n) => n.length === 2 && (isLonLat(n[0], n[1]) || isLonLat(n[1], n[0])))) {
    const ring: Position[] = pairs.map(([a, b]) => (isLonLat(a, b) ? [a, b] : [b, a]));
    if (ring.length < 3) throw new SiteParseError("至少需要 3 个坐标点 / at least 3 points are needed");
    const [f, l] = [ring[0], ring[ring.length - 1]];
    if (f[0] !== l[0] || f[1] !== l[1]) ring.push(f);
    const geometry: Polygon = { type: "Polygon", coordinates: [ring] };
    return { site: polygonsOf({ type: "Feature", properties: {}, geometry }) };
  }
  if (/\[地块坐标\]/.test(trimmed)) return { txt: trimmed };
  const points = lines.map((l, i) => {
    const parts = l.split(/[,，\s]+/);
    return parts.length === 2 ? `J${i + 1},${parts.join(",")}` : l;
  });
  return { txt: ["[地块坐标]", `${points.length},,,粘贴地块,面,,,,@`, ...points].join("\n") };
}
