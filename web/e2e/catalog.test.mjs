// A catalog of plans in Chromium against the real server: Wenshui and 汾阳 (141182, drawn by
// `planmap-datagen region`) in one `planmap serve`. The overview shows both county outlines
// and names; picking 汾阳 opens its page, whose checks go to /plans/141182/…; a site drawn
// across the Wenshui–汾阳 line gets both plans' answers, whose areas are checked against an
// independent computation: the site clipped with each county outline (read from the plan
// folders' own boundary files) by @turf/intersect, measured on the ellipsoid by GeographicLib.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import intersect from "@turf/intersect";
import geographiclib from "geographiclib-geodesic";
import { assertAccessible, assertClean, BIN, parseNum, ROOT, session, shot } from "./harness.mjs";

const FENYANG = "141182";
const WENSHUI = "wenshui";
const DATAGEN = process.env.PLANMAP_DATAGEN ?? join(dirname(BIN), "planmap-datagen");

// CGCS2000, the ellipsoid the plans' areas are stated on.
const CGCS2000 = new geographiclib.Geodesic.Geodesic(6378137, 1 / 298.257222101);

/** Ellipsoidal area of a GeoJSON Polygon or MultiPolygon, m² (holes subtracted). */
function geodesicArea(g) {
  const ring = (r) => {
    const p = CGCS2000.Polygon(false);
    for (const [lon, lat] of r.slice(0, -1)) p.AddPoint(lat, lon);
    return Math.abs(p.Compute(false, true).area);
  };
  const polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
  return polys.reduce((s, [outer, ...holes]) => s + ring(outer) - holes.reduce((h, r) => h + ring(r), 0), 0);
}

const feature = (geometry) => ({ type: "Feature", properties: {}, geometry });

/** Area of the part of `site` inside `county`, m² (0 when they do not meet). */
function clippedArea(site, county) {
  const piece = intersect({ type: "FeatureCollection", features: [feature(site), feature(county)] });
  return piece ? geodesicArea(piece.geometry) : 0;
}

/** The county outline of the plan folder `dir`: the file of the layer whose role is county. */
function countyOutline(dir) {
  const toml = readFileSync(join(dir, "plan.toml"), "utf8");
  const block = toml.split("[[layers]]").find((b) => /^role\s*=\s*"county"/m.test(b));
  const file = block?.match(/^file\s*=\s*"([^"]+)"/m)?.[1];
  assert.ok(file, `${dir}/plan.toml names no county layer`);
  const fc = JSON.parse(readFileSync(join(dir, file), "utf8"));
  const polys = fc.features.flatMap((f) =>
    f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates,
  );
  return { type: "MultiPolygon", coordinates: polys };
}

const square = (lon, lat, dx, dy = dx) => ({
  type: "Polygon",
  coordinates: [[[lon - dx, lat - dy], [lon + dx, lat - dy], [lon + dx, lat + dy], [lon - dx, lat + dy], [lon - dx, lat - dy]]],
});

/** A 1 km-ish square wholly inside `inside` and clear of `outside` (searched on a grid). */
function siteWithin(inside, outside) {
  const xs = inside.coordinates.flat(2).map((p) => p[0]);
  const ys = inside.coordinates.flat(2).map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  for (const fx of [0.5, 0.4, 0.6, 0.3, 0.7]) {
    for (const fy of [0.5, 0.4, 0.6, 0.3, 0.7]) {
      const s = square(x0 + (x1 - x0) * fx, y0 + (y1 - y0) * fy, 0.005);
      const a = geodesicArea(s);
      if (Math.abs(clippedArea(s, inside) - a) < 1e-6 * a && clippedArea(s, outside) === 0) return s;
    }
  }
  throw new Error("no grid square lies wholly inside the county");
}

/** Degrees a screen pixel spans at `zoom` (MapLibre's 512-pixel tiles): [lon, lat]. */
const degPerPx = (zoom, lat) => {
  const lon = 360 / (512 * 2 ** zoom);
  return [lon, lon * Math.cos((lat * Math.PI) / 180)];
};

