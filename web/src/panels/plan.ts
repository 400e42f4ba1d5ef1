// The plan panel: each layer's measured total beside the plan's target, and the 26
// indicators with their 2023 → 2027 → 2035 figures, binding (约束性) or expected (预期性).

import type { Indicator, LayerStats, Plan, Target } from "../api";
import { esc, num } from "../format";
import { getLang, layerName, onLang, t } from "../i18n";

const UNIT_ZH: Record<Target["unit"], string> = { km2: "km²", wanmu: "万亩", mu: "亩", ha: "公顷" };

/** A layer's measured total in the unit of its target. */
function measuredIn(s: LayerStats, unit: Target["unit"]): number {
  switch (unit) {
    case "km2":
      return s.area_km2;
    case "wanmu":
      return s.area_wanmu;
    case "mu":
      return s.area_mu;
    case "ha":
      return s.area_ha;
  }
}

/** English names of the indicators (the plan writes them in Chinese only). */
const INDICATOR_EN: Record<number, string> = {
  1: "Ecological protection red line area",
  2: "Permanent basic farmland",
  3: "Drop in energy use per unit of GDP",
  4: "Non-fossil share of primary energy",
  5: "Coal use per kWh of thermal power",
  6: "Drop in water use per 10 000 yuan of GDP",
  7: "Reclaimed water use rate",
  8: "Industrial solid waste reuse rate",
  9: "Livestock manure reuse rate",
  10: "Forest cover",
  11: "Soil and water retention rate",
  12: "Protected wild species coverage",
  13: "Days of good air quality",
  14: "PM2.5 annual mean",
  15: "Surface-water sections at class III or better",
  16: "Drinking-water sources at class III or better",
  17: "Safe use of polluted farmland",
  18: "Safe use of key construction land",
  19: "Urban sewage collection rate",
  20: "Park service-radius coverage",
  21: "Green buildings in new urban floor area",
  22: "Rural sewage treatment rate",
  23: "Rural waste recycling rate",
  24: "Large rural black-odorous water bodies treated",
  25: "Public satisfaction with the environment",
  26: "Discharge permit coverage",
};

function targetsHtml(stats: LayerStats[]): string {
  const withTarget = stats.filter((s) => s.target);
  const cards = withTarget
    .map((s) => {
      const tg = s.target!;
      const m = measuredIn(s, tg.unit);
      const dev = s.target_deviation ?? m / tg.value - 1;
      const ok = Math.abs(dev) <= 0.005;
      const digits = tg.unit === "wanmu" ? 2 : 1;
      return `<div class="target-card" data-layer="${esc(s.id)}">
        <div class="tc-head"><span class="sw sw-fill" style="--c:${esc(s.color)}"></span>${esc(layerName(s))}</div>
        <div class="tc-figs">
          <div><span class="tc-label">${t("measured")}</span><b class="tc-measured">${num(m, digits)}</b> ${UNIT_ZH[tg.unit]}</div>
          <div class="tc-arrow">⇄</div>
          <div><span class="tc-label">${t("target")}</span><b class="tc-target">${num(tg.value, digits)}</b> ${UNIT_ZH[tg.unit]}</div>
        </div>
        <div class="tc-dev ${ok ? "ok" : "off"}">${t("deviation")} ${Math.abs(dev) < 5e-5 ? "±" : dev > 0 ? "+" : "−"}${num(Math.abs(dev) * 100, 2)}%</div>
        <div class="tc-source">${esc(tg.source)}</div>
      </div>`;
    })
    .join("");
  const rows = stats
    .filter((s) => s.geometry === "polygon" && s.role !== "neighbours")
    .map(
      (s) => `<tr><td><span class="sw sw-fill" style="--c:${esc(s.color)}"></span>${esc(layerName(s))}</td>
        <td class="n">${num(s.features, 0)}</td><td class="n">${num(s.area_km2, 2)}</td><td class="n">${num(s.area_wanmu, 2)}</td></tr>`,
    )
    .join("");
  return `<h3>${t("planMeasured")}</h3><div class="target-cards">${cards}</div>
    <table class="data compact"><thead><tr><th>${t("layer")}</th><th class="n">${t("features")}</th><th class="n">km²</th><th class="n">万亩</th></tr></thead>
    <tbody>${rows}</tbody></table>`;
}

function indicatorsHtml(rows: Indicator[]): string {
  const en = getLang() === "en";
  let lastCat = "";
  const body = rows
    .map((r) => {
      const cat =
        r.category !== lastCat
          ? `<tr class="cat"><th colspan="5">${esc(r.category)}</th></tr>`
          : "";
      lastCat = r.category;
      const binding = r.binding.includes("约束");
      const name = en && INDICATOR_EN[r.no] ? INDICATOR_EN[r.no] : r.indicator;
      return `${cat}<tr class="ind" data-no="${r.no}">
        <td class="ind-no">${r.no}</td>
        <td><div class="ind-name">${esc(name)}</div><div class="ind-meta">${esc(r.unit)} · <span class="badge ${binding ? "b-binding" : "b-expected"}">${binding ? t("binding") : t("expected")}</span></div></td>
        <td class="v">${esc(r.baseline_2023)}</td><td class="v">${esc(r.target_2027)}</td><td class="v">${esc(r.target_2035)}</td></tr>`;
    })
    .join("");
  return `<h3>${t("indicators")}</h3>
    <table class="data indicators"><thead><tr><th>${t("no")}</th><th>${t("indicator")}</th><th>${t("y2023")}</th><th>${t("y2027")}</th><th>${t("y2035")}</th></tr></thead>
    <tbody>${body}</tbody></table>`;
}

export function planPanel(root: HTMLElement, plan: Plan, stats: LayerStats[]): void {
  onLang(() => {
    root.innerHTML = `<div class="panel-intro"><b>${esc(getLang() === "en" ? plan.name_en || plan.name : plan.name)}</b>
      <span>${esc(getLang() === "en" ? plan.county_en || plan.county : plan.county)} · ${num(plan.county_area_km2, 2)} km² · ${esc(plan.period)}</span></div>
      ${targetsHtml(stats)}${indicatorsHtml(plan.indicators)}`;
  });
}
