//! A plan read from the store: [`Db::plan_ids`], [`Db::read_plan`] and [`PgPlan`], the
//! `LayerStore` the engine loads from, as it loads from a plan folder.
//!
//! A plan is read in one `REPEATABLE READ READ ONLY` transaction: its manifest, indicators
//! and every layer's current version come from one instant, even while an import commits
//! (an import writes version n + 1 beside n and switches in its own transaction). Geometry
//! comes as binary `ST_AsBinary`, attributes as the `json` column's text, kept as stored.

use std::collections::HashMap;

use planmap_core::plan::Indicator;
use planmap_core::{Attributes, Feature, LayerStore, Plan};
use rayon::prelude::*;
use tokio_postgres::IsolationLevel;

use crate::error::{query_err, PgError};
use crate::geom::shape_from_wkb;
use crate::keeper;
use crate::pool::Db;

/// One layer as read: its version and (when asked for) its features.
#[derive(Debug, Clone)]
struct PgLayer {
    stamp: Stamp,
    features: Vec<Feature>,
    /// The rows of a keeper's table skipped at this read, one line each.
    warnings: Vec<String>,
}

/// Where a layer's version comes from.
#[derive(Debug, Clone)]
enum Stamp {
    /// A version written by `db load` or an import.
    Stored {
        version: i32,
        digest: String,
        /// Statements that changed the version's features since it was written (plain SQL).
        edits: i32,
    },
    /// The keeper's table (`[layers.postgis]`) and its change counter (migration 4).
    Source { table: String, changes: i64 },
}

/// A plan as read from the store, in memory: `Engine::load(&pg_plan)` is synchronous.
#[derive(Debug, Clone)]
pub struct PgPlan {
    id: String,
    at: String,
    plan: Plan,
    indicators: Option<String>,
    layers: HashMap<String, PgLayer>,
}

impl PgPlan {
    /// The plan's id (the catalog's, `planmap.plans.id`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The plan's indicator table, read with the folder's parser.
    pub fn indicators(&self) -> Result<Vec<Indicator>, PgError> {
        let Some(text) = &self.indicators else {
            return Ok(vec![]);
        };
        planmap_io::plan_dir::parse_indicators(text).map_err(|e| PgError::Data {
            at: self.at.clone(),
            what: format!("plan '{}': indicators: {e}", self.id),
        })
    }

    /// The layer's current version number in the store (none for a keeper's table).
    pub fn version_number(&self, layer: &str) -> Option<i32> {
        match self.layers.get(layer)?.stamp {
            Stamp::Stored { version, .. } => Some(version),
            Stamp::Source { .. } => None,
        }
    }

    /// What this read skipped, by layer (the rows of keeper tables that do not load, each
    /// named by its id), in the manifest's layer order.
    pub fn warnings(&self) -> Vec<(String, Vec<String>)> {
        self.plan
            .layers
            .iter()
            .filter_map(|d| {
                let l = self.layers.get(&d.id)?;
                (!l.warnings.is_empty()).then(|| (d.id.clone(), l.warnings.clone()))
            })
            .collect()
    }

    fn layer(&self, layer: &str) -> Result<&PgLayer, PgError> {
        self.layers.get(layer).ok_or_else(|| PgError::Data {
            at: self.at.clone(),
            what: format!(
                "plan '{}': layer '{layer}' has no current version in the database",
                self.id
            ),
        })
    }
}

impl LayerStore for PgPlan {
    type Error = PgError;

    fn plan(&self) -> Result<Plan, PgError> {
        Ok(self.plan.clone())
    }

    /// The layer's features of its current version in their stored order (none when the
    /// read was limited to other layers).
    fn features(&self, layer: &str) -> Result<Vec<Feature>, PgError> {
        Ok(self.layer(layer)?.features.clone())
    }

    /// `pg:{version}:{digest}`: a new import changes it; the digest of a layer loaded from a
    /// folder is the folder's version of the same file. A version whose rows were edited
    /// with SQL since (migration 3 counts the statements) is `pg:{version}:{digest}:{edits}`.
    /// A keeper's table is `pg-table:{schema.table}:{changes}` (its statement counter).
    fn version(&self, layer: &str) -> Result<String, PgError> {
        Ok(match &self.layer(layer)?.stamp {
            Stamp::Stored {
                version,
                digest,
                edits: 0,
            } => format!("pg:{version}:{digest}"),
            Stamp::Stored {
                version,
                digest,
                edits,
            } => format!("pg:{version}:{digest}:{edits}"),
            Stamp::Source { table, changes } => format!("pg-table:{table}:{changes}"),
        })
    }
}

