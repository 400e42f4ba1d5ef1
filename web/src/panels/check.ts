// The site check panel: draw a polygon (Terra Draw), upload a site file or paste
// coordinates; the server checks it (one POST /api/check a check) and the panel shows the verdict, the
// per-layer overlaps, the pieces and the 避让 geometry on the map, with GeoJSON export and a
// printable report.

import type { FeatureCollection, MultiPolygon, Polygon } from "geojson";
import { TerraDraw, TerraDrawPolygonMode } from "terra-draw";
import { TerraDrawMapLibreGLAdapter } from "terra-draw-maplibre-gl-adapter";
import { api, newCheckKey, type CheckReport, type FileInput, type Plan } from "../api";
import { planHref } from "../catalog";
import { areaLine, factsList, fileInfo, overlapTable, plansVerdicts, reasonsList, verdictBadge } from "../checkview";
import { esc, today } from "../format";
import { bbox } from "../geo";
import { getLang, onLang, t, translateDom } from "../i18n";
import type { PlanMap } from "../map";
import { parseFile, readPasted } from "../parse";

export const REPORT_KEY = "planmap:report-site";

type Site = FeatureCollection<Polygon | MultiPolygon>;

/** Files the server reads (planmap-io): the coordinate TXT, CAD, zipped Shapefiles,
 * GeoPackages. GeoJSON and KML are read here. */
const SERVER_FORMATS = ["txt", "dxf", "zip", "gpkg"];

/** A coordinate TXT is often GBK: decode as UTF-8 when it is, else as GBK. */
function decodeText(bytes: ArrayBuffer): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder("gbk").decode(bytes);
  }
}

const PRINT_ICON = `<svg class="ic-svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" aria-hidden="true"><path d="M6 9V3h12v6"/><rect x="3" y="9" width="18" height="8" rx="2"/><path d="M6 14h12v7H6z"/></svg>`;

/** The printable report of plan `id`'s answer: its page re-checks the stored site. */
const reportOf = (id: string) => `${planHref(id)}report.html${getLang() === "en" ? "#lang=en" : ""}`;

/** What the report page re-checks: the site, or the file the server read. */
/** A checked site as the printable report re-checks it; `key` names its history record. */
export type StoredSite = ({ site: Site } | { file: { name: string; ext: string; b64: string } }) & { key?: string };

interface Answer {
  report: CheckReport;
  result: FeatureCollection;
  site: Site;
  fileInput: FileInput | null;
  stored: StoredSite;
}

/** One request a check: the answer holds the report and the map's GeoJSON. */
async function checkSite(site: Site): Promise<Answer> {
  const key = newCheckKey();
  const report = await api.check(site, key);
  return { report, result: report.geojson, site, fileInput: null, stored: { site, key } };
}

/** The site feature(s) of a check's GeoJSON. */
export function siteOf(result: FeatureCollection): Site {
  const features = result.features.filter((f) => f.properties?.role === "site") as Site["features"];
  if (!features.length) throw new Error("site: no polygon");
  return { type: "FeatureCollection", features };
}

