//! `planmap db prune`: old layer versions removed ([`prune`]).
//!
//! An import keeps the version it replaces (a reader in the middle of a reload still reads
//! it, and a keeper can look back at it); they pile up until pruned. A prune keeps each
//! layer's `keep` newest versions and always the one it serves, and deletes the rest in one
//! transaction (their features go by cascade). Nothing a replica serves changes, so nothing
//! is notified (migration 5); a replica still reading an old version in its own transaction
//! keeps reading it (PostgreSQL's snapshots), so a prune during a reload is safe.

use crate::error::{query_err, PgError};
use crate::pool::Db;

/// What a prune removed (or, dry, would remove) of one layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pruned {
    pub plan: String,
    pub layer: String,
    /// The versions removed, oldest first.
    pub versions: Vec<i32>,
    /// Their features.
    pub features: i64,
}

/// Removes every version of each layer (of `plan`, or of every plan) but its `keep` newest
/// and its current one; with `dry`, only says what it would remove. `keep` is at least 1.
pub async fn prune(
    db: &Db,
    plan: Option<&str>,
    keep: u32,
    dry: bool,
) -> Result<Vec<Pruned>, PgError> {
    if keep == 0 {
        return Err(PgError::Invalid(
            "prune: --keep must be at least 1 (a layer keeps the version it serves)".into(),
        ));
    }
    let at = db.at();
    let mut c = db.get().await?;
    let tx = c
        .transaction()
        .await
        .map_err(query_err(at, "starting the prune"))?;
    if let Some(id) = plan {
        let found = tx
            .query_opt("SELECT 1 FROM planmap.plans WHERE id = $1", &[&id])
            .await
            .map_err(query_err(at, "finding the plan"))?;
        if found.is_none() {
            return Err(PgError::NoPlan { id: id.to_string() });
        }
    }
    // The layers' rows locked: an import of one of them waits for the prune, and the prune
    // never removes a version an import is switching to.
    tx.execute(
        "SELECT 1 FROM planmap.layers WHERE $1::text IS NULL OR plan_id = $1 FOR UPDATE",
        &[&plan],
    )
    .await
    .map_err(query_err(at, "locking the layers"))?;
    let keep = i64::from(keep);
    let rows = tx
        .query(
            "WITH ranked AS (
                 SELECT v.plan_id, v.layer_id, v.version, v.features, l.current_version,
                        row_number() OVER (PARTITION BY v.plan_id, v.layer_id
                                           ORDER BY v.version DESC) AS newest
                   FROM planmap.layer_versions v
                   JOIN planmap.layers l USING (plan_id, layer_id)
                  WHERE $1::text IS NULL OR v.plan_id = $1)
             SELECT plan_id, layer_id, version, features FROM ranked
              WHERE newest > $2 AND version IS DISTINCT FROM current_version
              ORDER BY plan_id, layer_id, version",
            &[&plan, &keep],
        )
        .await
        .map_err(query_err(at, "choosing the versions to remove"))?;
    let mut pruned: Vec<Pruned> = Vec::new();
    for r in &rows {
        let (p, l, v, n): (String, String, i32, i32) = (r.get(0), r.get(1), r.get(2), r.get(3));
        match pruned.last_mut() {
            Some(last) if last.plan == p && last.layer == l => {
                last.versions.push(v);
                last.features += i64::from(n);
            }
            _ => pruned.push(Pruned {
                plan: p,
                layer: l,
                versions: vec![v],
                features: i64::from(n),
            }),
        }
    }
    if dry {
        return Ok(pruned); // the transaction rolls back when dropped
    }
    for p in &pruned {
        tx.execute(
            "DELETE FROM planmap.layer_versions \
             WHERE plan_id = $1 AND layer_id = $2 AND version = ANY($3)",
            &[&p.plan, &p.layer, &p.versions],
        )
        .await
        .map_err(query_err(
            at,
            format!(
                "removing old versions of layer '{}' of plan '{}'",
                p.layer, p.plan
            ),
        ))?;
    }
    tx.commit()
        .await
        .map_err(query_err(at, "committing the prune"))?;
    Ok(pruned)
}
