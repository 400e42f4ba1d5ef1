// The map page in Chromium against the real server: it loads cleanly and offline, draws the
// red line in red, toggles layers, exports a layer, identifies, searches, switches language,
// shows the plan's figures, and fits a phone.

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
  layerId,
  DATA,
} from "./harness.mjs";
import { countPixels, decodePng, isRedLine } from "./png.mjs";

// The red line and the farmland in the plan under test (renamed on the rename run).
const [RED, FARM] = [layerId("red_line"), layerId("farmland")];

const redPixels = async (page) =>
  countPixels(decodePng(await page.locator("#map canvas").screenshot()), isRedLine);

/** The suite against the site `start()` opens ({ server: { url, get }, browser, page, close }):
 * the live server (harness `session`) or a published folder behind nginx (published.test.mjs). */
export function mapSuite(title = "map page", start = session) {
  describe(title, () => {
    let server;
    let browser;
    let page;
    let close;
    let stats;

    before(async () => {
      ({ server, browser, page, close } = await start());
      stats = await server.get("api/layers");
    });
    after(async () => {
      await close?.();
    });

    test("loads with no console errors and no request leaving 127.0.0.1", async () => {
      await openMap(page, server.url);
      await shot(page, "01-map");
      assert.equal(await page.locator("#caveat").isVisible(), true, "the illustrative-data banner shows");
      assert.match(await page.locator("#caveat").innerText(), /示意数据，非官方成果/);
      assert.equal(await page.locator(".lg-row").count(), stats.layers.length, "one legend row a layer");
      assert.ok((await page.locator(".maplibregl-ctrl-scale").innerText()).match(/\d+\s*k?m/), "scale bar");
      assertClean(assert, browser.guards);
    });

    test("the canvas shows the red line in red; toggling it removes those pixels", async () => {
      const before = await redPixels(page);
      assert.ok(before > 2000, `red-line pixels on the county view: ${before}`);
      const toggle = page.locator(`.lg-row[data-layer="${RED}"] .lg-toggle`);
      await andMapIdle(page, () => toggle.click());
      assert.equal(await toggle.getAttribute("aria-pressed"), "false");
      assert.match(await page.evaluate(() => location.hash), new RegExp(`hide=${RED}`), "the permalink keeps it");
      const off = await redPixels(page);
      await shot(page, "02-map-red-line-off");
      assert.ok(off <= Math.max(20, before / 500), `red pixels left with the red line off: ${off} (on: ${before})`);
      await andMapIdle(page, () => toggle.click());
      const again = await redPixels(page);
      assert.ok(again > before * 0.9, `red pixels back: ${again}`);
      assertClean(assert, browser.guards);
    });

    test("a layer's export from the legend downloads valid GeoJSON", async () => {
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.locator(`.lg-row[data-layer="${RED}"] .lg-dl`).click(),
      ]);
      assert.match(download.suggestedFilename(), new RegExp(`${RED}\\.geojson$`));
      const fc = await downloadJson(download);
      const expected = stats.layers.find((l) => l.id === RED).features;
      assert.equal(fc.type, "FeatureCollection");
      assert.equal(fc.features.length, expected, "every red-line feature");
      for (const f of fc.features) {
        assert.equal(f.type, "Feature");
        assert.ok(["Polygon", "MultiPolygon"].includes(f.geometry.type), f.geometry.type);
        const [lon, lat] = f.geometry.type === "Polygon" ? f.geometry.coordinates[0][0] : f.geometry.coordinates[0][0][0];
        assert.ok(lon > 111 && lon < 113 && lat > 37 && lat < 38, `lon/lat ${lon},${lat}`);
      }
      assertClean(assert, browser.guards);
    });

    test("a click opens a pop-up with the features there", async () => {
      const planted = readJson(`${DATA}/planted_conflicts.json`);
      const red = planted.find((p) => p.rule === `${RED}×${FARM}` && p.severity === "conflict");
      const ring = red.overlap.coordinates[0];
      const lon = (ring[0][0] + ring[2][0]) / 2;
      const lat = (ring[0][1] + ring[2][1]) / 2;
      await openMap(page, server.url, `#map=16/${lat}/${lon}`);
      const view = await mapView(page);
      assert.ok(Math.abs(view.zoom - 16) < 1e-6 && Math.abs(view.lon - lon) < 1e-5, `the permalink opens its view: ${JSON.stringify(view)}`);
      const box = await page.locator("#map").boundingBox();
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      const pop = page.locator(".maplibregl-popup-content");
      await pop.waitFor();
      const text = await pop.innerText();
      assert.match(text, /生态保护红线/);
      assert.match(text, /永久基本农田/);
      await shot(page, "03-popup");
      assertClean(assert, browser.guards);
    });

    test("place search finds a place and flies there", async () => {
      await openMap(page, server.url);
      const before = await mapView(page);
      const places = await server.get(`api/layers/${layerId("places")}.geojson`);
      const target = places.features.find((f) => f.properties.name === "刘胡兰纪念馆") ?? places.features[0];
      await page.locator("#search-input").fill(target.properties.name.slice(0, 3));
      const item = page.locator(".sr-item", { hasText: target.properties.name }).first();
      await item.waitFor();
      await andMapIdle(page, () => item.dispatchEvent("mousedown"));
      const v = await mapView(page);
      const [lon, lat] = target.geometry.coordinates;
      assert.ok(v.zoom > before.zoom + 1, `zoomed in: ${before.zoom} → ${v.zoom}`);
      assert.ok(Math.abs(v.lon - lon) < 0.01 && Math.abs(v.lat - lat) < 0.01, `centred on ${lon},${lat}: ${v.lon},${v.lat}`);
      await shot(page, "04-search");
      assertClean(assert, browser.guards);
    });

    test("the plan panel shows 26 indicators and measured totals beside the targets", async () => {
      await page.locator('[data-tab="plan"]').click();
      assert.equal(await page.locator("tr.ind").count(), 26);
      const binding = await page.locator("tr.ind .b-binding").count();
      assert.ok(binding > 0 && binding < 26, "binding and expected indicators are told apart");
      const red = stats.layers.find((l) => l.id === RED);
      const farm = stats.layers.find((l) => l.id === FARM);
      const card = (id) => page.locator(`.target-card[data-layer="${id}"]`);
      assert.equal(parseNum(await card(RED).locator(".tc-target").innerText()), 367.4);
      assert.equal(parseNum(await card(RED).locator(".tc-measured").innerText()), Number(red.area_km2.toFixed(1)));
      assert.equal(parseNum(await card(FARM).locator(".tc-target").innerText()), 46.44);
      assert.equal(parseNum(await card(FARM).locator(".tc-measured").innerText()), Number(farm.area_wanmu.toFixed(2)));
      await shot(page, "05-plan");
      assertClean(assert, browser.guards);
    });

    test("the zh/en switch translates the page and stays in the permalink", async () => {
      await page.locator("#lang-btn").click();
      assert.equal(await page.locator('[data-tab="layers"]').innerText(), "Layers");
      assert.match(await page.locator("#caveat").innerText(), /Illustrative/);
      assert.match(await page.evaluate(() => location.hash), /lang=en/);
      await page.reload();
      await page.waitForSelector("body.ready");
      assert.equal(await page.locator('[data-tab="plan"]').innerText(), "Indicators");
      assert.equal(await page.locator('[data-tab="plan"]').getAttribute("aria-selected"), "true", "panel kept");
      await shot(page, "06-english");
      await page.locator("#lang-btn").click();
      assert.equal(await page.locator('[data-tab="layers"]').innerText(), "图层");
      assertClean(assert, browser.guards);
    });

    test("at phone width the page fits and the panels open as a sheet", async () => {
      const phone = await browser.context.newPage();
      await phone.setViewportSize({ width: 390, height: 844 });
      await openMap(phone, server.url);
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `no horizontal scrolling (${overflow}px)`);
      const map = await phone.locator("#map").boundingBox();
      assert.ok(map.height > 400 && map.width === 390, `map fills the screen: ${JSON.stringify(map)}`);
      await shot(phone, "07-phone-map");
      await phone.locator('[data-tab="layers"]').click();
      assert.equal(await phone.locator("#panel-layers").isVisible(), true);
      await shot(phone, "08-phone-legend");
      await phone.close();
      assertClean(assert, browser.guards);
    });
  });
}
