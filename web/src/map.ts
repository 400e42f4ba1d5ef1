// The map: the server's style (/style.json, vector tiles and glyphs from the same host: the
// cartography is the manifest's, see routes/style.rs), and overlay sources for conflicts, site
// checks and search results. Plan layers are addressed by their manifest id: every style layer
// of a plan layer carries `metadata["planmap:layer"]`.

import maplibregl, {
  type FilterSpecification,
  type GeoJSONSource,
  type LayerSpecification,
  type StyleSpecification,
} from "maplibre-gl";
import type { FeatureCollection } from "geojson";
import type { LayerDef } from "./api";
import type { BBox } from "./geo";
import { roleId } from "./roles";

const EMPTY: FeatureCollection = { type: "FeatureCollection", features: [] };

/** Fonts for Chinese labels, drawn by the browser (no glyphs leave the machine). */
export const CJK_FONTS =
  '"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", sans-serif';

const OPACITY_PROPS: Record<string, string[]> = {
  fill: ["fill-opacity"],
  line: ["line-opacity"],
  circle: ["circle-opacity", "circle-stroke-opacity"],
  symbol: ["text-opacity"],
};

type AnyLayer = LayerSpecification & {
  metadata?: Record<string, unknown>;
  paint?: Record<string, unknown>;
  layout?: Record<string, unknown>;
};

const planLayerOf = (l: AnyLayer) => l.metadata?.["planmap:layer"] as string | undefined;
/** The county's fill: the paper under the plan, kept when the county is hidden or faded. */
const isGround = (l: AnyLayer) => l.metadata?.["planmap:ground"] === true;

export interface PlanMap {
  map: maplibregl.Map;
  /** Style layer ids of a plan layer. */
  styleLayers(planLayer: string): string[];
  setVisible(planLayer: string, visible: boolean): void;
  setOpacity(planLayer: string, factor: number): void;
  setOverlay(name: Overlay, data: FeatureCollection): void;
  highlightConflict(key: string | null): void;
  fit(b: BBox, maxZoom?: number): void;
}

export type Overlay = "conflicts" | "check" | "search";

/** Creates the map in `container` from the server's style. */
export async function createMap(
  container: HTMLElement,
  style: StyleSpecification,
  layers: LayerDef[],
): Promise<PlanMap> {
  const map = new maplibregl.Map({
    container,
    style,
    hash: "map",
    // Without a hash in the URL the map opens where the style says (the plan's centre).
    center: (style.center as [number, number] | undefined) ?? [112.03, 37.43],
    zoom: style.zoom ?? 9.6,
    localIdeographFontFamily: CJK_FONTS,
    attributionControl: false,
    maxZoom: 18,
    minZoom: 6,
    dragRotate: false,
    pitchWithRotate: false,
    // The report and the tests read the canvas: keep what was drawn.
    canvasContextAttributes: { preserveDrawingBuffer: true, antialias: true },
  });
  map.touchZoomRotate.disableRotation();
  trackIdle(map, container);
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric", maxWidth: 120 }), "bottom-right");
  map.addControl(new maplibregl.AttributionControl({ compact: true }), "bottom-right");

  await new Promise<void>((resolve) => map.once("load", () => resolve()));
  addOverlays(map, layers);

  const baseOpacity = new Map<string, number>();
  const ofPlanLayer = (planLayer: string) =>
    (map.getStyle().layers as AnyLayer[]).filter((l) => planLayerOf(l) === planLayer);
  const styleLayers = (planLayer: string) => ofPlanLayer(planLayer).map((l) => l.id);
  const toggled = (planLayer: string) =>
    ofPlanLayer(planLayer)
      .filter((l) => !isGround(l))
      .map((l) => l.id);

  return {
    map,
    styleLayers,
    setVisible(planLayer, visible) {
      for (const id of toggled(planLayer)) {
        map.setLayoutProperty(id, "visibility", visible ? "visible" : "none");
      }
    },
    setOpacity(planLayer, factor) {
      for (const id of toggled(planLayer)) {
        const layer = map.getLayer(id);
        if (!layer) continue;
        for (const prop of OPACITY_PROPS[layer.type] ?? []) {
          const key = `${id}|${prop}`;
          if (!baseOpacity.has(key)) {
            const v = map.getPaintProperty(id, prop);
            baseOpacity.set(key, typeof v === "number" ? v : 1);
          }
          map.setPaintProperty(id, prop, baseOpacity.get(key)! * factor);
        }
      }
    },
    setOverlay(name, data) {
      (map.getSource(`pm-${name}`) as GeoJSONSource).setData(data);
    },
    highlightConflict(key) {
      const f: FilterSpecification = ["==", ["get", "key"], key ?? "\u0000"];
      map.setFilter("pm-conflicts-hl", f);
      map.setFilter("pm-conflicts-hl-fill", f);
    },
    fit(b, maxZoom = 16) {
      const narrow = container.clientWidth < 700;
      map.fitBounds(
        [
          [b[0], b[1]],
          [b[2], b[3]],
        ],
        {
          padding: narrow ? 40 : { top: 60, bottom: 60, left: 60, right: 60 },
          maxZoom,
          duration: 600,
        },
      );
    },
  };
}

/** Counts each complete render on the container (`data-idle`, and the view in `data-view`):
 * tests (and anyone curious) can tell when the map has drawn everything it started. */
export function trackIdle(map: maplibregl.Map, container: HTMLElement): void {
  let idle = 0;
  map.on("idle", () => {
    const c = map.getCenter();
    container.dataset.view = `${map.getZoom().toFixed(3)}/${c.lat.toFixed(6)}/${c.lng.toFixed(6)}`;
    container.dataset.idle = String(++idle);
  });
}

