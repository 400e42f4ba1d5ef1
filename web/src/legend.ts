// The legend: every plan layer with its colour, 中文名, a visibility toggle, an opacity slider
// and a GeoJSON download, grouped as the plan groups them.

import { layerExportUrl, type LayerDef, type LayerStats } from "./api";
import { esc, num } from "./format";
import { getLang, layerName, onLang, t } from "./i18n";
import type { PlanMap } from "./map";
import { getParam, setParam } from "./permalink";

const GROUPS: Array<{ zh: string; en: string; kinds: string[] }> = [
  { zh: "管控底线", en: "Control lines", kinds: ["protected", "zoning"] },
  { zh: "生态格局（一屏三廊一网）", en: "Ecological pattern", kinds: ["ecology"] },
  { zh: "产业园区", en: "Industrial parks", kinds: ["development"] },
  { zh: "行政区划与地理", en: "Boundaries and geography", kinds: ["boundary", "reference"] },
];

/** Layers that start hidden (heavy or secondary). */
const DEFAULT_HIDDEN: string[] = [];

function swatch(l: LayerDef): string {
  const c = esc(l.color);
  if (l.geometry === "line") return `<span class="sw sw-line" style="--c:${c}"></span>`;
  if (l.geometry === "point") return `<span class="sw sw-point" style="--c:${c}"></span>`;
  if (l.kind === "boundary") return `<span class="sw sw-boundary" style="--c:${c}"></span>`;
  return `<span class="sw sw-fill" style="--c:${c}"></span>`;
}

export class Legend {
  private hidden: Set<string>;
  private opacity = new Map<string, number>();

  constructor(
    private root: HTMLElement,
    private pm: PlanMap,
    private defs: LayerDef[],
    private stats: LayerStats[],
  ) {
    const h = getParam("hide");
    this.hidden = new Set(h === null ? DEFAULT_HIDDEN : h.split(",").filter(Boolean));
    for (const id of this.hidden) pm.setVisible(id, false);
    onLang(() => this.render());
  }

  isVisible(id: string): boolean {
    return !this.hidden.has(id);
  }

  setVisible(id: string, visible: boolean): void {
    if (visible) this.hidden.delete(id);
    else this.hidden.add(id);
    this.pm.setVisible(id, visible);
    setParam("hide", this.hidden.size ? [...this.hidden].join(",") : null);
    const row = this.root.querySelector<HTMLElement>(`[data-layer="${CSS.escape(id)}"]`);
    if (row) {
      row.classList.toggle("off", !visible);
      const btn = row.querySelector<HTMLButtonElement>(".lg-toggle");
      btn?.setAttribute("aria-pressed", String(visible));
    }
  }

  private render(): void {
    const en = getLang() === "en";
    const stat = new Map(this.stats.map((s) => [s.id, s]));
    const html = GROUPS.map((g) => {
      const rows = this.defs
        .filter((d) => g.kinds.includes(d.kind))
        .map((d) => {
          const s = stat.get(d.id);
          const count = s ? `${num(s.features, 0)} ${t("features")}` : "";
          const off = this.hidden.has(d.id);
          return `<li class="lg-row${off ? " off" : ""}" data-layer="${esc(d.id)}">
            <button class="lg-toggle" type="button" aria-pressed="${!off}" title="${esc(layerName(d))}">
              ${swatch(d)}<span class="lg-name">${esc(layerName(d))}</span>
              <span class="lg-count">${count}</span>
            </button>
            <div class="lg-tools">
              <input class="lg-opacity" type="range" min="0" max="100" value="${Math.round((this.opacity.get(d.id) ?? 1) * 100)}" aria-label="${esc(t("opacity"))} ${esc(d.name)}" title="${esc(t("opacity"))}">
              <a class="lg-dl" href="${esc(layerExportUrl(d.id))}" download title="${esc(t("download"))}" aria-label="${esc(t("download"))} ${esc(d.name)}">⤓</a>
            </div>
          </li>`;
        })
        .join("");
      return rows ? `<h3>${esc(en ? g.en : g.zh)}</h3><ul class="lg-list">${rows}</ul>` : "";
    }).join("");
    this.root.innerHTML = `<p class="hint">${esc(t("legendHint"))}</p>${html}`;
    this.root.querySelectorAll<HTMLElement>(".lg-row").forEach((row) => {
      const id = row.dataset.layer!;
      row.querySelector(".lg-toggle")!.addEventListener("click", () =>
        this.setVisible(id, this.hidden.has(id)),
      );
      const slider = row.querySelector<HTMLInputElement>(".lg-opacity")!;
      slider.addEventListener("input", () => {
        this.opacity.set(id, Number(slider.value) / 100);
        this.pm.setOpacity(id, Number(slider.value) / 100);
      });
    });
  }
}
