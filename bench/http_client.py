"""HTTP side of the benchmark: start `planmap serve` (cold start = process start → first
check answer), checks over HTTP, and a tile client shared by planmap and Martin."""

import http.client
import json
import math
import subprocess
import threading
import time

import common


class Server:
    """`planmap --data D serve` on a free port of 127.0.0.1, recording its checks in the
    SQLite file `history` (the server's default: on), or in none (`history=None`:
    `--no-history`). `settings` is what the server says of its history."""

    def __init__(self, binary, data, first_site, history=None, extra=()):
        self.t0 = time.perf_counter()
        keep = ["--history", str(history)] if history else ["--no-history"]
        self.proc = subprocess.Popen(
            [binary, "--data", str(data), "serve", "--addr", "127.0.0.1:0"] + keep + list(extra),
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={"RUST_LOG": "warn", "PATH": "/usr/bin:/bin"})
        self.port = listening(self.proc, "planmap serve")
        self.settings = self.proc.stdout.readline().strip().removeprefix("planmap: ")
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        # Cold start: the first check that answers 200.
        conn = self.connection()
        body = json.dumps(first_site)
        while True:
            try:
                status, _ = post(conn, "/api/check", body)
                if status == 200:
                    break
            except (ConnectionError, http.client.HTTPException):
                conn = self.connection()
            time.sleep(0.002)
        self.cold_start_s = time.perf_counter() - self.t0
        self.rss_at_answer_mb = common.peak_rss_mb(self.proc.pid)

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def peak_rss_mb(self):
        return common.peak_rss_mb(self.proc.pid)

    def wait_scan(self):
        """Wait for the start-up conflict scan, so it does not skew later figures."""
        c = self.connection()
        c.request("GET", "/api/conflicts")
        c.getresponse().read()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def listening(proc, name):
    """The port of the first `http://host:port/` a starting server prints."""
    for line in proc.stdout:
        if "http://" in line:
            return int(line.split("http://")[1].split("/")[0].split(":")[1])
    raise SystemExit(f"bench: {name} did not start")


class Hello:
    """`planmap-bench hello`: a plain axum server, the floor of an answer on this machine."""

    def __init__(self, bench_bin):
        self.proc = subprocess.Popen([bench_bin, "hello", "--addr", "127.0.0.1:0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.port = listening(self.proc, "planmap-bench hello")

    def stop(self):
        Server.stop(self)


def post(conn, path, body):
    conn.request("POST", path, body=body.encode(), headers={"Content-Type": "application/geo+json"})
    r = conn.getresponse()
    return r.status, r.read()


def record_from_report(rep, tol, layers):
    """A site record (see common.site_record) from `POST /api/check`'s JSON."""
    out = {l: 0.0 for l in layers}
    for o in rep["overlaps"]:
        out[o["layer"]] = o["area_m2"]
    for loc in rep["locations"]:
        out[loc["layer"]] = out.get(loc["layer"], 0.0) + loc["share"] * rep["site_area_m2"]
    slivers = {}
    for s in rep["slivers"]:
        slivers[s["layer"]] = slivers.get(s["layer"], 0) + 1
    return {"site_m2": rep["site_area_m2"],
            "county_m2": rep["inside_county_share"] * rep["site_area_m2"],
            "layers": out, "slivers": slivers}


def check_sites(server, sites_doc, plan, repeat):
    conn = server.connection()
    bodies = [(str(f["id"]), json.dumps(f["geometry"])) for f in sites_doc["features"]]
    runs, records = [], {}
    for r in range(repeat):
        times = []
        for sid, body in bodies:
            t = time.perf_counter()
            status, data = post(conn, "/api/check", body)
            times.append((time.perf_counter() - t) * 1e3)
            if r == 0:
                if status == 200:
                    records[sid] = record_from_report(json.loads(data), plan.tol, plan.check_layers)
                else:
                    records[sid] = {"error": f"HTTP {status}"}
        runs.append(common.summarise(times))
    return runs, records


def tile_list(bounds, zooms, cap):
    """Tiles over a lon/lat box at each zoom; at most `cap` a zoom, evenly spread."""
    x0, y0, x1, y1 = bounds

    def tx(lon, z):
        return int((lon + 180) / 360 * 2 ** z)

    def ty(lat, z):
        r = math.radians(lat)
        return int((1 - math.asinh(math.tan(r)) / math.pi) / 2 * 2 ** z)

    out = []
    for z in zooms:
        tiles = [(z, x, y) for x in range(tx(x0, z), tx(x1, z) + 1)
                 for y in range(ty(y1, z), ty(y0, z) + 1)]
        if len(tiles) > cap:
            step = len(tiles) / cap
            tiles = [tiles[int(i * step)] for i in range(cap)]
        out += tiles
    return out


def fetch_tiles(fetch_one, tiles, threads=2):
    """Fetch every tile once with `threads` workers; (latencies ms, sizes, wall s)."""
    lat = [0.0] * len(tiles)
    size = [0] * len(tiles)
    nxt = iter(range(len(tiles)))
    lock = threading.Lock()

    def work():
        state = {}
        while True:
            with lock:
                i = next(nxt, None)
            if i is None:
                return
            t = time.perf_counter()
            size[i] = fetch_one(state, tiles[i])
            lat[i] = (time.perf_counter() - t) * 1e3

    t0 = time.perf_counter()
    ws = [threading.Thread(target=work) for _ in range(threads)]
    for w in ws:
        w.start()
    for w in ws:
        w.join()
    return lat, size, time.perf_counter() - t0


def http_tile_fetcher(port, path_fmt):
    def fetch(state, t):
        if "c" not in state:
            state["c"] = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        c = state["c"]
        c.request("GET", path_fmt.format(z=t[0], x=t[1], y=t[2]))
        r = c.getresponse()
        data = r.read()
        if r.status not in (200, 204):
            raise SystemExit(f"bench: tile {t} answered HTTP {r.status}")
        return len(data)
    return fetch
