// A basemap under the plan (issue 15, item 5), with no network: tiles served by nginx from a
// local folder. Given in the manifest's [basemap], it is in the style, the live map asks for
// its tiles and credits its 审图号, and the CLI's HTML report names it; given as --basemap to
// `planmap publish`, it is in the published style.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32, deflateSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import { assertClean, launch, layerId, openMap, readJson, startServer, BIN, DATA, ROOT } from "./harness.mjs";
import { publish, readableTemp, startNginx } from "./published.mjs";

const APPROVAL = "GS(2024)0650号";
const CREDIT = "测试底图（本机）";

/** A 256×256 PNG of one colour (RGB), written by hand: signature, IHDR, IDAT, IEND. */
function png(rgb) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(256, 0);
  ihdr.writeUInt32BE(256, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(256 * 3).fill(Buffer.from(rgb))]);
  const raw = Buffer.concat(Array.from({ length: 256 }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

describe("basemap", () => {
  let scratch;
  let tiles;
  let plan;
  let url;
  before(async () => {
    scratch = readableTemp("planmap-basemap-");
    writeFileSync(join(scratch, "tile.png"), png([200, 230, 250]));
    // Every {z}/{x}/{y}.png is the one tile: a basemap from a local folder, with the CORS
    // header a tile service sends (MapLibre fetches raster tiles).
    tiles = await startNginx(
      scratch,
      'location ~ ^/\\d+/\\d+/\\d+\\.png$ { add_header Access-Control-Allow-Origin "*"; try_files /tile.png =404; }',
    );
    url = `${tiles.url}{z}/{x}/{y}.png`;
    plan = join(scratch, "plan");
    cpSync(DATA, plan, { recursive: true });
    appendFileSync(
      join(plan, "plan.toml"),
      `\n[basemap]\nurl = "${url}"\nattribution = "${CREDIT}"\napproval = "${APPROVAL}"\n`,
    );
  });
  after(async () => {
    await tiles?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test("the manifest's basemap is drawn under the plan, its tiles asked for, its 审图号 shown", async () => {
    const server = await startServer({ data: plan });
    const browser = await launch();
    try {
      const style = await server.get("style.json");
      assert.deepEqual(style.sources.basemap.tiles, [url]);
      assert.match(style.sources.basemap.attribution, new RegExp(`审图号：${APPROVAL.replace(/[()]/g, "\\$&")}`));
      assert.equal(style.layers[1].id, "basemap", "right above the background, under every plan layer");
      const page = browser.page;
      page.setDefaultTimeout(60_000);
      await openMap(page, server.url);
      const asked = tiles.accessLog().split("\n").filter((l) => /"GET \/\d+\/\d+\/\d+\.png HTTP\/1\.1" 200 /.test(l));
      assert.ok(asked.length > 0, "the map asked for basemap tiles");
      const attribution = await page.locator(".maplibregl-ctrl-attrib-inner").textContent();
      assert.ok(attribution.includes(`审图号：${APPROVAL}`) && attribution.includes(CREDIT), attribution);
      assertClean(assert, browser.guards);
    } finally {
      await browser.close();
      await server.stop();
    }
  });

  test("the CLI's HTML report names the basemap and its 审图号", () => {
    const planted = readJson(`${DATA}/planted_conflicts.json`);
    const red = planted.find((p) => p.rule === `${layerId("red_line")}×${layerId("farmland")}`);
    const site = join(scratch, "site.geojson");
    writeFileSync(site, JSON.stringify(red.overlap));
    const report = join(scratch, "report.html");
    const r = spawnSync(BIN, ["--data", plan, "check", site, "--report", report], { cwd: ROOT, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const html = readFileSync(report, "utf8");
    assert.ok(html.includes(`审图号：${APPROVAL}`) && html.includes(CREDIT), "the report credits the basemap");
  });

  test("`planmap publish --basemap` puts it in the published style; off by default", () => {
    const withMap = publish(["--basemap", url, "--basemap-approval", APPROVAL]);
    const without = publish();
    try {
      const read = (out) => {
        const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
        return JSON.parse(readFileSync(join(out, config.plans[0].path, "style.json"), "utf8"));
      };
      const s = read(withMap.out);
      assert.deepEqual(s.sources.basemap.tiles, [url]);
      assert.match(s.sources.basemap.attribution, /审图号/);
      assert.equal(read(without.out).sources.basemap, undefined, "no basemap unless configured");
    } finally {
      for (const p of [withMap, without]) rmSync(join(p.out, ".."), { recursive: true, force: true });
    }
  });
});
