//! A new version of a layer, written and switched to in one transaction ([`import_layer`],
//! and [`crate::load_dir`] for each layer of a plan folder).
//!
//! The layer's row is locked first (`SELECT … FOR UPDATE`: two imports of one layer queue),
//! version n + 1 is written beside the served one (`COPY … (FORMAT binary)`, geometry as
//! EWKB, attributes as their JSON text), then `layers.current_version` switches to it; all
//! at COMMIT or nothing. Readers see the old version or the new one; the old one stays until
//! pruned.

use std::error::Error;
use std::pin::pin;

use bytes::BytesMut;
use planmap_core::Feature;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use tokio_postgres::Transaction;

use crate::error::{query_err, PgError};
use crate::geom::shape_to_ewkb;
use crate::pool::Db;

/// The SRID layers are written in: GeoJSON's lon/lat (RFC 7946, WGS84; CGCS2000 is the same
/// to 0.1 mm, docs/postgis.md).
pub const LAYER_SRID: i32 = 4326;

/// What an import wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    /// The layer's new current version.
    pub version: i32,
    /// Its feature count.
    pub features: usize,
}

/// A `json` value given as its text, sent as is (the binary form of `json` is its text): the
/// attributes' bytes are stored as the engine holds them.
#[derive(Debug)]
struct JsonText<'a>(&'a str);

impl ToSql for JsonText<'_> {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        out.extend_from_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }
    fn accepts(ty: &Type) -> bool {
        *ty == Type::JSON
    }
    to_sql_checked!();
}

/// A PostGIS `geometry` given as EWKB, its binary form.
#[derive(Debug)]
struct Ewkb(Vec<u8>);

impl ToSql for Ewkb {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        out.extend_from_slice(&self.0);
        Ok(IsNull::No)
    }
    fn accepts(ty: &Type) -> bool {
        ty.name() == "geometry"
    }
    to_sql_checked!();
}

/// A digest of a layer's content (ids, attributes' text, geometry's bytes): the same
/// features give the same digest.
pub fn digest(features: &[Feature]) -> String {
    use planmap_io::plan_dir::{fnv1a_from, FNV_OFFSET};
    let h = features.iter().fold(FNV_OFFSET, |h, f| {
        let h = fnv1a_from(h, f.id.as_bytes());
        let h = fnv1a_from(h, &[0]);
        let h = fnv1a_from(h, f.properties.json().as_bytes());
        let h = fnv1a_from(h, &[0]);
        fnv1a_from(h, &shape_to_ewkb(&f.shape, LAYER_SRID))
    });
    format!("{h:016x}")
}

/// One layer version to write.
pub(crate) struct NewVersion<'a> {
    pub plan: &'a str,
    pub layer: &'a str,
    pub features: &'a [Feature],
    pub digest: &'a str,
    pub source: &'a str,
}

