//! The catalog of a `serve --db` replica (plans from the database, no `--data`) follows the
//! database's list of plans while serving: [`Catalog::follow_list`], called by
//! [`crate::follow`] on each notification and after each resync, reads the list of ids,
//! summarizes the plans it does not serve yet and swaps in the revised list whole, so a
//! request reads one consistent list. A request that already resolved a plan keeps it; a
//! removed plan's snapshot is dropped (a request holding it finishes on it). A catalog read
//! from folders (`--data`) is fixed.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::plans::{summarize, Catalog, PlanEntry, Plans};
use super::source::PlanSource;

/// What a revision of the catalog did.
#[derive(Debug, Default, PartialEq)]
pub struct Revision {
    /// The plans now served that were not, in id order.
    pub added: Vec<String>,
    /// The plans no longer served, in id order.
    pub removed: Vec<String>,
    /// Plans of the database that could not be summarized (not served; tried again at the
    /// next notification), with why.
    pub failed: Vec<(String, String)>,
    /// The plan the root URLs mean after the revision.
    pub default: String,
}

impl Plans {
    /// The plans once the database lists `ids`: those it no longer lists dropped, `added`
    /// (plans it lists that were not served) put in, in id order; the default is
    /// `default_id` when served, else the first. `None` when nothing changes, or when no
    /// plan would remain (a catalog is never empty: while the database lists no plan
    /// that can be served, the plans served stay).
    pub(super) fn revised(
        &self,
        ids: &BTreeSet<String>,
        added: &[Arc<PlanEntry>],
        default_id: &str,
    ) -> Option<Plans> {
        let kept = self.iter().filter(|p| ids.contains(&p.id));
        let new = added
            .iter()
            .filter(|p| ids.contains(&p.id) && self.find(&p.id).is_none());
        let mut all: Vec<Arc<PlanEntry>> = kept.chain(new).cloned().collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all.dedup_by(|a, b| a.id == b.id);
        let same =
            all.len() == self.len() && all.iter().zip(self.iter()).all(|(a, b)| Arc::ptr_eq(a, b));
        if all.is_empty() || same {
            return None;
        }
        Some(Plans::new(all, default_id))
    }
}

impl Catalog {
    /// Follows the database's list of plans (a catalog opened with
    /// [`Catalog::open_db`]; any other is fixed and this does nothing): plans added to the
    /// database are summarized (on a blocking thread) and served, plans removed from it are
    /// no longer served. Call it on the runtime the pool runs on.
    pub async fn follow_list(&self) -> Result<Revision, String> {
        let Some(db) = self.db.clone() else {
            return Ok(Revision::default());
        };
        let ids: BTreeSet<String> = db
            .plan_ids()
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .collect();
        let before = self.plans();
        let new: Vec<String> = ids
            .iter()
            .filter(|id| before.find(id).is_none())
            .cloned()
            .collect();
        let gone = before.iter().any(|p| !ids.contains(&p.id));
        if new.is_empty() && !gone {
            return Ok(Revision::default());
        }
        let summarized = tokio::task::spawn_blocking(move || {
            new.into_iter()
                .map(|id| {
                    let source = PlanSource::Db(db.clone());
                    let summary = summarize(&source, &id).map(|(_, s)| s);
                    (id, source, summary)
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| e.to_string())?;
        let mut added = Vec::new();
        let mut failed = Vec::new();
        for (id, source, summary) in summarized {
            match summary {
                Ok(s) => added.push(PlanEntry::new(id, source, s)),
                Err(e) => failed.push((id, e)),
            }
        }
        let default_id = self.default_id.as_str();
        let prev = self
            .plans
            .rcu(|cur| match cur.revised(&ids, &added, default_id) {
                Some(next) => Arc::new(next),
                None => Arc::clone(cur),
            });
        let now = self.plans();
        let served =
            |p: &Arc<PlanEntry>, list: &Plans| list.find(&p.id).is_some_and(|q| Arc::ptr_eq(p, q));
        let removed: Vec<String> = prev
            .iter()
            .filter(|p| !served(p, &now))
            .map(|p| {
                // Requests holding its snapshot finish on it; the memory goes with them.
                p.slot.evict();
                p.id.clone()
            })
            .collect();
        let added = now
            .iter()
            .filter(|p| !served(p, &prev))
            .map(|p| p.id.clone())
            .collect();
        Ok(Revision {
            added,
            removed,
            failed,
            default: now.default_plan().id.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::plans::Summary;
    use planmap_core::across::Outline;

    fn entry(id: &str) -> Arc<PlanEntry> {
        let summary = Summary {
            name: id.into(),
            county: id.into(),
            adcode: String::new(),
            layers: 0,
            version: "v1".into(),
            outline: Arc::new(Outline::new(geo::MultiPolygon(vec![]))),
            overview: geo::MultiPolygon(vec![]),
            area_km2: 0.0,
            basemap_origin: None,
        };
        PlanEntry::new(id.into(), PlanSource::Folder(id.into()), summary)
    }

    fn ids(of: &[&str]) -> BTreeSet<String> {
        of.iter().map(|s| s.to_string()).collect()
    }

    fn names(p: &Plans) -> Vec<&str> {
        p.iter().map(|p| p.id.as_str()).collect()
    }

    #[test]
    fn a_revision_adds_and_drops_plans_keeps_the_served_ones_and_moves_the_default_only_when_it_goes(
    ) {
        let (a, b, c) = (entry("a"), entry("b"), entry("c"));
        let start = Plans::new(vec![Arc::clone(&b), Arc::clone(&c)], "c");
        assert_eq!(start.default_plan().id, "c");
        // Nothing changed: no revision; a plan listed again is not replaced.
        assert!(start.revised(&ids(&["b", "c"]), &[], "c").is_none());
        assert!(start
            .revised(&ids(&["b", "c"]), &[entry("b")], "c")
            .is_none());
        // "a" added (sorting first): the root URLs still mean "c"; "b" and "c" are the
        // same entries (their loaded snapshots and caches kept).
        let next = start
            .revised(&ids(&["a", "b", "c"]), &[Arc::clone(&a)], "c")
            .unwrap();
        assert_eq!(names(&next), ["a", "b", "c"]);
        assert_eq!(next.default_plan().id, "c");
        assert!(Arc::ptr_eq(next.find("b").unwrap(), &b));
        assert!(next.find("zz").is_none());
        // The default deleted: the first remaining plan is the default, until it returns.
        let without = next.revised(&ids(&["a", "b"]), &[], "c").unwrap();
        assert_eq!(
            (names(&without), &*without.default_plan().id),
            (vec!["a", "b"], "a")
        );
        assert!(without.find("c").is_none());
        let back = without
            .revised(&ids(&["a", "b", "c"]), &[entry("c")], "c")
            .unwrap();
        assert_eq!(back.default_plan().id, "c");
        // An entry of a plan the list does not name is not added.
        assert!(without
            .revised(&ids(&["a", "b"]), &[entry("d")], "c")
            .is_none());
        // Every plan deleted: the catalog stays as it was (never empty).
        assert!(without.revised(&ids(&[]), &[], "c").is_none());
        // Everything replaced at once.
        let d = entry("d");
        let swapped = without.revised(&ids(&["d"]), &[d], "c").unwrap();
        assert_eq!(
            (names(&swapped), &*swapped.default_plan().id),
            (vec!["d"], "d")
        );
    }
}
