//! A plan folder on disk: `plan.toml`, the indicator CSV and one GeoJSON file a layer.

use std::path::{Path, PathBuf};

use planmap_core::plan::Indicator;
use planmap_core::{Feature, LayerStore, Plan};

use crate::error::IoError;
use crate::layer_file;
use crate::versions::{self, LayerFiles, Written};

/// The plan folders of `data`, and whether it is one: itself when it holds a `plan.toml`,
/// else (a catalog) every immediate subfolder (symlinks followed) that holds one, in name
/// order. Neither is an error naming the folder.
pub fn plan_folders(data: &Path) -> Result<(bool, Vec<PathBuf>), String> {
    if data.join("plan.toml").is_file() {
        return Ok((true, vec![data.to_path_buf()]));
    }
    let rd = std::fs::read_dir(data).map_err(|e| format!("{}: {e}", data.display()))?;
    let mut dirs: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join("plan.toml").is_file())
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        return Err(format!(
            "{}: no plan.toml here nor in any of its folders: not a plan folder or a catalog",
            data.display()
        ));
    }
    Ok((false, dirs))
}

/// A plan stored as files in a folder (`data/wenshui`).
#[derive(Debug, Clone)]
pub struct PlanDir {
    root: PathBuf,
    plan: Plan,
}

fn read(path: &Path) -> Result<String, IoError> {
    std::fs::read_to_string(path).map_err(|source| IoError::Read {
        path: path.display().to_string(),
        source,
    })
}

impl PlanDir {
    /// Opens a plan folder and reads its manifest.
    pub fn open(root: impl Into<PathBuf>) -> Result<PlanDir, IoError> {
        let root = root.into();
        let manifest = root.join("plan.toml");
        let plan = parse_manifest(&read(&manifest)?, &manifest.display().to_string())?;
        Ok(PlanDir { root, plan })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file a layer ships in (its version 0); a layer kept in PostGIS
    /// (`[layers.postgis]`) has none: an error saying it needs `--db`.
    pub fn base_layer_path(&self, layer: &str) -> Result<PathBuf, IoError> {
        let def = self
            .plan
            .layer(layer)
            .ok_or_else(|| planmap_core::PlanError::UnknownLayer(layer.into()))?;
        if let Some(p) = &def.postgis {
            return Err(IoError::Invalid(format!(
                "layer '{layer}' is read from the PostGIS table {}: it needs --db \
                 (planmap db load this folder, then use --db)",
                p.table
            )));
        }
        let rel = def
            .file
            .clone()
            .unwrap_or_else(|| format!("layers/{}.geojson", def.id));
        Ok(self.root.join(rel))
    }

    /// The file a layer is served from: the version its pointer file names (written by an
    /// import, see [`crate::versions`]), else the file it ships in.
    pub fn layer_path(&self, layer: &str) -> Result<PathBuf, IoError> {
        let base = self.base_layer_path(layer)?;
        versions::current(&base, layer)
    }

    /// The version a layer is served at: 0 for the file it ships in, N for `<id>.vN.geojson`.
    pub fn layer_version_number(&self, layer: &str) -> Result<u32, IoError> {
        let base = self.base_layer_path(layer)?;
        LayerFiles { base: &base, layer }.version_number()
    }

    /// Writes a new version of a layer with `write` and switches to it once it is complete
    /// and on disk ([`versions`]). If `write` fails, or the process dies at any point, the
    /// layer served stays the old one.
    pub fn write_layer_version(
        &self,
        layer: &str,
        write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> Result<Written, IoError> {
        let base = self.base_layer_path(layer)?;
        LayerFiles { base: &base, layer }.write_version(write)
    }

    /// Points a layer at version `n` (0: the file it ships in), atomically.
    pub fn switch_layer(&self, layer: &str, n: u32) -> Result<(), IoError> {
        let base = self.base_layer_path(layer)?;
        LayerFiles { base: &base, layer }.switch(n)
    }

    /// The plan's indicator table.
    pub fn indicators(&self) -> Result<Vec<Indicator>, IoError> {
        let Some(rel) = &self.plan.indicators else {
            return Ok(vec![]);
        };
        let path = self.root.join(rel);
        parse_indicators(&read(&path)?)
            .map_err(|e| IoError::format(path.display().to_string(), e.to_string()))
    }
}

/// A plan manifest's text (`plan.toml`, or the same text kept elsewhere) read and validated;
/// errors name it as `name`.
pub fn parse_manifest(text: &str, name: &str) -> Result<Plan, IoError> {
    let plan: Plan =
        toml::from_str(text).map_err(|e| IoError::format(name, e.message().to_string()))?;
    plan.validate()
        .map_err(|e| IoError::format(name, e.to_string()))?;
    Ok(plan)
}

/// Parses the indicator CSV (header: category,no,indicator,unit,baseline_2023,target_2027,
/// target_2035,binding).
pub fn parse_indicators(text: &str) -> Result<Vec<Indicator>, IndicatorError> {
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    rdr.deserialize()
        .enumerate()
        .map(|(i, r)| {
            r.map_err(|e| IndicatorError {
                row: i + 2,
                message: e.to_string(),
            })
        })
        .collect()
}

/// A row of the indicator CSV that does not read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("row {row}: {message}")]
pub struct IndicatorError {
    /// The row's line number (the header is row 1).
    pub row: usize,
    pub message: String,
}

impl LayerStore for PlanDir {
    type Error = IoError;

    fn plan(&self) -> Result<Plan, IoError> {
        Ok(self.plan.clone())
    }

    fn features(&self, layer: &str) -> Result<Vec<Feature>, IoError> {
        let path = self.layer_path(layer)?;
        let text = read(&path)?;
        layer_file::read_features(&text, layer)
            .map_err(|e| IoError::format(path.display().to_string(), e.to_string()))
    }

    /// A hash of the layer file's bytes: the same data gives the same version on any machine.
    /// Read in blocks: the file is never held whole beside the features loaded from it.
    fn version(&self, layer: &str) -> Result<String, IoError> {
        use std::io::Read;
        let path = self.layer_path(layer)?;
        let err = |source| IoError::Read {
            path: path.display().to_string(),
            source,
        };
        let mut file = std::fs::File::open(&path).map_err(err)?;
        let mut block = vec![0u8; 1 << 16];
        let mut h = FNV_OFFSET;
        loop {
            let n = match file.read(&mut block) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(err(e)),
            };
            h = fnv1a_from(h, &block[..n]);
        }
        Ok(format!("{h:016x}"))
    }
}

pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// 64-bit FNV-1a.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    fnv1a_from(FNV_OFFSET, bytes)
}

/// FNV-1a continued from the hash `h` of the bytes before.
pub fn fnv1a_from(h: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(h, |h, &b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}
