// The batch check panel: upload a file of project sites (zipped Shapefile, GeoPackage, KML,
// DXF, GeoJSON, a zip of coordinate TXT files); the server checks every feature as its own
// site (POST /api/check/batch, progress streamed as NDJSON, cancellable: aborting the request
// stops the server's work). The answer is a sortable, filterable table beside the map, the
// sites coloured by verdict on the map; a row click zooms to its site and opens its single
// printable report; downloads of XLSX, CSV (the server's) and GeoJSON.

import type { Feature, FeatureCollection } from "geojson";
import type { GeoJSONSource } from "maplibre-gl";
import { esc, num, today } from "../format";
import { bbox } from "../geo";
import { getLang, onLang } from "../i18n";
import type { PlanMap } from "../map";
import { REPORT_KEY } from "./check";

/** The verdicts' colours on the map and in the table; a feature that could not be checked. */
export const VERDICT_COLORS: Record<string, string> = {
  不通过: "#d32f2f",
  需论证: "#f9a825",
  通过: "#2e7d32",
  无法审查: "#757575",
};

const TEXT = {
  zh: {
    tab: "批量审查",
    title: "批量选址审查",
    intro: "上传项目清单（压缩的 Shapefile、GeoPackage、KML、DXF、GeoJSON，或坐标 TXT 文件的 zip 包），每个要素单独审查。",
    upload: "上传清单",
    cancel: "取消",
    checking: "审查中 {done}/{total}",
    cancelled: "已取消",
    filter: "筛选…",
    all: "全部结论",
    showSites: "在地图上显示项目",
    summary: "共 {sites} 个要素：不通过 {fail}，需论证 {warn}，通过 {ok}，无法审查 {errors}",
    rowHint: "点击一行：定位并打开该项目的审查报告",
    failed: "审查失败",
  },
  en: {
    tab: "Batch",
    title: "Batch site check",
    intro: "Upload a list of sites (zipped Shapefile, GeoPackage, KML, DXF, GeoJSON, or a zip of coordinate TXT files); every feature is checked on its own.",
    upload: "Upload list",
    cancel: "Cancel",
    checking: "Checking {done}/{total}",
    cancelled: "Cancelled",
    filter: "Filter…",
    all: "All verdicts",
    showSites: "Show the sites on the map",
    summary: "{sites} features: {fail} not permitted, {warn} to assess, {ok} permitted, {errors} not checked",
    rowHint: "Click a row: zoom to the site and open its report",
    failed: "Batch check failed",
  },
};
type TextKey = keyof (typeof TEXT)["zh"];
const tr = (k: TextKey, vars: Record<string, string | number> = {}) =>
  TEXT[getLang()][k].replace(/\{(\w+)\}/g, (_, v) => String(vars[v] ?? ""));

type Cell = string | number | null;
interface Table {
  columns: string[];
  rows: Cell[][];
  summary: { sites: number; errors: number; verdicts: [string, number][] };
}
interface BatchAnswer {
  batch_id?: string;
  file?: string;
  table: Table;
  geojson: FeatureCollection;
}

/** The columns the panel shows: number, verdict, area in 亩, error, and the file's own
 * attributes (those after the fixed ones). */
const FIXED_LAST = "最近生态保护红线(m)";
const SHOWN = ["序号", "结论", "用地面积(亩)", "错误"];

const SOURCE = "pm-batch";

export class BatchPanel {
  private answer: BatchAnswer | null = null;
  private file: File | null = null;
  private abort: AbortController | null = null;
  private sort = { col: 0, dir: 1 };
  private out: HTMLElement;

  constructor(
    private root: HTMLElement,
    private pm: PlanMap,
    tab: HTMLElement,
  ) {
    root.innerHTML = `
      <div class="panel-intro"><b class="bt-title"></b></div>
      <p class="muted bt-intro"></p>
      <div class="ck-inputs">
        <label class="btn primary"><span class="ic">⇪</span> <span class="bt-upload"></span>
          <input type="file" class="bt-file" accept=".zip,.gpkg,.kml,.dxf,.geojson,.json,.txt" hidden></label>
      </div>
      <div class="bt-progress" hidden><progress class="bt-bar" max="1" value="0"></progress>
        <span class="bt-count small"></span> <button type="button" class="btn bt-cancel"></button></div>
      <div class="bt-out" aria-live="polite"></div>`;
    this.out = root.querySelector(".bt-out")!;
    const input = root.querySelector<HTMLInputElement>(".bt-file")!;
    input.addEventListener("change", () => {
      const f = input.files?.[0];
      input.value = "";
      if (f) void this.run(f);
    });
    root.querySelector(".bt-cancel")!.addEventListener("click", () => this.abort?.abort());
    onLang(() => {
      tab.textContent = tr("tab");
      root.querySelector(".bt-title")!.textContent = tr("title");
      root.querySelector(".bt-intro")!.textContent = tr("intro");
      root.querySelector(".bt-upload")!.textContent = tr("upload");
      root.querySelector(".bt-cancel")!.textContent = tr("cancel");
      this.render();
    });
  }

