// The printable site-check report (report.html): the site last checked on the map page (kept in
// localStorage), checked again by the server, laid out on A4 with a map image, the tables, the
// date and the data caveat.

import maplibregl from "maplibre-gl";
import type { FeatureCollection, MultiPolygon, Polygon, Position } from "geojson";
import "./report.css";
import { api, basemapCredit, newCheckKey, type CheckReport, type FileInput, type Plan } from "./api";
import { areaLine, factsList, fileInfo, overlapTable, reasonsList, verdictBadge } from "./checkview";
import { esc, num, today } from "./format";
import { bbox, type BBox } from "./geo";
import { setLang, t, translateDom } from "./i18n";
import { addAreaLabels } from "./labels";
import { addOverlays, CJK_FONTS } from "./map";
import { fromBase64, REPORT_KEY, siteOf, type StoredSite } from "./panels/check";
import { getParam } from "./permalink";
import { roleLayer } from "./roles";

// The detail map is drawn at 680×430 CSS pixels with pixel ratio 1.5; the overview inset at
// 220×150.
const IMG_W = 680;
const IMG_H = 430;
const INSET_W = 220;
const INSET_H = 150;

const idle = (map: maplibregl.Map) => new Promise<void>((r) => map.once("idle", () => r()));

/** The map's current picture as an object URL (encoded off the main thread). */
const snapshot = (map: maplibregl.Map) =>
  new Promise<string>((ok, fail) =>
    map.getCanvas().toBlob((b) => (b ? ok(URL.createObjectURL(b)) : fail(new Error("no map image"))), "image/png"),
  );

/** Renders the site and its pieces over the plan, and the county with the site marked, off
 * screen, as PNG data URLs. */
async function mapImages(
  plan: Plan,
  result: FeatureCollection,
  box: BBox,
  county: BBox | null,
): Promise<{ detail: string; overview: string | null; metersPerPixel: number }> {
  const style = await api.style();
  const holder = document.createElement("div");
  holder.style.cssText = `position:fixed;left:-10000px;top:0;width:${IMG_W}px;height:${IMG_H}px;`;
  document.body.append(holder);
  const map = new maplibregl.Map({
    container: holder,
    style,
    interactive: false,
    attributionControl: false,
    localIdeographFontFamily: CJK_FONTS,
    fadeDuration: 0,
    // 1.5× is sharp enough on paper; reading a bigger WebGL canvas back is slow in software GL.
    pixelRatio: 1.5,
    // MapLibre smooths lines itself; multisampling only slows the read-back.
    canvasContextAttributes: { preserveDrawingBuffer: true, antialias: false },
    bounds: [
      [box[0], box[1]],
      [box[2], box[3]],
    ],
    fitBoundsOptions: { padding: 70, maxZoom: 16 },
  });
  await new Promise<void>((r) => map.once("load", () => r()));
  addOverlays(map, plan.layers);
  await addAreaLabels(map, plan.layers);
  (map.getSource("pm-check") as maplibregl.GeoJSONSource).setData(result);
  await idle(map);
  const detail = await snapshot(map);
  const lat = map.getCenter().lat;
  const metersPerPixel = (40075016.686 * Math.cos((lat * Math.PI) / 180)) / (512 * 2 ** map.getZoom());
  let overview: string | null = null;
  if (county) {
    holder.style.width = `${INSET_W}px`;
    holder.style.height = `${INSET_H}px`;
    map.resize();
    const c: [number, number] = [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2];
    (map.getSource("pm-search") as maplibregl.GeoJSONSource).setData({
      type: "FeatureCollection",
      features: [{ type: "Feature", properties: {}, geometry: { type: "Point", coordinates: c } }],
    });
    for (const l of map.getStyle().layers) {
      if (l.type === "symbol") map.setLayoutProperty(l.id, "visibility", "none");
    }
    map.setPaintProperty("pm-search", "circle-color", "#e60000");
    map.setPaintProperty("pm-search", "circle-radius", 5);
    map.setPaintProperty("pm-search", "circle-stroke-color", "#ffffff");
    map.fitBounds(
      [
        [county[0], county[1]],
        [county[2], county[3]],
      ],
      { padding: 8, animate: false },
    );
    await idle(map);
    overview = await snapshot(map);
  }
  map.remove();
  holder.remove();
  return { detail, overview, metersPerPixel };
}

/** A scale bar for the image: a round length near 1/5 of its width. */
function scaleBar(mpp: number, displayWidth: number): string {
  const px = IMG_W / displayWidth;
  const target = (IMG_W / 5) * mpp;
  const pow = 10 ** Math.floor(Math.log10(target));
  const nice = [1, 2, 5, 10].map((k) => k * pow).filter((v) => v <= target).pop() ?? pow;
  const width = nice / mpp / px;
  const label = nice >= 1000 ? `${nice / 1000} km` : `${nice} m`;
  return `<div class="scalebar"><span style="width:${width.toFixed(1)}px"></span>${label}</div>`;
}

function vertices(site: FeatureCollection<Polygon | MultiPolygon>): Position[] {
  const out: Position[] = [];
  for (const f of site.features) {
    const polys = f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates;
    for (const p of polys) for (const ring of p) out.push(...ring.slice(0, -1));
  }
  return out;
}

