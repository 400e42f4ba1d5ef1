//! The plans of a catalog: each one's source (folder or database), what is known of it without loading it (its
//! [`Summary`]), its [`Slot`], and the catalog's budget over them.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwap;
use geo::MultiPolygon;
use planmap_core::across::{county_shape, Outline};
use planmap_core::plan::Basemap;
use planmap_core::Plan;
use planmap_io::plan_dir::plan_folders;

use super::slot::Slot;
use super::source::{load_snapshot, PlanSource, Read};
use crate::snapshot::Snapshot;

/// What is known of a plan without loading it.
#[derive(Debug, Clone)]
pub struct Summary {
    pub name: String,
    pub county: String,
    pub adcode: String,
    pub layers: usize,
    pub version: String,
    /// The county outline (the layer with the county role); empty when it has none.
    pub outline: Arc<Outline>,
    /// The outline simplified for an overview map (about 50 m).
    pub overview: MultiPolygon<f64>,
    /// The outline's geodesic area, km².
    pub area_km2: f64,
    /// `scheme://host[:port]` of the manifest's basemap tiles, when it draws one.
    pub basemap_origin: Option<String>,
}

/// One plan of the catalog.
pub struct PlanEntry {
    pub id: String,
    pub source: PlanSource,
    summary: ArcSwap<Summary>,
    pub slot: Slot,
}

impl PlanEntry {
    pub(super) fn new(id: String, source: PlanSource, summary: Summary) -> Arc<PlanEntry> {
        Arc::new(PlanEntry {
            id,
            source,
            summary: ArcSwap::from_pointee(summary),
            slot: Slot::default(),
        })
    }

    pub fn summary(&self) -> Arc<Summary> {
        self.summary.load_full()
    }

    /// Reads the manifest and the county outline again (after a change of its data); call
    /// it on a blocking thread.
    pub fn refresh(&self) -> Result<(), String> {
        let s = summarize(&self.source, &self.id)?.1;
        self.summary.store(Arc::new(s));
        Ok(())
    }

    /// `/plans/{id}`: the prefix of the plan's own URLs.
    pub fn prefix(&self) -> String {
        format!("/plans/{}", self.id)
    }

    /// How errors name where the plan comes from.
    pub fn describe(&self) -> String {
        self.source.describe(&self.id)
    }
}

/// Reads a plan's manifest, county outline and data version (`id`: the plan's id in a
/// database; a folder's manifest names its own).
pub(super) fn summarize(source: &PlanSource, id: &str) -> Result<(Plan, Summary), String> {
    let pd = source.read_summary(id)?;
    let plan = pd.plan()?;
    let shape = county_shape(&plan, |layer| pd.features(layer))?;
    let version = data_version(&pd, &plan)?;
    let summary = Summary {
        name: plan.name.clone(),
        county: plan.county.clone(),
        adcode: plan.adcode.clone(),
        layers: plan.layers.len(),
        version,
        overview: geo::Simplify::simplify(&shape, 0.0005),
        outline: Arc::new(Outline::new(shape)),
        area_km2: 0.0,
        basemap_origin: plan
            .basemap
            .as_ref()
            .and_then(|b| b.origin())
            .map(str::to_string),
    };
    let summary = Summary {
        area_km2: summary.outline.area_m2() / 1e6,
        ..summary
    };
    Ok((plan, summary))
}

/// The data version of a plan as read (what its engine's `data_version` will be).
fn data_version(pd: &Read, plan: &Plan) -> Result<String, String> {
    let mut versions = Vec::with_capacity(plan.layers.len());
    for l in &plan.layers {
        versions.push(pd.version(&l.id)?);
    }
    Ok(planmap_core::check::data_version_of(
        &plan.id,
        plan.layers
            .iter()
            .zip(&versions)
            .map(|(l, v)| (l.id.as_str(), v.as_str())),
    ))
}

impl PlanEntry {
    /// The plan's data version in its source now, read cheaply (the manifest and each
    /// layer's version, no features); call it on a blocking thread.
    pub fn source_version(&self) -> Result<String, String> {
        let pd = self.source.read_versions(&self.id)?;
        data_version(&pd, &pd.plan()?)
    }
}