/// Writes `v` as the layer's next version and switches to it, inside `tx` (the caller
/// commits). Creates the layer's row when the plan has none yet.
pub(crate) async fn write_version(
    tx: &Transaction<'_>,
    at: &str,
    v: &NewVersion<'_>,
) -> Result<i32, PgError> {
    let (plan, layer) = (v.plan, v.layer);
    let step = |s: &str| format!("{s} of layer '{layer}' of plan '{plan}'");
    let count = i32::try_from(v.features.len())
        .map_err(|_| PgError::Invalid(format!("layer '{layer}': too many features")))?;
    // The features written here are an import, not edits (migration 3's trigger).
    tx.execute("SELECT set_config('planmap.import', 'on', true)", &[])
        .await
        .map_err(query_err(at, "marking the transaction an import"))?;
    tx.execute(
        "INSERT INTO planmap.layers (plan_id, layer_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        &[&plan, &layer],
    )
    .await
    .map_err(query_err(at, step("adding the row")))?;
    tx.execute(
        "SELECT 1 FROM planmap.layers WHERE plan_id = $1 AND layer_id = $2 FOR UPDATE",
        &[&plan, &layer],
    )
    .await
    .map_err(query_err(at, step("locking the row")))?;
    let version: i32 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) + 1 FROM planmap.layer_versions \
             WHERE plan_id = $1 AND layer_id = $2",
            &[&plan, &layer],
        )
        .await
        .map_err(query_err(at, step("numbering the version")))?
        .get(0);
    tx.execute(
        "INSERT INTO planmap.layer_versions (plan_id, layer_id, version, srid, features, digest, source) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[&plan, &layer, &version, &LAYER_SRID, &count, &v.digest, &v.source],
    )
    .await
    .map_err(query_err(at, step("recording the version")))?;
    let geometry = tx
        .prepare("SELECT $1::geometry")
        .await
        .map_err(query_err(at, "finding PostGIS's geometry type"))?
        .params()[0]
        .clone();
    let sink = tx
        .copy_in(
            "COPY planmap.features (plan_id, layer_id, version, ord, fid, properties, geom) \
             FROM STDIN (FORMAT binary)",
        )
        .await
        .map_err(query_err(at, step("starting the copy")))?;
    let types = [
        Type::TEXT,
        Type::TEXT,
        Type::INT4,
        Type::INT4,
        Type::TEXT,
        Type::JSON,
        geometry,
    ];
    let mut writer = pin!(BinaryCopyInWriter::new(sink, &types));
    for (ord, f) in v.features.iter().enumerate() {
        let ord = ord as i32;
        let props = JsonText(f.properties.json());
        let geom = Ewkb(shape_to_ewkb(&f.shape, LAYER_SRID));
        writer
            .as_mut()
            .write(&[&plan, &layer, &version, &ord, &f.id, &props, &geom])
            .await
            .map_err(query_err(at, step("copying the features")))?;
    }
    writer
        .finish()
        .await
        .map_err(query_err(at, step("copying the features")))?;
    tx.execute(
        "UPDATE planmap.layers SET current_version = $3 WHERE plan_id = $1 AND layer_id = $2",
        &[&plan, &layer, &version],
    )
    .await
    .map_err(query_err(at, step("switching to the new version")))?;
    Ok(version)
}

/// A new version of one layer of a plan in the store, written and switched to in one
/// transaction. The plan must be there and its manifest name the layer; `source` says where
/// the features came from (a file name), kept with the version.
pub async fn import_layer(
    db: &Db,
    plan: &str,
    layer: &str,
    features: &[Feature],
    source: &str,
) -> Result<Imported, PgError> {
    let at = db.at().to_string();
    let mut c = db.get().await?;
    let tx = c.transaction().await.map_err(query_err(&at, "BEGIN"))?;
    // The plan's row, locked against a concurrent `db load` of the plan replacing it.
    let manifest: String = tx
        .query_opt(
            "SELECT manifest FROM planmap.plans WHERE id = $1 FOR SHARE",
            &[&plan],
        )
        .await
        .map_err(query_err(&at, format!("reading plan '{plan}'")))?
        .ok_or_else(|| PgError::NoPlan { id: plan.into() })?
        .get(0);
    let def = planmap_io::plan_dir::parse_manifest(&manifest, &format!("plan '{plan}' manifest"))
        .map_err(|e| PgError::Data {
        at: at.clone(),
        what: e.to_string(),
    })?;
    if let Some(src) = def.layer(layer).and_then(|l| l.postgis.as_ref()) {
        return Err(PgError::Invalid(format!(
            "plan '{plan}' layer '{layer}' is the PostGIS table {}: edit it there, not by import",
            src.table
        )));
    }
    if def.layer(layer).is_none() {
        let ids: Vec<&str> = def.layers.iter().map(|l| l.id.as_str()).collect();
        return Err(PgError::Invalid(format!(
            "plan '{plan}' has no layer '{layer}' (its layers: {})",
            ids.join(", ")
        )));
    }
    let digest = digest(features);
    let v = NewVersion {
        plan,
        layer,
        features,
        digest: &digest,
        source,
    };
    let version = write_version(&tx, &at, &v).await?;
    tx.commit().await.map_err(query_err(&at, "COMMIT"))?;
    Ok(Imported {
        version,
        features: features.len(),
    })
}
