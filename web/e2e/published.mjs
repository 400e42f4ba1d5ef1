// A site made by `planmap publish` served by Debian's nginx (started here, under a temp dir, on
// a free loopback port, Range requests on as nginx has them for static files), for the suites
// of map-suite.mjs and conflicts-suite.mjs: no planmap process behind it.

import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, DATA, ROOT, WEB } from "./harness.mjs";

export const NGINX = process.env.NGINX ?? "/usr/sbin/nginx";

/** A free loopback port (asked of the kernel, then released for nginx). */
export const freePort = () =>
  new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });

/** A new temp folder others may read (mkdtemp's are the owner's alone). */
export function readableTemp(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/** `planmap publish` of the plan under test into a temp folder; returns the folder and the
 * command's JSON summary. */
export function publish(extra = []) {
  // Readable by nginx's workers (\`nobody\` when the test runs as root).
  const out = join(readableTemp("planmap-publish-"), "site");
  const r = spawnSync(BIN, ["--data", DATA, "publish", out, "--web", WEB, "--json", ...extra], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`planmap publish exited with ${r.status}: ${r.stderr}`);
  return { out, summary: JSON.parse(r.stdout) };
}

/** nginx serving `root` on a loopback port (`server` more directives of its server block);
 * `stop()` ends it and removes its temp dir. */
export async function startNginx(root, server = "") {
  const dir = mkdtempSync(join(tmpdir(), "planmap-nginx-"));
  const port = await freePort();
  const conf = join(dir, "nginx.conf");
  writeFileSync(
    conf,
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  types { application/x-protobuf pbf; application/vnd.pmtiles pmtiles; application/geo+json geojson; }
  default_type application/octet-stream;
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    index index.html;
    ${server}
  }
}
`,
  );
  const child = spawn(NGINX, ["-c", conf, "-p", dir, "-e", `${dir}/error.log`], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${stderr}`);
    try {
      await fetch(url); // any answer: nginx listens
      break;
    } catch {
      /* not listening yet */
    }
    if (i > 100) {
      child.kill("SIGQUIT");
      throw new Error(`nginx did not answer on ${url}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port,
    /** nginx's access log: one line a request, `"GET /path HTTP/1.1" status`. */
    accessLog: () => readFileSync(join(dir, "access.log"), "utf8"),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGQUIT");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The published file holding what API path `p` answers (as the web app's static.ts maps it). */
export function staticPath(config, p) {
  const rest = p.startsWith("api/") ? p.slice(4) : p;
  return `${config.plans[0].path}${/\.[a-z]+$/.test(rest) ? rest : `${rest}.json`}`;
}

/** The published site behind nginx, shaped as harness `startServer`'s answer. */
export async function startPublished(out) {
  const nginx = await startNginx(out);
  const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
  const get = async (p) => {
    const res = await fetch(`${nginx.url}${staticPath(config, p)}`);
    if (!res.ok) throw new Error(`${p}: ${res.status}`);
    return res.json();
  };
  return { ...nginx, get, config };
}
