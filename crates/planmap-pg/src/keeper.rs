//! Layers kept in the data keeper's own PostGIS tables or views (`[layers.postgis]`),
//! edited in QGIS: [`register`] (what `planmap db load` does for them: the change trigger on
//! each watched table, the source's counter and which plans read it, migration 4) and
//! [`read_source`] (a layer read in the plan's `REPEATABLE READ` transaction).
//!
//! The geometry column's SRID (`geometry_columns`) must be CGCS2000 or WGS84: lon/lat (4490,
//! 4326, read as they are) or projected on them (CGCS2000 Gauss-Krüger 4491–4554 → 4490; UTM
//! on WGS84 32601–32660, 32701–32760 → 4326), taken to lon/lat by PostGIS (`ST_Transform`,
//! PROJ) and read as binary WKB at full precision. A row with no id, no geometry, an empty
//! or invalid one (`ST_IsValid`, reported with `ST_IsValidReason`), a geometry of another
//! kind than the layer's, or an id seen before is skipped and reported by id; the rest
//! loads. A feature's attributes are the row as JSON (`to_json`, in column order) less the
//! geometry column, its `name` the name column's value.

use std::collections::HashSet;

use planmap_core::plan::LayerDef;
use planmap_core::{Attributes, Feature, PostgisSource};
use tokio_postgres::Transaction;

use crate::error::{query_err, PgError};
use crate::geom::shape_from_wkb;

/// A keeper layer as read: its features, the rows skipped (one line each) and the source's
/// change counter.
pub(crate) struct SourceRead {
    pub features: Vec<Feature>,
    pub warnings: Vec<String>,
    pub changes: i64,
}

/// An identifier quoted for SQL (the manifest's are checked: no quotes in them).
fn q(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// `"schema"."table"` of a manifest's `schema.table`.
fn q_table(name: &str) -> Result<String, PgError> {
    let (s, t) =
        planmap_core::postgis::split_table("postgis table", name).map_err(PgError::Invalid)?;
    Ok(format!("{}.{}", q(&s), q(&t)))
}

/// The lon/lat SRID a source SRID is read in, when it is one planmap takes.
pub fn lonlat_srid(srid: i32) -> Option<i32> {
    match srid {
        4490 | 4326 => Some(srid),
        4491..=4554 => Some(4490),
        32601..=32660 | 32701..=32760 => Some(4326),
        _ => None,
    }
}

fn invalid(plan: &str, layer: &str, what: String) -> PgError {
    PgError::Invalid(format!("plan '{plan}' layer '{layer}': {what}"))
}

/// Registers plan `plan`'s keeper layers (in the load's transaction): each source's table
/// must exist with the columns named; the statement trigger `planmap_notify` goes on the
/// table (or, for a view, on the tables of its `watch`), which needs the table's owner.
pub(crate) async fn register(
    tx: &Transaction<'_>,
    at: &str,
    plan: &str,
    layers: &[(String, PostgisSource)],
) -> Result<(), PgError> {
    tx.execute(
        "DELETE FROM planmap.source_plans WHERE plan_id = $1",
        &[&plan],
    )
    .await
    .map_err(query_err(
        at,
        format!("plan '{plan}': clearing its sources"),
    ))?;
    for (layer, src) in layers {
        let table = q_table(&src.table)?;
        let kind: Option<i8> = tx
            .query_one(
                "SELECT (SELECT relkind FROM pg_class WHERE oid = to_regclass($1))",
                &[&table],
            )
            .await
            .map_err(query_err(at, format!("looking up {}", src.table)))?
            .get(0);
        let kind = kind.map(|k| k as u8 as char).ok_or_else(|| {
            invalid(
                plan,
                layer,
                format!("no table or view {} in the database", src.table),
            )
        })?;
        // The columns named must be there (the statement is only planned).
        let mut cols = vec![q(&src.id_column), q(&src.geometry_column)];
        cols.extend(src.name_column.as_deref().map(q));
        tx.prepare(&format!("SELECT {} FROM {table} LIMIT 0", cols.join(", ")))
            .await
            .map_err(query_err(
                at,
                format!("plan '{plan}' layer '{layer}': {}", src.table),
            ))?;
        let mut watched: Vec<&str> = src.watch.iter().map(String::as_str).collect();
        if matches!(kind, 'r' | 'p') {
            watched.insert(0, &src.table);
        }
        tx.execute(
            "INSERT INTO planmap.sources (regclass) VALUES ($1) ON CONFLICT DO NOTHING",
            &[&src.table],
        )
        .await
        .map_err(query_err(at, format!("registering {}", src.table)))?;
        tx.execute(
            "DELETE FROM planmap.source_watch WHERE source = $1",
            &[&src.table],
        )
        .await
        .map_err(query_err(at, format!("registering {}", src.table)))?;
        for w in watched {
            watch(tx, at, &src.table, w).await?;
        }
        tx.execute(
            "INSERT INTO planmap.source_plans (source, plan_id, layer_id) VALUES ($1, $2, $3)",
            &[&src.table, &plan, layer],
        )
        .await
        .map_err(query_err(at, format!("registering {}", src.table)))?;
    }
    Ok(())
}

/// The trigger on table `w`, whose edits change source `source`.
async fn watch(tx: &Transaction<'_>, at: &str, source: &str, w: &str) -> Result<(), PgError> {
    let wq = q_table(w)?;
    let kind: Option<i8> = tx
        .query_one(
            "SELECT (SELECT relkind FROM pg_class WHERE oid = to_regclass($1))",
            &[&wq],
        )
        .await
        .map_err(query_err(at, format!("looking up {w}")))?
        .get(0);
    if !matches!(kind.map(|k| k as u8 as char), Some('r' | 'p')) {
        return Err(PgError::Invalid(format!(
            "{source}: watch names {w}, which is not a table in the database"
        )));
    }
    // DROP + CREATE rather than CREATE OR REPLACE TRIGGER, which needs PostgreSQL 14.
    let create = format!(
        "DROP TRIGGER IF EXISTS planmap_notify ON {wq}; \
         CREATE TRIGGER planmap_notify \
         AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {wq} \
         FOR EACH STATEMENT EXECUTE FUNCTION planmap.notify_source()"
    );
    if let Err(e) = tx.batch_execute(&create).await {
        if e.code() == Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) {
            return Err(PgError::Invalid(format!(
                "installing planmap's change trigger on {w} needs its owner: run \
                 planmap db load as the owner of {w} (or grant TRIGGER on it)"
            )));
        }
        return Err(query_err(
            at,
            format!("installing the change trigger on {w}"),
        )(e));
    }
    tx.execute(
        "INSERT INTO planmap.source_watch (source, watched) \
         VALUES ($1, to_regclass($2)::oid) ON CONFLICT DO NOTHING",
        &[&source, &wq],
    )
    .await
    .map_err(query_err(at, format!("registering {w}")))?;
    Ok(())
}

