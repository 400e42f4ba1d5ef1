// The map page: loads the plan, builds the map and wires the panels. With a catalog of
// several plans (catalog.ts) the root opens on their overview (overview.ts), and a plan's page
// carries the plan picker.

import "maplibre-gl/dist/maplibre-gl.css";
import "./style.css";
import { api } from "./api";
import { loadCatalog, pathPlan, rootPath, wantsOverview } from "./catalog";
import { esc } from "./format";
import { getLang, onLang, setLang, t, translateDom, type Lang } from "./i18n";
import { addAreaLabels } from "./labels";
import { Legend } from "./legend";
import { createMap } from "./map";
import { startOverview } from "./overview";
import { BatchPanel } from "./panels/batch";
import { CheckPanel } from "./panels/check";
import { ConflictsPanel } from "./panels/conflicts";
import { planPanel } from "./panels/plan";
import { installPicker } from "./panels/plans";
import { getParam, setParam } from "./permalink";
import { installPopups } from "./popup";
import { roleLayer } from "./roles";
import { Search } from "./search";
import { loadStaticConfig, staticChrome } from "./static";

type Tab = "layers" | "plan" | "conflicts" | "check" | "batch";
const TABS: Tab[] = ["layers", "plan", "conflicts", "check", "batch"];

const $ = <T extends HTMLElement = HTMLElement>(sel: string) => document.querySelector<T>(sel)!;

async function start(): Promise<void> {
  const initialLang = getParam("lang");
  if (initialLang === "en" || initialLang === "zh") setLang(initialLang as Lang);
  onLang(() => {
    translateDom();
    document.title = `${t("appTitle")} · planmap`;
  });
  $("#lang-btn").addEventListener("click", () => {
    setLang(getLang() === "zh" ? "en" : "zh");
    setParam("lang", getLang() === "en" ? "en" : null);
  });

  // Published by `planmap publish`: files and a PMTiles archive, no server (static.ts).
  const published = await loadStaticConfig();
  if (published) staticChrome(published, getLang, onLang);

  // A published site is one plan's files: no catalog to ask for.
  const catalog = published ? null : await loadCatalog();
  const many = catalog !== null && catalog.plans.length > 1;
  if (wantsOverview(catalog)) {
    installPicker($(".topbar"), catalog!, null);
    new Search($(".search"), null, [], [], catalog!.plans);
    return startOverview(catalog!, rootPath());
  }

  const hadView = getParam("map") !== null;
  const [plan, stats, style] = await Promise.all([api.plan(), api.layers(), api.style()]);
  if (many) installPicker($(".topbar"), catalog, pathPlan() ?? catalog.default);

  onLang((l) => {
    $("h1").textContent = t("planTitle", { county: l === "en" ? plan.county_en || plan.county : plan.county });
    document.title = `${$("h1").textContent} · planmap`;
    $("#plan-name").textContent = l === "en" ? plan.name_en || plan.name : plan.name;
    const banner = $("#caveat");
    banner.hidden = !plan.illustrative;
    banner.innerHTML = `<span class="caveat-icon">!</span><b>${esc(plan.caveat)}</b>${
      l === "en" && plan.caveat_en ? `<span class="caveat-en">${esc(plan.caveat_en)}</span>` : ""
    }`;
  });

  const pm = await createMap($("#map"), style, plan.layers);
  $("#map-status").hidden = true;
  const county = roleLayer(stats.layers, "county")?.bbox;
  if (county && !hadView)
    pm.map.fitBounds(
      [
        [county[0], county[1]],
        [county[2], county[3]],
      ],
      { padding: 30, animate: false },
    );
  void addAreaLabels(pm.map, plan.layers);

  const legend = new Legend($("#panel-layers"), pm, plan.layers, stats.layers);
  planPanel($("#panel-plan"), plan, stats.layers);
  const conflicts = new ConflictsPanel($("#panel-conflicts"), pm, plan.layers);
  const check = new CheckPanel($("#panel-check"), pm, plan);
  new BatchPanel($("#panel-batch"), pm, $("#tab-batch"));
  new Search($(".search"), pm, plan.layers, stats.layers, many ? catalog.plans : []);
  installPopups(pm.map, plan.layers, () => check.idle, (id) => legend.isVisible(id));

  const show = (tab: Tab) => {
    document.querySelectorAll<HTMLElement>("[data-tab]").forEach((b) => {
      b.setAttribute("aria-selected", String(b.dataset.tab === tab));
      b.classList.toggle("active", b.dataset.tab === tab);
    });
    document.querySelectorAll<HTMLElement>("[data-panel]").forEach((p) => {
      p.hidden = p.dataset.panel !== tab;
    });
    setParam("panel", tab === "layers" ? null : tab);
    if (tab === "conflicts") conflicts.open();
  };
  document.querySelectorAll<HTMLElement>("[data-tab]").forEach((b) =>
    b.addEventListener("click", () => {
      show(b.dataset.tab as Tab);
      document.body.classList.add("sheet-open");
    }),
  );
  const initial = getParam("panel") as Tab | null;
  const shown = (tab: Tab) => !document.querySelector<HTMLElement>(`[data-tab="${tab}"]`)?.hidden;
  show(initial && TABS.includes(initial) && shown(initial) ? initial : "layers");

  $(".menu-btn").addEventListener("click", () => document.body.classList.toggle("sheet-open"));
  document.body.classList.add("ready");
}

start().catch((e: Error) => {
  const s = $("#map-status");
  s.hidden = false;
  s.classList.add("error");
  s.textContent = `${t("loadFailed")}: ${e.message}`;
});
