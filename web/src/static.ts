// Static mode: the page published by `planmap publish OUT/` (crates/planmap-publish), served
// by any web server with no planmap behind it. The page's <meta name="planmap-config"> names
// the site's config.json; the API's answers are files under the plan's folder, the tiles one
// PMTiles archive read with Range requests (the `pmtiles` package's MapLibre protocol), and
// identify runs here on the layers' GeoJSON. Checks are the planners' server's (api_url).

import maplibregl, { type StyleSpecification } from "maplibre-gl";
import { Protocol } from "pmtiles";
import type { Feature, FeatureCollection, Geometry, Position } from "geojson";

export interface StaticPlan {
  id: string;
  name: string;
  name_en: string;
  /** The plan's folder from the site's root, ending in `/`. */
  path: string;
  data_version: string;
}

export interface StaticConfig {
  planmap: "static";
  version: string;
  plans: StaticPlan[];
  /** The planners' planmap server, when the publisher named one. */
  api_url: string | null;
}

let config: StaticConfig | null = null;

/** Reads the config the page's meta names (none: the live server's page). */
export async function loadStaticConfig(): Promise<StaticConfig | null> {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="planmap-config"]');
  if (!meta) return null;
  const res = await fetch(meta.content);
  if (!res.ok) throw new Error(`${meta.content}: ${res.status} ${res.statusText}`);
  config = (await res.json()) as StaticConfig;
  if (config.planmap !== "static" || !config.plans?.length) throw new Error(`${meta.content}: no plan`);
  maplibregl.addProtocol("pmtiles", new Protocol().tile);
  return config;
}

export const staticConfig = () => config;

/** The file holding what the API path `p` answers: `api/plan` → `plans/{id}/plan.json`,
 * `api/layers/x.geojson` → `plans/{id}/layers/x.geojson`, `style.json` → the plan's style. */
export function staticUrl(p: string): string {
  if (!config) return p;
  const rest = p.startsWith("api/") ? p.slice(4) : p;
  return `${config.plans[0].path}${/\.[a-z]+$/.test(rest) ? rest : `${rest}.json`}`;
}

/** The API path, or its file in static mode. */
export const resolve = (p: string) => (config ? staticUrl(p) : p);

const absolute = (p: string) => new URL(p, document.baseURI).href;

/** The published style with its archive and glyphs addressed from this page. */
export function absoluteStyle(style: StyleSpecification): StyleSpecification {
  for (const src of Object.values(style.sources)) {
    const s = src as { url?: string };
    if (s.url?.startsWith("pmtiles://") && !/^pmtiles:\/\/[a-z]+:/.test(s.url))
      s.url = `pmtiles://${absolute(s.url.slice("pmtiles://".length))}`;
  }
  // encodeURI would touch the {fontstack}/{range} placeholders: keep them as written.
  if (style.glyphs && !/^[a-z]+:/.test(style.glyphs))
    style.glyphs = absolute("./") + style.glyphs.replace(/^\.?\//, "");
  return style;
}

// ---- identify on the layers' GeoJSON (what /api/identify answers on the server) ----

const geojson = new Map<string, Promise<FeatureCollection>>();
let areas: Promise<Record<string, Record<string, number>>> | null = null;

const getJson = <T>(url: string): Promise<T> =>
  fetch(url).then((r) => {
    if (!r.ok) throw new Error(`${url}: ${r.status} ${r.statusText}`);
    return r.json() as Promise<T>;
  });

function layerGeojson(id: string): Promise<FeatureCollection> {
  let p = geojson.get(id);
  if (!p) {
    p = getJson<FeatureCollection>(staticUrl(`api/layers/${encodeURIComponent(id)}.geojson`));
    geojson.set(id, p);
  }
  return p;
}

/** Metres per degree of longitude and latitude at `lat` (WGS84 radii of curvature). */
function metresPerDegree(lat: number): [number, number] {
  const [a, f] = [6378137, 1 / 298.257223563];
  const e2 = f * (2 - f);
  const phi = (lat * Math.PI) / 180;
  const w = Math.sqrt(1 - e2 * Math.sin(phi) ** 2);
  const k = Math.PI / 180;
  return [(a / w) * Math.cos(phi) * k, ((a * (1 - e2)) / w ** 3) * k];
}

function inRing(x: number, y: number, ring: Position[]): boolean {
  let c = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) c = !c;
  }
  return c;
}