/** A point of the Wenshui–汾阳 line where a square of half-size (dx, dy) degrees has a good
 * share (≥ 30 %) on each side: a vertex the two outlines share. */
function borderPoint(a, b, dx, dy) {
  const key = (p) => `${p[0].toFixed(6)},${p[1].toFixed(6)}`;
  const inB = new Set(b.coordinates.flat(2).map(key));
  const shared = a.coordinates.flat(2).filter((p) => inB.has(key(p)));
  assert.ok(shared.length > 10, `the outlines share ${shared.length} vertices: not neighbours?`);
  // From the middle of the shared run outwards: away from the points where a third county meets.
  const order = shared.map((_, i) => i).sort((i, j) => Math.abs(i - shared.length / 2) - Math.abs(j - shared.length / 2));
  for (const i of order) {
    const s = square(shared[i][0], shared[i][1], dx, dy);
    const all = geodesicArea(s);
    if (clippedArea(s, a) > 0.3 * all && clippedArea(s, b) > 0.3 * all) return shared[i];
  }
  throw new Error("no point of the shared line splits a square");
}

const SEVERITY = { 通过: 0, 需论证: 1, 不通过: 2 };

describe("catalog: overview, plan picker, a site across county lines", () => {
  let dir;
  let server;
  let browser;
  let page;
  let close;
  let fenyang;
  let wenshui;
  /** Every POST a check the page sent: its path and body. */
  const posts = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "planmap-e2e-catalog-"));
    execFileSync(DATAGEN, ["region", "--out", dir, "--only", FENYANG], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
    symlinkSync(join(ROOT, "data/wenshui"), join(dir, WENSHUI));
    fenyang = countyOutline(join(dir, FENYANG));
    wenshui = countyOutline(join(dir, WENSHUI));
    ({ server, browser, page, close } = await session({ data: dir, serveArgs: ["--default-plan", WENSHUI] }));
    page.on("request", (r) => {
      if (r.method() === "POST" && new URL(r.url()).pathname.endsWith("/api/check"))
        posts.push({ path: new URL(r.url()).pathname, body: r.postData() });
    });
  });
  after(async () => {
    await close?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the overview shows every plan's outline and name, with its figures", async () => {
    const plans = await (await fetch(`${server.url}api/plans`)).json();
    assert.deepEqual(plans.plans.map((p) => p.id), [FENYANG, WENSHUI]);
    await page.goto(server.url);
    await page.waitForSelector("body.ready");
    await page.waitForFunction(() => (document.getElementById("map")?.dataset.plans ?? "").split(",").length >= 2);
    // Both outlines are drawn on the map, both plans are listed with their figures.
    assert.equal(await page.locator("#map").getAttribute("data-plans"), `${FENYANG},${WENSHUI}`);
    const rows = page.locator(".plans-table tr[data-plan]");
    assert.equal(await rows.count(), 2);
    const row = page.locator(`.plans-table tr[data-plan="${FENYANG}"]`);
    assert.match(await row.innerText(), /汾阳/);
    assert.match(await row.innerText(), /141182/);
    // The area shown is the outline's own ellipsoidal area.
    const km2 = parseNum(await row.locator(".plan-area").innerText());
    assert.ok(Math.abs(km2 - geodesicArea(fenyang) / 1e6) < 0.01 + 1e-4 * km2, `汾阳 ${km2} km²`);
    // The picker is a labelled select: the overview and both plans.
    const picker = page.getByLabel("规划", { exact: true });
    assert.deepEqual(await picker.locator("option").evaluateAll((o) => o.map((x) => x.value)), ["", FENYANG, WENSHUI]);
    // A click on a county opens its figures.
    await row.click();
    await page.locator(`.plan-pop[data-plan="${FENYANG}"]`).waitFor();
    await page.waitForTimeout(700); // the fly-to
    await shot(page, "40-catalog-overview");
    await assertAccessible(page, "the overview with a plan's figures");
    // Search finds a plan by its division code.
    await page.locator("#search-input").fill("141182");
    await page.locator(".sr-item").first().waitFor();
    assert.match(await page.locator(".sr-item").first().innerText(), /汾阳/);
    await page.locator("#search-input").fill("");
  });

  test("an old permalink (no plan) opens the default plan", async () => {
    await page.goto("about:blank");
    await page.goto(`${server.url}#map=9/37.4/112.0`);
    await page.waitForSelector("body.ready");
    assert.match(await page.locator("h1").innerText(), /文水/);
    assert.equal(await page.locator("#plan-picker").inputValue(), WENSHUI);
  });

  test("picking 汾阳 opens its plan; a check there goes to /plans/141182/", async () => {
    await page.goto(server.url);
    await page.waitForSelector("body.ready");
    await Promise.all([page.waitForURL(`**/plans/${FENYANG}/**`), page.selectOption("#plan-picker", FENYANG)]);
    await page.waitForSelector("body.ready");
    await page.waitForFunction(() => Number(document.getElementById("map")?.dataset.idle ?? 0) > 0);
    assert.match(await page.locator("h1").innerText(), /汾阳/);
    assert.match(await page.locator("#caveat").innerText(), /示意数据/);

    const site = siteWithin(fenyang, wenshui);
    await page.locator("#tab-check").click();
    await page.locator(".ck-paste-toggle").click();
    await page.locator(".ck-text").fill(JSON.stringify(site));
    const sent = posts.length;
    await page.locator(".ck-run").click();
    await page.locator(".ck-out:not([data-shown='']) .ck-result .ck-head .verdict").waitFor();
    assert.equal(posts.length - sent, 1);
    assert.equal(posts.at(-1).path, `/plans/${FENYANG}/api/check`);
    await shot(page, "42-catalog-fenyang-check");
    const api = await (
      await fetch(`${server.url}plans/${FENYANG}/api/check`, { method: "POST", body: JSON.stringify(site) })
    ).json();
    assert.equal(await page.locator(".ck-head .verdict").innerText(), api.verdict);
    assert.equal(api.plans.length, 1, "a site inside one county: one plan's answer");
    assert.equal(await page.locator(".plans-verdicts").count(), 0, "no per-plan table for one county");
    assert.equal(api.plans[0].plan, FENYANG);
    assert.ok(api.townships.length > 0, "汾阳's answer names its township");
    await page.locator(".ck-clear").click();
    // ⌂ 总览 goes back to the overview.
    await Promise.all([page.waitForURL((u) => new URL(u).pathname === "/"), page.locator(".back-overview").click()]);
    await page.waitForFunction(() => (document.getElementById("map")?.dataset.plans ?? "").split(",").length >= 2);
    assert.equal(await page.locator("#plan-picker").inputValue(), "");
  });

  test("a site drawn across the Wenshui–汾阳 line gets both plans' answers", async () => {
    // Draw a square of ±90 px around a point of the shared line, at zoom 15.
    const zoom = 15;
    const px = 90;
    const [dlon, dlat] = degPerPx(zoom, 37.3).map((d) => d * px);
    const [lon, lat] = borderPoint(fenyang, wenshui, dlon, dlat);
    await page.goto("about:blank");
    await page.goto(`${server.url}plans/${FENYANG}/#map=${zoom}/${lat}/${lon}&panel=check`);
    await page.waitForSelector("body.ready");
    await page.waitForFunction(() => Number(document.getElementById("map")?.dataset.idle ?? 0) > 0);
    const sent = posts.length;
    await page.locator(".ck-draw").click();
    const box = await page.locator("#map").boundingBox();
    const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
    const corners = [[-px, -px], [px, -px], [px, px], [-px, px]];
    for (const [dx, dy] of corners) await page.mouse.click(cx + dx, cy + dy);
    await page.mouse.click(cx + corners[0][0], cy + corners[0][1]); // close on the first point
    await page.locator(".ck-out:not([data-shown='']) .ck-result .ck-head .verdict").waitFor();
    assert.equal(posts.length - sent, 1);
    assert.equal(posts.at(-1).path, `/plans/${FENYANG}/api/check`);
    const drawn = JSON.parse(posts.at(-1).body);
    const site = (drawn.features?.[0] ?? drawn).geometry ?? drawn;

    // Both plans' answers, in id order, each with its verdict and report link.
    const rows = page.locator(".plans-verdicts tbody tr[data-plan]");
    assert.deepEqual(await rows.evaluateAll((r) => r.map((x) => x.dataset.plan)), [FENYANG, WENSHUI]);
    const shown = await rows.evaluateAll((r) => r.map((x) => Number(x.dataset.m2)));
    const verdicts = await rows.evaluateAll((r) => r.map((x) => x.querySelector("[data-verdict]").dataset.verdict));
    const hrefs = await page.locator(".plans-verdicts a.plan-report").evaluateAll((a) => a.map((x) => new URL(x.href).pathname));
    assert.deepEqual(hrefs, [`/plans/${FENYANG}/report.html`, `/plans/${WENSHUI}/report.html`]);

    // Independent areas: the drawn site clipped with each county's own outline file.
    const siteArea = geodesicArea(site);
    const own = [clippedArea(site, fenyang), clippedArea(site, wenshui)];
    for (const [i, id] of [FENYANG, WENSHUI].entries()) {
      assert.ok(own[i] > 0.2 * siteArea, `${id}'s part of the site is ${own[i]} of ${siteArea} m²`);
      assert.ok(Math.abs(shown[i] - own[i]) <= 1e-6 * siteArea + 0.01, `${id}: page ${shown[i]} m², independent ${own[i]} m²`);
    }
    // The parts add up to the site (the shown site area, and the independent one).
    const pageSite = Number(await page.locator(".ck-head .site-area").getAttribute("data-m2"));
    assert.ok(Math.abs(pageSite - siteArea) <= 1e-6 * siteArea, `site: page ${pageSite} m², independent ${siteArea} m²`);
    const sum = shown[0] + shown[1];
    assert.ok(Math.abs(sum - siteArea) <= 1e-4 * siteArea, `parts ${shown.join(" + ")} = ${sum} m² vs the site's ${siteArea} m²`);

    // The overall verdict, first, is the strictest of the two.
    const overall = await page.locator(".ck-overall [data-verdict]").getAttribute("data-verdict");
    const strictest = verdicts.reduce((a, b) => (SEVERITY[b] > SEVERITY[a] ? b : a));
    assert.equal(overall, strictest);
    const order = await page.locator(".ck-result").evaluate((el) =>
      [el.querySelector(".ck-overall"), el.querySelector(".ck-head")].map((x) => [...el.querySelectorAll("*")].indexOf(x)),
    );
    assert.ok(order[0] >= 0 && order[0] < order[1], "the overall verdict comes first");
    assert.match(await page.locator("#caveat").innerText(), /示意数据，非官方成果/);
    await page.locator(".plans-verdicts").scrollIntoViewIfNeeded();
    await shot(page, "41-catalog-across-county-line");
    await assertAccessible(page, "a site across county lines");

    // Wenshui's report link prints Wenshui's answer for the same site.
    const [report] = await Promise.all([
      page.context().waitForEvent("page"),
      page.locator(`.plans-verdicts tr[data-plan="${WENSHUI}"] a.plan-report`).click(),
    ]);
    await report.waitForSelector("body.ready", { timeout: 120_000 });
    assert.equal(new URL(report.url()).pathname, `/plans/${WENSHUI}/report.html`);
    assert.equal(await report.locator(".r-verdict .verdict").getAttribute("data-verdict"), verdicts[1]);
    // The report carries both plans' answers too, the overall verdict first.
    assert.equal(await report.locator(".ck-overall [data-verdict]").getAttribute("data-verdict"), overall);
    assert.equal(await report.locator(".plans-verdicts tbody tr[data-plan]").count(), 2);
    await report.close();
    assertClean(assert, browser.guards);
  });
});