export function toBase64(bytes: ArrayBuffer): string {
  const u = new Uint8Array(bytes);
  let s = "";
  for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(b64: string): ArrayBuffer {
  const s = atob(b64);
  const u = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
  return u.buffer;
}

export class CheckPanel {
  private draw: TerraDraw | null = null;
  private drawing = false;
  private justFinished = false;
  private shown = 0;
  private fileInput: FileInput | null = null;
  private report: CheckReport | null = null;
  private result: FeatureCollection | null = null;
  private error: string | null = null;
  private busy = false;
  private out: HTMLElement;

  constructor(
    private root: HTMLElement,
    private pm: PlanMap,
    private plan: Plan,
  ) {
    root.innerHTML = `
      <div class="panel-intro"><b data-i18n="checkTitle"></b></div>
      <p class="muted" data-i18n="checkIntro"></p>
      <div class="ck-inputs">
        <button type="button" class="btn primary ck-draw"><span class="ic">✎</span> <span data-i18n="draw"></span></button>
        <label class="btn ck-upload" data-i18n-title="uploadHint"><span class="ic">⇪</span> <span data-i18n="upload"></span>
          <input type="file" class="ck-file" accept=".geojson,.json,.kml,.txt" hidden></label>
        <button type="button" class="btn ck-paste-toggle"><span class="ic">⌨</span> <span data-i18n="paste"></span></button>
      </div>
      <p class="hint ck-draw-hint" hidden data-i18n="drawHint"></p>
      <div class="ck-paste" hidden>
        <label class="small muted" data-i18n="pasteHint"></label>
        <textarea class="ck-text" rows="6" spellcheck="false" data-i18n-placeholder="pastePlaceholder"></textarea>
        <button type="button" class="btn primary ck-run" data-i18n="runCheck"></button>
      </div>
      <div class="ck-out" aria-live="polite"></div>`;
    this.out = root.querySelector(".ck-out")!;
    translateDom(root);
    root.querySelector(".ck-draw")!.addEventListener("click", () => this.toggleDraw());
    root.querySelector(".ck-paste-toggle")!.addEventListener("click", () => {
      const p = root.querySelector<HTMLElement>(".ck-paste")!;
      p.hidden = !p.hidden;
      if (!p.hidden) root.querySelector<HTMLTextAreaElement>(".ck-text")!.focus();
    });
    root.querySelector(".ck-run")!.addEventListener("click", () => {
      this.stopDraw();
      this.paste(root.querySelector<HTMLTextAreaElement>(".ck-text")!.value);
    });
    const file = root.querySelector<HTMLInputElement>(".ck-file")!;
    file.addEventListener("change", async () => {
      const f = file.files?.[0];
      if (!f) return;
      this.stopDraw();
      file.value = "";
      const ext = f.name.toLowerCase().split(".").pop() ?? "";
      if (SERVER_FORMATS.includes(ext)) return void this.runFile(await f.arrayBuffer(), ext, f.name);
      const text = decodeText(await f.arrayBuffer());
      this.guard(() => parseFile(f.name, text));
    });
    onLang(() => {
      translateDom(root);
      this.render();
    });
  }

  /** Whether a click on the map should open a pop-up: not while drawing, nor for the click
   * that closed the polygon. */
  get idle(): boolean {
    return !this.drawing && !this.justFinished;
  }

  /** Pasted text: lon,lat pairs and GeoJSON are checked as a site; coordinates the server
   * reads (a coordinate TXT, Gauss-Krüger X,Y) are sent as a TXT. */
  private paste(text: string): void {
    try {
      const p = readPasted(text);
      if ("site" in p) return void this.run(p.site);
      const bytes = new TextEncoder().encode(p.txt);
      void this.runFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), "txt", "pasted.txt");
    } catch (e) {
      this.error = (e as Error).message;
      this.render();
    }
  }

  private guard(read: () => Site): void {
    try {
      void this.run(read());
    } catch (e) {
      this.error = (e as Error).message;
      this.render();
    }
  }

  private ensureDraw(): TerraDraw {
    if (this.draw) return this.draw;
    const draw = new TerraDraw({
      adapter: new TerraDrawMapLibreGLAdapter({ map: this.pm.map }),
      modes: [
        new TerraDrawPolygonMode({
          styles: {
            fillColor: "#1565c0",
            fillOpacity: 0.15,
            outlineColor: "#0d47a1",
            outlineWidth: 2.5,
            closingPointColor: "#ffffff",
            closingPointOutlineColor: "#0d47a1",
            closingPointWidth: 6,
            closingPointOutlineWidth: 2,
          },
        }),
      ],
    });
    draw.start();
    draw.on("finish", (id, ctx) => {
      if (ctx.action !== "draw") return;
      const f = draw.getSnapshotFeature(id);
      if (!f || f.geometry.type !== "Polygon") return;
      const site: Site = {
        type: "FeatureCollection",
        features: [{ type: "Feature", properties: { name: "绘制地块" }, geometry: f.geometry as Polygon }],
      };
      this.stopDraw();
      // The map sees the closing click after Terra Draw does: keep it from opening a pop-up.
      this.justFinished = true;
      setTimeout(() => (this.justFinished = false), 300);
      void this.run(site);
    });
    this.draw = draw;
    return draw;
  }

  private toggleDraw(): void {
    if (this.drawing) return this.stopDraw();
    const draw = this.ensureDraw();
    draw.clear();
    draw.setMode("polygon");
    this.drawing = true;
    this.root.querySelector(".ck-draw")!.classList.add("active");
    this.root.querySelector<HTMLElement>(".ck-draw-hint")!.hidden = false;
  }

  private stopDraw(): void {
    if (this.draw) {
      this.draw.setMode("static");
      this.draw.clear();
    }
    this.drawing = false;
    this.root.querySelector(".ck-draw")!.classList.remove("active");
    this.root.querySelector<HTMLElement>(".ck-draw-hint")!.hidden = true;
  }

  /** A file the server reads, at full precision, with what the file states. */
  private runFile(bytes: ArrayBuffer, ext: string, name: string): Promise<void> {
    return this.perform(async () => {
      const key = newCheckKey();
      const report = await api.checkFile(bytes, ext, key);
      const site = siteOf(report.geojson);
      const stored: StoredSite = { file: { name, ext, b64: toBase64(bytes) }, key };
      return { report, result: report.geojson, site, fileInput: report.input ?? null, stored };
    });
  }

  /** Checks a site and shows the answer. Coordinates go as they are (JSON numbers round-trip)
   * and the server writes them back at full precision, so the exported site is exactly the
   * site that was checked. */
  run(input: Site): Promise<void> {
    return this.perform(() => checkSite(input));
  }

  private async perform(job: () => Promise<Answer>): Promise<void> {
    this.busy = true;
    this.error = null;
    this.render();
    try {
      const a = await job();
      this.report = a.report;
      this.result = a.result;
      this.fileInput = a.fileInput;
      this.pm.setOverlay("check", a.result);
      try {
        localStorage.setItem(REPORT_KEY, JSON.stringify(a.stored));
      } catch {
        localStorage.setItem(REPORT_KEY, JSON.stringify({ site: a.site })); // a file too big to keep
      }
      const b = bbox(a.site);
      if (b) this.pm.fit(b, 15);
      // Marks when the map has drawn the result (tests and the curious can wait for it).
      const token = String(++this.shown);
      this.out.dataset.shown = "";
      this.pm.map.once("idle", () => (this.out.dataset.shown = token));
    } catch (e) {
      this.report = null;
      this.result = null;
      this.fileInput = null;
      this.pm.setOverlay("check", { type: "FeatureCollection", features: [] });
      this.error = (e as Error).message;
    } finally {
      this.busy = false;
      this.render();
    }
  }

  clear(): void {
    this.stopDraw();
    this.report = this.result = null;
    this.error = null;
    this.pm.setOverlay("check", { type: "FeatureCollection", features: [] });
    this.render();
  }

  private exportResult(): void {
    if (!this.result) return;
    const blob = new Blob([JSON.stringify(this.result, null, 1)], { type: "application/geo+json" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `${this.plan.id}-check-${today()}.geojson`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }

  private render(): void {
    if (this.busy) {
      this.out.innerHTML = `<p class="muted busy">${t("checking")}</p>`;
      return;
    }
    if (this.error) {
      this.out.innerHTML = `<p class="error">${esc(this.error)}</p>`;
      return;
    }
    const r = this.report;
    if (!r) {
      this.out.innerHTML = "";
      return;
    }
    this.out.innerHTML = `
      <div class="ck-result">
        ${plansVerdicts(r, reportOf)}${(r.plans?.length ?? 0) > 1 ? `<h4 class="ck-this-plan">${esc(this.plan.name)}</h4>` : ""}
        <div class="ck-head">${verdictBadge(r)}${areaLine(r)}</div>
        ${fileInfo(this.fileInput)}
        ${reasonsList(r)}
        <h4>${t("overlapTable")}</h4>
        ${overlapTable(r, this.plan.layers)}
        ${factsList(r, this.plan.layers)}
        <div class="ck-legend">
          <span><i class="k-site"></i>${t("legendSite")}</span>
          <span><i class="k-piece"></i>${t("legendPiece")}</span>
          <span><i class="k-avoid"></i>${t("legendAvoid")}</span>
        </div>
        <div class="ck-actions">
          <button type="button" class="btn ck-export">⤓ ${t("exportCheck")}</button>
          <a class="btn primary ck-report" href="report.html${getLang() === "en" ? "#lang=en" : ""}" target="_blank" rel="opener">${PRINT_ICON} ${t("printReport")}</a>
          <button type="button" class="btn ghost ck-clear">${t("clear")}</button>
        </div>
        <p class="muted small">${t("dataVersion")}: ${esc(r.data_version)}${r.illustrative ? ` · ${esc(r.caveat)}` : ""}</p>
      </div>`;
    this.out.querySelector(".ck-export")!.addEventListener("click", () => this.exportResult());
    this.out.querySelector(".ck-clear")!.addEventListener("click", () => this.clear());
  }
}
