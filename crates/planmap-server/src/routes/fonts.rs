//! `GET /fonts/{fontstack}/{start}-{end}.pbf`: label glyphs of the first installed face of a
//! stack ([`crate::resources::fonts`]); `GET /fonts.json`: the fonts found.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use serde::Serialize;

use crate::error::{clip, ApiError, ApiResult};
use crate::http::{blocking, cached, JsonPath, PROTOBUF};
use crate::query::{NoParams, Query};
use crate::state::AppState;

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
    _: Query<NoParams>,
    headers: HeaderMap,
) -> ApiResult<Response> {
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
            .range(fi, start)
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

/// The answer of `GET /fonts.json`.
#[derive(Debug, Serialize)]
pub struct FontCatalog {
    /// The font names a style may use in `text-font`.
    pub fonts: Vec<String>,
    /// The stack the server's style asks for.
    pub default: Vec<String>,
}

/// `GET /fonts.json`: the font names a style may use in `text-font`.
pub async fn catalog(State(st): State<AppState>, _: Query<NoParams>) -> Json<FontCatalog> {
    Json(FontCatalog {
        fonts: st.fonts().faces.iter().map(|f| f.name.clone()).collect(),
        default: st.fonts().default_stack(),
    })
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
