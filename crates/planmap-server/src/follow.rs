//! Following the PostgreSQL store (`serve --db`): each replica keeps one LISTEN connection
//! ([`planmap_pg::listen`]); a notification (sent at the commit of an import, of a `db load`,
//! or of any SQL edit of a plan's features, as QGIS makes) names the plan, which is rebuilt
//! beside the served snapshot and swapped in ([`reload::renew`]). Notifications arriving
//! together are folded, so a burst of edits costs one rebuild. Each time the connection
//! listens (first after the start, again after it was lost) every plan of the database is
//! compared with its loaded data (its layers' versions, one small query) and renewed if it
//! changed: what changed before was not notified. No table is polled.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use planmap_pg::Change;

use crate::catalog::plans::PlanEntry;
use crate::catalog::source::PlanSource;
use crate::reload;
use crate::state::AppState;

/// How long to wait for more notifications before rebuilding: an import's several
/// statements, a QGIS session saving several rows.
const FOLD: Duration = Duration::from_millis(100);

/// Starts following the store at `cfg` for the plans of the catalog that live in it.
pub fn spawn(st: AppState, cfg: planmap_pg::Config) {
    let from_db = |p: &&Arc<PlanEntry>| matches!(p.source, PlanSource::Db(_));
    if !st.catalog().plans().iter().any(|p| from_db(&p)) {
        return;
    }
    tokio::spawn(async move {
        let mut rx = planmap_pg::listen(cfg);
        while let Some(first) = rx.recv().await {
            let mut changes = vec![first];
            let until = tokio::time::Instant::now() + FOLD;
            while let Ok(Some(c)) = tokio::time::timeout_at(until, rx.recv()).await {
                changes.push(c);
            }
            // A plan named by a notification is renewed; after a resync (the LISTEN is up,
            // first or again) every plan of the database is compared with its loaded data.
            let mut named = BTreeSet::new();
            let mut resync = false;
            for c in changes {
                match c {
                    Change::Plan(id) => {
                        named.insert(id);
                    }
                    Change::Resync => resync = true,
                }
            }
            for id in &named {
                let Some(plan) = st.catalog().find(id).filter(from_db) else {
                    // A plan added to the database after the start is served after a
                    // restart (the catalog is fixed while serving).
                    tracing::info!(plan = %id, "change notified for a plan this replica does not serve");
                    continue;
                };
                match reload::renew(&st, plan).await {
                    Ok(()) => tracing::info!(plan = %id, "renewed after a change in the database"),
                    // The old snapshot stays served; the next notification tries again.
                    Err(e) => tracing::warn!(plan = %id, "renewing after a change: {e}"),
                }
            }
            if resync {
                let others = st.catalog().plans().iter().filter(from_db);
                for plan in others.filter(|p| !named.contains(&p.id)) {
                    if let Err(e) = reload::renew_if_changed(&st, plan).await {
                        tracing::warn!(plan = %plan.id, "comparing with the database: {e}");
                    }
                }
            }
        }
    });
}