/// Layer `def` of plan `plan`, read from its keeper source in the transaction `tx`.
pub(crate) async fn read_source(
    tx: &Transaction<'_>,
    at: &str,
    plan: &str,
    def: &LayerDef,
    src: &PostgisSource,
) -> Result<SourceRead, PgError> {
    let layer = def.id.as_str();
    let (schema, table) = src.schema_table();
    let srid: Option<i32> = tx
        .query_opt(
            "SELECT srid FROM geometry_columns WHERE f_table_schema = $1 \
             AND f_table_name = $2 AND f_geometry_column = $3",
            &[&schema, &table, &src.geometry_column],
        )
        .await
        .map_err(query_err(at, format!("reading the SRID of {}", src.table)))?
        .map(|r| r.get(0));
    let srid = srid.ok_or_else(|| {
        invalid(
            plan,
            layer,
            format!(
                "no geometry column {} in {} (geometry_columns)",
                src.geometry_column, src.table
            ),
        )
    })?;
    let target = lonlat_srid(srid).ok_or_else(|| {
        invalid(
            plan,
            layer,
            format!(
                "{}.{} is in EPSG:{srid}; planmap takes CGCS2000 or WGS84, lon/lat (4490, \
                 4326) or projected (Gauss-Krüger 4491–4554, UTM 32601–32660, 32701–32760)",
                src.table, src.geometry_column
            ),
        )
    })?;
    let (id, g) = (q(&src.id_column), q(&src.geometry_column));
    let name = src
        .name_column
        .as_deref()
        .map_or("NULL".to_string(), |n| format!("t.{}::text", q(n)));
    let sql = format!(
        "SELECT id, name, problem, attrs, \
                CASE WHEN problem IS NULL THEN ST_AsBinary(ST_Transform(g, $2::int4)) END \
         FROM (SELECT t.{id}::text AS id, {name} AS name, t.{g} AS g, \
                 CASE WHEN t.{id} IS NULL THEN 'no id' \
                      WHEN t.{g} IS NULL THEN 'no geometry' \
                      WHEN ST_IsEmpty(t.{g}) THEN 'an empty geometry' \
                      WHEN NOT ST_IsValid(t.{g}) THEN ST_IsValidReason(t.{g}) END AS problem, \
                 (SELECT json_object_agg(key, value) FROM json_each(to_json(t)) \
                   WHERE key <> $1::text)::text AS attrs \
               FROM {} t ORDER BY t.{id}) r",
        q_table(&src.table)?
    );
    let rows = tx
        .query(&sql, &[&src.geometry_column, &target])
        .await
        .map_err(query_err(
            at,
            format!("plan '{plan}' layer '{layer}': reading {}", src.table),
        ))?;
    let SourceRead {
        mut warnings,
        changes,
        ..
    } = count_only(tx, at, src).await?;
    let rename = src
        .name_column
        .as_deref()
        .filter(|n| *n != "name")
        .is_some();
    let mut seen = HashSet::new();
    let mut features = Vec::with_capacity(rows.len());
    for r in &rows {
        let fid: Option<String> = r.get(0);
        let who = fid
            .as_deref()
            .map_or_else(|| "a row with no id".to_string(), |f| format!("row {f}"));
        let problem: Option<String> = r.get(2);
        let skip = |why: String| format!("{}: {who} skipped: {why}", src.table);
        if let Some(p) = problem {
            warnings.push(skip(p));
            continue;
        }
        let fid = fid.unwrap_or_default();
        let wkb: &[u8] = r.get(4);
        let shape = match shape_from_wkb(wkb) {
            Ok(s) if s.kind_name() == def.geometry.as_str() => s,
            Ok(s) => {
                let want = def.geometry.as_str();
                warnings.push(skip(format!(
                    "a {}, the layer holds {want}s",
                    s.kind_name()
                )));
                continue;
            }
            Err(e) => {
                warnings.push(skip(e.to_string()));
                continue;
            }
        };
        if !seen.insert(fid.clone()) {
            warnings.push(skip("its id is another row's".into()));
            continue;
        }
        let attrs: Option<String> = r.get(3);
        let mut text = attrs.unwrap_or_else(|| "{}".into());
        let name: Option<String> = r.get(1);
        if let (true, Some(n)) = (rename, name) {
            text = with_name(&text, &n);
        }
        let properties = Attributes::from_json(&text).map_err(|e| {
            invalid(
                plan,
                layer,
                format!("{} row {fid}: attributes: {e}", src.table),
            )
        })?;
        features.push(Feature {
            id: fid,
            shape,
            properties,
        });
    }
    for w in &warnings {
        tracing::warn!(plan, layer, "{w}");
    }
    Ok(SourceRead {
        features,
        warnings,
        changes,
    })
}

