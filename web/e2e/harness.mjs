// The end-to-end harness: the real `planmap serve` on a free loopback port, Debian's Chromium
// driven by playwright-core with a fresh profile, and guards that fail a test on any console
// error or any request leaving 127.0.0.1.
//
// Environment: PLANMAP_BIN (the planmap binary; default target/release/planmap),
// PLANMAP_DATA (default data/wenshui; or a copy with its layers renamed, see layerId),
// CHROMIUM (default /usr/bin/chromium),
// PLANMAP_SCREENSHOTS (default out/screenshots), all relative to the repository root.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

/** The browser runs in the county's time zone, whatever the machine's. */
export const TIMEZONE = "Asia/Shanghai";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const fromRoot = (p) => (isAbsolute(p) ? p : join(ROOT, p));

export const BIN = fromRoot(process.env.PLANMAP_BIN ?? "target/release/planmap");
export const DATA = fromRoot(process.env.PLANMAP_DATA ?? "data/wenshui");
export const WEB = fromRoot(process.env.PLANMAP_WEB ?? "web/dist");
export const SHOTS = fromRoot(process.env.PLANMAP_SCREENSHOTS ?? "out/screenshots");
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/** The manifest's ids in order: the plan's own id, then every layer's and rule's (`a`, `b`). */
const manifestIds = (dir) =>
  [...readFileSync(join(dir, "plan.toml"), "utf8").matchAll(/^(?:id|a|b)\s*=\s*"([^"]+)"/gm)].map((m) => m[1]);
const RENAMED = (() => {
  const wenshui = manifestIds(fromRoot("data/wenshui"));
  const here = manifestIds(DATA);
  return here.length === wenshui.length ? new Map(wenshui.map((id, i) => [id, here[i]])) : new Map();
})();

/** The id Wenshui's layer `id` has in the plan under test: itself on Wenshui, its new name on
 * a copy made by scripts/rename-plan.py (the suites name Wenshui's layers). */
export const layerId = (id) => RENAMED.get(id) ?? id;

/** Flags for headless Chromium with software WebGL (SwiftShader through ANGLE) and nothing
 * that phones home. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
  "--disable-default-apps",
  "--disable-domain-reliability",
  "--disable-client-side-phishing-detection",
  "--no-default-browser-check",
  "--metrics-recording-only",
  "--use-gl=angle",
  "--use-angle=swiftshader",
  "--enable-unsafe-swiftshader",
  "--ignore-gpu-blocklist",
  "--disable-dev-shm-usage",
];

/** The data keeper's token the test servers are started with (the check history needs it). */
export const TOKEN = "e2e-keeper-token-0123456789";

/** Starts `planmap serve` on port 0 (its check history in a temp folder) and resolves with
 * its base URL once it listens; `data` (default DATA) and `serveArgs` (more `serve` flags) for
 * suites of their own data. */
