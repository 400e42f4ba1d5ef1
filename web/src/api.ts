// The server's JSON API (crates/planmap-server/src/api.rs), typed for the front end.
// Every URL is relative, so the page works wherever the server mounts it.

import type { Feature, FeatureCollection, Geometry } from "geojson";
import { absoluteStyle, identifyStatic, resolve, staticConfig } from "./static";

export type SiteRole = "prohibited" | "assess" | "locate" | "none";
export type Verdict = "不通过" | "需论证" | "通过";

export interface Target {
  value: number;
  unit: "km2" | "wanmu" | "mu" | "ha";
  indicator?: number | null;
  source: string;
}

/** The part a layer plays in the plan (the manifest's `role`): the app finds layers by
 * role, never by id. */
export type Role = "county" | "subdivisions" | "red_line" | "parks" | "places" | "neighbours";

/** A number, or `[[zoom, value], …]` interpolated linearly. */
export type Stops = number | [number, number][];

/** How a layer is drawn: the manifest's `[layers.draw]` over its kind's defaults. */
export interface Draw {
  fill: string | null;
  fill_opacity: number;
  outline: string | null;
  width: Stops;
  dash: number[];
  radius: Stops;
  minzoom: number;
  order: number;
  label: string | null;
  label_minzoom: number;
  label_size: Stops;
  label_color: string;
  label_halo: string;
  label_halo_width: number;
  label_spacing: number;
  label_order: number;
  search: boolean;
}

export interface LayerDef {
  id: string;
  name: string;
  name_en: string;
  kind: string;
  geometry: "polygon" | "line" | "point";
  color: string;
  site_role: SiteRole;
  target?: Target | null;
  role?: Role | null;
  draw: Draw;
}

export interface Rule {
  a: string;
  b: string;
  severity: "conflict" | "warning";
  reason: string;
}

export interface Indicator {
  category: string;
  no: number;
  indicator: string;
  unit: string;
  baseline_2023: string;
  target_2027: string;
  target_2035: string;
  binding: string;
}

export interface Plan {
  id: string;
  name: string;
  name_en: string;
  county: string;
  county_en: string;
  province: string;
  city: string;
  county_area_km2: number;
  period: string;
  base_year?: number | null;
  sliver_tolerance_m2: number;
  illustrative: boolean;
  caveat: string;
  caveat_en: string;
  center?: [number, number] | null;
  zoom?: number | null;
  layers: LayerDef[];
  rules: Rule[];
  indicators: Indicator[];
  data_version: string;
  /** The manifest's `[basemap]` (or `--basemap`), when one is drawn under the plan. */
  basemap?: { url: string; attribution: string; approval: string } | null;
}

/** What a basemap is credited with: its attribution and 审图号. */
export function basemapCredit(plan: Plan): string {
  const b = plan.basemap;
  if (!b) return "";
  return [b.attribution.trim(), b.approval.trim() ? `审图号：${b.approval.trim()}` : ""].filter(Boolean).join(" · ");
}

export interface LayerStats {
  id: string;
  name: string;
  name_en: string;
  kind: string;
  geometry: string;
  color: string;
  site_role: SiteRole;
  role?: Role | null;
  features: number;
  area_m2: number;
  area_km2: number;
  area_ha: number;
  area_mu: number;
  area_wanmu: number;
  target?: Target | null;
  target_deviation?: number | null;
  bbox?: [number, number, number, number] | null;
}

export interface PlanStats {
  plan: string;
  illustrative: boolean;
  caveat: string;
  data_version: string;
  layers: LayerStats[];
}

export interface LayerOverlap {
  layer: string;
  name: string;
  role: SiteRole;
  area_m2: number;
  area_ha: number;
  area_mu: number;
  share: number;
  feature_ids: string[];
  feature_names: string[];
}

export interface CheckReport {
  verdict: Verdict;
  verdict_en: string;
  reasons: string[];
  site_area_m2: number;
  site_area_ha: number;
  site_area_mu: number;
  inside_county_share: number;
  overlaps: LayerOverlap[];
  slivers: { layer: string; feature_id: string; area_m2: number }[];
  townships: string[];
  parks: string[];
  locations: { layer: string; feature_id: string; name: string; share: number }[];
  nearest_red_line_m?: number | null;
  nearest: { layer: string; feature_id: string; distance_m: number }[];
  avoidance_area_m2: number;
  sliver_tolerance_m2: number;
  data_version: string;
  illustrative: boolean;
  caveat: string;
}

/** A check's answer with `geometry=true`: the report, how a file was read, and the site,
 * overlap pieces and 避让 geometry as GeoJSON (`role` site | overlap | sliver | avoidance). */
