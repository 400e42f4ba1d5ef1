//! What `planmap db prune` and `planmap db status` print.

use planmap_pg::{LayerStatus, Pruned, Status};

/// `1–3`, `2, 5`: versions, ranges joined.
fn versions(v: &[i32]) -> String {
    let mut runs: Vec<(i32, i32)> = Vec::new();
    for &x in v {
        match runs.last_mut() {
            Some((_, hi)) if *hi + 1 == x => *hi = x,
            _ => runs.push((x, x)),
        }
    }
    runs.iter()
        .map(|&(lo, hi)| match lo == hi {
            true => lo.to_string(),
            false => format!("{lo}–{hi}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub(crate) fn prune(pruned: &[Pruned], keep: u32, dry: bool) -> String {
    let verb = if dry { "would remove" } else { "removed" };
    if pruned.is_empty() {
        return format!("nothing to remove: no layer has more than {keep} version(s)");
    }
    let n: usize = pruned.iter().map(|p| p.versions.len()).sum();
    let features: i64 = pruned.iter().map(|p| p.features).sum();
    let mut out = format!(
        "{verb} {} ({}) of {}, keeping {keep} a layer",
        plural(n as i64, "old version", "old versions"),
        plural(features, "feature", "features"),
        plural(pruned.len() as i64, "layer", "layers"),
    );
    for p in pruned {
        out.push_str(&format!(
            "\n  plan '{}', layer '{}': versions {} ({})",
            p.plan,
            p.layer,
            versions(&p.versions),
            plural(p.features, "feature", "features")
        ));
    }
    if dry {
        out.push_str("\n(dry run: nothing was removed)");
    }
    out
}

pub(crate) fn status(s: &Status) -> String {
    let mut out = format!(
        "schema version {}; {}; check history: {}; features table {:.1} MB",
        s.schema_version,
        plural(s.plans.len() as i64, "plan", "plans"),
        plural(s.checks, "record", "records"),
        s.feature_bytes as f64 / 1e6
    );
    for p in &s.plans {
        out.push_str(&format!("\nplan '{}'", p.id));
        for l in &p.layers {
            out.push_str("\n  ");
            out.push_str(&match l {
                LayerStatus::Stored {
                    id,
                    current,
                    features,
                    edits,
                    versions: kept,
                    kept_features,
                } => {
                    let served = match current {
                        Some(v) => format!("version {v}"),
                        None => "no version served".into(),
                    };
                    let edited = match edits {
                        0 => String::new(),
                        e => format!(", {} by SQL", plural(i64::from(*e), "edit", "edits")),
                    };
                    format!(
                        "{id}: {served} ({}{edited}); versions kept {} ({})",
                        plural(i64::from(*features), "feature", "features"),
                        versions(kept),
                        plural(*kept_features, "feature", "features")
                    )
                }
                LayerStatus::Table { id, table, changes } => format!(
                    "{id}: the keeper's table {table} ({} since loaded)",
                    plural(*changes, "change", "changes")
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::versions;

    #[test]
    fn versions_are_written_as_runs() {
        assert_eq!(versions(&[]), "");
        assert_eq!(versions(&[3]), "3");
        assert_eq!(versions(&[1, 2, 3, 5, 7, 8]), "1–3, 5, 7–8");
    }
}
