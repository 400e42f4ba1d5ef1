//! The address of `GET /tiles/{layer}/{z}/{x}/{y}.pbf`, parsed without the server's state
//! (a pure function, fuzzed by `fuzz/fuzz_targets/tile_path.rs`). Whether the layer exists is
//! the handler's business.

use crate::error::{clip, ApiError, ApiResult};
use planmap_io::mvt::TileId;

/// A tile request whose z/x/y are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileRequest {
    pub layer: String,
    pub tile: TileId,
}

fn tile_coord(name: &str, v: &str) -> ApiResult<u32> {
    v.parse::<u32>().map_err(|_| {
        ApiError::bad_request(format!(
            "tile {name} '{}' is not a whole number ≥ 0",
            clip(v)
        ))
        .with("parameter", name)
    })
}

/// Parses the path segments of a tile request: `y` ends in `.pbf` (or `.mvt`), z/x/y are whole
/// numbers with `z ≤ MAX_ZOOM` and `x, y < 2^z`. A wrong extension is a 404, a bad number 400.
pub fn parse_tile_path(layer: &str, z: &str, x: &str, y: &str) -> ApiResult<TileRequest> {
    let Some(y) = y.strip_suffix(".pbf").or_else(|| y.strip_suffix(".mvt")) else {
        return Err(ApiError::not_found(format!(
            "tile '{}' must end in .pbf: /tiles/{{layer}}/{{z}}/{{x}}/{{y}}.pbf",
            clip(y)
        )));
    };
    let (z, x, y) = (
        tile_coord("z", z)?,
        tile_coord("x", x)?,
        tile_coord("y", y)?,
    );
    let tile = TileId::new(z, x, y).map_err(ApiError::bad_request)?;
    Ok(TileRequest {
        layer: layer.to_string(),
        tile,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    #[test]
    fn tile_paths() {
        let t = parse_tile_path("farmland", "12", "3300", "1550.pbf").unwrap();
        assert_eq!(
            (t.layer.as_str(), t.tile.z, t.tile.x, t.tile.y),
            ("farmland", 12, 3300, 1550)
        );
        assert!(parse_tile_path("a", "0", "0", "0.mvt").is_ok());
        let status = |z, x, y| parse_tile_path("a", z, x, y).unwrap_err().status;
        assert_eq!(status("1", "0", "0.png"), StatusCode::NOT_FOUND);
        assert_eq!(status("1", "-1", "0.pbf"), StatusCode::BAD_REQUEST);
        assert_eq!(status("1", "2", "0.pbf"), StatusCode::BAD_REQUEST);
        assert_eq!(status("99", "0", "0.pbf"), StatusCode::BAD_REQUEST);
        assert_eq!(status("4294967295", "0", "0.pbf"), StatusCode::BAD_REQUEST);
    }
}
