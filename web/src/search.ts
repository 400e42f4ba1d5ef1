// Place search over the named features of the layers the manifest makes searchable
// (`draw.search`: by default points and polygons but the county), loaded on first use: places
// first, then subdivisions, parks, the other layers in manifest order, the neighbours last.
// With a catalog of plans, the plans too (name, county, division code): a hit opens the plan.

import type { FeatureCollection } from "geojson";
import { api, type LayerDef, type LayerStats, type Role } from "./api";
import { keepLang, planHref, planLabel, type PlanEntry } from "./catalog";
import { esc } from "./format";
import { bbox, labelPoint, type BBox } from "./geo";
import { layerName, onLang, t } from "./i18n";
import type { PlanMap } from "./map";

/** Where a role's names come in the results among equally good matches (others: 3). */
const ROLE_RANK: Partial<Record<Role, number>> = { places: 0, subdivisions: 1, parks: 2, neighbours: 4 };

/** A layer of more features than this is never loaded for search (its GeoJSON is too big). */
const MAX_FEATURES = 20_000;

interface Entry {
  name: string;
  /** Other texts that find it (the English name; a plan's name and division code). */
  alt: string[];
  color: string;
  /** What it is, beside the name: its layer, or "规划". */
  tag: () => string;
  point: [number, number];
  box: BBox | null;
  /** A plan's page: a hit opens it. */
  href?: string;
}

const planEntry = (p: PlanEntry): Entry => ({
  name: planLabel(p),
  alt: [p.name, p.id],
  color: "#0d47a1",
  tag: () => t("planHit"),
  point: [(p.bbox[0] + p.bbox[2]) / 2, (p.bbox[1] + p.bbox[3]) / 2],
  box: p.bbox,
  href: planHref(p.id),
});

export class Search {
  private entries: Entry[] | null = null;
  private loading: Promise<void> | null = null;
  private results: Entry[] = [];
  private active = -1;
  private input: HTMLInputElement;
  private list: HTMLUListElement;

  constructor(
    root: HTMLElement,
    private pm: PlanMap | null,
    private defs: LayerDef[],
    private stats: LayerStats[],
    private plans: PlanEntry[] = [],
  ) {
    this.input = root.querySelector("input")!;
    this.list = root.querySelector("ul")!;
    this.input.addEventListener("focus", () => void this.load());
    this.input.addEventListener("input", () => void this.update());
    this.input.addEventListener("keydown", (e) => this.key(e));
    this.input.addEventListener("blur", () => setTimeout(() => this.close(), 150));
    onLang(() => this.input.value && void this.update());
  }

  private load(): Promise<void> {
    if (!this.loading) {
      const count = new Map(this.stats.map((s) => [s.id, s.features]));
      const rank = (d: LayerDef) => (d.role ? (ROLE_RANK[d.role] ?? 3) : 3);
      const defs = this.defs
        .filter((d) => d.draw.search && (count.get(d.id) ?? 0) <= MAX_FEATURES)
        .sort((a, b) => rank(a) - rank(b));
      this.loading = Promise.all(
        defs.map((d) =>
          api.layerGeojson(d.id).then(
            (fc: FeatureCollection) => ({ d, fc }),
            () => ({ d, fc: { type: "FeatureCollection", features: [] } as FeatureCollection }),
          ),
        ),
      ).then((all) => {
        const out: Entry[] = this.plans.map(planEntry);
        for (const { d, fc } of all) {
          for (const f of fc.features) {
            const name = f.properties?.name;
            if (!name || !f.geometry) continue;
            const point = labelPoint(f.geometry);
            if (!point) continue;
            out.push({
              name: String(name),
              alt: [String(f.properties?.name_en ?? "")],
              color: d.color,
              tag: () => layerName(d),
              point,
              box: f.geometry.type === "Point" ? null : bbox(f.geometry),
            });
          }
        }
        this.entries = out;
      });
    }
    return this.loading;
  }

  private async update(): Promise<void> {
    const q = this.input.value.trim().toLowerCase();
    if (!q) return this.close();
    await this.load();
    if (q !== this.input.value.trim().toLowerCase()) return;
    const score = (e: Entry) => {
      const n = e.name.toLowerCase();
      if (n === q) return 0;
      if (n.startsWith(q)) return 1;
      if (n.includes(q)) return 2;
      if (e.alt.some((a) => a.toLowerCase().includes(q))) return 3;
      return 9;
    };
    this.results = (this.entries ?? [])
      .map((e) => ({ e, s: score(e) }))
      .filter((x) => x.s < 9)
      .sort((a, b) => a.s - b.s)
      .slice(0, 10)
      .map((x) => x.e);
    this.active = this.results.length ? 0 : -1;
    this.render();
  }

  private render(): void {
    this.list.hidden = false;
    if (!this.results.length) {
      this.list.innerHTML = `<li class="sr-none">${esc(t("searchNone"))}</li>`;
      return;
    }
    this.list.innerHTML = this.results
      .map(
        (e, i) => `<li role="option" class="sr-item${i === this.active ? " active" : ""}" data-i="${i}">
          <span class="sw sw-fill" style="--c:${esc(e.color)}"></span>
          <span class="sr-name">${esc(e.name)}</span><span class="sr-layer">${esc(e.tag())}</span></li>`,
      )
      .join("");
    this.list.querySelectorAll<HTMLElement>(".sr-item").forEach((li) =>
      li.addEventListener("mousedown", (ev) => {
        ev.preventDefault();
        this.go(this.results[Number(li.dataset.i)]);
      }),
    );
  }

  private key(e: KeyboardEvent): void {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!this.results.length) return;
      e.preventDefault();
      const n = this.results.length;
      this.active = (this.active + (e.key === "ArrowDown" ? 1 : n - 1)) % n;
      this.render();
    } else if (e.key === "Enter" && this.active >= 0) {
      this.go(this.results[this.active]);
    } else if (e.key === "Escape") {
      this.close();
    }
  }

  private go(e: Entry): void {
    this.input.value = e.name;
    this.close();
    this.input.blur();
    if (e.href) return void (location.href = keepLang(e.href));
    if (!this.pm) return;
    this.pm.setOverlay("search", {
      type: "FeatureCollection",
      features: [
        { type: "Feature", properties: { name: e.name }, geometry: { type: "Point", coordinates: e.point } },
      ],
    });
    if (e.box && (e.box[2] - e.box[0] > 0.002 || e.box[3] - e.box[1] > 0.002)) this.pm.fit(e.box, 14);
    else this.pm.map.flyTo({ center: e.point, zoom: Math.max(this.pm.map.getZoom(), 13.5) });
  }

  private close(): void {
    this.list.hidden = true;
  }
}
