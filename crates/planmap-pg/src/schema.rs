//! The schema, as numbered migrations. Migration `i` (1-based: `MIGRATIONS[i - 1]`) takes the
//! database from version `i - 1` to `i`; the ledger `planmap.migrations` holds one row per
//! applied migration with the md5 of its SQL.
//!
//! To change the schema, append a migration — never edit one that has shipped: databases in
//! the field have run it, and `init` refuses a database whose applied SQL differs from this
//! build's. No `CREATE INDEX CONCURRENTLY` (every pending migration runs in one transaction).
//!
//! Everything planmap owns lives in the schema `planmap`; the layers a data keeper edits in
//! QGIS stay in the keeper's own schemas and tables, named by the plan's manifest.

/// One step of the schema.
pub struct Migration {
    /// What it adds, for the ledger and `planmap db init`'s report.
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every migration, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        name: "plans, layers, layer versions and features",
        // A layer's features are kept per version: an import writes version n + 1 beside the
        // served one and switches `layers.current_version` in the same transaction, so a
        // reader sees the old version or the new one, never half of one; old versions stay
        // until pruned. Geometry at full precision (float8 as read) in EPSG:4490 (CGCS2000)
        // or 4326 (WGS84), the layer version's `srid`; `ord` keeps the layer's stable order;
        // `properties` is `json` (the object's text as the file had it, byte for byte — the
        // engine keeps attributes as that text), not `jsonb`, which reorders keys.
        sql: "
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE planmap.plans (
    id          text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'),
    manifest    text NOT NULL,
    indicators  text,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE planmap.layers (
    plan_id          text NOT NULL REFERENCES planmap.plans (id) ON DELETE CASCADE,
    layer_id         text NOT NULL,
    current_version  integer,
    PRIMARY KEY (plan_id, layer_id)
);

CREATE TABLE planmap.layer_versions (
    plan_id     text NOT NULL,
    layer_id    text NOT NULL,
    version     integer NOT NULL CHECK (version > 0),
    srid        integer NOT NULL CHECK (srid IN (4490, 4326)),
    features    integer NOT NULL CHECK (features >= 0),
    digest      text NOT NULL,
    source      text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (plan_id, layer_id, version),
    FOREIGN KEY (plan_id, layer_id) REFERENCES planmap.layers ON DELETE CASCADE
);

ALTER TABLE planmap.layers ADD CONSTRAINT layers_current_version
    FOREIGN KEY (plan_id, layer_id, current_version) REFERENCES planmap.layer_versions
    DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE planmap.features (
    plan_id     text NOT NULL,
    layer_id    text NOT NULL,
    version     integer NOT NULL,
    ord         integer NOT NULL CHECK (ord >= 0),
    fid         text NOT NULL,
    properties  json NOT NULL,
    geom        geometry NOT NULL CHECK (ST_SRID(geom) IN (4490, 4326)),
    PRIMARY KEY (plan_id, layer_id, version, ord),
    UNIQUE (plan_id, layer_id, version, fid),
    FOREIGN KEY (plan_id, layer_id, version) REFERENCES planmap.layer_versions ON DELETE CASCADE
);

CREATE INDEX features_geom ON planmap.features USING gist (geom);
",
    },
    Migration {
        name: "check history",
        // The SQLite history's columns (planmap-history's migrations 1–3) in one table that
        // every replica writes: an answer is sent only after its row is committed. The id is
        // an identity, never reused; `site` is the site as read (GeoJSON text), `geom` the
        // same site for QGIS and spatial queries.
        sql: "
CREATE TABLE planmap.checks (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time           timestamptz NOT NULL,
    verdict        text NOT NULL,
    site_area_m2   double precision NOT NULL,
    \"overlaps\"     jsonb NOT NULL,
    data_version   text NOT NULL,
    source         text NOT NULL,
    project        text,
    applicant      text,
    site           text NOT NULL,
    geom           geometry(Geometry, 4326),
    check_key      text UNIQUE,
    plan           text,
    batch_id       text,
    batch_file     text,
    batch_feature  integer
);

CREATE INDEX checks_time ON planmap.checks (time, id);
CREATE INDEX checks_plan ON planmap.checks (plan, time, id);
CREATE INDEX checks_batch ON planmap.checks (batch_id, id) WHERE batch_id IS NOT NULL;
CREATE INDEX checks_geom ON planmap.checks USING gist (geom);
",
    },
];

/// The schema version this build writes.
pub const VERSION: i32 = MIGRATIONS.len() as i32;
