// The catalog: the plans one server holds (GET /api/plans, /api/plans.geojson) and where each
// plan's page lives. A plan's web app is served under /plans/{id}/, where every relative URL of
// the app (api/…, style.json, report.html) means that plan: opening a plan is navigating there,
// and that path is the permalink's plan. The root means the default plan (old permalinks), or,
// when the server holds several plans and the hash names no plan view, the overview.

import type { FeatureCollection, MultiPolygon, Polygon } from "geojson";
import { getLang } from "./i18n";
import { getParam } from "./permalink";

/** One plan of `GET /api/plans`. */
export interface PlanEntry {
  id: string;
  name: string;
  county: string;
  adcode: string;
  bbox: [number, number, number, number];
  layers: number;
  version: string;
  loaded: boolean;
  memory_bytes: number | null;
  url: string;
}

export interface Catalog {
  default: string;
  plans: PlanEntry[];
}

/** `GET /api/plans.geojson`: one county outline a plan. */
export type Outlines = FeatureCollection<
  Polygon | MultiPolygon,
  { id: string; name: string; county: string; adcode: string; area_km2: number; url: string; color?: string }
>;

const PLAN_PATH = /\/plans\/([^/]+)\/(?:[^/]*\.html)?$/;

/** The plan this page's path names (`/plans/{id}/…`), or null at the root. */
export function pathPlan(): string | null {
  const m = location.pathname.match(PLAN_PATH);
  return m ? decodeURIComponent(m[1]) : null;
}

/** The server's root relative to this page (relative, so the app works wherever it is
 * mounted). */
export const rootPath = (): string => (pathPlan() === null ? "" : "../../");

/** The page of plan `id`. */
export const planHref = (id: string): string => `${rootPath()}plans/${encodeURIComponent(id)}/`;

/** The overview's page. */
export const overviewHref = (): string => `${rootPath()}#overview`;

/** `href` keeping the page's language (`lang=en`). */
export const keepLang = (href: string): string =>
  getLang() === "en" ? `${href}${href.includes("#") ? "&" : "#"}lang=en` : href;

/** Hash parameters only a plan's page writes: a root URL holding one is an old permalink of
 * the default plan. */
const PLAN_VIEW_PARAMS = ["map", "panel", "hide"];

/** Whether this page shows the overview rather than a plan. */
export function wantsOverview(cat: Catalog | null): boolean {
  if (!cat || cat.plans.length < 2 || pathPlan() !== null) return false;
  if (getParam("overview") !== null) return true;
  return PLAN_VIEW_PARAMS.every((p) => getParam(p) === null);
}

/** The catalog, or null from a server without one (or when it cannot be read: the page then
 * works as a one-plan app). */
export async function loadCatalog(): Promise<Catalog | null> {
  try {
    const res = await fetch(`${rootPath()}api/plans`);
    if (!res.ok) return null;
    const cat = (await res.json()) as Catalog;
    return Array.isArray(cat?.plans) ? cat : null;
  } catch {
    return null;
  }
}

export async function loadOutlines(): Promise<Outlines> {
  const res = await fetch(`${rootPath()}api/plans.geojson`);
  if (!res.ok) throw new Error(`api/plans.geojson: ${res.status} ${res.statusText}`);
  return (await res.json()) as Outlines;
}

/** A plan as the picker and search write it: "汾阳市 · 141182". */
export const planLabel = (p: { county: string; adcode: string; name?: string }): string =>
  [p.county || p.name, p.adcode].filter(Boolean).join(" · ");
