//! Where the plan folder is when `--data` (or `PLANMAP_DATA`) does not say: a checkout's
//! `data/wenshui` under the working directory, else the user's data folder
//! (`$XDG_DATA_HOME/planmap/plan`, by default `~/.local/share/planmap/plan`), else the
//! system's (`planmap/plan` under each of `$XDG_DATA_DIRS`, by default `/usr/local/share` and
//! `/usr/share`). A folder counts when it holds a `plan.toml`.

use std::path::{Path, PathBuf};

/// The plan folder under a data folder (`…/share/planmap/plan`).
const UNDER_DATA_DIR: &str = "planmap/plan";

/// The folders looked at, in order, from the working directory and the environment.
fn candidates(var: impl Fn(&str) -> Option<String>) -> Vec<PathBuf> {
    let set = |k: &str| var(k).filter(|v| !v.is_empty());
    let mut out = vec![PathBuf::from("data/wenshui")];
    let user = set("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| set("HOME").map(|h| Path::new(&h).join(".local/share")));
    out.extend(user.map(|d| d.join(UNDER_DATA_DIR)));
    let system = set("XDG_DATA_DIRS").unwrap_or_else(|| "/usr/local/share:/usr/share".into());
    out.extend(
        system
            .split(':')
            .filter(|d| !d.is_empty())
            .map(|d| Path::new(d).join(UNDER_DATA_DIR)),
    );
    out
}

/// The plan folder: `given`, else the first candidate holding a `plan.toml`, else an error
/// naming where it looked.
pub fn plan_folder(given: &Option<PathBuf>) -> Result<PathBuf, String> {
    if let Some(dir) = given {
        return Ok(dir.clone());
    }
    let looked = candidates(|k| std::env::var(k).ok());
    if let Some(dir) = looked.iter().find(|d| d.join("plan.toml").is_file()) {
        return Ok(dir.clone());
    }
    let list: Vec<String> = looked.iter().map(|d| d.display().to_string()).collect();
    Err(format!(
        "no plan folder: give --data DIR or set PLANMAP_DATA (no plan.toml in {})",
        list.join(", ")
    ))
}

/// An error when `dir` is a catalog (no `plan.toml`, but plan folders in it): the commands
/// other than `check SITE` and `serve` work on one plan, so it names them.
pub fn not_a_catalog(dir: &Path) -> Result<(), String> {
    let Ok((false, dirs)) = planmap_io::plan_dir::plan_folders(dir) else {
        return Ok(());
    };
    let plans: Vec<String> = dirs
        .iter()
        .filter_map(|d| d.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    let shown = plans.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    let more = if plans.len() > 5 { ", …" } else { "" };
    Err(format!(
        "{} is a catalog of {} plans ({shown}{more}): this command works on one plan, \
         pick a plan folder (e.g. --data {}); `planmap check SITE` (one site) and \
         `planmap serve` take the whole catalog",
        dir.display(),
        plans.len(),
        dirs[0].display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> Vec<PathBuf> {
        candidates(|k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn xdg_folders_in_order() {
        let c = with(&[
            ("XDG_DATA_HOME", "/x/data"),
            ("XDG_DATA_DIRS", "/a:/b"),
            ("HOME", "/home/u"),
        ]);
        let want = [
            "data/wenshui",
            "/x/data/planmap/plan",
            "/a/planmap/plan",
            "/b/planmap/plan",
        ];
        assert_eq!(c, want.map(PathBuf::from));
    }

    #[test]
    fn xdg_defaults() {
        let c = with(&[("HOME", "/home/u"), ("XDG_DATA_HOME", "")]);
        let want = [
            "data/wenshui",
            "/home/u/.local/share/planmap/plan",
            "/usr/local/share/planmap/plan",
            "/usr/share/planmap/plan",
        ];
        assert_eq!(c, want.map(PathBuf::from));
    }
}
