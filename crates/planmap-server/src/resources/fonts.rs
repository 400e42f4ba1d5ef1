//! Glyphs for map labels, made on the server from fonts installed from Debian (as Martin
//! does): `GET /fonts/{fontstack}/{start}-{end}.pbf` renders the 256 code points of a range
//! as signed-distance-field bitmaps (`pbf_font_tools` over FreeType) and caches them; Chinese
//! labels render with no internet. `GET /fonts.json` lists the fonts found.

use std::path::{Path as FsPath, PathBuf};

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use pbf_font_tools::prost::Message;
use pbf_font_tools::{freetype, Glyphs};
use quick_cache::sync::Cache;
use serde_json::{json, Value};

use crate::api::blocking;
use crate::error::{clip, ApiError, ApiResult};
use crate::http::{cached, JsonPath, PROTOBUF};
use crate::params::Params;
use crate::state::AppState;

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

    fn find(&self, name: &str) -> Option<usize> {
        self.faces.iter().position(|f| f.name == name.trim())
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

/// Parses `start-end` where start is a multiple of 256 and end = start + 255 ≤ 65535.
fn parse_range(range: &str) -> ApiResult<u32> {
    let bad = || {
        ApiError::bad_request(format!(
            "glyph range '{}' must be START-END.pbf with START a multiple of 256 and END = START + 255, up to 65535",
            clip(range)
        ))
    };
    let r = range.strip_suffix(".pbf").ok_or_else(bad)?;
    let (a, b) = r.split_once('-').ok_or_else(bad)?;
    let (a, b): (u32, u32) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
    if a % 256 != 0 || b != a + 255 || b > 65535 {
        return Err(bad());
    }
    Ok(a)
}

/// `GET /fonts/{fontstack}/{start}-{end}.pbf`: the first face of the stack that is installed.
pub async fn glyphs(
    State(st): State<AppState>,
    JsonPath((stack, range)): JsonPath<(String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    Params::parse(q.as_deref(), &[])?;
    let start = parse_range(&range)?;
    let fonts = st.fonts();
    let Some(fi) = stack.split(',').find_map(|n| fonts.find(n)) else {
        let known: Vec<&str> = fonts.faces.iter().map(|f| f.name.as_str()).collect();
        return Err(ApiError::not_found(format!(
            "no font of the stack '{}' is installed (fonts: {})",
            clip(&stack),
            known.join(", ")
        ))
        .with("fontstack", clip(&stack)));
    };
    let st2 = st.clone();
    let bytes = blocking(move || {
        st2.fonts()
            .ranges
            .get_or_insert_with(&(fi, start), || {
                render(&st2.fonts().faces[fi], start, start + 255)
            })
            .map_err(|e| ApiError::internal(format!("could not render glyphs: {e}")))
    })
    .await?;
    let etag = format!(
        "glyphs-{fi}-{start}-{}",
        crate::http::hash_hex(&[fonts.faces[fi].name.as_bytes()])
    );
    Ok(cached(
        &headers,
        &etag,
        "public, max-age=86400",
        PROTOBUF,
        bytes,
    ))
}

/// `GET /fonts.json`: the font names a style may use in `text-font`.
pub async fn catalog(State(st): State<AppState>, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    Params::parse(q.as_deref(), &[])?;
    let names: Vec<&str> = st.fonts().faces.iter().map(|f| f.name.as_str()).collect();
    Ok(Json(json!({
        "fonts": names,
        "default": st.fonts().default_stack(),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_checked() {
        assert_eq!(parse_range("0-255.pbf").unwrap(), 0);
        assert_eq!(parse_range("20224-20479.pbf").unwrap(), 20224);
        for bad in [
            "1-256.pbf",
            "0-300.pbf",
            "65536-65791.pbf",
            "0-255",
            "a-b.pbf",
            "-1-254.pbf",
        ] {
            assert!(parse_range(bad).is_err(), "{bad}");
        }
    }
}
