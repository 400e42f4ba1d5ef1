// One request a tile: the map's first load asks the server for each tile position once — the
// plan's composite tile (/tiles/{plan}/{z}/{x}/{y}.pbf, every layer in it) — instead of one
// request a layer a position.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { apiGet, assertClean, openMap, session } from "./harness.mjs";

describe("tiles", () => {
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

  test("the first load makes one tile request a tile position", async (t) => {
    const plan = await apiGet(server.url, "api/plan");
    const tiles = [];
    page.on("request", (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith("/tiles/")) tiles.push(path);
    });
    await openMap(page, server.url);
    assert.ok(tiles.length > 0, "the map asked for tiles");
    const positions = new Map();
    for (const path of tiles) {
      const m = path.match(/^\/tiles\/([^/]+)\/(\d+)\/(\d+)\/(\d+)\.pbf$/);
      assert.ok(m, `a tile path: ${path}`);
      assert.equal(m[1], plan.id, `tiles come from the plan's composite source: ${path}`);
      const key = `${m[2]}/${m[3]}/${m[4]}`;
      positions.set(key, (positions.get(key) ?? 0) + 1);
    }
    const repeated = [...positions].filter(([, n]) => n > 1);
    assert.deepEqual(repeated, [], "tile positions asked for more than once");
    assert.equal(tiles.length, positions.size);
    t.diagnostic(`${tiles.length} tile requests for ${positions.size} tile positions on first load`);
    // Every layer of the plan is in the one source the map draws from.
    const style = await apiGet(server.url, "style.json");
    assert.deepEqual(Object.keys(style.sources), [plan.id]);
    const drawn = new Set(style.layers.filter((l) => l.source).map((l) => l["source-layer"]));
    const layers = (await apiGet(server.url, "api/layers")).layers.map((l) => l.id);
    assert.deepEqual([...drawn].sort(), [...layers].sort());
    assertClean(assert, browser.guards);
  });
});
