//! The glyph ranges a published map's labels need: the 256-code-point ranges of every
//! character of every label the style draws (the layers' label attribute), and the first
//! range (digits and Latin letters), rendered from the server's fonts as the server does.

use std::collections::BTreeSet;
use std::path::Path;

use planmap_server::resources::fonts::Fonts;
use planmap_server::Snapshot;

/// The starts of the ranges holding the characters of every label of the plan.
pub fn label_ranges(snap: &Snapshot) -> BTreeSet<u32> {
    let mut starts = BTreeSet::from([0]);
    for layer in &snap.engine.layers {
        let Some(attr) = layer.def.draw.label.as_deref() else {
            continue;
        };
        for f in &layer.features {
            if let Some(text) = f.properties.get_str(attr) {
                starts.extend(text.chars().map(|c| u32::from(c) / 256 * 256));
            }
        }
    }
    starts.retain(|s| *s <= 65280);
    starts
}

/// Writes `dir/{stack}/{start}-{end}.pbf` for each range, from the first face of `stack`;
/// returns how many were written.
pub fn write(
    fonts: &Fonts,
    stack: &[String],
    ranges: &BTreeSet<u32>,
    dir: &Path,
) -> Result<usize, String> {
    let name = stack.join(",");
    let Some(face) = stack.iter().find_map(|n| fonts.find(n)) else {
        return Err(format!(
            "no font of the stack '{name}' is installed: the labels need one (fonts-noto-cjk)"
        ));
    };
    let out = dir.join(&name);
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    for &start in ranges {
        let bytes = fonts.range(face, start)?;
        let file = out.join(format!("{start}-{}.pbf", start + 255));
        std::fs::write(&file, &bytes).map_err(|e| format!("{}: {e}", file.display()))?;
    }
    Ok(ranges.len())
}
