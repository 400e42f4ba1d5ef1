// The overview of a catalog of plans: every plan's county outline (one GeoJSON source, from
// /api/plans.geojson), its name as a label, and the plans' figures in the side panel and in a
// pop-up on click. Picking a plan (the header's picker, a row's link, the pop-up) opens its
// page. Nothing here loads a plan's engine: the server answers both requests from manifests.

import maplibregl, { type StyleSpecification } from "maplibre-gl";
import type { FeatureCollection, Point } from "geojson";
import { type Catalog, loadOutlines, type Outlines } from "./catalog";
import { bbox, labelPoint, type BBox } from "./geo";
import { onLang, t } from "./i18n";
import { CJK_FONTS, trackIdle } from "./map";
import { PlansPanel, planFigures } from "./panels/plans";

/** Fill colours the plans take in turn (soft, so the labels read on them). */
const PALETTE = ["#d9e8d2", "#f3e3c3", "#d5e3ef", "#efd9de", "#e2dcef", "#d8ece9", "#ece9cf"];

const $ = <T extends HTMLElement = HTMLElement>(sel: string) => document.querySelector<T>(sel)!;

/** The glyph URL of the server's fonts and the stack its own styles use (GET /fonts.json). */
async function fonts(root: string): Promise<{ glyphs: string; stack: string[] }> {
  const base = new URL(root, location.href).href;
  let stack = ["Noto Sans Regular"];
  try {
    const res = await fetch(`${root}fonts.json`);
    if (res.ok) stack = ((await res.json()) as { default: string[] }).default;
  } catch {
    /* keep the fallback stack */
  }
  return { glyphs: `${base}fonts/{fontstack}/{range}.pbf`, stack };
}

function overviewStyle(outlines: Outlines, glyphs: string, stack: string[]): StyleSpecification {
  const labels: FeatureCollection<Point> = { type: "FeatureCollection", features: [] };
  outlines.features.forEach((f, i) => {
    f.properties = { ...f.properties, color: PALETTE[i % PALETTE.length] };
    const at = labelPoint(f.geometry);
    if (at) labels.features.push({ type: "Feature", properties: f.properties, geometry: { type: "Point", coordinates: at } });
  });
  return {
    version: 8,
    glyphs,
    sources: {
      plans: { type: "geojson", data: outlines },
      "plan-labels": { type: "geojson", data: labels },
    },
    layers: [
      { id: "ov-background", type: "background", paint: { "background-color": "#eef0ea" } },
      {
        id: "ov-fill",
        type: "fill",
        source: "plans",
        paint: {
          "fill-color": ["get", "color"],
          "fill-opacity": 0.9,
        },
      },
      {
        id: "ov-outline",
        type: "line",
        source: "plans",
        paint: { "line-color": "#5b4a3a", "line-width": 1.2 },
      },
      {
        id: "ov-selected",
        type: "line",
        source: "plans",
        filter: ["==", ["get", "id"], "\u0000"],
        paint: { "line-color": "#0d47a1", "line-width": 3.5 },
      },
      {
        id: "ov-labels",
        type: "symbol",
        source: "plan-labels",
        layout: {
          "text-field": ["format", ["get", "county"], {}, "\n", {}, ["get", "adcode"], { "font-scale": 0.75 }], // a plan field, not a layer id
          "text-font": stack,
          "text-size": 14,
          "text-max-width": 8,
        },
        paint: { "text-color": "#2b2b2b", "text-halo-color": "#ffffff", "text-halo-width": 1.5 },
      },
    ],
  };
}

/** Builds the overview page (the header's picker is installed by the caller). */
export async function startOverview(cat: Catalog, root: string): Promise<void> {
  document.body.classList.add("overview");
  const [outlines, font] = await Promise.all([loadOutlines(), fonts(root)]);
  onLang(() => {
    $("h1").textContent = t("overviewTitle");
    $("#plan-name").textContent = t("overviewSub", { n: cat.plans.length });
    document.title = `${t("overviewTitle")} · planmap`;
    $<HTMLInputElement>("#search-input").placeholder = t("searchPlans");
  });

  // The side bar holds the plans' list instead of the plan's tabs.
  const sidebar = $("#sidebar");
  sidebar.innerHTML = `<section class="panel" id="panel-plans" aria-label="${t("overview")}" tabindex="0"></section>`;

  const all = bbox(outlines) as BBox | null;
  const container = $("#map");
  const map = new maplibregl.Map({
    container,
    style: overviewStyle(outlines, font.glyphs, font.stack),
    hash: "overview",
    bounds: all ? [all[0], all[1], all[2], all[3]] : undefined,
    fitBoundsOptions: { padding: 30 },
    localIdeographFontFamily: CJK_FONTS,
    attributionControl: false,
    maxZoom: 14,
    minZoom: 4,
    dragRotate: false,
    pitchWithRotate: false,
    canvasContextAttributes: { preserveDrawingBuffer: true, antialias: true },
  });
  map.touchZoomRotate.disableRotation();
  trackIdle(map, container);
  // Which plans the map has drawn (ids, in the order of the catalog), for tests and the curious.
  map.on("idle", () => {
    const drawn = new Set(map.queryRenderedFeatures({ layers: ["ov-fill"] }).map((f) => String(f.properties.id)));
    container.dataset.plans = cat.plans.filter((p) => drawn.has(p.id)).map((p) => p.id).join(",");
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric", maxWidth: 120 }), "bottom-right");
  await new Promise<void>((resolve) => map.once("load", () => resolve()));
  $("#map-status").hidden = true;

  const popup = new maplibregl.Popup({ closeButton: true, maxWidth: "280px" });
  const select = (id: string, at?: [number, number]) => {
    panel.select(id);
    map.setFilter("ov-selected", ["==", ["get", "id"], id]);
    const f = outlines.features.find((x) => x.properties.id === id);
    if (!f) return;
    // From the list: above the county's label, which it would hide.
    popup.options.anchor = at ? undefined : "bottom";
    popup.setOffset(at ? 0 : 22);
    popup.setLngLat(at ?? labelPoint(f.geometry)!).setHTML(planFigures(cat, outlines, id)).addTo(map);
    if (!at) {
      const b = bbox(f.geometry);
      if (b) map.fitBounds([b[0], b[1], b[2], b[3]], { padding: 60, maxZoom: 10, duration: 500 });
    }
  };
  const panel = new PlansPanel($("#panel-plans"), cat, outlines, (id) => select(id));
  map.on("click", "ov-fill", (e) => {
    const id = e.features?.[0]?.properties?.id;
    if (id) select(String(id), [e.lngLat.lng, e.lngLat.lat]);
  });
  map.on("mouseenter", "ov-fill", () => (map.getCanvas().style.cursor = "pointer"));
  map.on("mouseleave", "ov-fill", () => (map.getCanvas().style.cursor = ""));
  document.body.classList.add("ready");
}
