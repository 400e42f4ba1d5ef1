// How a site check report reads, shared by the check panel and the printable report page:
// the verdict badge, the per-layer overlap table (m², 公顷, 亩, share), where the site lies,
// the distance to the red line and the area left after avoidance (避让).

import type { CheckReport, FileInput, LayerDef } from "./api";
import { roleId } from "./roles";
import { dist, esc, ha, m2, mu, num, pct } from "./format";
import { getLang, layerName, t, verdictLabel } from "./i18n";

export const VERDICT_CLASS: Record<string, string> = {
  不通过: "v-fail",
  需论证: "v-assess",
  通过: "v-pass",
};

export function verdictBadge(r: CheckReport): string {
  return badge(r.verdict);
}

const badge = (v: string, cls = "verdict") =>
  `<div class="${cls} ${VERDICT_CLASS[v] ?? ""}" data-verdict="${esc(v)}">${esc(verdictLabel(v))}</div>`;

/** A site across county lines (the answer's `plans` has more than one entry): the overall
 * verdict (the strictest) first, then each plan's verdict, the area of the site inside its
 * county and a link to that plan's printable report. Empty for a site in one county. */
export function plansVerdicts(r: CheckReport, reportHref: (plan: string) => string): string {
  const plans = r.plans ?? [];
  if (plans.length < 2) return "";
  const total = plans.reduce((s, p) => s + p.area_m2, 0);
  const rows = plans
    .map(
      (p) => `<tr data-plan="${esc(p.plan)}" data-m2="${p.area_m2}"><td>${esc(p.name)}</td>
        <td>${badge(p.verdict, "verdict small")}</td>
        <td class="n">${m2(p.area_m2)}<div class="muted small">${mu(p.area_m2)} ${t("mu")}</div></td>
        <td><a class="plan-report" href="${esc(reportHref(p.plan))}" target="_blank" rel="opener">${t("planReport")}</a></td></tr>`,
    )
    .join("");
  return `<div class="ck-overall"><span class="k">${t("overallVerdict")}</span>${badge(r.overall_verdict ?? r.verdict)}
      <span class="muted small">${esc(t("acrossPlans", { n: plans.length }))}</span></div>
    <table class="data plans-verdicts"><thead><tr><th>${t("planCol")}</th><th>${t("verdict")}</th>
      <th class="n">${t("partArea")} m²</th><th></th></tr></thead><tbody>${rows}</tbody>
      <tfoot><tr><td>${t("total")}</td><td></td><td class="n plans-total" data-m2="${total}">${m2(total)}</td><td></td></tr></tfoot></table>`;
}

/** Site area in the three units. */
export function areaLine(r: CheckReport): string {
  return `<div class="site-area" data-m2="${r.site_area_m2}"><span class="k">${t("siteArea")}</span>
    <b>${m2(r.site_area_m2)}</b> m² · <b>${ha(r.site_area_m2)}</b> ${t("ha")} · <b>${mu(r.site_area_m2)}</b> ${t("mu")}</div>`;
}

/** Every prohibited and assess layer of the plan, touched or not: a name row, then the
 * figures (m², 公顷, 亩, share of the site) of the layers the site overlaps. */
export function overlapTable(r: CheckReport, defs: LayerDef[]): string {
  const constraint = defs.filter((d) => d.site_role === "prohibited" || d.site_role === "assess");
  const rows = constraint
    .map((d) => {
      const o = r.overlaps.find((x) => x.layer === d.id);
      const role = d.site_role === "prohibited" ? "prohibited" : "assess";
      const tag = role === "prohibited" ? t("roleProhibited") : t("roleAssess");
      if (!o) {
        return `<tbody class="ov-group"><tr class="ov-row zero" data-layer="${esc(d.id)}" data-m2="0"><td colspan="4">
          <span class="sw sw-fill" style="--c:${esc(d.color)}"></span>${esc(layerName(d))}
          <span class="ov-none">${t("notTouched")}</span></td></tr></tbody>`;
      }
      const a = o.area_m2;
      const names = o.feature_names.filter(Boolean).join("、");
      return `<tbody class="ov-group"><tr class="ov-name hit-${role}"><td colspan="4"><span class="sw sw-fill" style="--c:${esc(d.color)}"></span><b>${esc(layerName(d))}</b>
          <span class="badge ${role === "prohibited" ? "b-binding" : "sev-warning"}">${esc(tag)}</span>
          ${names ? `<div class="muted small ov-features">${esc(names)}</div>` : ""}</td></tr>
        <tr class="ov-row hit hit-${role}" data-layer="${esc(d.id)}" data-m2="${a}">
          <td class="n ov-m2">${m2(a)}</td><td class="n">${ha(a)}</td><td class="n">${mu(a)}</td><td class="n">${pct(o.share, 2)}</td></tr></tbody>`;
    })
    .join("");
  return `<table class="data overlap-table"><thead><tr>
    <th class="n">${t("m2")}</th><th class="n">${t("ha")}</th><th class="n">${t("mu")}</th><th class="n">${t("share")}</th></tr></thead>
    ${rows}</table>`;
}