/// The plans of a server.
pub struct Catalog {
    /// The plans served now; swapped whole when the database's list of plans changes
    /// ([`super::live`]), so a request reads one consistent list.
    pub(super) plans: ArcSwap<Plans>,
    /// The plan the root URLs mean while it is served (`--default-plan`, else the first at
    /// the start); while it is not, the first plan served.
    pub(super) default_id: String,
    /// Whether `--data` named one plan folder (not a folder of plan folders).
    single: bool,
    /// The store whose list of plans the catalog follows (`serve --db` without `--data`).
    pub(super) db: Option<planmap_pg::Db>,
    pub tile_cache_bytes: u64,
    pub max_memory: Option<u64>,
    /// `--basemap`: in place of every manifest's.
    pub basemap: Option<Basemap>,
}

/// The plans served at one moment, in id order (never none), and the one the root URLs
/// mean.
pub struct Plans {
    all: Vec<Arc<PlanEntry>>,
    default: usize,
}

impl std::ops::Deref for Plans {
    type Target = [Arc<PlanEntry>];

    fn deref(&self) -> &Self::Target {
        &self.all
    }
}

impl Plans {
    /// The plans `all` (in id order, not empty): the default is `default_id`, else the
    /// first.
    pub(super) fn new(all: Vec<Arc<PlanEntry>>, default_id: &str) -> Plans {
        let default = all.iter().position(|p| p.id == default_id).unwrap_or(0);
        Plans { all, default }
    }

    pub fn default_plan(&self) -> &Arc<PlanEntry> {
        &self.all[self.default]
    }

    pub fn find(&self, id: &str) -> Option<&Arc<PlanEntry>> {
        self.all
            .binary_search_by(|p| p.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.all[i])
    }
}

impl Catalog {
    /// Finds and summarizes the plans of `data`; `default` names the default plan (else the
    /// only plan, else the first id in sort order). Errors name the folder at fault.
    pub fn open(
        data: &Path,
        default: Option<&str>,
        tile_cache_bytes: u64,
        max_memory: Option<u64>,
        basemap: Option<Basemap>,
    ) -> Result<Catalog, String> {
        let (single, dirs) = plan_folders(data)?;
        let mut found = Vec::with_capacity(dirs.len());
        for dir in dirs {
            let source = PlanSource::Folder(dir);
            let (plan, summary) =
                summarize(&source, "").map_err(|e| format!("{}: {e}", source.describe("")))?;
            found.push((plan.id, source, summary));
        }
        let mut catalog = Catalog::of(found, default, &data.display().to_string())?;
        catalog.single = single;
        catalog.tile_cache_bytes = tile_cache_bytes;
        catalog.max_memory = max_memory;
        catalog.basemap = basemap;
        Ok(catalog)
    }

