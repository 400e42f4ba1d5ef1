//! Versioned layer files and the atomic switch between them.
//!
//! A layer ships as `layers/<id>.geojson` (version 0). An import writes version N beside it:
//! first to a hidden partial file, flushed and fsynced, then linked to `<id>.vN.geojson`; only
//! then is the pointer file `<id>.current` (holding that file name) replaced, by writing a
//! temporary file and renaming it over the pointer — an atomic step on POSIX file systems.
//! Readers resolve the pointer, then read a file that is never modified once named, so a
//! crash or `kill -9` at any moment leaves either the old version served or the new one
//! complete. The last [`KEEP`] numbered versions are kept for going back.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::IoError;

/// Numbered versions kept on disk per layer (the current one included).
pub const KEEP: usize = 3;

fn io_err(path: &Path, source: io::Error) -> IoError {
    IoError::Read {
        path: path.display().to_string(),
        source,
    }
}

fn pointer_path(base: &Path, layer: &str) -> PathBuf {
    base.with_file_name(format!("{layer}.current"))
}

/// One layer's files: the one it ships in (version 0) and the numbered versions beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerFiles<'a> {
    /// The file the layer ships in (`layers/<id>.geojson`).
    pub base: &'a Path,
    pub layer: &'a str,
}

/// The file a layer is served from, given the file it ships in.
pub fn current(base: &Path, layer: &str) -> Result<PathBuf, IoError> {
    let ptr = pointer_path(base, layer);
    match fs::read_to_string(&ptr) {
        Ok(text) => {
            let name = text.trim();
            let plain = !name.is_empty()
                && !name.contains(['/', '\\'])
                && name != ".."
                && name.starts_with(layer);
            if !plain {
                return Err(IoError::format(
                    ptr.display().to_string(),
                    format!("names '{name}', not a version file of layer '{layer}'"),
                ));
            }
            Ok(base.with_file_name(name))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(base.to_path_buf()),
        Err(e) => Err(io_err(&ptr, e)),
    }
}

/// The version number in a file name `<layer>.vN.geojson`.
fn version_of(name: &str, layer: &str) -> Option<u32> {
    name.strip_prefix(layer)?
        .strip_prefix(".v")?
        .strip_suffix(".geojson")?
        .parse()
        .ok()
}

fn numbered(dir: &Path, layer: &str) -> Result<Vec<u32>, IoError> {
    let mut v: Vec<u32> = fs::read_dir(dir)
        .map_err(|e| io_err(dir, e))?
        .filter_map(|e| e.ok())
        .filter_map(|e| version_of(&e.file_name().to_string_lossy(), layer))
        .collect();
    v.sort_unstable();
    Ok(v)
}

fn sync_dir(dir: &Path) -> Result<(), IoError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_err(dir, e))
}

/// Whether a process of this id is alive (Linux: `/proc/<pid>`); elsewhere assumed alive.
fn alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

/// Removes partial files of `layer` left by imports that died.
fn clean_partials(dir: &Path, layer: &str) {
    let prefix = format!(".{layer}.v");
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let dead = name.starts_with(&prefix)
            && name
                .rsplit_once(".partial-")
                .and_then(|(_, pid)| pid.parse::<u32>().ok())
                .is_some_and(|pid| !alive(pid));
        if dead {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// A layer version written and switched to.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub version: u32,
    pub path: PathBuf,
    pub bytes: u64,
}

impl LayerFiles<'_> {
    /// The version the layer is served at: 0 for the file it ships in, N for `<id>.vN.geojson`.
    pub fn version_number(&self) -> Result<u32, IoError> {
        let p = current(self.base, self.layer)?;
        let name = p.file_name().map(|n| n.to_string_lossy().to_string());
        Ok(name.and_then(|n| version_of(&n, self.layer)).unwrap_or(0))
    }

    fn dir(&self) -> PathBuf {
        self.base.parent().unwrap_or(Path::new(".")).to_path_buf()
    }

    /// Writes a new version of a layer with `write` and switches to it once it is complete
    /// and on disk. If `write` fails, or the process dies at any point, the layer served
    /// stays the old one.
    pub fn write_version(
        &self,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<Written, IoError> {
        let layer = self.layer;
        let dir = self.dir();
        fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
        clean_partials(&dir, layer);
        let mut n = numbered(&dir, layer)?.last().copied().unwrap_or(0) + 1;
        let pid = std::process::id();
        let partial = dir.join(format!(".{layer}.v{n}.geojson.partial-{pid}"));
        let file = File::create(&partial).map_err(|e| io_err(&partial, e))?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        let done = write(&mut w)
            .and_then(|_| w.flush())
            .and_then(|_| w.get_ref().sync_all())
            .and_then(|_| w.get_ref().metadata());
        let meta = match done {
            Ok(m) => m,
            Err(e) => {
                let _ = fs::remove_file(&partial);
                return Err(io_err(&partial, e));
            }
        };
        drop(w);
        // Name it without ever replacing a version another import may have named meanwhile.
        let path = loop {
            let target = dir.join(format!("{layer}.v{n}.geojson"));
            match fs::hard_link(&partial, &target) {
                Ok(()) => break target,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => n += 1,
                Err(e) => {
                    let _ = fs::remove_file(&partial);
                    return Err(io_err(&target, e));
                }
            }
        };
        let _ = fs::remove_file(&partial);
        sync_dir(&dir)?;
        self.switch(n)?;
        self.prune()?;
        Ok(Written {
            version: n,
            path,
            bytes: meta.len(),
        })
    }

    /// Points a layer at version `n` (0: the file it ships in), atomically.
    pub fn switch(&self, n: u32) -> Result<(), IoError> {
        let layer = self.layer;
        let dir = self.dir();
        let ptr = pointer_path(self.base, layer);
        if n == 0 {
            match fs::remove_file(&ptr) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(&ptr, e)),
            }
            return sync_dir(&dir);
        }
        let name = format!("{layer}.v{n}.geojson");
        if !dir.join(&name).is_file() {
            return Err(IoError::Invalid(format!(
                "layer '{layer}' has no version {n} ({name})"
            )));
        }
        let tmp = dir.join(format!(".{layer}.current.tmp-{}", std::process::id()));
        let written = File::create(&tmp).and_then(|mut f| {
            f.write_all(format!("{name}\n").as_bytes())?;
            f.sync_all()
        });
        if let Err(e) = written.and_then(|_| fs::rename(&tmp, &ptr)) {
            let _ = fs::remove_file(&tmp);
            return Err(io_err(&ptr, e));
        }
        sync_dir(&dir)
    }

    /// Removes numbered versions beyond the newest [`KEEP`], never the one served.
    fn prune(&self) -> Result<(), IoError> {
        let layer = self.layer;
        let dir = self.dir();
        let served = self.version_number()?;
        let all = numbered(&dir, layer)?;
        let old = all.len().saturating_sub(KEEP);
        for v in all.into_iter().take(old).filter(|v| *v != served) {
            let _ = fs::remove_file(dir.join(format!("{layer}.v{v}.geojson")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_names() {
        assert_eq!(version_of("farmland.v12.geojson", "farmland"), Some(12));
        assert_eq!(version_of("farmland.geojson", "farmland"), None);
        assert_eq!(version_of("farmland.v1.geojson.tmp", "farmland"), None);
    }
}
