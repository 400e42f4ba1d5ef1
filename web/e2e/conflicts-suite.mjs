// The conflicts panel in Chromium against the real server: it lists every planted conflict
// of the data set under its rule, with the server's counts; a click zooms to the conflict and
// highlights it; the conflicts layer shows and exports as GeoJSON.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  andMapIdle,
  assertClean,
  downloadJson,
  mapView,
  openMap,
  parseNum,
  readJson,
  shot,
  session,
  DATA,
} from "./harness.mjs";
import { countPixels, decodePng } from "./png.mjs";

/** The suite against the site `start()` opens ({ server: { url, get }, browser, page, close }):
 * the live server (harness `session`) or a published folder behind nginx (published.test.mjs). */
export function conflictsSuite(title = "conflicts panel", start = session) {
  describe(title, () => {
    let server;
    let browser;
    let page;
    let close;
    let planted;
    let scan;

    before(async () => {
      ({ server, browser, page, close } = await start());
      planted = readJson(`${DATA}/planted_conflicts.json`);
      scan = await server.get("api/conflicts");
    });
    after(async () => {
      await close?.();
    });

    test("lists every planted conflict under its rule, with the rule counts", async () => {
      await openMap(page, server.url, "#panel=conflicts");
      await page.locator(".cf-summary").waitFor();
      assert.ok(planted.length >= 3, "the data set plants conflicts");
      for (const p of planted) {
        const item = page.locator(`.cf-item[data-a="${p.a}"][data-b="${p.b}"]`);
        assert.equal(await item.count(), 1, `${p.rule} ${p.a} × ${p.b} is listed once`);
        const inSlivers = (await item.locator("xpath=ancestor::details").count()) > 0;
        assert.equal(inSlivers, p.severity === "sliver", `${p.a} × ${p.b}: a sliver only if planted as one`);
        if (p.severity !== "sliver") {
          const shownMu = parseNum((await item.locator(".cf-area").innerText()).split("·")[1]);
          assert.ok(Math.abs(shownMu - p.area_mu) < 0.006, `${p.a} × ${p.b}: ${shownMu} 亩, planted ${p.area_mu}`);
        }
      }
      const rows = page.locator(".cf-summary tbody tr");
      assert.equal(await rows.count(), scan.summary.length, "one summary row a rule");
      for (const [i, r] of scan.summary.entries()) {
        assert.equal(parseNum(await rows.nth(i).locator(".cf-count").innerText()), r.count, r.rule);
        const plantedCount = planted.filter((p) => p.rule === r.rule && p.severity !== "sliver").length;
        assert.ok(r.count >= plantedCount, `${r.rule}: ${r.count} found, ${plantedCount} planted`);
      }
      assertClean(assert, browser.guards);
    });

    test("clicking a conflict zooms to it and highlights it", async () => {
      const before = await mapView(page);
      const p = planted.filter((x) => x.severity === "conflict").sort((a, b) => a.area_m2 - b.area_m2)[0];
      const ring = p.overlap.coordinates[0];
      const lons = ring.map((c) => c[0]);
      const lats = ring.map((c) => c[1]);
      const item = page.locator(`.cf-item[data-a="${p.a}"][data-b="${p.b}"]`);
      await andMapIdle(page, () => item.click());
      const v = await mapView(page);
      assert.ok(v.zoom > before.zoom + 3, `zoomed in: ${before.zoom} → ${v.zoom}`);
      const margin = 0.002;
      assert.ok(
        v.lon > Math.min(...lons) - margin && v.lon < Math.max(...lons) + margin &&
          v.lat > Math.min(...lats) - margin && v.lat < Math.max(...lats) + margin,
        `centred on the conflict: ${v.lon},${v.lat}`,
      );
      assert.match(await item.getAttribute("class"), /selected/);
      // The highlight outline (#12005e) is drawn on the canvas.
      const png = decodePng(await page.locator("#map canvas").screenshot());
      const outline = countPixels(png, (r, g, b) => r < 60 && g < 30 && b > 60 && b < 140);
      assert.ok(outline > 50, `highlight outline pixels: ${outline}`);
      await shot(page, "20-conflicts");
      assertClean(assert, browser.guards);
    });

    test("the conflicts layer shows on the map and exports as GeoJSON", async () => {
      await andMapIdle(page, () => page.locator(".cf-layer").check());
      assert.equal(
        await page.evaluate(() => document.querySelector(".cf-layer").checked),
        true,
      );
      const png = decodePng(await page.locator("#map canvas").screenshot());
      const magenta = countPixels(png, (r, g, b) => r > 150 && g < 120 && b > 150);
      assert.ok(magenta > 100, `conflict fill pixels: ${magenta}`);
      await shot(page, "21-conflicts-layer");
      const [download] = await Promise.all([page.waitForEvent("download"), page.locator(".cf-actions a[download]").click()]);
      assert.match(download.suggestedFilename(), /conflicts\.geojson$/);
      const fc = await downloadJson(download);
      assert.equal(fc.type, "FeatureCollection");
      assert.equal(fc.features.length, scan.conflicts.length + scan.slivers.length);
      for (const p of planted) {
        assert.ok(
          fc.features.some((f) => f.properties.a_id === p.a && f.properties.b_id === p.b),
          `${p.a} × ${p.b} in the export`,
        );
      }
      assertClean(assert, browser.guards);
    });
  });
}