    /// The plans of the PostgreSQL store (`serve --db` without `--data`); call it on a
    /// blocking thread of the runtime the pool runs on.
    pub fn open_db(
        db: &planmap_pg::Db,
        default: Option<&str>,
        tile_cache_bytes: u64,
        max_memory: Option<u64>,
        basemap: Option<Basemap>,
    ) -> Result<Catalog, String> {
        let ids = tokio::runtime::Handle::current()
            .block_on(db.plan_ids())
            .map_err(|e| e.to_string())?;
        if ids.is_empty() {
            return Err(format!(
                "PostgreSQL {} holds no plan: copy plan folders in with `planmap db load DIR --db …`",
                db.at()
            ));
        }
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            let source = PlanSource::Db(db.clone());
            let (_, summary) =
                summarize(&source, &id).map_err(|e| format!("{}: {e}", source.describe(&id)))?;
            found.push((id, source, summary));
        }
        let mut catalog = Catalog::of(found, default, &format!("PostgreSQL {}", db.at()))?;
        catalog.single = catalog.plans.load().len() == 1;
        catalog.db = Some(db.clone());
        catalog.tile_cache_bytes = tile_cache_bytes;
        catalog.max_memory = max_memory;
        catalog.basemap = basemap;
        Ok(catalog)
    }

    /// The catalog of the plans found (id, source, summary); a plan id found twice is
    /// refused, naming both sources. `whence` names where they were found.
    fn of(
        found: Vec<(String, PlanSource, Summary)>,
        default: Option<&str>,
        whence: &str,
    ) -> Result<Catalog, String> {
        let mut by_id: BTreeMap<String, Arc<PlanEntry>> = BTreeMap::new();
        for (id, source, summary) in found {
            if let Some(other) = by_id.get(&id) {
                return Err(format!(
                    "{} and {} both hold plan '{id}': a plan id may be served once",
                    other.describe(),
                    source.describe(&id),
                ));
            }
            by_id.insert(id.clone(), PlanEntry::new(id, source, summary));
        }
        let plans: Vec<Arc<PlanEntry>> = by_id.into_values().collect();
        let default = match default {
            None => 0,
            Some(id) => plans.iter().position(|p| p.id == id).ok_or_else(|| {
                format!(
                    "--default-plan '{id}' is not a plan of {whence} (known: {})",
                    known(&plans)
                )
            })?,
        };
        let Some(chosen) = plans.get(default) else {
            return Err(format!("{whence} holds no plan"));
        };
        let default_id = chosen.id.clone();
        Ok(Catalog {
            plans: ArcSwap::from_pointee(Plans::new(plans, &default_id)),
            default_id,
            single: false,
            db: None,
            tile_cache_bytes: 0,
            max_memory: None,
            basemap: None,
        })
    }

    /// The plans served now, in id order.
    pub fn plans(&self) -> Arc<Plans> {
        self.plans.load_full()
    }

    /// The plan the root URLs mean now.
    pub fn default_plan(&self) -> Arc<PlanEntry> {
        Arc::clone(self.plans.load().default_plan())
    }

    /// Whether the catalog is one plan folder.
    pub fn is_single(&self) -> bool {
        self.single
    }

    pub fn find(&self, id: &str) -> Option<Arc<PlanEntry>> {
        self.plans.load().find(id).cloned()
    }

    /// The plans whose county outline the site covers with positive area, with the geodesic
    /// area of the site's part in each (m²), in id order.
    pub fn counties_of(&self, site: &MultiPolygon<f64>) -> Vec<(Arc<PlanEntry>, f64)> {
        let plans = self.plans();
        let summaries: Vec<Arc<Summary>> = plans.iter().map(|p| p.summary()).collect();
        let outlines: Vec<&Outline> = summaries.iter().map(|s| &*s.outline).collect();
        planmap_core::across::site_parts(site, &outlines)
            .into_iter()
            .map(|(k, a)| (Arc::clone(&plans[k]), a))
            .collect()
    }
}

/// The ids of the plans, for error messages.
pub fn known(plans: &[Arc<PlanEntry>]) -> String {
    plans
        .iter()
        .map(|p| p.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Catalog {
    /// The plan's loaded snapshot, loading it first if needed (once, however many ask); then
    /// the budget is kept, by evicting the least recently used other plans.
    pub async fn loaded(&self, entry: &Arc<PlanEntry>) -> Result<Arc<Snapshot>, String> {
        let (source, tiles) = (entry.source.clone(), self.tile_cache_bytes);
        let (id, basemap) = (entry.id.clone(), self.basemap.clone());
        let (snap, fresh) = entry
            .slot
            .get_or_load(move || load_snapshot(&source, &id, tiles, basemap.as_ref()))
            .await
            .map_err(|e| format!("plan '{}' ({}): {e}", entry.id, entry.describe()))?;
        if fresh {
            tracing::info!(plan = %entry.id, bytes = snap.memory_bytes(), "loaded a plan");
        }
        self.keep_budget(&entry.id);
        Ok(snap)
    }

    /// Evicts the least recently used loaded plans other than `keep` while the loaded plans
    /// hold more than the budget (tile caches included). Does nothing without a budget.
    pub fn keep_budget(&self, keep: &str) {
        let Some(max) = self.max_memory else {
            return;
        };
        let plans = self.plans();
        loop {
            let loaded: Vec<(&Arc<PlanEntry>, u64)> = plans
                .iter()
                .filter_map(|p| p.slot.memory_bytes().map(|m| (p, m)))
                .collect();
            let total: u64 = loaded.iter().map(|(_, m)| m).sum();
            if total <= max {
                return;
            }
            let victim = loaded
                .iter()
                .filter(|(p, _)| p.id != keep)
                .min_by_key(|(p, _)| p.slot.last_used());
            let Some((victim, bytes)) = victim else {
                return;
            };
            if victim.slot.evict() {
                tracing::info!(plan = %victim.id, bytes, total, max, "evicted a plan");
            }
        }
    }
}
