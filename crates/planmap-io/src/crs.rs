//! Coordinate reference systems of the files planmap reads, and the way back to lon/lat.
//!
//! planmap stores lon/lat (CGCS2000 and WGS84 coincide at map scale). Files come in:
//! - lon/lat (EPSG:4490, EPSG:4326);
//! - CGCS2000 3-degree Gauss-Krüger (EPSG:4513–4533 with the zone prefix on the easting,
//!   4534–4554 without), handled here by core's ellipsoidal transverse Mercator;
//! - GCJ-02 and BD-09 web-map coordinates, only when the user says so;
//! - any other EPSG code, transformed by GDAL (feature `gdal`).
//!
//! When a file says nothing, [`detect`] tells the system from the coordinates' magnitudes:
//! an easting of 8 digits carries its zone in the prefix (`37588509.109` → zone 37); one of 6
//! digits does not, and the zone is then guessed from where the plan is, with a warning.

use std::fmt;
use std::str::FromStr;

use geo::{Coord, Rect};
use planmap_core::tmerc::TransverseMercator;

use crate::error::ReadError;

/// A transform of coordinates to lon/lat.
pub type ToLonLat = Box<dyn Fn(Coord<f64>) -> Coord<f64> + Send + Sync>;

/// A transform of coordinates to lon/lat that stays on its thread (GDAL's).
pub type Transform = Box<dyn Fn(Coord<f64>) -> Coord<f64>>;

/// A coordinate reference system a file's coordinates are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Crs {
    /// Longitude, latitude in degrees (EPSG:4490 CGCS2000 or EPSG:4326 WGS84).
    LonLat,
    /// CGCS2000 3-degree Gauss-Krüger zone `zone` (central meridian 3·zone °E); `prefix`:
    /// whether eastings carry the zone number in front (`37588509.109`).
    Gk { zone: u32, prefix: bool },
    /// GCJ-02 (Amap, Tencent) lon/lat.
    Gcj02,
    /// BD-09 (Baidu) lon/lat.
    Bd09,
    /// Another EPSG code; GDAL transforms it.
    Epsg(u32),
}

/// The CGCS2000 3-degree zones the EPSG registry defines (central meridians 75°E–135°E).
pub const GK_ZONES: std::ops::RangeInclusive<u32> = 25..=45;

impl Crs {
    /// The CRS an EPSG code stands for: 4490/4326 lon/lat, 4513–4554 Gauss-Krüger.
    pub fn from_epsg(code: u32) -> Crs {
        match code {
            4490 | 4326 | 4979 | 4480 => Crs::LonLat,
            4513..=4533 => Crs::Gk {
                zone: code - 4513 + 25,
                prefix: true,
            },
            4534..=4554 => Crs::Gk {
                zone: code - 4534 + 25,
                prefix: false,
            },
            _ => Crs::Epsg(code),
        }
    }

    /// The EPSG code, where there is one (GCJ-02 and BD-09 have none).
    pub fn epsg(&self) -> Option<u32> {
        match *self {
            Crs::LonLat => Some(4490),
            Crs::Gk { zone, prefix } if GK_ZONES.contains(&zone) => {
                Some(if prefix { 4513 } else { 4534 } + zone - 25)
            }
            Crs::Gk { .. } => None,
            Crs::Gcj02 | Crs::Bd09 => None,
            Crs::Epsg(c) => Some(c),
        }
    }

    /// Whether planmap transforms this CRS itself (no GDAL needed).
    pub fn is_builtin(&self) -> bool {
        !matches!(self, Crs::Epsg(_))
    }