impl Db {
    /// Every plan id in the store, sorted.
    pub async fn plan_ids(&self) -> Result<Vec<String>, PgError> {
        let c = self.get().await?;
        let rows = c
            .query("SELECT id FROM planmap.plans ORDER BY id", &[])
            .await
            .map_err(query_err(self.at(), "listing the plans"))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// Plan `id`'s manifest and versions with the features of its county layer only (what a
    /// catalog needs to know of a plan before loading it: its county outline); the manifest
    /// is read first to learn which layer that is.
    pub async fn read_county(&self, id: &str) -> Result<PgPlan, PgError> {
        let plan = self.read_plan(id, Some(&[])).await?.plan()?;
        let county: Vec<String> = plan
            .role(planmap_core::Role::County)
            .map(|l| l.id.clone())
            .into_iter()
            .collect();
        self.read_plan(id, Some(&county)).await
    }

    /// A plan read in one `REPEATABLE READ READ ONLY` transaction: manifest, indicators and
    /// each layer's current version; `only`: the features of these layers only (the others
    /// come with their version and no features). An unknown id is [`PgError::NoPlan`].
    pub async fn read_plan(&self, id: &str, only: Option<&[String]>) -> Result<PgPlan, PgError> {
        let at = self.at().to_string();
        let mut c = self.get().await?;
        let tx = c
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(query_err(&at, "BEGIN"))?;
        let row = tx
            .query_opt(
                "SELECT manifest, indicators FROM planmap.plans WHERE id = $1",
                &[&id],
            )
            .await
            .map_err(query_err(&at, format!("reading plan '{id}'")))?
            .ok_or_else(|| PgError::NoPlan { id: id.to_string() })?;
        let manifest: String = row.get(0);
        let indicators: Option<String> = row.get(1);
        let plan =
            planmap_io::plan_dir::parse_manifest(&manifest, &format!("plan '{id}' manifest"))
                .map_err(|e| PgError::Data {
                    at: at.clone(),
                    what: e.to_string(),
                })?;
        let versions = tx
            .query(
                "SELECT l.layer_id, l.current_version, v.digest, v.edits FROM planmap.layers l \
                 JOIN planmap.layer_versions v ON v.plan_id = l.plan_id \
                 AND v.layer_id = l.layer_id AND v.version = l.current_version \
                 WHERE l.plan_id = $1",
                &[&id],
            )
            .await
            .map_err(query_err(&at, format!("reading plan '{id}' layers")))?;
        let read_features = tx
            .prepare(
                "SELECT fid, properties::text, ST_AsBinary(geom) FROM planmap.features \
                 WHERE plan_id = $1 AND layer_id = $2 AND version = $3 ORDER BY ord",
            )
            .await
            .map_err(query_err(&at, "preparing the feature read"))?;
        let mut layers = HashMap::new();
        for v in versions {
            let layer: String = v.get(0);
            let version: i32 = v.get(1);
            let wanted = plan.layer(&layer).is_some() && only.is_none_or(|o| o.contains(&layer));
            let features = if wanted {
                let rows = tx
                    .query(&read_features, &[&id, &layer, &version])
                    .await
                    .map_err(query_err(&at, format!("reading layer '{layer}'")))?;
                // Decoded on rayon's threads, off the async workers.
                let decoded = tokio::task::spawn_blocking(move || decode(&rows))
                    .await
                    .unwrap_or_else(|e| Err(format!("decoding stopped: {e}")));
                decoded.map_err(|what| PgError::Data {
                    at: at.clone(),
                    what: format!("plan '{id}' layer '{layer}' version {version}: {what}"),
                })?
            } else {
                vec![]
            };
            let stamp = Stamp::Stored {
                version,
                digest: v.get(2),
                edits: v.get(3),
            };
            layers.insert(
                layer,
                PgLayer {
                    stamp,
                    features,
                    warnings: vec![],
                },
            );
        }
        // The keeper's tables, read in the same snapshot.
        for def in &plan.layers {
            let Some(src) = &def.postgis else { continue };
            let read = if only.is_none_or(|o| o.contains(&def.id)) {
                keeper::read_source(&tx, &at, id, def, src).await?
            } else {
                keeper::count_only(&tx, &at, src).await?
            };
            let stamp = Stamp::Source {
                table: src.table.clone(),
                changes: read.changes,
            };
            layers.insert(
                def.id.clone(),
                PgLayer {
                    stamp,
                    features: read.features,
                    warnings: read.warnings,
                },
            );
        }
        tx.commit().await.map_err(query_err(&at, "COMMIT"))?;
        Ok(PgPlan {
            id: id.to_string(),
            at,
            plan,
            indicators,
            layers,
        })
    }
}

/// The features of rows `(fid, properties text, WKB)`, decoded on every core.
fn decode(rows: &[tokio_postgres::Row]) -> Result<Vec<Feature>, String> {
    rows.par_iter()
        .map(|r| {
            let id: String = r.try_get(0).map_err(|e| e.to_string())?;
            let props: &str = r.try_get(1).map_err(|e| e.to_string())?;
            let wkb: &[u8] = r.try_get(2).map_err(|e| e.to_string())?;
            let shape = shape_from_wkb(wkb).map_err(|e| format!("feature '{id}': {e}"))?;
            let properties =
                Attributes::from_json(props).map_err(|e| format!("feature '{id}': {e}"))?;
            Ok(Feature {
                id,
                shape,
                properties,
            })
        })
        .collect()
}