function located(r: CheckReport, layer: string | undefined, names: string[]): string {
  if (!names.length) return `<span class="muted">${t("none")}</span>`;
  return names
    .map((n) => {
      const l = r.locations.find((x) => x.layer === layer && x.name === n);
      return `<span class="chip">${esc(n)}${l && l.share < 0.9995 ? ` <small>${pct(l.share)}</small>` : ""}</span>`;
    })
    .join(" ");
}

/** Townships (the subdivisions layer's), park, red-line distance, avoidance, slivers. */
export function factsList(r: CheckReport, defs: LayerDef[]): string {
  const red =
    r.nearest_red_line_m != null
      ? `<b class="dist-red">${dist(r.nearest_red_line_m)}</b>`
      : r.overlaps.some((o) => o.layer === roleId(defs, "red_line"))
        ? `<b class="v-fail-text">${getLang() === "en" ? "overlaps" : "占用红线"}</b>`
        : "—";
  const sliver = r.slivers.length
    ? `<li class="muted">${esc(t("sliverNote", { n: r.slivers.length, tol: num(r.sliver_tolerance_m2, 1) }))}</li>`
    : "";
  const county =
    r.inside_county_share < 0.9995
      ? `<li class="warn">${esc(t("outsideShare", { p: pct(r.inside_county_share) }))}</li>`
      : "";
  return `<ul class="facts">
    <li><span class="k">${t("inTownships")}</span> <span class="v facts-townships">${located(r, roleId(defs, "subdivisions"), r.townships)}</span></li>
    <li><span class="k">${t("inParks")}</span> <span class="v facts-parks">${located(r, roleId(defs, "parks"), r.parks)}</span></li>
    <li><span class="k">${t("nearestRed")}</span> <span class="v">${red}</span></li>
    <li><span class="k">${t("avoidance")}</span> <span class="v"><b class="avoid-m2" data-m2="${r.avoidance_area_m2}">${m2(r.avoidance_area_m2)}</b> m² · ${mu(r.avoidance_area_m2)} ${t("mu")}</span></li>
    ${county}${sliver}</ul>`;
}

export function reasonsList(r: CheckReport): string {
  if (!r.reasons.length) return `<p class="ok-note">${t("noOverlap")}</p>`;
  return `<ul class="reasons">${r.reasons.map((x) => `<li>${esc(x)}</li>`).join("")}</ul>`;
}

/** How the server read a site file: format, CRS, parcels, and the areas the file states
 * (usually planar Gauss-Krüger) beside the ellipsoidal ones. */
export function fileInfo(f: FileInput | null): string {
  if (!f) return "";
  const parcels = f.parcels
    .map((p) => {
      const stated = p.stated_m2 != null ? ` · ${t("statedArea")} ${m2(p.stated_m2)} m²` : "";
      const planar = p.planar_m2 != null ? ` · ${t("planarArea")} ${m2(p.planar_m2)} m²` : "";
      return `<li>${esc(p.name || p.number || `#${p.parcel}`)}: ${t("ellipsoidalArea")} <b>${m2(p.ellipsoidal_m2)}</b> m²${planar}${stated}</li>`;
    })
    .join("");
  const warn = f.warnings.map((w) => `<li class="warn">${esc(w)}</li>`).join("");
  return `<div class="file-info"><div class="small muted">${t("fileRead")}: ${esc(f.format.toUpperCase())} · ${esc(f.crs)}</div>
    <ul class="small">${parcels}${warn}</ul></div>`;
}
