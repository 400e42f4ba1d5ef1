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
    Migration {
        name: "change notifications",
        // `pg_notify('planmap', plan_id)` whenever a plan's data changes, delivered at COMMIT
        // (never for a transaction rolled back; duplicates within one folded): a plan
        // inserted, updated or deleted, a layer switched to another version (or added or
        // removed), and any statement on features — a statement-level trigger over its
        // transition tables notifies each plan it touched once, so a row edited with plain
        // SQL (as QGIS would) reaches every replica. Such an edit also counts in its layer
        // version's `edits`, which is part of the layer's version string (caches and ETags
        // change with it); the features an import writes (`planmap.import` set for its
        // transaction) are not edits.
        sql: "
ALTER TABLE planmap.layer_versions ADD COLUMN edits integer NOT NULL DEFAULT 0;

-- A row's plan id, its column named by the trigger's argument.
CREATE FUNCTION planmap.notify_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    plan text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        plan := to_jsonb(OLD) ->> TG_ARGV[0];
    ELSE
        plan := to_jsonb(NEW) ->> TG_ARGV[0];
    END IF;
    PERFORM pg_notify('planmap', plan);
    RETURN NULL;
END $$;

CREATE TRIGGER plans_notify AFTER INSERT OR UPDATE OR DELETE ON planmap.plans
    FOR EACH ROW EXECUTE FUNCTION planmap.notify_row('id');
CREATE TRIGGER layers_notify AFTER INSERT OR DELETE ON planmap.layers
    FOR EACH ROW EXECUTE FUNCTION planmap.notify_row('plan_id');
CREATE TRIGGER layers_notify_switch AFTER UPDATE OF current_version ON planmap.layers
    FOR EACH ROW WHEN (OLD.current_version IS DISTINCT FROM NEW.current_version)
    EXECUTE FUNCTION planmap.notify_row('plan_id');

CREATE FUNCTION planmap.features_changed(p text, l text, v integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('planmap.import', true), '') <> 'on' THEN
        UPDATE planmap.layer_versions SET edits = edits + 1
         WHERE plan_id = p AND layer_id = l AND version = v;
    END IF;
    PERFORM pg_notify('planmap', p);
END $$;

CREATE FUNCTION planmap.notify_features() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM planmap.features_changed(plan_id, layer_id, version)
           FROM (SELECT DISTINCT plan_id, layer_id, version FROM new_rows) c;
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM planmap.features_changed(plan_id, layer_id, version)
           FROM (SELECT plan_id, layer_id, version FROM new_rows
                 UNION SELECT plan_id, layer_id, version FROM old_rows) c;
    ELSE
        PERFORM planmap.features_changed(plan_id, layer_id, version)
           FROM (SELECT DISTINCT plan_id, layer_id, version FROM old_rows) c;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER features_notify_insert AFTER INSERT ON planmap.features
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION planmap.notify_features();
CREATE TRIGGER features_notify_update AFTER UPDATE ON planmap.features
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION planmap.notify_features();
CREATE TRIGGER features_notify_delete AFTER DELETE ON planmap.features
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION planmap.notify_features();
",
    },
    Migration {
        name: "the keeper's own tables",
        // A manifest layer may be a table or view the data keeper edits in QGIS
        // (`[layers.postgis]`). `sources` counts the statements that changed each such source
        // (its `changes` is the layer's version); `source_plans` says which plans' layers
        // read it and `source_watch` which tables' edits change it (the table itself, or a
        // view's base tables) — both filled by `planmap db load`, which also puts the
        // statement trigger `planmap_notify` on each watched table. The trigger's function
        // bumps the counter of every source watching the table and notifies each plan
        // reading one; it runs as its owner (SECURITY DEFINER), so a keeper editing in QGIS
        // needs no rights on schema planmap.
        sql: "
CREATE TABLE planmap.sources (
    regclass  text PRIMARY KEY,
    changes   bigint NOT NULL DEFAULT 0
);

CREATE TABLE planmap.source_plans (
    source    text NOT NULL REFERENCES planmap.sources ON DELETE CASCADE,
    plan_id   text NOT NULL REFERENCES planmap.plans (id) ON DELETE CASCADE,
    layer_id  text NOT NULL,
    PRIMARY KEY (plan_id, layer_id)
);

CREATE TABLE planmap.source_watch (
    source    text NOT NULL REFERENCES planmap.sources ON DELETE CASCADE,
    watched   oid NOT NULL,
    PRIMARY KEY (watched, source)
);

CREATE FUNCTION planmap.notify_source() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    UPDATE planmap.sources s SET changes = s.changes + 1
      FROM planmap.source_watch w WHERE w.watched = TG_RELID AND s.regclass = w.source;
    PERFORM pg_notify('planmap', p.plan_id)
       FROM (SELECT DISTINCT sp.plan_id FROM planmap.source_plans sp
               JOIN planmap.source_watch w ON w.source = sp.source
              WHERE w.watched = TG_RELID) p;
    RETURN NULL;
END $$;
",
    },
    Migration {
        name: "changes to versions no layer serves are silent",
        // `planmap db prune` deletes old layer versions (their features by cascade), and an
        // import writes version n + 1 before switching to it: neither changes what a replica
        // serves, so neither counts as an edit nor notifies (the switch notifies, by
        // `layers_notify_switch`). Only features of a layer's current version do.
        sql: "
CREATE OR REPLACE FUNCTION planmap.features_changed(p text, l text, v integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM planmap.layers
                    WHERE plan_id = p AND layer_id = l AND current_version = v) THEN
        RETURN;
    END IF;
    IF coalesce(current_setting('planmap.import', true), '') <> 'on' THEN
        UPDATE planmap.layer_versions SET edits = edits + 1
         WHERE plan_id = p AND layer_id = l AND version = v;
    END IF;
    PERFORM pg_notify('planmap', p);
END $$;
",
    },
];

/// The schema version this build writes.
pub const VERSION: i32 = MIGRATIONS.len() as i32;