/** A 16×16 diagonal hatch in `color`, seamless when tiled. */
function hatch(color: string): ImageData {
  const c = document.createElement("canvas");
  c.width = c.height = 16;
  const g = c.getContext("2d")!;
  g.strokeStyle = color;
  g.lineWidth = 3;
  g.lineCap = "square";
  for (const o of [-16, 0, 16]) {
    g.beginPath();
    g.moveTo(o, 16);
    g.lineTo(o + 16, 0);
    g.stroke();
  }
  return g.getImageData(0, 0, 16, 16);
}

/** Sources and layers the front end draws above the plan: conflicts, a checked site, a
 * search hit. */
export function addOverlays(map: maplibregl.Map, layers: LayerDef[]): void {
  const colors = Object.fromEntries(layers.map((l) => [l.id, l.color]));
  const firstLabel = map.getStyle().layers.find((l) => l.type === "symbol")?.id;
  for (const name of ["conflicts", "check", "search"]) {
    map.addSource(`pm-${name}`, { type: "geojson", data: EMPTY });
  }
  const add = (l: LayerSpecification, beforeLabels = true) =>
    map.addLayer(l, beforeLabels ? firstLabel : undefined);

  // Conflicts: magenta hatch-like fill and outline, a thick halo for the one picked.
  add({
    id: "pm-conflicts-fill",
    type: "fill",
    source: "pm-conflicts",
    layout: { visibility: "none" },
    paint: {
      "fill-color": ["match", ["get", "severity"], "warning", "#ff9800", "#d500f9"],
      "fill-opacity": 0.55,
    },
  });
  add({
    id: "pm-conflicts-line",
    type: "line",
    source: "pm-conflicts",
    layout: { visibility: "none" },
    paint: {
      "line-color": ["match", ["get", "severity"], "warning", "#e65100", "#6a1b9a"],
      "line-width": 1.5,
    },
  });
  add({
    id: "pm-conflicts-hl-fill",
    type: "fill",
    source: "pm-conflicts",
    filter: ["==", ["get", "key"], "\u0000"],
    paint: { "fill-color": "#d500f9", "fill-opacity": 0.35 },
  });
  add({
    id: "pm-conflicts-hl",
    type: "line",
    source: "pm-conflicts",
    filter: ["==", ["get", "key"], "\u0000"],
    paint: { "line-color": "#12005e", "line-width": 3.5 },
  });

  // A site check: the site, the overlap pieces in their layer's colour, the 避让 geometry.
  const pieceColor = [
    "match",
    ["get", "layer"],
    ...Object.entries(colors).flat(),
    "#607d8b",
  ] as unknown as string;
  add({
    id: "pm-check-site-fill",
    type: "fill",
    source: "pm-check",
    filter: ["==", ["get", "role"], "site"],
    paint: { "fill-color": "#1565c0", "fill-opacity": 0.08 },
  });
  add({
    id: "pm-check-avoid",
    type: "fill",
    source: "pm-check",
    filter: ["==", ["get", "role"], "avoidance"],
    paint: { "fill-color": "#2e7d32", "fill-opacity": 0.28 },
  });
  add({
    id: "pm-check-avoid-line",
    type: "line",
    source: "pm-check",
    filter: ["==", ["get", "role"], "avoidance"],
    paint: { "line-color": "#1b5e20", "line-width": 1.5, "line-dasharray": [2, 1] },
  });
  // Pieces: a light wash and a diagonal hatch in their layer's colour, the red line on top.
  for (const [id, color] of Object.entries(colors)) {
    if (!map.hasImage(`pm-hatch-${id}`)) map.addImage(`pm-hatch-${id}`, hatch(color), { pixelRatio: 2 });
  }
  // The red line's pieces on top, then those of the other prohibited layers.
  const red = roleId(layers, "red_line");
  const prohibited = layers.filter((l) => l.site_role === "prohibited" && l.id !== red).map((l) => l.id);
  const sortKey = [
    "case",
    ["==", ["get", "layer"], red ?? "\u0000"],
    3,
    ["in", ["get", "layer"], ["literal", prohibited]],
    2,
    1,
  ];
  add({
    id: "pm-check-piece",
    type: "fill",
    source: "pm-check",
    filter: ["==", ["get", "role"], "overlap"],
    layout: { "fill-sort-key": sortKey as unknown as number },
    paint: { "fill-color": pieceColor, "fill-opacity": 0.45 },
  });
  add({
    id: "pm-check-piece-hatch",
    type: "fill",
    source: "pm-check",
    filter: ["==", ["get", "role"], "overlap"],
    layout: { "fill-sort-key": sortKey as unknown as number },
    paint: { "fill-pattern": ["concat", "pm-hatch-", ["get", "layer"]] },
  });
  add({
    id: "pm-check-piece-line",
    type: "line",
    source: "pm-check",
    filter: ["==", ["get", "role"], "overlap"],
    paint: { "line-color": pieceColor, "line-width": 2 },
  });
  add({
    id: "pm-check-site-casing",
    type: "line",
    source: "pm-check",
    filter: ["==", ["get", "role"], "site"],
    paint: { "line-color": "#ffffff", "line-width": 6, "line-opacity": 0.9 },
  });
  add({
    id: "pm-check-site-line",
    type: "line",
    source: "pm-check",
    filter: ["==", ["get", "role"], "site"],
    paint: { "line-color": "#0d47a1", "line-width": 2.5 },
  });

  add(
    {
      id: "pm-search",
      type: "circle",
      source: "pm-search",
      paint: {
        "circle-radius": 9,
        "circle-color": "rgba(21,101,192,0.15)",
        "circle-stroke-color": "#1565c0",
        "circle-stroke-width": 2.5,
      },
    },
    false,
  );
}