export async function startServer({ data = DATA, serveArgs = [] } = {}) {
  const scratch = mkdtempSync(join(tmpdir(), "planmap-e2e-history-"));
  const args = ["--data", data, "serve", "--addr", "127.0.0.1:0", "--web", WEB, "--history", join(scratch, "history.sqlite"), ...serveArgs];
  const child = spawn(BIN, args, {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn", PLANMAP_ADMIN_TOKEN: TOKEN },
  });
  child.once("exit", () => rmSync(scratch, { recursive: true, force: true }));
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const url = await new Promise((ok, fail) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/at (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (m) ok(m[1]);
    });
    child.on("error", (e) => fail(new Error(`cannot start ${BIN}: ${e.message}`)));
    child.on("exit", (code) => fail(new Error(`planmap serve exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    /** The JSON the API answers at `path`. */
    get: (path) => apiGet(url, path),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Launches Chromium with a fresh profile; `guards` lists console errors and outside requests. */
export async function launch({ width = 1400, height = 900 } = {}) {
  const profile = mkdtempSync(join(tmpdir(), "planmap-e2e-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width, height },
    deviceScaleFactor: 1,
    acceptDownloads: true,
    locale: "zh-CN",
    timezoneId: TIMEZONE,
  });
  // checkPosts: every POST /api/check the pages sent (its query), to count requests a check.
  // hosts: every host:port the pages asked (a published site's test wants only nginx's).
  const guards = { consoleErrors: [], outside: [], requests: 0, checkPosts: [], hosts: new Set() };
  await context.route("**/*", (route) => {
    const u = new URL(route.request().url());
    guards.requests++;
    guards.hosts.add(u.host);
    if (route.request().method() === "POST" && u.pathname.endsWith("/api/check")) guards.checkPosts.push(u.search);
    if (u.hostname === "127.0.0.1") return route.continue();
    guards.outside.push(route.request().url());
    return route.abort("blockedbyclient");
  });
  const watch = (page) => {
    page.on("console", (m) => {
      if (m.type() === "error") guards.consoleErrors.push(`${m.text()} @ ${m.location().url ?? ""}`);
    });
    page.on("pageerror", (e) => guards.consoleErrors.push(`pageerror: ${e.message}`));
  };
  context.pages().forEach(watch);
  context.on("page", watch);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    guards,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What every suite of these tests runs on: the real server, a browser, its first page
 * (60 s default timeout: maps are drawn in software GL). `close()` stops both. `server_`: how
 * to start the server — options of `startServer` (default: the plan of DATA), or
 * a function resolving with a server of the same shape (e.g. nginx serving a published site). */
export async function session(server_ = {}) {
  const server = typeof server_ === "function" ? await server_() : await startServer(server_);
  const browser = await launch();
  const page = browser.page;
  page.setDefaultTimeout(60_000);
  return {
    server,
    browser,
    page,
    async close() {
      await browser?.close();
      await server?.stop();
    },
  };
}

/** Saves a screenshot under out/screenshots/NAME.png and returns its path. */
export async function shot(target, name) {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  await target.screenshot({ path });
  return path;
}

/** The number of `idle` events the map has fired (kept on #map by the page). */
export const idleCount = (page) =>
  page.evaluate(() => Number(document.getElementById("map")?.dataset.idle ?? 0));

/** Runs `action`, then waits until the map has rendered everything it started. */
export async function andMapIdle(page, action) {
  const before = await idleCount(page);
  await action();
  await page.waitForFunction(
    (n) => Number(document.getElementById("map")?.dataset.idle ?? 0) > n,
    before,
  );
}

/** Opens the map page and waits for the first complete render. */
export async function openMap(page, base, hash = "") {
  await page.goto("about:blank"); // a fresh document even when only the hash differs
  await page.goto(`${base}${hash}`);
  await page.waitForSelector("body.ready");
  await page.waitForFunction(() => Number(document.getElementById("map")?.dataset.idle ?? 0) > 0);
}

/** The map view at its last complete render (kept on #map as zoom/lat/lon). */
export async function mapView(page) {
  const view = await page.evaluate(() => document.getElementById("map")?.dataset.view ?? "");
  const [zoom, lat, lon] = view.split("/").map(Number);
  if (!Number.isFinite(zoom)) throw new Error(`no view on #map: ${view}`);
  return { zoom, lat, lon };
}

export const readJson = (p) => JSON.parse(readFileSync(fromRoot(p), "utf8"));

/** POSTs a site to the server's check API. */
export async function apiCheck(base, site, format = "json") {
  const res = await fetch(`${base}api/check${format === "geojson" ? "?format=geojson" : ""}`, {
    method: "POST",
    body: JSON.stringify(site),
  });
  if (!res.ok) throw new Error(`check: ${res.status} ${await res.text()}`);
  return res.json();
}

export const apiGet = async (base, path) => {
  const res = await fetch(`${base}${path}`);
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
};

/** Fails when the page logged an error or asked for anything outside 127.0.0.1. */
export function assertClean(assert, guards) {
  assert.deepEqual(guards.consoleErrors, [], "console errors");
  assert.deepEqual(guards.outside, [], "requests leaving 127.0.0.1");
  assert.ok(guards.requests > 0, "the guard saw the page's requests");
}

/** Reads a download as JSON. */
export async function downloadJson(download) {
  const path = await download.path();
  return JSON.parse(readFileSync(path, "utf8"));
}

/** Numbers as the page writes them: "12,345.67" → 12345.67. */
export const parseNum = (s) => Number(String(s).replace(/[^\d.-]/g, ""));

// Accessibility: axe-core (npm) evaluated in the page.
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/** axe-core's violations of WCAG 2 A/AA on the page as it is now. Evaluated through the
 * DevTools protocol, so the page's Content-Security-Policy does not block the injected engine. */
async function violations(page) {
  await page.evaluate(AXE);
  const found = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] }),
    WCAG_A_AA,
  );
  return found.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(" ")}: ${n.failureSummary?.split("\n").slice(0, 2).join(" ")}`),
    count: v.nodes.length,
  }));
}

/** Fails with the list of WCAG 2 A/AA violations axe-core finds on the page. */
export async function assertAccessible(page, where) {
  const v = await violations(page);
  assert.deepEqual(v, [], `${where}: WCAG 2 A/AA violations:\n${JSON.stringify(v, null, 2)}`);
}

/** A square polygon of half-side `d` degrees around lon/lat. */
export const square = (lon, lat, d) => ({
  type: "Polygon",
  coordinates: [[[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]],
});

/** A small site inside an industrial park that the API finds 通过 (searched on a grid inside
 * each park's bounding box, so the test follows the data rather than fixed coordinates). */
export async function parkSite(base) {
  const parks = await apiGet(base, `api/layers/${layerId("industrial_parks")}.geojson`);
  for (const park of parks.features) {
    const ring = park.geometry.type === "Polygon" ? park.geometry.coordinates[0] : park.geometry.coordinates[0][0];
    const xs = ring.map((p) => p[0]);
    const ys = ring.map((p) => p[1]);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    for (const fx of [0.5, 0.3, 0.7]) {
      for (const fy of [0.5, 0.3, 0.7]) {
        const site = { type: "Feature", properties: { name: "园区内拟建项目" }, geometry: square(x0 + (x1 - x0) * fx, y0 + (y1 - y0) * fy, 0.0006) };
        const r = await apiCheck(base, site);
        if (r.verdict === "通过" && r.parks.includes(park.properties.name)) return { site, report: r, park: park.properties.name };
      }
    }
  }
  throw new Error("no park holds a site that checks 通过: the data has no clean park land");
}
