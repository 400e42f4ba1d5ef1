//! Conflict scan: every rule pair of the manifest, every overlapping feature pair.

use geo::MultiPolygon;
use rayon::prelude::*;
use serde::Serialize;

use crate::cancel::{Cancel, Cancelled};
use crate::engine::Engine;
use crate::overlay;
use crate::plan::Severity;
use crate::units::Area;

/// One overlap of two features that a rule forbids (or flags).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct Conflict {
    /// `red_line×farmland`
    pub rule: String,
    pub severity: Severity,
    pub reason: String,
    pub a_layer: String,
    pub a_id: String,
    pub a_name: String,
    pub b_layer: String,
    pub b_id: String,
    pub b_name: String,
    pub area_m2: f64,
    pub area_ha: f64,
    pub area_mu: f64,
    #[serde(skip)]
    pub geometry: MultiPolygon<f64>,
}

/// Totals of one rule.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct RuleSummary {
    pub rule: String,
    pub a: String,
    pub b: String,
    pub severity: Severity,
    pub reason: String,
    pub count: usize,
    pub area_m2: f64,
    pub area_mu: f64,
    pub sliver_count: usize,
    pub sliver_area_m2: f64,
}

/// The result of a scan: conflicts beyond the sliver tolerance, and slivers apart.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct ConflictScan {
    pub sliver_tolerance_m2: f64,
    pub summary: Vec<RuleSummary>,
    pub conflicts: Vec<Conflict>,
    pub slivers: Vec<Conflict>,
}

impl Engine {
    /// Scans every rule of the plan: every pair of features of a rule's two layers that
    /// overlap. Uses all cores.
    ///
    /// # Units
    ///
    /// Areas in m² (公顷 and 亩 beside them), geodesic on the WGS84 ellipsoid.
    ///
    /// # Assumptions
    ///
    /// Rules name polygon layers (checked when the plan loads). Overlaps under the plan's
    /// `sliver_tolerance_m2` are listed apart as slivers; sharing only an edge or a point is
    /// no overlap.
    pub fn conflicts(&self) -> ConflictScan {
        match self.conflicts_cancellable(&Cancel::new()) {
            Ok(scan) => scan,
            Err(Cancelled) => unreachable!("a flag nobody else holds is never set"),
        }
    }

    /// [`Engine::conflicts`], stopped soon after `cancel` is set: every worker reads it before
    /// each feature's candidates and each pair's overlay.
    pub fn conflicts_cancellable(&self, cancel: &Cancel) -> Result<ConflictScan, Cancelled> {
        let tol = self.plan.sliver_tolerance_m2;
        let mut summary = Vec::new();
        let mut conflicts = Vec::new();
        let mut slivers = Vec::new();
        for rule in &self.plan.rules {
            let (Some(ai), Some(bi)) = (self.layer_index(&rule.a), self.layer_index(&rule.b))
            else {
                continue; // validated at load: cannot happen
            };
            let (la, lb) = (&self.layers[ai], &self.layers[bi]);
            let key = rule.key();
            // Candidate pairs from the smaller layer's boxes into the larger layer's tree.
            let (small, big, swap) = if la.features.len() <= lb.features.len() {
                (la, bi, false)
            } else {
                (lb, ai, true)
            };
            let pairs: Vec<(usize, usize)> = (0..small.features.len())
                .into_par_iter()
                .flat_map_iter(|s| {
                    let c = match small.bboxes[s] {
                        Some(bb) if !cancel.is_cancelled() => self.candidates(big, &bb),
                        _ => vec![],
                    };
                    c.into_iter()
                        .map(move |b| if swap { (b, s) } else { (s, b) })
                })
                .collect();
            cancel.check()?;
            let mut found: Vec<Conflict> = pairs
                .into_par_iter()
                .filter(|&(fa, fb)| !(ai == bi && fb <= fa))
                .filter_map(|(fa, fb)| {
                    if cancel.is_cancelled() {
                        return None;
                    }
                    let (a, b) = (&la.features[fa], &lb.features[fb]);
                    let piece = overlay::overlap_measured(&la.measured(fa)?, &lb.measured(fb)?)?;
                    let area = Area::from_m2(piece.area_m2);
                    Some(Conflict {
                        rule: key.clone(),
                        severity: rule.severity,
                        reason: rule.reason.clone(),
                        a_layer: rule.a.clone(),
                        a_id: a.id.clone(),
                        a_name: a.name().to_string(),
                        b_layer: rule.b.clone(),
                        b_id: b.id.clone(),
                        b_name: b.name().to_string(),
                        area_m2: area.m2(),
                        area_ha: area.ha(),
                        area_mu: area.mu(),
                        geometry: piece.geometry,
                    })
                })
                .collect();
            cancel.check()?;
            found.sort_by(|x, y| (&x.a_id, &x.b_id).cmp(&(&y.a_id, &y.b_id)));
            let (big, small): (Vec<_>, Vec<_>) = found.into_iter().partition(|c| c.area_m2 > tol);
            let area: f64 = big.iter().map(|c| c.area_m2).sum::<f64>() + 0.0; // no -0.0
            summary.push(RuleSummary {
                rule: key,
                a: rule.a.clone(),
                b: rule.b.clone(),
                severity: rule.severity,
                reason: rule.reason.clone(),
                count: big.len(),
                area_m2: area,
                area_mu: Area::from_m2(area).mu(),
                sliver_count: small.len(),
                sliver_area_m2: small.iter().map(|c| c.area_m2).sum::<f64>() + 0.0,
            });
            conflicts.extend(big);
            slivers.extend(small);
        }
        Ok(ConflictScan {
            sliver_tolerance_m2: tol,
            summary,
            conflicts,
            slivers,
        })
    }
}
