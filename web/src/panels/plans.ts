// The catalog's controls: the plan picker in the header (a labelled <select>: the overview and
// every plan; picking one opens its page) and the overview's panel (each plan's county, division
// code, area and layer count; a row picks the plan on the map, its link opens it).

import { keepLang, overviewHref, planHref, planLabel, type Catalog, type Outlines } from "../catalog";
import { esc, num } from "../format";
import { onLang, t } from "../i18n";

const OVERVIEW = "";

/** Puts the plan picker in the header; `current` is the plan shown, null on the overview. */
export function installPicker(header: HTMLElement, cat: Catalog, current: string | null): void {
  const box = document.createElement("div");
  box.className = "plan-pick";
  header.querySelector(".brand")!.after(box);
  const render = () => {
    const options = cat.plans
      .map((p) => `<option value="${esc(p.id)}"${p.id === current ? " selected" : ""}>${esc(planLabel(p))}</option>`)
      .join("");
    box.innerHTML = `<label for="plan-picker">${t("pickPlan")}</label>
      <select id="plan-picker"><option value="${OVERVIEW}"${current === null ? " selected" : ""}>${t("overview")} (${cat.plans.length})</option>${options}</select>
      ${current === null ? "" : `<a class="btn ghost back-overview" href="${esc(keepLang(overviewHref()))}" title="${esc(t("backOverview"))}">⌂ <span>${t("overview")}</span></a>`}`;
    box.querySelector<HTMLSelectElement>("select")!.addEventListener("change", (e) => {
      const id = (e.target as HTMLSelectElement).value;
      location.href = keepLang(id === OVERVIEW ? overviewHref() : planHref(id));
    });
  };
  onLang(render);
}

/** The overview's list of plans with their figures. */
export class PlansPanel {
  private selected: string | null = null;

  constructor(
    private root: HTMLElement,
    private cat: Catalog,
    private outlines: Outlines,
    private onSelect: (id: string) => void,
  ) {
    onLang(() => this.render());
  }

  private areaOf(id: string): number | null {
    return this.outlines.features.find((f) => f.properties.id === id)?.properties.area_km2 ?? null;
  }

  select(id: string | null): void {
    this.selected = id;
    this.root.querySelectorAll<HTMLElement>("tr[data-plan]").forEach((tr) => {
      const on = tr.dataset.plan === id;
      tr.classList.toggle("selected", on);
      if (on) tr.scrollIntoView({ block: "nearest" });
    });
  }

  private render(): void {
    const total = this.cat.plans.reduce((s, p) => s + (this.areaOf(p.id) ?? 0), 0);
    const rows = this.cat.plans
      .map((p) => {
        const area = this.areaOf(p.id);
        return `<tr data-plan="${esc(p.id)}" tabindex="0">
          <td><a class="plan-open" href="${esc(keepLang(planHref(p.id)))}">${esc(p.county || p.name)}</a>
            <div class="muted small">${esc(p.name)}${p.loaded ? ` · ${t("loaded")}` : ""}</div></td>
          <td class="n">${esc(p.adcode)}</td>
          <td class="n plan-area">${area === null ? "—" : num(area, 2)}</td>
          <td class="n">${num(p.layers, 0)}</td></tr>`;
      })
      .join("");
    const countyHead = t("county"); // a plan field, not a layer id
    this.root.innerHTML = `<div class="panel-intro"><b>${t("overview")}</b>
        <span>${esc(t("overviewTotal", { n: this.cat.plans.length, km2: num(total, 2) }))}</span></div>
      <p class="muted small">${t("overviewIntro")}</p>
      <table class="data plans-table"><thead><tr><th>${countyHead}</th><th class="n">${t("adcode")}</th>
        <th class="n">${t("areaKm2")}</th><th class="n">${t("layersCount")}</th></tr></thead><tbody>${rows}</tbody></table>`;
    this.root.querySelectorAll<HTMLElement>("tr[data-plan]").forEach((tr) => {
      const pick = () => this.onSelect(tr.dataset.plan!);
      tr.addEventListener("click", (e) => {
        if (!(e.target as HTMLElement).closest("a")) pick();
      });
      tr.addEventListener("keydown", (e) => {
        if (e.key === "Enter" && e.target === tr) pick();
      });
    });
    this.select(this.selected);
  }
}

/** The figures of one plan, for the overview map's pop-up. */
export function planFigures(cat: Catalog, outlines: Outlines, id: string): string {
  const p = cat.plans.find((x) => x.id === id);
  if (!p) return "";
  const area = outlines.features.find((f) => f.properties.id === id)?.properties.area_km2;
  return `<div class="plan-pop" data-plan="${esc(p.id)}"><b>${esc(p.county || p.name)}</b>
    <div class="muted small">${esc(p.name)}</div>
    <table class="data compact"><tbody>
      <tr><td>${t("adcode")}</td><td class="n">${esc(p.adcode)}</td></tr>
      <tr><td>${t("areaKm2")}</td><td class="n">${area == null ? "—" : num(area, 2)}</td></tr>
      <tr><td>${t("layersCount")}</td><td class="n">${num(p.layers, 0)}</td></tr></tbody></table>
    <a class="btn primary plan-open" href="${esc(keepLang(planHref(p.id)))}">${t("openPlan")} →</a></div>`;
}
