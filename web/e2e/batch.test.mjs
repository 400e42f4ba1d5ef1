// The batch tab in Chromium against the real server: a file of three sites (on the red line,
// in a park, a bow tie) uploaded → the table shows each verdict, sorts and filters; the sites
// are drawn on the map in their verdict's colour; a row click zooms to its site and opens its
// report; the XLSX downloaded reads back with openpyxl (a second reader) with the verdicts.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  andMapIdle,
  assertClean,
  layerId,
  openMap,
  parkSite,
  readJson,
  session,
  shot,
  square,
  DATA,
} from "./harness.mjs";
import { decodePng } from "./png.mjs";

/** A site on the red line: the middle of the largest planted red-line × farmland overlap. */
function redSite() {
  const [red, farm] = [layerId("red_line"), layerId("farmland")];
  const p = readJson(`${DATA}/planted_conflicts.json`)
    .filter((c) => c.rule === `${red}×${farm}` && c.severity === "conflict")
    .sort((a, b) => b.area_m2 - a.area_m2)[0];
  const ring = p.overlap.coordinates[0];
  const geometry = square((ring[0][0] + ring[2][0]) / 2, (ring[0][1] + ring[2][1]) / 2, 0.0003);
  return { type: "Feature", properties: { 项目名称: "红线内项目", 编号: "B-1" }, geometry };
}

const BOWTIE = {
  type: "Feature",
  properties: { 项目名称: "自相交地块", 编号: "B-3" },
  geometry: { type: "Polygon", coordinates: [[[112.2, 37.4], [112.21, 37.41], [112.21, 37.4], [112.2, 37.41], [112.2, 37.4]]] },
};

/** Pixels of a screenshot within `tol` of an RGB colour. */
function countNear(png, [r, g, b], tol = 40) {
  const img = decodePng(png);
  let n = 0;
  for (let i = 0; i < img.data.length; i += 4)
    if (Math.abs(img.data[i] - r) + Math.abs(img.data[i + 1] - g) + Math.abs(img.data[i + 2] - b) < tol) n++;
  return n;
}

/** The verdict cells of the table as shown, top to bottom. */
const verdicts = (page) => page.locator(".bt-table tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.verdict));

describe("batch check", () => {
  let server;
  let browser;
  let page;
  let close;

  before(async () => {
    ({ server, browser, page, close } = await session());
  });
  after(async () => {
    await close?.();
  });

  test("an uploaded list becomes a table, coloured sites, a report and an XLSX", async () => {
    const park = await parkSite(server.url);
    const sites = [redSite(), { ...park.site, properties: { 项目名称: "园区内厂房", 编号: "B-2" } }, BOWTIE];
    await openMap(page, server.url, "#panel=batch");
    await page.locator(".bt-file").setInputFiles({
      name: "sites.geojson",
      mimeType: "application/geo+json",
      buffer: Buffer.from(JSON.stringify({ type: "FeatureCollection", features: sites })),
    });
    await page.locator(".bt-table tbody tr").nth(2).waitFor();
    assert.deepEqual(await verdicts(page), ["不通过", "通过", "无法审查"]);
    assert.match(await page.locator(".bt-summary").innerText(), /共 3 个要素/);
    assert.match(await page.locator(".bt-table tbody tr").nth(2).innerText(), /self-intersection/);

    // Sorted by 结论 and back; filtered by verdict and by text.
    const th = page.locator(".bt-table th", { hasText: "结论" });
    await th.click();
    assert.deepEqual(await verdicts(page), ["不通过", "通过", "无法审查"].sort((a, b) => a.localeCompare(b, "zh")));
    await th.click();
    assert.equal(await th.getAttribute("aria-sort"), "descending");
    await page.locator(".bt-verdict").selectOption("通过");
    assert.deepEqual(await verdicts(page), ["通过"]);
    await page.locator(".bt-verdict").selectOption("");
    await page.locator(".bt-filter").fill("红线内");
    assert.deepEqual(await verdicts(page), ["不通过"]);
    await shot(page, "40-batch-table");

    // A row click zooms to the red-line site and opens its report; there the site is drawn
    // in the 不通过 colour (#d32f2f): its pixels go when the sites are hidden.
    const [report] = await Promise.all([
      browser.context.waitForEvent("page"),
      andMapIdle(page, () => page.locator(".bt-table tbody tr").first().click()),
    ]);
    report.setDefaultTimeout(60_000);
    await report.waitForSelector("body.ready", { timeout: 120_000 });
    assert.equal(await report.locator(".r-verdict .verdict").innerText(), "不通过");
    await report.close();
    const map = page.locator("#map");
    const withSites = await map.screenshot();
    await andMapIdle(page, () => page.locator(".bt-show").uncheck());
    const without = await map.screenshot();
    await page.locator(".bt-show").check();
    const red = [0xd3, 0x2f, 0x2f];
    const drawn = countNear(withSites, red, 60) - countNear(without, red, 60);
    assert.ok(drawn > 200, `the 不通过 site's outline in its colour: ${drawn} more pixels`);
    await shot(page, "41-batch-map");

    // The XLSX download, read back with openpyxl: the verdicts in file order.
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator(".bt-xlsx").click()]);
    assert.match(download.suggestedFilename(), /^sites-.*\.xlsx$/);
    const dir = mkdtempSync(join(tmpdir(), "planmap-e2e-batch-"));
    const path = join(dir, "results.xlsx"); // openpyxl reads by extension
    await download.saveAs(path);
    const read = `
import json, sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1], read_only=True)["审查结果"]
rows = list(ws.iter_rows(values_only=True))
v = rows[0].index("结论")
print(json.dumps([r[v] for r in rows[1:]], ensure_ascii=False))`;
    // Debian's Python, where `make deps` installs python3-openpyxl.
    const python = process.env.PLANMAP_PYTHON ?? "/usr/bin/python3";
    let got;
    try {
      got = JSON.parse(execFileSync(python, ["-c", read, path], { encoding: "utf8" }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.deepEqual(got, ["不通过", "通过", "无法审查"]);
    assertClean(assert, browser.guards);
  });
});