export type CheckAnswer = CheckReport & { input?: FileInput; geojson: FeatureCollection };

/** How the server read a site file (`POST /api/check?input=…`). */
export interface FileInput {
  format: string;
  crs: string;
  warnings: string[];
  parcels: {
    parcel: number;
    number?: string | null;
    name?: string | null;
    stated_area?: string | null;
    stated_m2?: number | null;
    planar_m2?: number | null;
    ellipsoidal_m2: number;
  }[];
}

export interface Conflict {
  rule: string;
  severity: "conflict" | "warning";
  reason: string;
  a_layer: string;
  a_id: string;
  a_name: string;
  b_layer: string;
  b_id: string;
  b_name: string;
  area_m2: number;
  area_ha: number;
  area_mu: number;
}

export interface RuleSummary {
  rule: string;
  a: string;
  b: string;
  severity: "conflict" | "warning";
  reason: string;
  count: number;
  area_m2: number;
  area_mu: number;
  sliver_count: number;
  sliver_area_m2: number;
}

export interface ConflictScan {
  sliver_tolerance_m2: number;
  summary: RuleSummary[];
  conflicts: Conflict[];
  slivers: Conflict[];
}

export interface IdentifyHit {
  layer: string;
  layer_name: string;
  id: string;
  name: string | null;
  geometry: string;
  distance_m: number;
  area_m2: number;
  area_mu: number;
  properties: Record<string, unknown>;
}

/** An error the server explained (its JSON body has `error`), or a network failure. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

async function json<T>(res: Response): Promise<T> {
  if (!res.ok) {
    let msg = `${res.status} ${res.statusText}`;
    try {
      const body = await res.json();
      if (body && typeof body.error === "string") msg = body.error;
      else if (body && typeof body.message === "string") msg = body.message;
    } catch {
      /* not JSON: keep the status line */
    }
    throw new ApiError(msg, res.status);
  }
  return (await res.json()) as T;
}

// In static mode (static.ts) each answer is a published file.
const get = <T>(url: string) => fetch(resolve(url)).then((r) => json<T>(r));

export const api = {
  plan: () => get<Plan>("api/plan"),
  layers: () => get<PlanStats>("api/layers"),
  conflicts: () => get<ConflictScan>("api/conflicts"),
  conflictsGeojson: () => get<FeatureCollection>("api/conflicts.geojson"),
  layerGeojson: (id: string) => get<FeatureCollection>(layerPath(id)),
  /** The features at a point; `layers` (static mode) the layers worth looking in. */
  identify: (lon: number, lat: number, tolerance_m: number, layers: LayerDef[] = []) =>
    staticConfig()
      ? identifyStatic(layers, lon, lat, tolerance_m)
      : get<{ count: number; features: IdentifyHit[] }>(
          `api/identify?lon=${lon.toFixed(7)}&lat=${lat.toFixed(7)}&tolerance=${tolerance_m.toFixed(0)}`,
        ),
  style: () =>
    get<import("maplibre-gl").StyleSpecification>("style.json").then((s) => (staticConfig() ? absoluteStyle(s) : s)),
  // One request a check: the report and (geometry=true) the GeoJSON of the site, pieces and
  // 避让 geometry in one answer. Checks are recorded in the server's check history as
  // source=web; the printable report re-checks with the panel's key, so it is the same record.
  check: (site: Geometry | Feature | FeatureCollection, key: string) =>
    fetch(checkUrl("", key), { method: "POST", body: JSON.stringify(site) }).then((r) => json<CheckAnswer>(r)),
  /** A site file (TXT, KML, DXF, zipped Shapefile, GeoPackage) read by the server. */
  checkFile: (body: ArrayBuffer | string, input: string, key: string) =>
    fetch(checkUrl(`input=${encodeURIComponent(input)}`, key), { method: "POST", body }).then((r) =>
      json<CheckAnswer>(r),
    ),
};

// Static mode: checks go to the planners' server (--api-url), with CORS.
const checkUrl = (query: string, key: string) =>
  `${staticConfig()?.api_url ? `${staticConfig()!.api_url}/` : ""}api/check?${query ? `${query}&` : ""}geometry=true&source=web&check_key=${encodeURIComponent(key)}`;

/** A new key naming one check of this page (getRandomValues works on plain http too). */
export function newCheckKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const layerPath = (id: string) => `api/layers/${encodeURIComponent(id)}.geojson`;
/** A layer's GeoJSON download (a published file in static mode). */
export const layerExportUrl = (id: string) => resolve(layerPath(id));
export const conflictsExportUrl = () => resolve("api/conflicts.geojson");
