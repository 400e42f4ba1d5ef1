"""The static public map: `planmap publish` of the plan (wall time, archive size) and tiles/s
of nginx serving the PMTiles archive by Range requests against `planmap serve`'s composite
tile, the same tiles, wrk -t2 -c8, one run each.

A reader of the archive (MapLibre with the `pmtiles` protocol) asks one byte range a tile once
it holds the directories; wrk asks exactly those ranges (found with the `pmtiles` package,
PyPI), cycling through the tiles as it asks planmap for their paths. nginx sends the stored
gzip bytes; planmap answers wrk (no Accept-Encoding) uncompressed, from its tile cache after
the first pass.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from pmtiles.tile import deserialize_directory, deserialize_header, find_tile, zxy_to_tileid

LUA = Path(__file__).resolve().parent / "wrk_stats.lua"


def byte_ranges(archive, tiles):
    """(offset, length) of each tile of `tiles` (z, x, y) in the archive; absent ones skipped."""
    data = Path(archive).read_bytes()
    h = deserialize_header(data[:127])
    out = []
    for z, x, y in tiles:
        tid = zxy_to_tileid(z, x, y)
        off, length = h["root_offset"], h["root_length"]
        for _ in range(4):
            entries = deserialize_directory(data[off:off + length])
            e = find_tile(entries, tid)
            if e is None:
                break
            if e.run_length > 0:
                out.append((h["tile_data_offset"] + e.offset, e.length, (z, x, y)))
                break
            off, length = h["leaf_directory_offset"] + e.offset, e.length
    return out


def wrk_requests(port, requests, seconds):
    """wrk -t2 -c8 cycling through `requests` (path, range or None); the JSON figures."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(LUA.read_text())
        # The requests are formatted in init: wrk knows the Host header only by then.
        f.write("\nlocal specs = {}\n")
        for path, rng in requests:
            r = f'"bytes={rng[0]}-{rng[0] + rng[1] - 1}"' if rng else "nil"
            f.write(f'specs[#specs + 1] = {{"{path}", {r}}}\n')
        f.write("""local reqs, i = {}, 0
init = function(args)
  for _, s in ipairs(specs) do
    local h = {Host = wrk.headers["Host"]}
    if s[2] then h["Range"] = s[2] end
    reqs[#reqs + 1] = wrk.format("GET", s[1], h)
  end
end
request = function()
  i = i % #reqs + 1
  return reqs[i]
end
""")
        script = f.name
    try:
        out = subprocess.run(["wrk", "-t2", "-c8", f"-d{seconds}s", "-s", script,
                              f"http://127.0.0.1:{port}/"],
                             capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script)
    r = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
    if r["socket_errors"] or r["non_2xx_3xx"]:
        raise SystemExit(f"bench: wrk: {r['socket_errors']} socket errors, "
                         f"{r['non_2xx_3xx']} bad answers")
    r["per_s"] = r["requests"] / (r["duration_us"] / 1e6)
    return r


def start_nginx(workdir, http_body):
    """nginx (Debian) on a free loopback port, its files under `workdir`, with
    `http_body(port)` inside its `http {}` block: (process, port)."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    workdir.mkdir(parents=True, exist_ok=True)
    conf = workdir / "nginx.conf"
    conf.write_text(f"""daemon off;
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  default_type application/octet-stream;
  access_log off;
  client_body_temp_path {workdir}/body;
  proxy_temp_path {workdir}/proxy;
  fastcgi_temp_path {workdir}/fastcgi;
  uwsgi_temp_path {workdir}/uwsgi;
  scgi_temp_path {workdir}/scgi;
{http_body(port)}
}}
""")
    proc = subprocess.Popen(["/usr/sbin/nginx", "-c", str(conf), "-p", str(workdir),
                             "-e", str(workdir / "error.log")])
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return proc, port
        except OSError:
            time.sleep(0.025)
    stop_nginx(proc)
    raise SystemExit("bench: nginx did not start")


def stop_nginx(proc):
    """SIGTERM: the master stops its workers (SIGKILL would leave them running)."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def nginx(root, workdir):
    """nginx (Debian) serving `root` on a free loopback port: (process, port)."""
    return start_nginx(workdir, lambda port: f"  server {{ listen 127.0.0.1:{port}; root {root}; }}")


def run(planmap_bin, data, out, server_port, tiles, seconds=5):
    """Publishes `data` into OUT/publish, then the tiles/s of nginx and of the server."""
    site = out / "publish"
    shutil.rmtree(site, ignore_errors=True)
    t = time.perf_counter()
    summary = json.loads(subprocess.run([planmap_bin, "--data", data, "publish", site, "--json"],
                                        capture_output=True, text=True, check=True).stdout)
    publish_s = time.perf_counter() - t
    plan = summary["plan"]
    archive = site / "plans" / plan / f"{plan}.pmtiles"
    ranges = byte_ranges(archive, tiles)
    if not ranges:
        raise SystemExit("bench: none of the tiles is in the archive")
    proc, port = nginx(site, out / "nginx")
    try:
        path = f"/plans/{plan}/{plan}.pmtiles"
        static = wrk_requests(port, [(path, (o, n)) for o, n, _ in ranges], seconds)
    finally:
        stop_nginx(proc)
    live_reqs = [(f"/tiles/{plan}/{z}/{x}/{y}.pbf", None) for _, _, (z, x, y) in ranges]
    live = wrk_requests(server_port, live_reqs, seconds)
    return {"publish_s": publish_s, "archive_mb": archive.stat().st_size / 1e6,
            "archive_tiles": summary["archive"]["tiles"], "tiles": len(ranges),
            "nginx_pmtiles": static, "planmap_serve": live, "wrk": "-t2 -c8", "seconds": seconds}


def lines(p):
    """The rows of the report (report.py)."""
    if not p:
        return []
    s, l = p["nginx_pmtiles"], p["planmap_serve"]
    return [
        "",
        "static public map (planmap publish, Wenshui):",
        f"  publish s {p['publish_s']:.1f}; archive {p['archive_mb']:.1f} MB, "
        f"{p['archive_tiles']:,} tiles z6–z16",
        f"  tiles/s, same {p['tiles']} tiles (wrk {p['wrk']}, {p['seconds']} s, one run): "
        f"nginx + PMTiles {s['per_s']:,.0f} (p99 {s['p99_us'] / 1e3:.2f} ms), planmap serve "
        f"{l['per_s']:,.0f} (p99 {l['p99_us'] / 1e3:.2f} ms); nginx ÷ planmap "
        f"{s['per_s'] / l['per_s']:.2f}×",
    ]
