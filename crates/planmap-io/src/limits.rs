//! Limits on what one upload may hold (`POST /api/check` with a file, `check -` on stdin), so
//! that a hostile file cannot exhaust the server: features per upload, and for a zip its entry
//! count and how far it may expand (zip bombs).
//!
//! An uploaded zip never reaches GDAL as it is: [`unpack_zip`] reads it here first, entry by
//! entry, trusting none of the sizes it declares, and GDAL gets the unpacked files. Files named
//! on the command line (`planmap import`, `planmap check FILE`) are the user's own and are read
//! without these limits.

use std::io::{Cursor, Read};

use serde::{Deserialize, Serialize};

use crate::error::ReadError;

const MIB: u64 = 1024 * 1024;

/// What one upload may hold. The defaults suit a site check: a site is a few parcels, a zipped
/// Shapefile a handful of files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UploadLimits {
    /// Features (parcels, placemarks, records) in one upload, in any format.
    pub max_features: usize,
    /// Entries (files and folders) in an uploaded zip.
    pub max_zip_entries: usize,
    /// Bytes one zip entry may expand to.
    pub max_zip_entry_bytes: u64,
    /// Bytes all of a zip's entries together may expand to.
    pub max_zip_expanded_bytes: u64,
}

impl Default for UploadLimits {
    fn default() -> Self {
        UploadLimits {
            max_features: 10_000,
            max_zip_entries: 1_000,
            max_zip_entry_bytes: 100 * MIB,
            max_zip_expanded_bytes: 200 * MIB,
        }
    }
}

fn size(bytes: u64) -> String {
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

impl UploadLimits {
    /// An error naming the count and the limit when an upload holds too many features.
    pub fn check_features(&self, count: usize) -> Result<(), ReadError> {
        if count > self.max_features {
            return Err(ReadError::limit(
                "max_features",
                format!(
                    "it holds {count} features, more than the {} one upload may hold \
                     (max_features)",
                    self.max_features
                ),
            ));
        }
        Ok(())
    }
}

/// One file unpacked from an uploaded zip: its name (a plain file name, no folder) and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unpacked {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Why an entry's name is refused, if it is: only plain file names are unpacked.
fn bad_name(name: &str) -> Option<&'static str> {
    let parts: Vec<&str> = name.split(['/', '\\']).collect();
    let b = name.as_bytes();
    let drive = b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':';
    if name.starts_with(['/', '\\']) || drive {
        Some("has an absolute path")
    } else if parts.contains(&"..") {
        Some("leaves the archive's folder ('..')")
    } else if parts.len() > 1 {
        Some("is inside a folder: zip the files themselves, not their folder")
    } else if name.is_empty() || name == "." || name.chars().any(char::is_control) {
        Some("has no usable file name")
    } else if name.to_ascii_lowercase().ends_with(".zip") {
        Some("is itself a zip: nested archives are not read")
    } else {
        None
    }
}

/// Unpacks an uploaded zip within `limits`: too many entries, an entry or the whole expanding
/// beyond its cap (counted as the bytes come out, whatever the sizes the zip declares), an
/// absolute, `..` or foldered entry name, a nested zip or an encrypted entry is an error of one
/// line naming the entry and the limit. macOS's `__MACOSX/` resource forks are skipped.
pub fn unpack_zip(bytes: &[u8], limits: &UploadLimits) -> Result<Vec<Unpacked>, ReadError> {
    let invalid = ReadError::Invalid;
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| invalid(format!("not a readable zip: {e}")))?;
    if zip.len() > limits.max_zip_entries {
        return Err(ReadError::limit(
            "max_zip_entries",
            format!(
                "the zip holds {} entries, more than the {} an upload may hold \
                 (max_zip_entries)",
                zip.len(),
                limits.max_zip_entries
            ),
        ));
    }
    let mut out: Vec<Unpacked> = Vec::new();
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| invalid(format!("zip entry {}: {e}", i + 1)))?;
        let name = entry.name().to_string();
        let shown = shown(&name);
        if name.starts_with("__MACOSX/") {
            continue;
        }
        if let Some(why) = bad_name(&name) {
            return Err(invalid(format!("zip entry '{shown}' {why}")));
        }
        if out.iter().any(|u| u.name.eq_ignore_ascii_case(&name)) {
            return Err(invalid(format!("zip entry '{shown}' is in the zip twice")));
        }
        let left = limits.max_zip_expanded_bytes.saturating_sub(total);
        let cap = limits.max_zip_entry_bytes.min(left);
        let mut data = Vec::new();
        (&mut entry)
            .take(cap.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(|e| invalid(format!("zip entry '{shown}' cannot be unpacked: {e}")))?;
        if data.len() as u64 > cap {
            return Err(if cap == limits.max_zip_entry_bytes {
                ReadError::limit(
                    "max_zip_entry_bytes",
                    format!(
                        "zip entry '{shown}' expands to more than {} (max_zip_entry_bytes): \
                         not unpacked",
                        size(cap)
                    ),
                )
            } else {
                ReadError::limit(
                    "max_zip_expanded_bytes",
                    format!(
                        "the zip expands to more than {} (max_zip_expanded_bytes) by entry \
                         '{shown}': not unpacked",
                        size(limits.max_zip_expanded_bytes)
                    ),
                )
            });
        }
        total += data.len() as u64;
        out.push(Unpacked { name, bytes: data });
    }
    if out.is_empty() {
        return Err(invalid("the zip holds no file".into()));
    }
    Ok(out)
}

/// A name as shown in a message: at most 80 characters, control characters escaped.
fn shown(name: &str) -> String {
    let s: String = name.chars().take(80).flat_map(char::escape_debug).collect();
    if name.chars().count() > 80 {
        format!("{s}…")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_that_are_not_plain_file_names_are_refused() {
        for (name, why) in [
            ("../evil.shp", "'..'"),
            ("a/../../evil.shp", "'..'"),
            ("/etc/passwd", "absolute"),
            ("\\evil.shp", "absolute"),
            ("C:evil.shp", "absolute"),
            ("site/site.shp", "folder"),
            ("site\\site.shp", "folder"),
            ("inner.ZIP", "nested"),
            ("", "no usable"),
            ("a\nb.shp", "no usable"),
        ] {
            let got = bad_name(name).unwrap_or_else(|| panic!("{name:?} accepted"));
            assert!(got.contains(why), "{name:?}: {got}");
        }
        for name in ["site.shp", "地块.dbf", "a..b.prj", ".cpg"] {
            assert_eq!(bad_name(name), None, "{name:?}");
        }
    }

    #[test]
    fn messages_name_the_limit() {
        let l = UploadLimits {
            max_features: 3,
            ..UploadLimits::default()
        };
        assert!(l.check_features(3).is_ok());
        let e = l.check_features(4).unwrap_err().to_string();
        assert!(e.contains("4 features") && e.contains("3") && e.contains("max_features"));
        assert_eq!(size(200 * MIB), "200 MiB");
        assert_eq!(size(1000), "1000 bytes");
        assert_eq!(shown("a\nb"), "a\\nb");
    }
}
