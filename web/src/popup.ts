// Pop-ups: a click on the map asks the server which features of every layer are there
// (/api/identify) and lists them with their attributes.

import maplibregl from "maplibre-gl";
import { api, type IdentifyHit, type LayerDef } from "./api";
import { esc, M2_PER_MU, num } from "./format";
import { getLang, layerName, t } from "./i18n";

/** Attribute names written in English by the data, shown in Chinese. */
const PROP_ZH: Record<string, string> = {
  kind: "类型",
  type: "类型",
  category: "类别",
  level: "级别",
  township: "乡镇",
  source: "来源",
  note: "备注",
  industry: "主导产业",
  industries: "主导产业",
  code: "编码",
  adcode: "行政区划代码",
  dlmc: "地类名称",
  dlbm: "地类编码",
  half_width_m: "半宽（米）",
  pattern: "格局",
  river: "河流",
  zone: "所属开发区",
  population: "人口",
  area_km2: "面积（km²）",
};

/** Pop-up order: what constrains a site first, then ecology, then where it is. */
const ROLE_RANK: Record<string, number> = { prohibited: 0, assess: 1, none: 2, locate: 3 };

const HIDDEN_PROPS = new Set(["name", "name_en", "id", "fid"]);

function areaText(m2: number): string {
  if (m2 >= 1e6) return `${num(m2 / 1e6, 2)} km² · ${num(m2 / M2_PER_MU / 1e4, 2)} 万亩`;
  return `${num(m2 / M2_PER_MU, 2)} 亩 · ${num(m2 / 1e4, 2)} 公顷`;
}

function hitHtml(h: IdentifyHit, def: LayerDef | undefined): string {
  const props = Object.entries(h.properties ?? {})
    .filter(([k, v]) => !HIDDEN_PROPS.has(k) && v !== null && v !== "" && typeof v !== "object")
    .slice(0, 8)
    .map(
      ([k, v]) =>
        `<tr><th>${esc(getLang() === "zh" ? (PROP_ZH[k] ?? k) : k)}</th><td>${esc(v)}</td></tr>`,
    )
    .join("");
  const area = h.geometry.includes("olygon") && h.area_m2 > 0
    ? `<tr><th>${t("popupArea")}</th><td>${areaText(h.area_m2)}</td></tr>`
    : "";
  return `<section class="pop-hit">
    <div class="pop-layer"><span class="swatch" style="background:${esc(def?.color ?? "#888")}"></span>${esc(def ? layerName(def) : h.layer_name)}</div>
    <div class="pop-name">${esc(h.name ?? h.id)}</div>
    <table>${area}${props}</table>
  </section>`;
}

/** Installs the click-to-identify pop-up. `enabled()` is false while drawing a site;
 * `visible(id)` says whether a plan layer is shown. */
export function installPopups(
  map: maplibregl.Map,
  layers: LayerDef[],
  enabled: () => boolean,
  visible: (id: string) => boolean,
): void {
  const popup = new maplibregl.Popup({ maxWidth: "320px", className: "pm-popup" });
  const byId = new Map(layers.map((l) => [l.id, l]));
  // The county and its neighbours frame the plan: a click names what lies in it.
  const frame = layers.filter((l) => l.role === "county" || l.role === "neighbours").map((l) => l.id);
  let seq = 0;
  map.on("click", async (e) => {
    if (!enabled()) return;
    const { lng, lat } = e.lngLat;
    const mpp = (40075016.686 * Math.cos((lat * Math.PI) / 180)) / (512 * 2 ** map.getZoom());
    const mine = ++seq;
    try {
      const wanted = layers.filter((l) => !frame.includes(l.id) && visible(l.id));
      const res = await api.identify(lng, lat, Math.min(5000, Math.max(5, mpp * 8)), wanted);
      if (mine !== seq) return;
      const rank = (h: IdentifyHit) => ROLE_RANK[byId.get(h.layer)?.site_role ?? "none"] ?? 2;
      const hits = res.features
        .filter((h) => !frame.includes(h.layer) && visible(h.layer))
        .sort((a, b) => rank(a) - rank(b));
      const html = hits.length
        ? hits.slice(0, 8).map((h) => hitHtml(h, byId.get(h.layer))).join("")
        : `<p class="pop-empty">${t("identifyNone")}</p>`;
      popup.setLngLat(e.lngLat).setHTML(`<div class="pop">${html}</div>`).addTo(map);
    } catch (err) {
      popup
        .setLngLat(e.lngLat)
        .setHTML(`<p class="pop-empty">${esc(t("loadFailed"))}: ${esc((err as Error).message)}</p>`)
        .addTo(map);
    }
  });
}