    /// A transform of this CRS's coordinates (x = easting/lon, y = northing/lat) to lon/lat,
    /// for the CRSs planmap handles itself; `None` for other EPSG codes.
    pub fn to_lonlat(&self) -> Option<ToLonLat> {
        use crate::chinacrs;
        Some(match *self {
            Crs::LonLat => Box::new(|c| c),
            Crs::Gk { zone, prefix } => {
                let tm = TransverseMercator::cgcs2000_3deg(zone, prefix);
                Box::new(move |c| tm.inverse(c))
            }
            Crs::Gcj02 => Box::new(|c: Coord<f64>| {
                let (x, y) = chinacrs::gcj02_to_wgs84(c.x, c.y);
                Coord { x, y }
            }),
            Crs::Bd09 => Box::new(|c: Coord<f64>| {
                let (x, y) = chinacrs::bd09_to_wgs84(c.x, c.y);
                Coord { x, y }
            }),
            Crs::Epsg(_) => return None,
        })
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Crs::LonLat => write!(f, "EPSG:4490 (CGCS2000 lon/lat)"),
            Crs::Gk { zone, prefix } => {
                if let Some(code) = self.epsg() {
                    write!(f, "EPSG:{code} ")?;
                }
                write!(
                    f,
                    "(CGCS2000 3-degree Gauss-Krüger zone {zone}, central meridian {}°E, {})",
                    zone * 3,
                    if prefix {
                        "zone prefix on eastings"
                    } else {
                        "no zone prefix"
                    }
                )
            }
            Crs::Gcj02 => write!(f, "GCJ-02 (Amap/Tencent web-map lon/lat)"),
            Crs::Bd09 => write!(f, "BD-09 (Baidu web-map lon/lat)"),
            Crs::Epsg(c) => write!(f, "EPSG:{c}"),
        }
    }
}

impl FromStr for Crs {
    type Err = ReadError;

    /// `EPSG:4525`, `4525`, `wgs84`, `cgcs2000`, `gcj02`, `bd09`, `gk37` (zone 37 with
    /// prefix), `gk37-noprefix`.
    fn from_str(s: &str) -> Result<Crs, ReadError> {
        let t = s.trim().to_ascii_lowercase().replace(['-', '_'], "");
        let code = t.strip_prefix("epsg:").unwrap_or(&t);
        if let Ok(c) = code.parse::<u32>() {
            return Ok(Crs::from_epsg(c));
        }
        match t.as_str() {
            "wgs84" | "cgcs2000" | "lonlat" | "crs84" => return Ok(Crs::LonLat),
            "gcj02" | "amap" | "gaode" | "tencent" => return Ok(Crs::Gcj02),
            "bd09" | "baidu" => return Ok(Crs::Bd09),
            _ => {}
        }
        if let Some(rest) = t.strip_prefix("gk") {
            let (num, prefix) = match rest.strip_suffix("noprefix") {
                Some(n) => (n, false),
                None => (rest, true),
            };
            if let Ok(zone) = num.parse::<u32>() {
                if GK_ZONES.contains(&zone) {
                    return Ok(Crs::Gk { zone, prefix });
                }
            }
        }
        Err(ReadError::Crs(format!(
            "unknown coordinate system '{s}': give an EPSG code (EPSG:4525), wgs84, cgcs2000, \
             gcj02, bd09 or gk<zone>[-noprefix]"
        )))
    }
}

/// A CRS told from the coordinates, with a warning when part of it is a guess.
#[derive(Debug, Clone, PartialEq)]
pub struct Detected {
    pub crs: Crs,
    pub warning: Option<String>,
}

/// The Gauss-Krüger zone whose central meridian is nearest `lon`.
pub fn zone_of_lon(lon: f64) -> u32 {
    (lon / 3.0).round().max(0.0) as u32
}

