//! `planmap db status`: what the store holds ([`status`]): its schema version, each plan's
//! layers (the version served, the versions kept, the keeper's tables), the check history's
//! size.

use crate::error::{query_err, PgError};
use crate::pool::Db;

/// The store as one read saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub schema_version: i32,
    pub plans: Vec<PlanStatus>,
    /// Records in the check history.
    pub checks: i64,
    /// Bytes the features (every version) take on disk, indexes included.
    pub feature_bytes: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanStatus {
    pub id: String,
    pub layers: Vec<LayerStatus>,
}

/// One layer: stored versions, or a keeper's table.
#[derive(Debug, Clone, PartialEq)]
pub enum LayerStatus {
    Stored {
        id: String,
        /// The version served.
        current: Option<i32>,
        /// Its features and the SQL statements that edited them.
        features: i32,
        edits: i32,
        /// Every version kept, oldest first, and their features together.
        versions: Vec<i32>,
        kept_features: i64,
    },
    Table {
        id: String,
        table: String,
        changes: i64,
    },
}

impl LayerStatus {
    /// The layer's id.
    pub fn id(&self) -> &str {
        match self {
            LayerStatus::Stored { id, .. } | LayerStatus::Table { id, .. } => id,
        }
    }
}

/// What the store holds, read in one transaction; only `plan` when given.
pub async fn status(db: &Db, plan: Option<&str>) -> Result<Status, PgError> {
    let at = db.at();
    let mut c = db.get().await?;
    let schema_version = crate::migrate::schema_version(&c, at).await?;
    let tx = c
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(query_err(at, "starting the read"))?;
    let ids: Vec<String> = tx
        .query(
            "SELECT id FROM planmap.plans WHERE $1::text IS NULL OR id = $1 ORDER BY id",
            &[&plan],
        )
        .await
        .map_err(query_err(at, "listing the plans"))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if let (Some(id), true) = (plan, ids.is_empty()) {
        return Err(PgError::NoPlan { id: id.to_string() });
    }
    let stored = tx
        .query(
            "SELECT l.plan_id, l.layer_id, l.current_version,
                    coalesce(max(v.features) FILTER (WHERE v.version = l.current_version), 0),
                    coalesce(max(v.edits) FILTER (WHERE v.version = l.current_version), 0),
                    coalesce(array_agg(v.version ORDER BY v.version)
                             FILTER (WHERE v.version IS NOT NULL), '{}'),
                    coalesce(sum(v.features), 0)::bigint
               FROM planmap.layers l
               LEFT JOIN planmap.layer_versions v USING (plan_id, layer_id)
              WHERE $1::text IS NULL OR l.plan_id = $1
              GROUP BY l.plan_id, l.layer_id, l.current_version
              ORDER BY l.plan_id, l.layer_id",
            &[&plan],
        )
        .await
        .map_err(query_err(at, "reading the layers"))?;
    let tables = tx
        .query(
            "SELECT sp.plan_id, sp.layer_id, s.regclass, s.changes
               FROM planmap.source_plans sp JOIN planmap.sources s ON s.regclass = sp.source
              WHERE $1::text IS NULL OR sp.plan_id = $1
              ORDER BY sp.plan_id, sp.layer_id",
            &[&plan],
        )
        .await
        .map_err(query_err(at, "reading the keeper's tables"))?;
    let totals = tx
        .query_one(
            "SELECT (SELECT count(*) FROM planmap.checks),
                    pg_total_relation_size('planmap.features')",
            &[],
        )
        .await
        .map_err(query_err(at, "measuring the tables"))?;
    let plans = ids
        .into_iter()
        .map(|id| {
            let of_plan = |r: &&tokio_postgres::Row| r.get::<_, &str>(0) == id;
            let stored = stored.iter().filter(of_plan).map(|r| LayerStatus::Stored {
                id: r.get(1),
                current: r.get(2),
                features: r.get(3),
                edits: r.get(4),
                versions: r.get(5),
                kept_features: r.get(6),
            });
            let tables = tables.iter().filter(of_plan).map(|r| LayerStatus::Table {
                id: r.get(1),
                table: r.get(2),
                changes: r.get(3),
            });
            let mut layers: Vec<LayerStatus> = stored.chain(tables).collect();
            layers.sort_by(|a, b| a.id().cmp(b.id()));
            PlanStatus { id, layers }
        })
        .collect();
    Ok(Status {
        schema_version,
        plans,
        checks: totals.get(0),
        feature_bytes: totals.get(1),
    })
}
