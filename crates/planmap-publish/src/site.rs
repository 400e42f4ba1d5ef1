//! The output folder and the web app in it: the same build the server embeds, its page told
//! by one `<meta name="planmap-config">` where the static site's config is.

use std::path::Path;

/// The static site's config, at the folder's root.
pub const CONFIG: &str = "config.json";

/// The tag the web app looks for: present, the app runs in static mode.
const META: &str = r#"<meta name="planmap-config" content="config.json">"#;

/// Writes a file, making its folder.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// An existing `out` must be a folder that is empty or an earlier publish: nothing else in it
/// is overwritten.
pub fn check_out(out: &Path) -> Result<(), String> {
    if !out.exists() {
        return std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()));
    }
    if !out.is_dir() {
        return Err(format!("{}: not a folder", out.display()));
    }
    let mut entries = std::fs::read_dir(out).map_err(|e| format!("{}: {e}", out.display()))?;
    if entries.next().is_none() {
        return Ok(());
    }
    let earlier = std::fs::read(out.join(CONFIG))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .is_some_and(|v| v["planmap"] == "static");
    if earlier {
        Ok(())
    } else {
        Err(format!(
            "{}: the folder holds files that are not a planmap publish (no {CONFIG}); \
             publish into an empty or new folder",
            out.display()
        ))
    }
}

/// `index.html` with the static-mode tag in its head.
pub fn with_meta(html: &str) -> Result<String, String> {
    if html.contains(META) {
        return Ok(html.to_string());
    }
    let at = html
        .find("</head>")
        .ok_or("the web app's index.html has no </head>")?;
    Ok(format!("{}{META}\n{}", &html[..at], &html[at..]))
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            walk(root, &path, out)?;
        } else {
            let name = path
                .strip_prefix(root)
                .map_err(|e| e.to_string())?
                .to_string_lossy()
                .replace('\\', "/");
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            out.push((name, bytes));
        }
    }
    Ok(())
}

/// Copies the web app (from `web`, else the binary's own) into `out`; returns the file count.
pub fn write_web(out: &Path, web: Option<&Path>) -> Result<usize, String> {
    let mut files = Vec::new();
    match web {
        Some(dir) => walk(dir, dir, &mut files)?,
        None => {
            files = planmap_server::routes::assets::built_in_files()
                .map(|(n, d)| (n, d.into_owned()))
                .collect()
        }
    }
    if !files.iter().any(|(n, _)| n == "index.html") {
        return Err(match web {
            Some(dir) => format!(
                "{}: no index.html (a built web app: make web)",
                dir.display()
            ),
            None => planmap_server::routes::assets::NO_WEB_APP.to_string(),
        });
    }
    let n = files.len();
    for (name, bytes) in files {
        let bytes = if name == "index.html" {
            let html = String::from_utf8(bytes).map_err(|_| "index.html is not UTF-8")?;
            with_meta(&html)?.into_bytes()
        } else {
            bytes
        };
        write(&out.join(&name), &bytes)?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_goes_in_the_head_once() {
        let page = "<html><head><title>x</title></head><body></body></html>";
        let once = with_meta(page).unwrap();
        assert_eq!(once.matches("planmap-config").count(), 1);
        assert!(once.find(META).unwrap() < once.find("</head>").unwrap());
        assert_eq!(with_meta(&once).unwrap(), once);
        assert!(with_meta("<p>no head</p>").is_err());
    }

    #[test]
    fn a_folder_of_other_files_is_refused() {
        let d = tempfile::tempdir().unwrap();
        check_out(d.path()).expect("empty is fine");
        std::fs::write(d.path().join("notes.txt"), "mine").unwrap();
        let e = check_out(d.path()).unwrap_err();
        assert!(e.contains("not a planmap publish"), "{e}");
        std::fs::write(d.path().join(CONFIG), r#"{"planmap":"static"}"#).unwrap();
        check_out(d.path()).expect("an earlier publish is replaced");
    }
}
