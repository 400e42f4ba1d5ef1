//! OGC API - Features Part 2 (CRS by reference): the coordinate reference systems served.
//!
//! Data are stored in lon/lat (CGCS2000 and WGS84 coincide at map scale). CRS84 is lon/lat;
//! EPSG:4326 and EPSG:4490 are the same coordinates in their authority's lat/lon axis order,
//! so serving them is a swap of axes.

use geo::{Coord, MapCoords, Rect};

use crate::error::{clip, ApiError, ApiResult};

pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
pub const EPSG_4326: &str = "http://www.opengis.net/def/crs/EPSG/0/4326";
pub const EPSG_4490: &str = "http://www.opengis.net/def/crs/EPSG/0/4490";

/// Every CRS an item may be asked in, the default first.
pub const SUPPORTED: [&str; 3] = [CRS84, EPSG_4326, EPSG_4490];

/// A supported CRS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crs {
    pub uri: &'static str,
    /// Latitude first (the EPSG axis order of 4326 and 4490).
    pub lat_first: bool,
}

impl Default for Crs {
    fn default() -> Self {
        Crs {
            uri: CRS84,
            lat_first: false,
        }
    }
}

impl Crs {
    /// Parses a `crs` or `bbox-crs` value (the URI, optionally in angle brackets).
    pub fn parse(param: &str, v: &str) -> ApiResult<Crs> {
        let v = v.trim().trim_start_matches('<').trim_end_matches('>');
        let uri = SUPPORTED.iter().find(|u| **u == v).ok_or_else(|| {
            ApiError::parameter(
                param,
                format!(
                    "CRS '{}' is not supported; supported: {}",
                    clip(v),
                    SUPPORTED.join(", ")
                ),
            )
        })?;
        Ok(Crs {
            uri,
            lat_first: *uri != CRS84,
        })
    }

    /// Coordinates stored lon/lat, in this CRS's axis order.
    pub fn output<G: MapCoords<f64, f64, Output = G>>(&self, g: &G) -> G {
        if self.lat_first {
            g.map_coords(|c| Coord { x: c.y, y: c.x })
        } else {
            g.map_coords(|c| c)
        }
    }

    /// A bbox given in this CRS's axis order, as lon/lat.
    pub fn input_bbox(&self, b: Rect<f64>) -> Rect<f64> {
        if self.lat_first {
            Rect::new(
                Coord {
                    x: b.min().y,
                    y: b.min().x,
                },
                Coord {
                    x: b.max().y,
                    y: b.max().x,
                },
            )
        } else {
            b
        }
    }
}
