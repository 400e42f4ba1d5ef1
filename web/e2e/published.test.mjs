// `planmap publish` in Chromium against nginx: the map and conflicts suites (map-suite.mjs,
// conflicts-suite.mjs) pass on the published folder with no planmap process running (every
// request the pages make goes to nginx, the archive read with Range requests); then the
// archive is read by an independent reader (the `pmtiles` package from PyPI, in a temp venv)
// and its tiles compared with the live server's tiles of the same z/x/y.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { conflictsSuite } from "./conflicts-suite.mjs";
import { assertClean, layerId, openMap, readJson, session, startServer, DATA } from "./harness.mjs";
import { mapSuite } from "./map-suite.mjs";
import { publish, startPublished } from "./published.mjs";

const { out, summary } = publish(["--api-url", "http://127.0.0.1:9/planners"]);
after(() => rmSync(dirname(out), { recursive: true, force: true }));

/** Every session on the published site: the hosts its pages asked and nginx's access log. */
const sessions = [];
const start = async () => {
  const s = await session(() => startPublished(out));
  const record = { nginx: new URL(s.server.url).host, hosts: s.browser.guards.hosts, log: "" };
  sessions.push(record);
  const close = s.close;
  s.close = async () => {
    record.log = s.server.accessLog();
    await close();
  };
  return s;
};

mapSuite("published map (nginx, no planmap serve)", start);
conflictsSuite("published conflicts panel (nginx, no planmap serve)", start);

describe("published site", () => {
  test("every request of the suites went to nginx; tiles came from the archive by Range", () => {
    assert.equal(sessions.length, 2, "both suites ran on the published site");
    for (const s of sessions) {
      assert.deepEqual([...s.hosts], [s.nginx], "no request to any other host or port (no planmap serve)");
      const lines = s.log.trim().split("\n");
      assert.ok(lines.length > 10, `nginx served the pages: ${lines.length} requests`);
      assert.ok(!lines.some((l) => /"GET \/(api|tiles)\//.test(l)), "no API or tile URL was asked");
      const ranged = lines.filter((l) => /\.pmtiles HTTP\/[\d.]+" 206 /.test(l));
      assert.ok(ranged.length > 3, `archive read by Range requests (206): ${ranged.length}`);
    }
  });

  test("the static page says where the planners' server is and has no check tab without one", async () => {
    const { browser, page, server, close } = await start();
    try {
      await openMap(page, server.url);
      assert.match(await page.locator("#static-note").innerText(), /127\.0\.0\.1:9\/planners/);
      assert.equal(await page.locator('[data-tab="check"]').isVisible(), true, "checks go to --api-url");
      assertClean(assert, browser.guards);
    } finally {
      await close();
    }
    const bare = publish();
    const s = await session(() => startPublished(bare.out));
    try {
      await openMap(s.page, s.server.url);
      assert.equal(await s.page.locator('[data-tab="check"]').isVisible(), false, "no server, no checks");
      assert.match(await s.page.locator("#static-note").innerText(), /规划部门/);
      assertClean(assert, s.browser.guards);
    } finally {
      await s.close();
      rmSync(dirname(bare.out), { recursive: true, force: true });
    }
  });
});

describe("the archive, read by the pmtiles package (PyPI)", () => {
  let venv;
  let server;
  before(() => {
    venv = mkdtempSync(join(tmpdir(), "planmap-pmtiles-venv-"));
    for (const cmd of [
      ["python3", ["-m", "venv", venv]],
      [join(venv, "bin", "pip"), ["install", "-q", "pmtiles==3.8.1"]],
    ]) {
      const r = spawnSync(cmd[0], cmd[1], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`${cmd[0]} ${cmd[1].join(" ")}: ${r.stderr}`);
    }
  });
  after(async () => {
    await server?.stop();
    if (venv) rmSync(venv, { recursive: true, force: true });
  });

  test("its header and tiles are what the server serves", async () => {
    // A red-line × farmland conflict planted in the data: its tiles hold both layers.
    const planted = readJson(`${DATA}/planted_conflicts.json`);
    const p = planted.find((c) => c.rule === `${layerId("red_line")}×${layerId("farmland")}`);
    const [lon, lat] = p.overlap.coordinates[0][0];
    const at = (z) => {
      const n = 2 ** z;
      const r = (lat * Math.PI) / 180;
      return [z, Math.floor(((lon + 180) / 360) * n), Math.floor(((1 - Math.asinh(Math.tan(r)) / Math.PI) / 2) * n)];
    };
    const wanted = [6, 9, 12, 14, 16].map(at);
    const script = join(venv, "read.py");
    writeFileSync(
      script,
      `import base64, gzip, json, sys
from pmtiles.reader import Reader, MmapSource
with open(sys.argv[1], "rb") as f:
    r = Reader(MmapSource(f))
    h = r.header()
    tiles = {}
    for z, x, y in json.loads(sys.argv[2]):
        t = r.get(z, x, y)
        tiles[f"{z}/{x}/{y}"] = base64.b64encode(gzip.decompress(t)).decode() if t else None
    print(json.dumps({"header": {k: (v.name if hasattr(v, "name") else v) for k, v in h.items()},
                      "metadata": r.metadata(), "tiles": tiles}))
`,
    );
    const archive = join(out, `plans/${summary.plan}/${summary.plan}.pmtiles`);
    const r = spawnSync(join(venv, "bin", "python"), [script, archive, JSON.stringify(wanted)], {
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    });
    assert.equal(r.status, 0, r.stderr || r.error?.message);
    const read = JSON.parse(r.stdout);
    const h = read.header;
    assert.equal(h.min_zoom, 6);
    assert.equal(h.max_zoom, 16);
    assert.equal(h.tile_type, "MVT");
    assert.equal(h.clustered, true);
    assert.ok(h.addressed_tiles_count >= summary.archive.tiles, `${h.addressed_tiles_count} tiles addressed`);
    // The plan's box: the county of Wenshui lies inside it (lon 111.8–112.4, lat 37.2–37.7).
    assert.ok(h.min_lon_e7 / 1e7 < 111.9 && h.max_lon_e7 / 1e7 > 112.3, `lon ${h.min_lon_e7}..${h.max_lon_e7}`);
    assert.ok(h.min_lat_e7 / 1e7 < 37.3 && h.max_lat_e7 / 1e7 > 37.6, `lat ${h.min_lat_e7}..${h.max_lat_e7}`);
    const ids = read.metadata.vector_layers.map((l) => l.id);
    assert.ok(ids.includes(layerId("red_line")) && ids.includes(layerId("farmland")), ids.join(","));

    server = await startServer();
    const plan = await server.get("api/plan");
    for (const [z, x, y] of wanted) {
      const res = await fetch(`${server.url}tiles/${plan.id}/${z}/${x}/${y}.pbf`);
      assert.equal(res.status, 200, `the server has tile ${z}/${x}/${y}`);
      const live = Buffer.from(await res.arrayBuffer());
      const archived = read.tiles[`${z}/${x}/${y}`];
      assert.ok(archived, `the archive has tile ${z}/${x}/${y}`);
      assert.ok(Buffer.from(archived, "base64").equals(live), `tile ${z}/${x}/${y}: archive = server (${live.length} B)`);
    }
  });
});
