//! Checks a user's site geometry before anything is computed with it.

use geo::{CoordsIter, MultiPolygon, Validation};

use crate::error::SiteError;

/// Validates a site: coordinates finite and within lon/lat range, every polygon valid by the
/// OGC rules (closed, ≥ 3 distinct points, no self-intersection, holes inside), non-zero area.
/// Returns the site's geodesic area in m².
pub fn validate_site(site: &MultiPolygon<f64>, max_vertices: usize) -> Result<f64, SiteError> {
    if site.0.is_empty() {
        return Err(SiteError::Empty);
    }
    let count = site.coords_count();
    if count > max_vertices {
        return Err(SiteError::TooManyVertices {
            count,
            limit: max_vertices,
        });
    }
    for (index, c) in site.coords_iter().enumerate() {
        if !c.x.is_finite() || !c.y.is_finite() {
            return Err(SiteError::NonFinite { index });
        }
        if !(-180.0..=180.0).contains(&c.x) || !(-90.0..=90.0).contains(&c.y) {
            return Err(SiteError::OutOfRange {
                index,
                lon: c.x,
                lat: c.y,
            });
        }
    }
    // The multipolygon's validation checks every part too; only when it fails are the parts
    // checked one by one, to name the first invalid part.
    if let Err(e) = site.check_validation() {
        for (part, p) in site.0.iter().enumerate() {
            if let Err(e) = p.check_validation() {
                return Err(SiteError::Invalid {
                    part,
                    reason: e.to_string(),
                });
            }
        }
        return Err(SiteError::Invalid {
            part: 0,
            reason: e.to_string(),
        });
    }
    // Collinear rings pass the OGC rules but enclose nothing. Their planar area is zero (the
    // geodesic one is not quite: geodesics between points on a parallel bow poleward).
    for (part, p) in site.0.iter().enumerate() {
        if geo::Area::unsigned_area(&geo::Polygon::new(p.exterior().clone(), vec![])) == 0.0 {
            return Err(SiteError::Invalid {
                part,
                reason: "exterior ring is degenerate: its points are collinear and enclose no area"
                    .into(),
            });
        }
    }
    let area = crate::geodesy::area_m2(site);
    if area <= 0.0 {
        return Err(SiteError::ZeroArea);
    }
    Ok(area)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn bow_tie_is_a_self_intersection() {
        let bow = polygon![(x: 112.0, y: 37.4), (x: 112.01, y: 37.41), (x: 112.01, y: 37.4), (x: 112.0, y: 37.41)];
        let e = validate_site(&MultiPolygon(vec![bow]), 10_000).unwrap_err();
        assert!(e.to_string().contains("self-intersection"), "{e}");
    }

    #[test]
    fn a_plain_square_is_valid() {
        let p = polygon![(x: 112.0, y: 37.4), (x: 112.01, y: 37.4), (x: 112.01, y: 37.41), (x: 112.0, y: 37.41)];
        assert!(validate_site(&MultiPolygon(vec![p]), 100).is_ok_and(|a| a > 0.0));
    }

    #[test]
    fn nan_and_range_are_named() {
        let p = polygon![(x: 112.0, y: f64::NAN), (x: 112.01, y: 37.41), (x: 112.01, y: 37.4)];
        assert!(matches!(
            validate_site(&MultiPolygon(vec![p]), 100),
            Err(SiteError::NonFinite { index: 0 })
        ));
        let p = polygon![(x: 212.0, y: 37.0), (x: 112.01, y: 37.41), (x: 112.01, y: 37.4)];
        assert!(matches!(
            validate_site(&MultiPolygon(vec![p]), 100),
            Err(SiteError::OutOfRange { index: 0, .. })
        ));
    }

    #[test]
    fn a_huge_coordinate_is_named_in_a_short_line() {
        let p = polygon![(x: 1e308, y: 37.0), (x: 112.01, y: 37.41), (x: 112.01, y: 37.4)];
        let e = validate_site(&MultiPolygon(vec![p]), 100)
            .unwrap_err()
            .to_string();
        assert!(e.contains("(1e308, 37.0)"), "{e}");
        assert!(e.len() < 120, "{e}");
    }

    #[test]
    fn degenerate_ring_is_rejected() {
        let p = polygon![(x: 112.0, y: 37.4), (x: 112.01, y: 37.4), (x: 112.02, y: 37.4)];
        assert!(validate_site(&MultiPolygon(vec![p]), 100).is_err());
        assert!(matches!(
            validate_site(&MultiPolygon(vec![]), 100),
            Err(SiteError::Empty)
        ));
    }
}
