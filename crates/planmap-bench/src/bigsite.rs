//! The biggest site a server accepts: a county-size development zone of `vertices` vertices
//! (the server's limit is 100,000) over the plain, where the farmland is.
//!
//! Its outline is what a surveyed zone boundary looks like at 1 m spacing: a lobed outline
//! ~21 km across (about 355 km², a third of the county) following roads, field edges and
//! ditches — harmonics of 150 m, 40 m and 8 m amplitude over the base shape, and 1 m of
//! jitter. Eight villages are left out of it as holes (~0.4 km across, 500 vertices each). It
//! holds thousands of farmland patches whole, and its wiggling edge crosses or grazes some
//! thousand more, several times each: the hard case for a check (every crossed patch needs
//! an exact overlay or the crossings' area, against a site of 100,000 edges).

use geo::{Coord, LineString, MultiPolygon, Polygon};
use planmap_core::validate::validate_site;

use crate::rng::{metres_per_degree, round7, Rng};

/// The zone's centre, on the plain between the Ciyao and Fen rivers.
const CENTRE: Coord<f64> = Coord {
    x: 112.13,
    y: 37.40,
};
/// Mean radius of the outline, metres.
const RADIUS_M: f64 = 10_600.0;
const HOLES: usize = 8;
const HOLE_VERTICES: usize = 500;
const HOLE_RADIUS_M: f64 = 200.0;

/// The zone, `vertices` coordinates in all (rings closed, closing points counted, as the
/// vertex limit counts them); valid (checked).
pub fn county_size(vertices: usize, seed: u64) -> anyhow::Result<MultiPolygon<f64>> {
    let holes_total = HOLES * (HOLE_VERTICES + 1);
    anyhow::ensure!(
        vertices >= holes_total + 1000,
        "a county-size site needs at least {} vertices",
        holes_total + 1000
    );
    let mut rng = Rng::new(seed);
    let phases: Vec<f64> = (0..6)
        .map(|_| rng.range(0.0, std::f64::consts::TAU))
        .collect();
    // (cycles around the outline, amplitude in metres)
    let shape = [
        (3.0, 0.22 * RADIUS_M),
        (7.0, 0.08 * RADIUS_M),
        (41.0, 150.0),
        (173.0, 40.0),
        (709.0, 8.0),
    ];
    let n = vertices - holes_total - 1;
    let outline = ring(&mut rng, CENTRE, n, |a| {
        RADIUS_M
            + shape
                .iter()
                .zip(&phases)
                .map(|(&(k, amp), ph)| amp * (k * a + ph).sin())
                .sum::<f64>()
    });
    let (kx, ky) = metres_per_degree(CENTRE.y);
    let holes: Vec<LineString<f64>> = (0..HOLES)
        .map(|h| {
            let a = h as f64 * std::f64::consts::TAU / HOLES as f64 + phases[5];
            let c = Coord {
                x: CENTRE.x + 0.5 * RADIUS_M * a.cos() / kx,
                y: CENTRE.y + 0.5 * RADIUS_M * a.sin() / ky,
            };
            let ph = rng.range(0.0, std::f64::consts::TAU);
            ring(&mut rng, c, HOLE_VERTICES, |t| {
                HOLE_RADIUS_M * (1.0 + 0.3 * (3.0 * t + ph).sin())
            })
        })
        .collect();
    let site = MultiPolygon(vec![Polygon::new(outline, holes)]);
    validate_site(&site, vertices).map_err(|e| anyhow::anyhow!("generated site: {e}"))?;
    Ok(site)
}

/// A closed ring of `n` distinct vertices around `c`, radius `r(angle)` in metres plus up to
/// 1 m of jitter; star-shaped about `c` (angles increase), so simple.
fn ring(rng: &mut Rng, c: Coord<f64>, n: usize, r: impl Fn(f64) -> f64) -> LineString<f64> {
    let (kx, ky) = metres_per_degree(c.y);
    let step = std::f64::consts::TAU / n as f64;
    let mut pts: Vec<Coord<f64>> = (0..n)
        .map(|k| {
            let a = (k as f64 + rng.range(-0.3, 0.3)) * step;
            let rr = r(a) + rng.range(-1.0, 1.0);
            Coord {
                x: round7(c.x + rr * a.cos() / kx),
                y: round7(c.y + rr * a.sin() / ky),
            }
        })
        .collect();
    pts.push(pts[0]);
    LineString(pts)
}
