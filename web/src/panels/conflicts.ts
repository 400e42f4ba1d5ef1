// The conflicts panel: the server's scan of the manifest's rules (三线 overlaps, parks on
// protected land), per rule count and area, the list (click → zoom and highlight), the
// conflicts layer on the map, and the GeoJSON export.

import type { FeatureCollection } from "geojson";
import { api, conflictsExportUrl, type Conflict, type ConflictScan, type LayerDef } from "../api";
import { esc, m2, mu, num } from "../format";
import { bbox } from "../geo";
import { layerName, onLang, t } from "../i18n";
import type { PlanMap } from "../map";

const MAX_LIST = 300;

export const conflictKey = (c: Conflict) => `${c.rule}:${c.a_id}:${c.b_id}`;

export class ConflictsPanel {
  private scan: ConflictScan | null = null;
  private fc: FeatureCollection | null = null;
  private error: string | null = null;
  private started = false;
  private showLayer = false;
  private selected: string | null = null;

  constructor(
    private root: HTMLElement,
    private pm: PlanMap,
    private defs: LayerDef[],
  ) {
    onLang(() => this.render());
  }

  /** Loads the scan the first time the panel is shown. */
  open(): void {
    if (this.started) return;
    this.started = true;
    this.render();
    Promise.all([api.conflicts(), api.conflictsGeojson()])
      .then(([scan, fc]) => {
        for (const f of fc.features) f.properties = { ...f.properties, key: String(f.id ?? "") };
        this.scan = scan;
        this.fc = fc;
        this.pm.setOverlay("conflicts", fc);
      })
      .catch((e: Error) => (this.error = e.message))
      .finally(() => this.render());
  }

  private name(id: string): string {
    const d = this.defs.find((l) => l.id === id);
    return d ? layerName(d) : id;
  }

  private swatch(id: string): string {
    const d = this.defs.find((l) => l.id === id);
    return `<span class="sw sw-fill" style="--c:${esc(d?.color ?? "#888")}"></span>`;
  }

  private item(c: Conflict): string {
    const key = conflictKey(c);
    // The button inside the list item: a list holds only items (WCAG 1.3.1).
    return `<li><div class="cf-item${key === this.selected ? " selected" : ""}" data-key="${esc(key)}" data-a="${esc(c.a_id)}" data-b="${esc(c.b_id)}" tabindex="0" role="button">
      <div class="cf-names">${this.swatch(c.a_layer)}${esc(c.a_name || c.a_id)} <span class="x">×</span> ${this.swatch(c.b_layer)}${esc(c.b_name || c.b_id)}</div>
      <div class="cf-area" data-m2="${c.area_m2}">${m2(c.area_m2)} m² · ${mu(c.area_m2)} 亩</div>
    </div></li>`;
  }

  private render(): void {
    const head = `<div class="panel-intro"><b>${t("conflictsTitle")}</b></div>`;
    if (!this.scan) {
      this.root.innerHTML = `${head}<p class="muted">${esc(this.error ? `${t("loadFailed")}: ${this.error}` : t("scanning"))}</p>`;
      return;
    }
    const s = this.scan;
    const summary = s.summary
      .map(
        (r) => `<tr class="${r.count ? "has" : "zero"}"><td><span class="ib">${this.swatch(r.a)}${esc(this.name(r.a))}</span> <span class="x">×</span> <span class="ib">${this.swatch(r.b)}${esc(this.name(r.b))}</span>
          <div class="muted small">${esc(r.reason)}</div></td>
          <td><span class="badge sev-${r.severity}">${t(`severity_${r.severity}`)}</span></td>
          <td class="n cf-count">${r.count}</td><td class="n">${r.count ? `${mu(r.area_m2)} 亩` : "—"}</td></tr>`,
      )
      .join("");
    const groups = s.summary
      .filter((r) => r.count)
      .map((r) => {
        const list = s.conflicts.filter((c) => c.rule === r.rule);
        const more = list.length > MAX_LIST ? `<li class="muted">… ${list.length - MAX_LIST}</li>` : "";
        return `<h4>${esc(this.name(r.a))} × ${esc(this.name(r.b))} <span class="badge sev-${r.severity}">${r.count}</span></h4>
          <ul class="cf-list">${list.slice(0, MAX_LIST).map((c) => this.item(c)).join("")}${more}</ul>`;
      })
      .join("");
    const slivers = s.slivers.length
      ? `<details class="cf-slivers"><summary>${t("slivers")}: ${s.slivers.length}</summary>
          <ul class="cf-list">${s.slivers.slice(0, MAX_LIST).map((c) => this.item(c)).join("")}</ul></details>`
      : "";
    this.root.innerHTML = `${head}
      <p class="muted">${esc(t("conflictsIntro", { tol: num(s.sliver_tolerance_m2, 1) }))}</p>
      <div class="cf-actions">
        <label class="switch"><input type="checkbox" class="cf-layer" ${this.showLayer ? "checked" : ""}> ${t("showConflictLayer")}</label>
        <a class="btn" href="${conflictsExportUrl()}" download>${t("exportConflicts")}</a>
      </div>
      <table class="data compact cf-summary"><thead><tr><th>${t("rule")}</th><th></th><th class="n">${t("count")}</th><th class="n">${t("area")}</th></tr></thead><tbody>${summary}</tbody></table>
      ${s.conflicts.length ? groups : `<p class="ok-note">${t("noConflicts")}</p>`}
      ${slivers}`;
    this.root.querySelector<HTMLInputElement>(".cf-layer")!.addEventListener("change", (e) => {
      this.showLayer = (e.target as HTMLInputElement).checked;
      this.setLayerVisible(this.showLayer);
    });
    this.root.querySelectorAll<HTMLElement>(".cf-item").forEach((li) => {
      const go = () => this.select(li.dataset.key!);
      li.addEventListener("click", go);
      li.addEventListener("keydown", (e) => (e.key === "Enter" || e.key === " ") && go());
    });
  }

  private setLayerVisible(v: boolean): void {
    for (const id of ["pm-conflicts-fill", "pm-conflicts-line"])
      this.pm.map.setLayoutProperty(id, "visibility", v ? "visible" : "none");
  }

  /** Zooms to a conflict and highlights it on the map and in the list. */
  select(key: string): void {
    this.selected = key;
    this.root.querySelectorAll<HTMLElement>(".cf-item").forEach((li) =>
      li.classList.toggle("selected", li.dataset.key === key),
    );
    this.pm.highlightConflict(key);
    const f = this.fc?.features.find((x) => x.properties?.key === key);
    const b = f && bbox(f);
    if (b) {
      const pad = Math.max(b[2] - b[0], b[3] - b[1]) * 2 + 0.002;
      this.pm.fit([b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad], 16);
    }
  }
}