function vertexTable(site: FeatureCollection<Polygon | MultiPolygon>): string {
  const v = vertices(site);
  const shown = v.slice(0, 40);
  const rows = shown
    .map((p, i) => `<tr><td>J${i + 1}</td><td class="n">${p[0].toFixed(7)}</td><td class="n">${p[1].toFixed(7)}</td></tr>`)
    .join("");
  const more = v.length > shown.length ? `<tr><td colspan="3" class="muted">… ${v.length - shown.length}</td></tr>` : "";
  return `<table class="data vertices"><thead><tr><th>${t("siteVertices")} (${v.length})</th><th class="n">lon (CGCS2000)</th><th class="n">lat</th></tr></thead><tbody>${rows}${more}</tbody></table>`;
}

function sheetHtml(plan: Plan, r: CheckReport & { input?: FileInput }, site: FeatureCollection<Polygon | MultiPolygon>, box: BBox): string {
  return `
    <header class="r-head">
      <div>
        <div class="r-kicker">${esc(plan.county)} · ${esc(plan.name)}</div>
        <h1>${t("reportTitle")}</h1>
      </div>
      <dl class="r-meta">
        <dt>${t("reportDate")}</dt><dd class="r-date">${today()}</dd>
        <dt>${t("dataVersion")}</dt><dd>${esc(r.data_version)}</dd>
      </dl>
    </header>
    ${r.illustrative ? `<div class="r-caveat"><b>${esc(r.caveat)}</b> ${esc(plan.caveat_en)}</div>` : ""}
    <section class="r-verdict">${verdictBadge(r)}${areaLine(r)}</section>
    ${fileInfo(r.input ?? null)}
    ${reasonsList(r)}
    <figure class="r-map">
      <div class="r-map-frame">
        <img id="map-img" alt="${esc(t("reportMap"))}">
        <img id="overview-img" alt="${esc(t("reportOverview"))}" hidden>
      </div>
      <figcaption>
        <span>${t("reportMap")} · ${t("siteExtent")} ${num(box[0], 5)}, ${num(box[1], 5)} — ${num(box[2], 5)}, ${num(box[3], 5)}</span>
        <span class="r-scale"></span>
        <span class="ck-legend"><span><i class="k-site"></i>${t("legendSite")}</span><span><i class="k-piece"></i>${t("legendPiece")}</span><span><i class="k-avoid"></i>${t("legendAvoid")}</span></span>
      </figcaption>
    </figure>
    <h2>${t("overlapTable")}</h2>
    ${overlapTable(r, plan.layers)}
    ${factsList(r, plan.layers)}
    <h2>${t("siteCoords")}</h2>
    ${vertexTable(site)}
    <footer class="r-foot">
      <p><b>${t("reportCaveat")}：</b>${esc(r.caveat)}${r.illustrative ? `（${esc(plan.caveat_en)}）` : ""}。${t("reportFooter")}</p>
      <p>${t("reportPlan")}：${esc(plan.name)} · ${esc(plan.province)}${esc(plan.city)}${esc(plan.county)}</p>
      ${basemapCredit(plan) ? `<p class="r-basemap"><b>底图 Basemap</b>：${esc(basemapCredit(plan))}</p>` : ""}
    </footer>`;
}

/** The stored site (or site file) checked again by the server. */
async function recheck(raw: string): Promise<{ report: CheckReport & { input?: FileInput }; result: FeatureCollection }> {
  const stored = JSON.parse(raw) as StoredSite;
  // The panel's key: the same check printed is not recorded again.
  const key = stored.key ?? newCheckKey();
  const report =
    "file" in stored
      ? await api.checkFile(fromBase64(stored.file.b64), stored.file.ext, key)
      : await api.check(stored.site, key);
  return { report, result: report.geojson };
}

async function start(): Promise<void> {
  if (getParam("lang") === "en") setLang("en");
  translateDom();
  document.title = `${t("reportTitle")} · planmap`;
  document.getElementById("print")!.addEventListener("click", () => window.print());
  const sheet = document.getElementById("sheet")!;
  const raw = localStorage.getItem(REPORT_KEY);
  if (!raw) {
    sheet.innerHTML = `<p class="error">${t("reportNoSite")}</p>`;
    return;
  }
  const [plan, stats, { report, result }] = await Promise.all([api.plan(), api.layers(), recheck(raw)]);
  const site = siteOf(result);
  const county = roleLayer(stats.layers, "county")?.bbox ?? null;
  const box = bbox(site)!;
  sheet.innerHTML = sheetHtml(plan, report, site, box);
  const img = document.getElementById("map-img") as HTMLImageElement;
  const { detail, overview, metersPerPixel } = await mapImages(plan, result, box, county);
  img.src = detail;
  await img.decode();
  if (overview) {
    const inset = document.getElementById("overview-img") as HTMLImageElement;
    inset.src = overview;
    await inset.decode();
    inset.hidden = false;
  }
  sheet.querySelector(".r-scale")!.innerHTML = scaleBar(metersPerPixel, img.clientWidth || 700);
  document.body.classList.add("ready");
}

start().catch((e: Error) => {
  document.getElementById("sheet")!.innerHTML = `<p class="error">${esc(t("loadFailed"))}: ${esc(e.message)}</p>`;
});