/** Distance in metres from the origin to segment a–b (local metres). */
function segDist(a: number[], b: number[]): number {
  const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
  const l2 = dx * dx + dy * dy;
  const t = l2 ? Math.max(0, Math.min(1, -(a[0] * dx + a[1] * dy) / l2)) : 0;
  return Math.hypot(a[0] + t * dx, a[1] + t * dy);
}

/** The distance from the point to `g` in metres (0 inside a polygon), or null when beyond
 * `tol` (lines, points) or outside (polygons). */
function distance(g: Geometry, lon: number, lat: number, tol: number): number | null {
  const [kx, ky] = metresPerDegree(lat);
  const local = (p: Position) => [(p[0] - lon) * kx, (p[1] - lat) * ky];
  const lineDist = (line: Position[]) => {
    let d = Infinity;
    for (let i = 1; i < line.length; i++) d = Math.min(d, segDist(local(line[i - 1]), local(line[i])));
    return line.length === 1 ? Math.hypot(...local(line[0])) : d;
  };
  const within = (d: number) => (d <= tol ? d : null);
  switch (g.type) {
    case "Polygon":
    case "MultiPolygon": {
      const polys = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
      const hit = polys.some((rings) => inRing(lon, lat, rings[0]) && !rings.slice(1).some((h) => inRing(lon, lat, h)));
      return hit ? 0 : null;
    }
    case "LineString":
      return within(lineDist(g.coordinates));
    case "MultiLineString":
      return within(Math.min(...g.coordinates.map(lineDist)));
    case "Point":
      return within(Math.hypot(...local(g.coordinates)));
    case "MultiPoint":
      return within(Math.min(...g.coordinates.map((p) => Math.hypot(...local(p)))));
    default:
      return null;
  }
}

/** The features of the layers `ids` at a point, as `/api/identify` lists them. */
export async function identifyStatic(
  ids: { id: string; name: string }[],
  lon: number,
  lat: number,
  tolerance_m: number,
) {
  areas ??= getJson(staticUrl("api/areas"));
  const [area, collections] = await Promise.all([areas, Promise.all(ids.map((l) => layerGeojson(l.id)))]);
  const features = ids.flatMap((l, i) =>
    collections[i].features.flatMap((f: Feature) => {
      const d = f.geometry ? distance(f.geometry, lon, lat, tolerance_m) : null;
      if (d === null) return [];
      const id = String(f.id ?? f.properties?.fid ?? "");
      const m2 = area[l.id]?.[id] ?? 0;
      return [
        {
          layer: l.id,
          layer_name: l.name,
          id,
          name: (f.properties?.name as string | undefined) ?? id,
          geometry: f.geometry.type.replace(/^Multi/, ""),
          distance_m: d,
          area_m2: m2,
          area_mu: m2 / (10000 / 15),
          properties: (f.properties ?? {}) as Record<string, unknown>,
        },
      ];
    }),
  );
  return { count: features.length, features };
}

const NOTE = {
  zh: {
    server: "公开版地图（发布时的数据）。选址分析由规划部门的服务器进行：",
    none: "公开版地图（发布时的数据）。选址分析请联系规划部门，在其服务器上进行。",
  },
  en: {
    server: "Public map (data as published). Site checks are made on the planners' server: ",
    none: "Public map (data as published). Site checks are made on the planners' server; ask the planning office.",
  },
};

/** The page in static mode: the check tab only when a planners' server was named, the batch
 * tab never (batches are the planners' work, on their server), and a note saying where checks
 * are made. */
export function staticChrome(cfg: StaticConfig, lang: () => "zh" | "en", onLang: (f: () => void) => void): void {
  const hide = (tab: string) => {
    for (const sel of [`#tab-${tab}`, `#panel-${tab}`]) {
      const el = document.querySelector<HTMLElement>(sel);
      if (el) el.hidden = true;
    }
    document.querySelector(`#tab-${tab}`)?.setAttribute("aria-hidden", "true");
  };
  if (!cfg.api_url) hide("check");
  hide("batch");
  const note = document.createElement("p");
  note.className = "static-note";
  note.id = "static-note";
  document.querySelector(".sidebar")!.append(note);
  const draw = () => {
    const n = NOTE[lang()];
    note.textContent = cfg.api_url ? n.server : n.none;
    if (cfg.api_url) {
      const a = document.createElement("a");
      a.href = cfg.api_url;
      a.textContent = cfg.api_url;
      a.rel = "noopener";
      note.append(a);
    }
  };
  onLang(draw);
}
