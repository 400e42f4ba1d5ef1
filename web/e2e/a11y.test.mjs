// Accessibility in Chromium against the real server: axe-core (npm, injected into the page)
// finds no WCAG 2.0/2.1 A or AA violation on the map, each panel and the report, and a site
// check can be made with the keyboard alone (no mouse, no pointer events).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { assertAccessible, assertClean, openMap, readJson, session, DATA } from "./harness.mjs";

/** The planted red-line × farmland overlap's centre: land on the red line. */
function redLineSpot() {
  const planted = readJson(`${DATA}/planted_conflicts.json`)
    .filter((p) => p.rule === "red_line×farmland" && p.severity === "conflict")
    .sort((a, b) => b.area_m2 - a.area_m2)[0];
  const ring = planted.overlap.coordinates[0];
  return [(ring[0][0] + ring[2][0]) / 2, (ring[0][1] + ring[2][1]) / 2];
}

/** Presses Tab until the focused element matches `selector` (at most `max` presses). */
async function tabTo(page, selector, max = 80) {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press("Tab");
  }
  const at = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 120));
  assert.fail(`${max} Tabs never reached ${selector} (focus on ${at})`);
}

describe("accessibility", () => {
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

  test("the map and its layer panel: no WCAG 2 A/AA violation", async () => {
    await openMap(page, server.url);
    await assertAccessible(page, "map + layers panel");
    // Every map control and layer toggle has a name a screen reader reads.
    const unnamed = await page.evaluate(() =>
      [...document.querySelectorAll(".maplibregl-ctrl button, .lg-toggle, .lg-opacity, .lg-dl, [role=tab]")]
        .filter((e) => !(e.getAttribute("aria-label") || e.getAttribute("title") || e.textContent.trim()))
        .map((e) => e.outerHTML.slice(0, 100)),
    );
    assert.deepEqual(unnamed, []);
    assertClean(assert, browser.guards);
  });

  for (const panel of ["plan", "conflicts", "check"]) {
    test(`the ${panel} panel: no WCAG 2 A/AA violation`, async () => {
      await openMap(page, server.url, `#panel=${panel}`);
      await page.locator(`#panel-${panel}`).waitFor();
      if (panel === "conflicts") await page.locator("#panel-conflicts .cf-summary").waitFor();
      await assertAccessible(page, `${panel} panel`);
      assertClean(assert, browser.guards);
    });
  }

  test("a site check by keyboard alone, then its report: no WCAG 2 A/AA violation", async () => {
    const [lon, lat] = redLineSpot();
    await openMap(page, server.url);
    await page.locator("body").focus();
    // The check tab, reached and opened with the keyboard.
    await tabTo(page, '[role=tab][data-tab="check"]');
    await page.keyboard.press("Enter");
    assert.equal(await page.locator("#panel-check").isVisible(), true, "Enter opens the check panel");
    // Its coordinate box: opened, filled and run without the mouse.
    await tabTo(page, ".ck-paste-toggle");
    await page.keyboard.press("Enter");
    await tabTo(page, ".ck-text");
    const d = 0.002;
    const ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]];
    await page.keyboard.type(ring.map(([x, y]) => `${x},${y}`).join("\n"));
    await tabTo(page, ".ck-run");
    await page.keyboard.press("Enter");
    const verdict = page.locator(".ck-result .verdict");
    await verdict.waitFor();
    assert.equal(await verdict.innerText(), "不通过");
    await assertAccessible(page, "check result");
    // The report, opened from the keyboard too.
    await tabTo(page, ".ck-report");
    const [report] = await Promise.all([page.context().waitForEvent("page"), page.keyboard.press("Enter")]);
    report.setDefaultTimeout(60_000);
    await report.waitForSelector("body.ready", { timeout: 120_000 });
    await assertAccessible(report, "report");
    await report.close();
    assertClean(assert, browser.guards);
  });
});