  /** Sends the file, following the progress lines, and shows the answer. */
  private async run(file: File): Promise<void> {
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    this.file = file;
    const bar = this.root.querySelector<HTMLElement>(".bt-progress")!;
    const count = this.root.querySelector<HTMLElement>(".bt-count")!;
    const meter = this.root.querySelector<HTMLProgressElement>(".bt-bar")!;
    bar.hidden = false;
    meter.value = 0;
    count.textContent = "";
    this.out.innerHTML = "";
    try {
      const res = await fetch("api/check/batch?geometry=true&source=web", {
        method: "POST",
        body: form(file),
        headers: { Accept: "application/x-ndjson" },
        signal: abort.signal,
      });
      let last: (BatchAnswer & { error?: string }) | null = null;
      if (!res.ok || !res.body) {
        const body = await res.json().catch(() => ({}));
        throw new Error(body.error ?? `${res.status} ${res.statusText}`);
      }
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      let buf = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (value) buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, i).trim();
          buf = buf.slice(i + 1);
          if (!line) continue;
          const v = JSON.parse(line);
          if (typeof v.done === "number" && typeof v.total === "number") {
            meter.value = v.total ? v.done / v.total : 0;
            count.textContent = tr("checking", { done: v.done, total: v.total });
          } else last = v;
        }
        if (done) break;
      }
      if (!last || last.error) throw new Error(last?.error ?? tr("failed"));
      this.answer = last;
      this.sort = { col: 0, dir: 1 };
      this.draw();
      this.render();
      const b = bbox(last.geojson);
      if (b) this.pm.fit(b, 15);
    } catch (e) {
      this.out.innerHTML = `<p class="error">${esc(
        abort.signal.aborted ? tr("cancelled") : `${tr("failed")}: ${(e as Error).message}`,
      )}</p>`;
    } finally {
      if (this.abort === abort) this.abort = null;
      bar.hidden = true;
    }
  }

  /** The sites on the map, coloured by verdict. */
  private draw(): void {
    const map = this.pm.map;
    const data = this.answer?.geojson ?? { type: "FeatureCollection", features: [] };
    const src = map.getSource(SOURCE) as GeoJSONSource | undefined;
    if (src) return void src.setData(data);
    map.addSource(SOURCE, { type: "geojson", data });
    const color = ["match", ["get", "结论"], ...Object.entries(VERDICT_COLORS).flat(), "#757575"] as unknown as string;
    map.addLayer({ id: "pm-batch-fill", type: "fill", source: SOURCE, paint: { "fill-color": color, "fill-opacity": 0.35 } });
    map.addLayer({ id: "pm-batch-line", type: "line", source: SOURCE, paint: { "line-color": color, "line-width": 2.5 } });
  }

  private setVisible(on: boolean): void {
    for (const id of ["pm-batch-fill", "pm-batch-line"])
      if (this.pm.map.getLayer(id)) this.pm.map.setLayoutProperty(id, "visibility", on ? "visible" : "none");
  }

  /** The columns shown: their index in the answer's table. */
  private shown(t: Table): number[] {
    const fixed = SHOWN.map((c) => t.columns.indexOf(c)).filter((i) => i >= 0);
    const attrs = t.columns.map((_, i) => i).filter((i) => i > t.columns.indexOf(FIXED_LAST));
    return [...fixed.slice(0, 3), ...attrs, ...fixed.slice(3)];
  }

  private render(): void {
    const a = this.answer;
    if (!a) return;
    const t = a.table;
    const cols = this.shown(t);
    const verdict = t.columns.indexOf("结论");
    const s = t.summary;
    const n = (v: string) => s.verdicts.find(([k]) => k === v)?.[1] ?? 0;
    const options = Object.keys(VERDICT_COLORS)
      .map((v) => `<option value="${esc(v)}">${esc(v)}</option>`)
      .join("");
    this.out.innerHTML = `
      <p class="bt-summary">${esc(
        tr("summary", { sites: s.sites, fail: n("不通过"), warn: n("需论证"), ok: n("通过"), errors: s.errors }),
      )}</p>
      <div class="ck-inputs">
        <button type="button" class="btn bt-xlsx">XLSX</button>
        <button type="button" class="btn bt-csv">CSV</button>
        <button type="button" class="btn bt-geojson">GeoJSON</button>
      </div>
      <div class="ck-inputs">
        <input type="search" class="bt-filter" placeholder="${esc(tr("filter"))}" aria-label="${esc(tr("filter"))}">
        <select class="bt-verdict" aria-label="${esc(tr("all"))}"><option value="">${esc(tr("all"))}</option>${options}</select>
        <label class="small"><input type="checkbox" class="bt-show" checked> ${esc(tr("showSites"))}</label>
      </div>
      <p class="hint">${esc(tr("rowHint"))}</p>
      <div class="bt-scroll"><table class="data compact bt-table"><thead><tr>${cols
        .map((c) => `<th scope="col" tabindex="0" data-col="${c}" aria-sort="none">${esc(t.columns[c])}</th>`)
        .join("")}</tr></thead><tbody></tbody></table></div>`;
    const body = this.out.querySelector("tbody")!;
    const filter = this.out.querySelector<HTMLInputElement>(".bt-filter")!;
    const select = this.out.querySelector<HTMLSelectElement>(".bt-verdict")!;
    const fill = () => {
      const q = filter.value.trim().toLowerCase();
      const order = t.rows
        .map((row, i) => ({ row, i }))
        .filter(({ row }) => !select.value || row[verdict] === select.value)
        .filter(({ row }) => !q || cols.some((c) => String(row[c] ?? "").toLowerCase().includes(q)))
        .sort((x, y) => this.sort.dir * compare(x.row[this.sort.col], y.row[this.sort.col]));
      body.innerHTML = order
        .map(({ row, i }) => {
          const v = String(row[verdict] ?? "");
          return `<tr data-row="${i}" data-verdict="${esc(v)}" tabindex="0">${cols
            .map((c) => cell(row[c], c === verdict ? VERDICT_COLORS[v] : undefined))
            .join("")}</tr>`;
        })
        .join("");
      this.out.querySelectorAll<HTMLElement>("th").forEach((th) => {
        const c = Number(th.dataset.col);
        th.setAttribute("aria-sort", c === this.sort.col ? (this.sort.dir > 0 ? "ascending" : "descending") : "none");
      });
    };
    fill();
    filter.addEventListener("input", fill);
    select.addEventListener("change", fill);
    this.out.querySelector<HTMLInputElement>(".bt-show")!.addEventListener("change", (e) =>
      this.setVisible((e.target as HTMLInputElement).checked),
    );
    const sortBy = (th: HTMLElement) => {
      const c = Number(th.dataset.col);
      this.sort = { col: c, dir: this.sort.col === c ? -this.sort.dir : 1 };
      fill();
    };
    this.out.querySelectorAll<HTMLElement>("th").forEach((th) => {
      th.addEventListener("click", () => sortBy(th));
      th.addEventListener("keydown", (e) => e.key === "Enter" && sortBy(th));
    });
    const open = (tr: HTMLElement) => this.openRow(Number(tr.dataset.row));
    body.addEventListener("click", (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>("tr[data-row]");
      if (row) open(row);
    });
    body.addEventListener("keydown", (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>("tr[data-row]");
      if (row && e.key === "Enter") open(row);
    });
    this.out.querySelector(".bt-geojson")!.addEventListener("click", () =>
      save(new Blob([JSON.stringify(a.geojson)], { type: "application/geo+json" }), this.name("geojson")),
    );
    for (const f of ["xlsx", "csv"] as const)
      this.out.querySelector(`.bt-${f}`)!.addEventListener("click", () => void this.download(f));
  }

  /** Zooms to a row's site and opens its single report (the report page checks it again). */
  private openRow(i: number): void {
    const f = this.answer?.geojson.features[i] as Feature | undefined;
    if (!f?.geometry) return;
    const b = bbox(f);
    if (b) this.pm.fit(b, 17);
    const site = { type: "FeatureCollection", features: [{ type: "Feature", properties: {}, geometry: f.geometry }] };
    localStorage.setItem(REPORT_KEY, JSON.stringify({ site }));
    window.open(`report.html${getLang() === "en" ? "#lang=en" : ""}`, "_blank", "opener");
  }

  /** The server's XLSX or CSV of the same file. */
  private async download(format: "xlsx" | "csv"): Promise<void> {
    if (!this.file) return;
    const res = await fetch(`api/check/batch?format=${format}&source=web`, { method: "POST", body: form(this.file) });
    if (!res.ok) {
      const body = await res.json().catch(() => ({}));
      this.out.insertAdjacentHTML("afterbegin", `<p class="error">${esc(body.error ?? res.statusText)}</p>`);
      return;
    }
    save(await res.blob(), this.name(format));
  }

  private name(ext: string): string {
    const stem = (this.file?.name ?? "batch").replace(/\.[^.]*$/, "");
    return `${stem}-${today()}.${ext}`;
  }
}

function form(file: File): FormData {
  const f = new FormData();
  f.append("file", file, file.name);
  return f;
}

function compare(a: Cell, b: Cell): number {
  if (a === null || a === "") return b === null || b === "" ? 0 : 1;
  if (b === null || b === "") return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), "zh");
}

function cell(v: Cell, color?: string): string {
  if (typeof v === "number") return `<td class="n">${esc(Number.isInteger(v) ? String(v) : num(v, 2))}</td>`;
  const sw = color ? `<span class="bt-sw" style="background:${color}"></span>` : "";
  return `<td>${sw}${esc(v ?? "")}</td>`;
}

function save(blob: Blob, name: string): void {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