/// Tells the CRS of coordinates that came without one, from their bounding box: lon/lat
/// degrees, Gauss-Krüger eastings with the zone prefix (zone read from it), or without
/// (zone from `stated_zone`, else guessed from `near_lon`, the plan's longitude, with a
/// warning).
pub fn detect(
    bbox: Rect<f64>,
    stated_zone: Option<u32>,
    near_lon: Option<f64>,
) -> Result<Detected, ReadError> {
    let (min, max) = (bbox.min(), bbox.max());
    if min.x >= -180.0 && max.x <= 180.0 && min.y >= -90.0 && max.y <= 90.0 {
        return Ok(Detected {
            crs: Crs::LonLat,
            warning: None,
        });
    }
    let northing_ok = min.y > 0.0 && max.y < 10_000_000.0;
    if northing_ok && min.x >= 1_000_000.0 {
        let zone = (min.x / 1_000_000.0).floor() as u32;
        if (max.x / 1_000_000.0).floor() as u32 != zone {
            return Err(ReadError::Crs(format!(
                "eastings run from {:.0} to {:.0}: they mix zone prefixes {zone} and {}",
                min.x,
                max.x,
                (max.x / 1_000_000.0).floor()
            )));
        }
        if !GK_ZONES.contains(&zone) {
            return Err(ReadError::Crs(format!(
                "eastings like {:.0} carry zone prefix {zone}, which is not a CGCS2000 3-degree \
                 zone of China (25–45); give --crs",
                min.x
            )));
        }
        if let Some(s) = stated_zone.filter(|s| *s != zone) {
            return Err(ReadError::Crs(format!(
                "the file states zone {s} but its eastings carry zone prefix {zone}"
            )));
        }
        return Ok(Detected {
            crs: Crs::Gk { zone, prefix: true },
            warning: None,
        });
    }
    if northing_ok && min.x > 0.0 && max.x < 1_000_000.0 {
        if let Some(zone) = stated_zone {
            return Ok(Detected {
                crs: Crs::Gk {
                    zone,
                    prefix: false,
                },
                warning: None,
            });
        }
        let Some(lon) = near_lon else {
            return Err(ReadError::Crs(
                "eastings carry no zone prefix and no zone is stated: give --crs (e.g. \
                 EPSG:4546 for zone 37 without prefix)"
                    .into(),
            ));
        };
        let zone = zone_of_lon(lon);
        let crs = Crs::Gk {
            zone,
            prefix: false,
        };
        return Ok(Detected {
            crs,
            warning: Some(format!(
                "eastings carry no zone prefix and no zone is stated: guessed zone {zone} \
                 (central meridian {}°E) from the plan's location, {crs}; give --crs if wrong",
                zone * 3
            )),
        });
    }
    Err(ReadError::Crs(format!(
        "cannot tell the coordinate system of coordinates from ({:.3}, {:.3}) to ({:.3}, \
         {:.3}): give --crs",
        min.x, min.y, max.x, max.y
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epsg_codes_of_zone_37() {
        assert_eq!(
            Crs::from_epsg(4525),
            Crs::Gk {
                zone: 37,
                prefix: true
            }
        );
        assert_eq!(
            Crs::from_epsg(4546),
            Crs::Gk {
                zone: 37,
                prefix: false
            }
        );
        assert_eq!("EPSG:4525".parse::<Crs>().unwrap().epsg(), Some(4525));
        assert_eq!("gk37-noprefix".parse::<Crs>().unwrap().epsg(), Some(4546));
        assert_eq!("GCJ-02".parse::<Crs>(), Ok(Crs::Gcj02));
        assert!("mars".parse::<Crs>().is_err());
    }

    #[test]
    fn detection_from_magnitudes() {
        let r = |x0, y0, x1, y1| Rect::new(Coord { x: x0, y: y0 }, Coord { x: x1, y: y1 });
        let d = detect(r(112.0, 37.0, 112.2, 37.5), None, None).unwrap();
        assert_eq!(d.crs, Crs::LonLat);
        let d = detect(
            r(37_588_000.0, 4_144_000.0, 37_590_000.0, 4_146_000.0),
            None,
            None,
        );
        assert_eq!(
            d.unwrap(),
            Detected {
                crs: Crs::Gk {
                    zone: 37,
                    prefix: true
                },
                warning: None
            }
        );
        let d = detect(
            r(588_000.0, 4_144_000.0, 590_000.0, 4_146_000.0),
            None,
            Some(112.03),
        );
        let d = d.unwrap();
        assert_eq!(d.crs.epsg(), Some(4546));
        assert!(d.warning.unwrap().contains("guessed zone 37"));
        assert!(detect(
            r(588_000.0, 4_144_000.0, 590_000.0, 4_146_000.0),
            None,
            None
        )
        .is_err());
        assert!(detect(r(37_588_000.0, 4e6, 38_100_000.0, 4.1e6), None, None).is_err());
    }
}
