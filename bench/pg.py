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

    def __init__(self, parent, durable=False):
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
                "work_mem = 64MB\nmaintenance_work_mem = 1GB\njit = off\n"
                "max_wal_size = 8GB\nmax_parallel_workers_per_gather = 2\n"
            )
            # The engine peer needs no durability; a store planmap serves from keeps
            # PostgreSQL's defaults (fsync, synchronous_commit on), as a deployment would.
            if not durable:
                f.write("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")

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


def _areas_sql(layers):
    """(layer, m²) rows of the site `s.g`: its area, then its overlap with every feature of
    the county and `layers` that it meets."""
    parts = ["SELECT 'site'::text, ST_Area(s.g::geography) FROM s"]
    for lid in ["county"] + list(layers):
        parts.append(
            f"SELECT '{lid}', ST_Area(ST_Intersection(t.geom, s.g)::geography) "
            f"FROM l_{lid} t, s WHERE ST_Intersects(t.geom, s.g)")
    return " UNION ALL ".join(parts)


def check_sql(layers):
    return "WITH s AS (SELECT ST_GeomFromWKB(%s, 4326) AS g) " + _areas_sql(layers)


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


# -- the check with its audit row, at PostgreSQL's durability defaults --------------------

DURABLE = ("fsync", "synchronous_commit", "full_page_writes")


def durable(conn, on):
    """PostgreSQL's defaults (`on`: fsync, synchronous_commit, full_page_writes all on, every
    commit flushed to disk before it returns) or the bulk-load settings of this cluster
    (off); reloaded, and returns what the server now says of them and of wal_sync_method."""
    for name in DURABLE:
        conn.execute(f"ALTER SYSTEM SET {name} = {'on' if on else 'off'}")
    conn.execute("SELECT pg_reload_conf()")
    want = "on" if on else "off"
    for _ in range(500):
        now = {n: conn.execute(f"SHOW {n}").fetchone()[0] for n in DURABLE}
        if all(v == want for v in now.values()):
            now["wal_sync_method"] = conn.execute("SHOW wal_sync_method").fetchone()[0]
            return now
        time.sleep(0.01)
    raise SystemExit(f"bench: PostgreSQL did not take {DURABLE} = {want}: {now}")


def create_audit(conn):
    """The audit table, as planmap's check history keeps it: time, verdict, areas, the site,
    data version, source, project, applicant, an optional check key; indexed as planmap's."""
    conn.execute("DROP TABLE IF EXISTS audit")
    conn.execute(
        "CREATE TABLE audit (id bigserial PRIMARY KEY, time timestamptz NOT NULL DEFAULT now(),"
        " verdict text NOT NULL, site_area_m2 double precision NOT NULL, \"overlaps\" jsonb NOT NULL,"
        " data_version text NOT NULL, source text NOT NULL, project text, applicant text,"
        " site geometry(Geometry, 4326) NOT NULL, check_key text)")
    conn.execute("CREATE INDEX audit_time ON audit (time, id)")
    conn.execute("CREATE UNIQUE INDEX audit_key ON audit (check_key)")


def audited_sql(layers):
    """One statement, so one transaction and one round trip: the overlap query of
    `check_sql`, and the audit row made of its answer (verdict by the layers' roles,
    overlaps as JSON, the site) inserted — unless the site misses the county, which planmap
    refuses unrecorded; answers the query's rows and ('audit', id)."""
    return (
        "WITH s AS (SELECT ST_GeomFromWKB(%(site)s, 4326) AS g), "
        f"q(l, a) AS ({_areas_sql(layers)}), "
        "ins AS (INSERT INTO audit (verdict, site_area_m2, \"overlaps\", data_version, source, site) "
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM q WHERE l = ANY(%(prohibited)s) AND a > %(tol)s)"
        " THEN '不通过' WHEN EXISTS (SELECT 1 FROM q WHERE l = ANY(%(assess)s) AND a > %(tol)s)"
        " THEN '需论证' ELSE '通过' END, (SELECT a FROM q WHERE l = 'site'), "
        "(SELECT coalesce(jsonb_agg(jsonb_build_object('layer', l, 'area_m2', a)), '[]')"
        " FROM q WHERE l NOT IN ('site', 'county')), 'bench', 'api', (SELECT g FROM s) "
        "WHERE EXISTS (SELECT 1 FROM q WHERE l = 'county' AND a > 0) RETURNING id) "
        "SELECT l, a FROM q UNION ALL SELECT 'audit', id::float8 FROM ins")


class Audited:
    """The site check with its audit row on one connection (`check(wkb)` → the site record)."""

    def __init__(self, conn, plan, layers=None):
        self.conn, self.plan = conn, plan
        self.layers = list(layers or plan.check_layers)
        self.sql = audited_sql(self.layers)
        role = lambda r: [l for l in self.layers if plan.layers[l]["site_role"] == r]  # noqa: E731
        self.params = {"prohibited": role("prohibited"), "assess": role("assess"),
                       "tol": plan.tol}

    def check(self, wkb):
        rows = self.conn.execute(self.sql, dict(self.params, site=wkb), prepare=True).fetchall()
        site_m2 = next(a for l, a in rows if l == "site")
        county_m2 = sum(a for l, a in rows if l == "county")
        if sum(1 for l, _ in rows if l == "audit") != (county_m2 > 0):
            raise SystemExit("bench: a PostGIS check's audit rows are not one a site in the county")
        if county_m2 <= 0:
            return {"error": "outside the county"}
        pieces = [(l, a) for l, a in rows if l not in ("site", "county", "audit")]
        return common.site_record(site_m2, county_m2, pieces, self.plan.tol, self.layers)
