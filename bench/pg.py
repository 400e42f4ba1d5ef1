"""The PostGIS peer: a throwaway cluster (initdb + pg_ctl) in a temp dir on 127.0.0.1, one
table a layer with a GiST index, prepared SQL for the site check, the rule scan and ST_AsMVT
tiles. Geodesic areas are ST_Area(geography) (GeographicLib on WGS84)."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import shapely

import common

BIN = Path("/usr/lib/postgresql")


def pg_bin(name):
    versions = sorted((p for p in BIN.glob("*/bin") if (p / name).exists()), reverse=True)
    if not versions:
        raise SystemExit(f"bench: PostgreSQL's {name} not found (apt-get install postgresql postgis)")
    return str(versions[0] / name)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """initdb'd in a temp dir, started and stopped by this object."""

    def __init__(self, parent):
        self.dir = Path(tempfile.mkdtemp(prefix="planmap-pg-", dir=parent))
        self.data = self.dir / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run([pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                   "-E", "UTF8", "--no-sync", "--locale=C"])
        conf = self.data / "postgresql.conf"
        with open(conf, "a") as f:
            f.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.dir}'\nshared_buffers = 1GB\n"
                "work_mem = 64MB\nmaintenance_work_mem = 1GB\nfsync = off\n"
                "synchronous_commit = off\nfull_page_writes = off\njit = off\n"
                "max_wal_size = 8GB\nmax_parallel_workers_per_gather = 2\n"
            )

    def _run(self, cmd, **kw):
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        return subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)

    def start(self):
        t = time.perf_counter()
        self._run([pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-w",
                   "start"])
        return time.perf_counter() - t

    def stop(self):
        self._run([pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def dsn(self, db="postgres"):
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={db}"

    def connect(self, db="postgres"):
        return psycopg.connect(self.dsn(db), autocommit=True)

    def create_db(self, name):
        with self.connect() as c:
            c.execute(f"CREATE DATABASE {name}")
        with self.connect(name) as c:
            c.execute("CREATE EXTENSION postgis")

    def pss_mb(self):
        """Proportional set size of every server process (shared buffers counted once)."""
        total = 0
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        pids = [pid] + [int(p) for p in subprocess.run(
            ["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]
        for p in pids:
            try:
                for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total / 1024


def _ident(s):
    return '"' + s.replace('"', '""') + '"'


def load_layer(conn, lid, fids, geoms, props, mercator=False):
    """COPY a layer in (hex WKB), GiST-index it, ANALYZE; returns (copy s, index s)."""
    keys = sorted({k for p in props for k in p})
    cols = "".join(f", {_ident(k)} text" for k in keys)
    table = f"l_{lid}"
    conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute(f"CREATE TABLE {table} (fid text, geom geometry(Geometry, 4326){cols})")
    t = time.perf_counter()
    wkb = shapely.to_wkb(geoms, hex=True, include_srid=False)
    names = ", ".join(["fid", "geom"] + [_ident(k) for k in keys])
    with conn.cursor() as cur:
        with cur.copy(f"COPY {table} ({names}) FROM STDIN") as cp:
            for fid, g, p in zip(fids, wkb, props):
                cp.write_row([fid, f"SRID=4326;{g}"] + [
                    None if p.get(k) is None else str(p[k]) for k in keys])
    copy_s = time.perf_counter() - t
    t = time.perf_counter()
    conn.execute(f"CREATE INDEX ON {table} USING gist (geom)")
    if mercator:
        conn.execute(f"ALTER TABLE {table} ADD COLUMN geom3857 geometry(Geometry, 3857)")
        conn.execute(f"UPDATE {table} SET geom3857 = ST_Transform(geom, 3857)")
        conn.execute(f"CREATE INDEX ON {table} USING gist (geom3857)")
    conn.execute(f"VACUUM ANALYZE {table}")
    return copy_s, time.perf_counter() - t, keys


def load_tsv(conn, table, path):
    """The province farmland from its TSV of WKT: COPY, then GiST index and ANALYZE."""
    conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute(f"CREATE TABLE {table} (fid text, township text, geom geometry(Geometry, 4326))")
    t = time.perf_counter()
    with conn.cursor() as cur, open(path, encoding="utf-8") as f:
        with cur.copy(f"COPY {table} (fid, township, geom) FROM STDIN") as cp:
            buf = []
            for line in f:
                fid, town, wkt = line.rstrip("\n").split("\t")
                buf.append(f"{fid}\t{town}\tSRID=4326;{wkt}\n")
                if len(buf) == 10000:
                    cp.write("".join(buf))
                    buf = []
            cp.write("".join(buf))
    copy_s = time.perf_counter() - t
    t = time.perf_counter()
    conn.execute(f"CREATE INDEX ON {table} USING gist (geom)")
    conn.execute(f"VACUUM ANALYZE {table}")
    return copy_s, time.perf_counter() - t


def check_sql(layers):
    parts = ["SELECT 'site'::text, ST_Area(s.g::geography) FROM s"]
    for lid in ["county"] + list(layers):
        parts.append(
            f"SELECT '{lid}', ST_Area(ST_Intersection(t.geom, s.g)::geography) "
            f"FROM l_{lid} t, s WHERE ST_Intersects(t.geom, s.g)")
    return "WITH s AS (SELECT ST_GeomFromWKB(%s, 4326) AS g) " + " UNION ALL ".join(parts)


def check(conn, sql, wkb, plan, layers):
    rows = conn.execute(sql, (wkb,), prepare=True).fetchall()
    site_m2 = next(a for l, a in rows if l == "site")
    county_m2 = sum(a for l, a in rows if l == "county")
    if county_m2 <= 0:
        return {"error": "outside the county"}
    pieces = [(l, a) for l, a in rows if l not in ("site", "county")]
    return common.site_record(site_m2, county_m2, pieces, plan.tol, layers)


def run_sites(conn, plan, sites, repeat, layers=None):
    layers = list(layers or plan.check_layers)
    sql = check_sql(layers)
    wkbs = [(sid, shapely.to_wkb(s)) for sid, s in sites]
    runs, records = [], {}
    for r in range(repeat):
        times = []
        for sid, wkb in wkbs:
            t = time.perf_counter()
            rec = check(conn, sql, wkb, plan, layers)
            times.append((time.perf_counter() - t) * 1e3)
            if r == 0:
                records[sid] = rec
        runs.append(common.summarise(times))
    return runs, records


def scan(conn, plan):
    out = []
    for a, b in plan.rules:
        cond = " AND a.fid < b.fid" if a == b else ""
        rows = conn.execute(
            f"SELECT a.fid, b.fid, ST_Area(ST_Intersection(a.geom, b.geom)::geography) "
            f"FROM l_{a} a JOIN l_{b} b ON ST_Intersects(a.geom, b.geom){cond}").fetchall()
        out += [(f"{a}×{b}", fa, fb, m2) for fa, fb, m2 in rows if m2 > 0]
    return out


def tile_sql(keys, attributes):
    cols = "".join(f", t.{_ident(k)}" for k in keys) if attributes else ""
    fid = "t.fid, " if attributes else ""
    return (
        "SELECT ST_AsMVT(q, 'farmland', 4096, 'geom') FROM ("
        f"SELECT {fid}ST_AsMVTGeom(t.geom3857, ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4096, 64, true)"
        f" AS geom{cols} FROM l_farmland t WHERE t.geom3857 && "
        "ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 64.0 / 4096)) q")
