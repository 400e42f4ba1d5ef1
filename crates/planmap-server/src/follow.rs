//! Following the PostgreSQL store (`serve --db`): each replica keeps one LISTEN connection
//! ([`planmap_pg::listen`]); a notification (sent at the commit of an import, of a `db load`,
//! or of any SQL edit of a plan's features, as QGIS makes) names the plan, which is rebuilt
//! beside the served snapshot and swapped in ([`reload::renew`]). Notifications arriving
//! together are folded, so a burst of edits costs one rebuild. Each time the connection
//! listens (first after the start, again after it was lost) every plan of the database is
//! compared with its loaded data (its layers' versions, one small query) and renewed if it
//! changed: what changed before was not notified. No table is polled. With each notification
//! and resync the catalog also follows the database's list of plans (one small query):
//! plans added are served, plans removed are not ([`crate::catalog::live`]).

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

/// Whether a plan lives in the store (the others have a folder, watched by [`reload`]).
fn from_db(p: &Arc<PlanEntry>) -> bool {
    matches!(p.source, PlanSource::Db(_))
}

/// Starts following the store at `cfg` for the plans of the catalog that live in it.
pub fn spawn(st: AppState, cfg: planmap_pg::Config) {
    if !st.catalog().plans().iter().any(from_db) {
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
            // The list of plans first: a plan added is read fresh, one removed is not renewed.
            let added = follow_list(&st).await;
            for id in named.iter().filter(|id| !added.contains(*id)) {
                // Not served: removed, or not readable yet (follow_list said why).
                let Some(plan) = st.catalog().find(id).filter(from_db) else {
                    continue;
                };
                match reload::renew(&st, &plan).await {
                    Ok(()) => tracing::info!(plan = %id, "renewed after a change in the database"),
                    // The old snapshot stays served; the next notification tries again.
                    Err(e) => tracing::warn!(plan = %id, "renewing after a change: {e}"),
                }
            }
            if resync {
                let plans = st.catalog().plans();
                let others = plans.iter().filter(|p| from_db(p));
                for plan in others.filter(|p| !named.contains(&p.id) && !added.contains(&p.id)) {
                    if let Err(e) = reload::renew_if_changed(&st, plan).await {
                        tracing::warn!(plan = %plan.id, "comparing with the database: {e}");
                    }
                }
            }
        }
    });
}

/// Brings the catalog to the database's list of plans ([`crate::catalog::live`]); the ids
/// of the plans it added.
async fn follow_list(st: &AppState) -> Vec<String> {
    let rev = match st.catalog().follow_list().await {
        Ok(rev) => rev,
        // The list stays as it was; the next notification or resync tries again.
        Err(e) => {
            tracing::warn!("reading the database's list of plans: {e}");
            return Vec::new();
        }
    };
    for id in &rev.added {
        tracing::info!(plan = %id, root = %rev.default, "serving a plan added to the database");
    }
    for id in &rev.removed {
        tracing::info!(plan = %id, root = %rev.default, "no longer serving a plan removed from the database");
    }
    for (id, e) in &rev.failed {
        tracing::warn!(plan = %id, "a plan of the database cannot be served yet: {e}");
    }
    rev.added
}
