//! The map frame: a square of Web Mercator, the one tile maplibre-rs draws filling the image.

use geo::{Coord, Rect};
use planmap_io::mvt::{world, Projector, EXTENT};

/// A square in Web Mercator world coordinates (x and y in 0..1, y down).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    /// World coordinates of the top-left corner.
    pub x0: f64,
    pub y0: f64,
    /// Side length in world units.
    pub side: f64,
}

impl Frame {
    /// The smallest square around a lon/lat box, grown by `margin` (a share of its larger side)
    /// on each side; at least `min_side_m` metres across at the box's latitude (so a tiny site
    /// still gets context).
    pub fn around(bbox: Rect<f64>, margin: f64, min_side_m: f64) -> Frame {
        let a = world(Coord {
            x: bbox.min().x,
            y: bbox.max().y,
        });
        let b = world(Coord {
            x: bbox.max().x,
            y: bbox.min().y,
        });
        let lat = (bbox.min().y + bbox.max().y) / 2.0;
        // Metres per world unit at this latitude.
        let m_per_unit = 40_075_016.686 * lat.to_radians().cos();
        let side = ((b.x - a.x).max(b.y - a.y) * (1.0 + 2.0 * margin)).max(min_side_m / m_per_unit);
        let (cx, cy) = ((a.x + b.x) / 2.0, (a.y + b.y) / 2.0);
        Frame {
            x0: cx - side / 2.0,
            y0: cy - side / 2.0,
            side,
        }
    }

    /// Pixel position (x right, y down; pixel centres at .5) of a lon/lat point in an image
    /// `size` pixels square.
    pub fn pixel(&self, c: Coord<f64>, size: u32) -> (f64, f64) {
        let w = world(c);
        let s = size as f64 / self.side;
        ((w.x - self.x0) * s, (w.y - self.y0) * s)
    }

    /// The frame's lon/lat box.
    pub fn lonlat_bounds(&self) -> Rect<f64> {
        let lon = |x: f64| x * 360.0 - 180.0;
        let lat = |y: f64| {
            (std::f64::consts::PI * (1.0 - 2.0 * y))
                .sinh()
                .atan()
                .to_degrees()
        };
        Rect::new(
            Coord {
                x: lon(self.x0),
                y: lat(self.y0 + self.side),
            },
            Coord {
                x: lon(self.x0 + self.side),
                y: lat(self.y0),
            },
        )
    }

    /// Ground metres a pixel covers at the frame's centre.
    pub fn metres_per_pixel(&self, size: u32) -> f64 {
        let cy = self.y0 + self.side / 2.0;
        let lat = (std::f64::consts::PI * (1.0 - 2.0 * cy)).sinh().atan();
        40_075_016.686 * lat.cos() * self.side / size as f64
    }
}

impl Projector for Frame {
    fn project(&self, c: Coord<f64>) -> Coord<f64> {
        let w = world(c);
        let e = EXTENT as f64 / self.side;
        Coord {
            x: (w.x - self.x0) * e,
            y: (w.y - self.y0) * e,
        }
    }
    /// Half a tile unit: a quarter of a pixel at 1024 px, detail kept.
    fn tolerance(&self) -> f64 {
        0.5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_box_lies_centred_in_its_frame() {
        let r = Rect::new(
            Coord { x: 112.0, y: 37.4 },
            Coord {
                x: 112.02,
                y: 37.41,
            },
        );
        let f = Frame::around(r, 0.1, 0.0);
        let (x0, y1) = f.pixel(r.min(), 1000);
        let (x1, y0) = f.pixel(r.max(), 1000);
        // The wider side (lon) spans 1/1.2 of the image, centred.
        assert!(((x1 - x0) - 1000.0 / 1.2).abs() < 1e-6);
        assert!(((x0 + x1) / 2.0 - 500.0).abs() < 1e-6 && ((y0 + y1) / 2.0 - 500.0).abs() < 1e-6);
        assert!(y0 < y1, "north is up");
        let b = f.lonlat_bounds();
        let (bx, by) = f.pixel(b.min(), 1000);
        assert!(bx.abs() < 1e-6 && (by - 1000.0).abs() < 1e-6);
        let p = f.project(r.min());
        assert!((p.x - x0 * 4.096).abs() < 1e-6);
    }
}
