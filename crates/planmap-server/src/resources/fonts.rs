//! Glyphs for map labels, made on the server from fonts installed from Debian (as Martin
//! does): the 256 code points of a range rendered as signed-distance-field bitmaps
//! (`pbf_font_tools` over FreeType) and cached, so Chinese labels render with no internet.
//! The endpoints are [`crate::routes::fonts`].

use std::path::{Path as FsPath, PathBuf};

use axum::body::Bytes;
use pbf_font_tools::prost::Message;
use pbf_font_tools::{freetype, Glyphs};
use quick_cache::sync::Cache;

/// Rendering settings of Mapbox's and Martin's glyph servers: 24 px, radius 8, cutoff 0.25.
const SIZE: usize = 24;
const RADIUS: usize = 8;
const CUTOFF: f64 = 0.25;

/// One face of a font file, named as glyph servers name it: "family style".
#[derive(Debug, Clone)]
pub struct Face {
    pub name: String,
    pub path: PathBuf,
    pub index: isize,
}

/// The fonts found at start-up and the glyph ranges made from them.
pub struct Fonts {
    pub faces: Vec<Face>,
    ranges: Cache<(usize, u32), Bytes>,
}

/// Faces preferred for the default stack, best first: labels are in simplified Chinese.
/// `fonts-noto-cjk` (Debian) provides the first, `fonts-wqy-microhei` the second.
const PREFERRED: [&str; 4] = [
    "Noto Sans CJK SC Regular",
    "WenQuanYi Micro Hei Regular",
    "Noto Sans SC Regular",
    "WenQuanYi Zen Hei Regular",
];

impl Fonts {
    /// Finds every TrueType/OpenType face under `dirs`.
    pub fn discover(dirs: &[PathBuf]) -> Fonts {
        let mut files = Vec::new();
        for d in dirs {
            walk(d, &mut files, 0);
        }
        files.sort();
        let mut faces = Vec::new();
        if let Ok(lib) = freetype::Library::init() {
            for path in files {
                let Ok(first) = lib.new_face(&path, 0) else {
                    continue;
                };
                for index in 0..first.num_faces() as isize {
                    let Ok(face) = lib.new_face(&path, index) else {
                        continue;
                    };
                    let Some(mut name) = face.family_name() else {
                        continue;
                    };
                    if let Some(style) = face.style_name() {
                        name.push(' ');
                        name.push_str(&style);
                    }
                    if !faces.iter().any(|f: &Face| f.name == name) {
                        faces.push(Face {
                            name,
                            path: path.clone(),
                            index,
                        });
                    }
                }
            }
        }
        Fonts {
            faces,
            ranges: Cache::new(512),
        }
    }

    /// The font stack a style should ask for: a simplified-Chinese face when there is one.
    pub fn default_stack(&self) -> Vec<String> {
        let preferred = PREFERRED
            .iter()
            .find_map(|p| self.faces.iter().find(|f| f.name == *p));
        let regular = self.faces.iter().find(|f| f.name.ends_with("Regular"));
        match preferred.or(regular).or(self.faces.first()) {
            Some(f) => vec![f.name.clone()],
            None => vec!["Noto Sans Regular".into()],
        }
    }

    /// The index of the face named `name`.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.faces.iter().position(|f| f.name == name.trim())
    }

    /// The glyph PBF of the range starting at `start` (a multiple of 256) of face `face`,
    /// rendered on first use (blocking: callers run it off the async threads).
    pub fn range(&self, face: usize, start: u32) -> Result<Bytes, String> {
        self.ranges.get_or_insert_with(&(face, start), || {
            render(&self.faces[face], start, start + 255)
        })
    }
}

fn walk(dir: &FsPath, out: &mut Vec<PathBuf>, depth: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() && depth < 6 {
            walk(&p, out, depth + 1);
        } else if p
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| matches!(x.to_ascii_lowercase().as_str(), "ttf" | "ttc" | "otf"))
        {
            out.push(p);
        }
    }
}

/// Renders one range of one face into a glyph PBF.
fn render(face: &Face, start: u32, end: u32) -> Result<Bytes, String> {
    let lib = freetype::Library::init().map_err(|e| e.to_string())?;
    let ft = lib
        .new_face(&face.path, face.index)
        .map_err(|e| format!("{}: {e}", face.path.display()))?;
    let mut stack = pbf_font_tools::glyph_range_for_face(&ft, start, end, SIZE, RADIUS, CUTOFF)
        .map_err(|e| e.to_string())?;
    stack.name = face.name.clone();
    let glyphs = Glyphs {
        stacks: vec![stack],
    };
    Ok(glyphs.encode_to_vec().into())
}
