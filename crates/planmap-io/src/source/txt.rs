//! The coordinate TXT reader (勘测定界界址点坐标交换格式, [`crate::coordtxt`]): one feature a
//! parcel, x = easting, y = northing; the zone from `带号` or the eastings' prefix.

use planmap_core::Properties;

use super::{Raw, RawFeature, ReadOptions, Reader};
use crate::coordtxt;
use crate::crs::{self, Crs};
use crate::error::ReadError;

/// Reads the land-ministry coordinate TXT.
pub struct TxtReader;

impl Reader for TxtReader {
    fn read_bytes(&self, bytes: &[u8], _: &ReadOptions) -> Result<Raw, ReadError> {
        let (txt, mut warnings) =
            coordtxt::parse(bytes).map_err(|e| ReadError::Invalid(e.to_string()))?;
        let swap = txt.swapped();
        if swap {
            warnings.push(
                "X holds eastings and Y northings, the other way round from the format: read \
                 them swapped"
                    .into(),
            );
        }
        let mut stated = None;
        if let Some(system) = txt.meta("坐标系") {
            if !(system.contains("2000") || system.to_uppercase().contains("CGCS")) {
                return Err(ReadError::Crs(format!(
                    "坐标系={system}: only the 2000国家大地坐标系 (CGCS2000) is read; give --crs \
                     with the file's EPSG code to read it anyway"
                )));
            }
        }
        let zone_width = txt.meta("几度分带").map(str::trim);
        if zone_width.is_some_and(|w| w.starts_with('6')) {
            return Err(ReadError::Crs(
                "几度分带=6: 6-degree zones are not read; give --crs with the file's EPSG code \
                 (EPSG:4491–4512)"
                    .into(),
            ));
        }
        let stated_zone = txt.stated_zone();
        if let Some(z) = stated_zone {
            if !crs::GK_ZONES.contains(&z) {
                return Err(ReadError::Crs(format!(
                    "带号={z} is not a 3-degree zone of China (25–45)"
                )));
            }
            // Eastings that carry a prefix say it themselves; without, the 带号 decides.
            let prefixed = txt
                .parcels
                .iter()
                .flat_map(|p| &p.rings)
                .flat_map(|r| &r.points)
                .all(|p| (if swap { p.x } else { p.y }) >= 1_000_000.0);
            if !prefixed {
                stated = Some(Crs::Gk {
                    zone: z,
                    prefix: false,
                });
            }
        }
        let features = txt
            .parcels
            .iter()
            .map(|p| {
                let mut props = Properties::new();
                for (k, v) in [
                    ("name", &p.name),
                    ("地块编号", &p.number),
                    ("地块名称", &p.name),
                    ("地块用途", &p.usage),
                    ("地类编码", &p.land_code),
                    ("图幅号", &p.sheet),
                    ("地块面积", &p.stated_area),
                ] {
                    if !v.is_empty() {
                        props.insert(k.into(), v.clone().into());
                    }
                }
                RawFeature {
                    id: (!p.number.is_empty()).then(|| p.number.clone()),
                    geometry: Ok(p.geometry(swap)),
                    properties: props,
                }
            })
            .collect();
        Ok(Raw {
            features,
            stated,
            stated_zone,
            warnings,
            txt: Some(txt),
            ..Raw::default()
        })
    }
}