/// A keeper layer's change counter alone (no features): a read limited to other layers.
pub(crate) async fn count_only(
    tx: &Transaction<'_>,
    at: &str,
    src: &PostgisSource,
) -> Result<SourceRead, PgError> {
    let changes: Option<i64> = tx
        .query_opt(
            "SELECT changes FROM planmap.sources WHERE regclass = $1",
            &[&src.table],
        )
        .await
        .map_err(query_err(
            at,
            format!("reading the counter of {}", src.table),
        ))?
        .map(|r| r.get(0));
    let mut warnings = Vec::new();
    if changes.is_none() {
        warnings.push(format!(
            "{} has no change counter: its edits are not noticed until `planmap db load` \
             registers it",
            src.table
        ));
    }
    Ok(SourceRead {
        features: vec![],
        warnings,
        changes: changes.unwrap_or(0),
    })
}

/// A JSON object's text with `"name": n` last (it wins over a `name` column).
fn with_name(obj: &str, n: &str) -> String {
    let body = obj
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .trim();
    let n = serde_json::to_string(n).unwrap_or_else(|_| "\"\"".into());
    if body.is_empty() {
        format!("{{\"name\":{n}}}")
    } else {
        format!("{{{body}, \"name\":{n}}}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srids_taken() {
        assert_eq!(lonlat_srid(4490), Some(4490));
        assert_eq!(lonlat_srid(4326), Some(4326));
        assert_eq!(lonlat_srid(4527), Some(4490));
        assert_eq!(lonlat_srid(32649), Some(4326));
        assert_eq!(lonlat_srid(32749), Some(4326));
        assert_eq!(lonlat_srid(3857), None);
        assert_eq!(lonlat_srid(4214), None); // Beijing 1954
        assert_eq!(lonlat_srid(0), None);
    }

    #[test]
    fn name_goes_last() {
        assert_eq!(with_name("{}", "a\"b"), r#"{"name":"a\"b"}"#);
        assert_eq!(
            with_name(r#"{ "gid" : 1 }"#, "田"),
            r#"{"gid" : 1, "name":"田"}"#
        );
    }
}
